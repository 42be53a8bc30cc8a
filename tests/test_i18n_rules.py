"""The rules' refusals in the reader's language (issue 28): a workflow raises in a worker thread that knows no
reader; its message is translated when shown, with its placeholders filled, and keeps its English text."""
from __future__ import annotations

import pytest

from domain import i18n
from domain.errors import DomainError, NotFound
from tests.utils import PASSWORD, a_user, an_admin
from workflows import accounts, catalog, openapi, registration

pytestmark = pytest.mark.usefixtures('db')


def refusal(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def shown(error: DomainError) -> dict[str, str]:
    answer = {}
    for locale in ('en', 'de', 'fr', 'es'):
        with i18n.use(locale):
            answer[locale] = str(error)
    return answer


def test_a_registration_with_an_invalid_address_is_refused_in_the_readers_language() -> None:
    error = refusal(registration.register, 'Nora', 'Newman', 'not-an-address', PASSWORD, PASSWORD)
    assert error.field == 'email'
    assert shown(error) == {'en': 'Enter a valid email address.',
                            'de': 'Geben Sie eine gültige E-Mail-Adresse ein.',
                            'fr': 'Saisissez une adresse e-mail valide.',
                            'es': 'Introduzca una dirección de correo electrónico válida.'}
    assert error.english() == 'Enter a valid email address.'


def test_a_missing_name_names_its_field_in_the_readers_language() -> None:
    error = refusal(registration.register, '  ', 'Newman', 'nora@consumer.test', PASSWORD, PASSWORD)
    assert error.field == 'first_name'
    assert shown(error) == {'en': 'Enter the first name.',
                            'de': 'Bitte füllen Sie das Feld „Vorname“ aus.',
                            'fr': 'Renseignez le champ « prénom ».',
                            'es': 'Rellene el campo «nombre».'}
    too_long = refusal(registration.register, 'Nora', 'N' * 101, 'nora@consumer.test', PASSWORD, PASSWORD)
    with i18n.use('de'):
        assert str(too_long) == 'Das Feld „Nachname“ ist zu lang (höchstens 100 Zeichen).'
    assert too_long.english() == 'The last name is too long (100 characters at most).'


def test_a_weak_password_is_refused_with_the_limit_filled_in() -> None:
    error = refusal(registration.register, 'Nora', 'Newman', 'nora@consumer.test', 'short', 'short')
    assert shown(error) == {'en': 'The password must have at least 10 characters.',
                            'de': 'Das Passwort muss mindestens 10 Zeichen haben.',
                            'fr': 'Le mot de passe doit comporter au moins 10 caractères.',
                            'es': 'La contraseña debe tener al menos 10 caracteres.'}


def test_a_plan_name_taken_is_refused_with_the_name_in_every_language() -> None:
    admin = an_admin()
    catalog.save_plan(None, 'Gold', 1000, 60, 0, 'day', False, by=admin)
    error = refusal(catalog.save_plan, None, 'Gold', 10, 60, 0, 'day', False, by=admin)
    assert error.field == 'name'
    assert shown(error) == {'en': 'A plan named "Gold" exists already.',
                            'de': 'Einen Tarif namens „Gold“ gibt es bereits.',
                            'fr': 'Une offre nommée « Gold » existe déjà.',
                            'es': 'Ya existe un plan llamado «Gold».'}
    assert error.english() == 'A plan named "Gold" exists already.'


def test_a_count_out_of_range_shows_its_label_and_the_bounds_written_in_the_locale() -> None:
    error = refusal(catalog.save_plan, None, 'Silver', 0, 60, 0, 'day', False, by=an_admin())
    assert error.field == 'rate_limit'
    assert shown(error) == {'en': 'The rate limit must be between 1 and 1,000,000,000.',
                            'de': 'Das Feld „Ratenlimit“ muss zwischen 1 und 1.000.000.000 liegen.',
                            'fr': 'Le champ « limite de débit » doit être compris entre 1 et 1\u202f000\u202f000\u202f000.',
                            'es': 'El campo «límite de frecuencia» debe estar entre 1 y 1.000.000.000.'}


def test_not_found_says_what_in_the_readers_language() -> None:
    error = refusal(catalog.save_plan, 99999, 'Gold', 10, 60, 0, 'day', False, by=an_admin())
    assert isinstance(error, NotFound)
    assert shown(error) == {'en': 'This plan was not found.', 'de': 'Dieser Tarif wurde nicht gefunden.',
                            'fr': 'Cette offre est introuvable.', 'es': 'Este plan no se ha encontrado.'}
    assert error.english() == 'This plan was not found.'


def test_a_refusal_of_the_openapi_reader_nests_its_problem_and_translates_both() -> None:
    error = refusal(openapi.read, 'openapi: "9.0"\ninfo: {title: T, version: "1"}\npaths: {}\n')
    assert error.english() == ('The OpenAPI document is not valid: it needs an "openapi" version (3.0, 3.1) or a '
                               '"swagger" version (2.0).')
    with i18n.use('fr'):
        assert str(error) == ('Le document OpenAPI n\'est pas valide : il lui faut une version "openapi" (3.0, 3.1) '
                              'ou une version "swagger" (2.0).')


def test_a_refused_sign_in_is_translated_too() -> None:
    a_user('dev@consumer.test')
    error = refusal(accounts.authenticate, 'dev@consumer.test', 'wrong password!', client='192.0.2.7')
    assert error.english() == 'Wrong email or password.'
    with i18n.use('es'):
        assert str(error) == 'Correo electrónico o contraseña incorrectos.'
