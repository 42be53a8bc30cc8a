"""The portal's pages in the reader's language (issue 28): a choice in the header, a choice in the profile (kept
with the account), the browser's Accept-Language when nothing was chosen, and only the languages the admin offers."""
from __future__ import annotations

import pytest

from db.models import User
from domain.errors import DomainError
from tests.utils import a_user, choose, fresh, log_in, press, set_settings, settle
from workflows import languages


async def picks_in_the_header(user, code: str) -> None:
    """The visitor opens the header's language menu and picks a language; the page is shown again in it."""
    await user.should_see(marker='language-menu')
    user.find(marker=f'language-{code}').click()
    await settle()


async def test_a_visitor_who_chose_german_in_the_header_reads_home_catalogs_and_login_in_german(user) -> None:
    await user.open('/')
    await user.should_see('Browse Catalogs')
    await picks_in_the_header(user, 'de')

    await user.open('/')
    await user.should_see(marker='page-title', content='Willkommen')
    await user.should_see('Kataloge durchsuchen')
    await user.should_see('So erhalten Sie Zugriff')
    await user.should_not_see('Browse Catalogs')
    await user.should_not_see('How to get access')

    await user.open('/catalogs')
    await user.should_see(marker='page-title', content='Kataloge')
    await user.should_see('Für Sie sind noch keine API-Produkte veröffentlicht.')
    await user.should_see('Melden Sie sich an, um die Kataloge für registrierte Entwickler zu sehen.')
    await user.should_not_see('No API products are published for you yet.')

    await user.open('/login')
    await user.should_see(marker='page-title', content='Anmelden')
    await user.should_see('Passwort vergessen?')
    await user.should_see(marker='nav-register', content='Registrieren')
    await user.should_not_see('Forgot Password?')


async def test_a_developer_who_picks_french_in_the_profile_keeps_it_with_the_account(user) -> None:
    dev = a_user('dev@consumer.test', first='Dana')
    await log_in(user, 'dev@consumer.test')
    await user.open('/profile')
    await user.should_see('Language')
    choose(user, 'profile-language', 'Français')
    await press(user, 'profile-language-save')
    assert fresh(dev).locale == 'fr'

    await user.open('/dashboard')
    await user.should_see(marker='page-title', content='Tableau de bord')
    await user.should_see('Bienvenue, Dana !')
    await user.should_not_see('Welcome, Dana!')
    await user.open('/profile')
    await user.should_see('Votre nom')
    await user.should_see(marker='profile-language-save', content='Enregistrer la langue')
    await user.should_not_see('Your name')

    # "Follow my browser": the account keeps no language, and this browser (which sends none) reads English
    choose(user, 'profile-language', 'Suivre mon navigateur')
    await press(user, 'profile-language-save')
    assert fresh(dev).locale is None
    await user.open('/dashboard')
    await user.should_see('Welcome, Dana!')
    await user.should_not_see('Bienvenue, Dana !')


async def test_the_accept_language_header_is_followed_when_nothing_was_chosen(user) -> None:
    user.http_client.headers['Accept-Language'] = 'pt-BR, es;q=0.8, en;q=0.5'
    await user.open('/login')
    await user.should_see(marker='page-title', content='Iniciar sesión')
    await user.should_see('¿Olvidó su contraseña?')
    await user.should_not_see('Forgot Password?')

    # a choice in the header wins over the header of the browser
    await picks_in_the_header(user, 'de')
    await user.open('/login')
    await user.should_see('Passwort vergessen?')
    await user.should_not_see('¿Olvidó su contraseña?')


async def test_a_signed_in_user_without_a_choice_reads_the_browsers_language(user) -> None:
    user.http_client.headers['Accept-Language'] = 'fr-CA,fr;q=0.9'
    a_user('dev@consumer.test', first='Dana')
    await log_in(user, 'dev@consumer.test')
    await user.open('/dashboard')
    await user.should_see('Bienvenue, Dana !')
    assert User.get(User.email == 'dev@consumer.test').locale is None  # following the browser stores nothing


async def test_a_language_that_is_not_offered_is_refused(user) -> None:
    set_settings(default_language='en', offered_languages=['en', 'de'])
    dev = a_user('dev@consumer.test', first='Dana')
    with pytest.raises(DomainError, match='This language is not offered here.'):
        languages.choose(dev, 'fr')
    assert fresh(dev).locale is None

    user.http_client.headers['Accept-Language'] = 'fr'  # the browser asks for French: the default instead
    await user.open('/login')
    await user.should_see('Forgot Password?')
    await user.should_see(marker='language-de')
    await user.should_not_see(marker='language-fr')

    await log_in(user, 'dev@consumer.test')
    await user.open('/profile')
    [select] = user.find(marker='profile-language').elements
    assert set(select.options.values()) == {'Follow my browser', 'English', 'Deutsch'}


async def test_a_language_the_admin_stops_offering_is_no_longer_shown(user) -> None:
    dev = a_user('dev@consumer.test', first='Dana')
    languages.choose(dev, 'es')
    await log_in(user, 'dev@consumer.test')
    await user.open('/dashboard')
    await user.should_see('¡Le damos la bienvenida, Dana!')
    set_settings(default_language='en', offered_languages=['en', 'de'])
    await user.open('/dashboard')
    await user.should_see('Welcome, Dana!')
