"""Emails in the recipient's language (issue 28): the shipped templates of every language, the admin's versions per
language, and the REST API's problem details in the language asked for."""
from __future__ import annotations

import typing

import httpx
import pytest

from api.v1 import templates as api_templates
from db import settings
from db.connection import database
from db.models import OutboxMessage, User
from domain import i18n
from mail import outbox, templates, transports, worker
from tests.utils import a_user, an_admin
from workflows import access, api_tokens, mail_admin, password_reset

OTHER_LANGUAGES = [code for code in settings.SHIPPED_LANGUAGES if code != 'en']


@pytest.mark.parametrize('locale', OTHER_LANGUAGES)
def test_every_template_is_shipped_in_every_language_with_the_english_placeholders(locale) -> None:
    english = set(templates.keys())
    shipped = {path.stem for path in templates.folder(locale).glob('*.txt')}
    assert shipped == english, f'{locale}: missing {sorted(english - shipped)}, unknown {sorted(shipped - english)}'
    for key in sorted(english):
        subject, body = templates.shipped(key, 'en')
        translated_subject, translated_body = templates.shipped(key, locale)
        assert translated_subject and translated_body.strip(), f'{locale}/{key}.txt: no subject or body'
        assert '\n' not in translated_subject
        assert templates.placeholders(translated_subject + translated_body) == \
            templates.placeholders(subject + body), f'{locale}/{key}.txt: placeholders differ from the English'


def test_the_api_offers_the_shipped_languages() -> None:
    assert set(typing.get_args(api_templates.Language)) == set(settings.SHIPPED_LANGUAGES) == set(i18n.LANGUAGES)


def deliver(smtp_server) -> int:
    return worker.deliver_due(transports.SmtpTransport(smtp_server.url, 'portal@provider.test'))


def html_of(message) -> str:
    return message.message.get_body(preferencelist=('html',)).get_content()


def test_a_spanish_developer_gets_the_password_reset_in_spanish(db, smtp_server) -> None:
    a_user('dev@consumer.test', first='Dana', locale='es')
    a_user('other@consumer.test', first='Olga')
    password_reset.request_reset('dev@consumer.test')
    password_reset.request_reset('other@consumer.test')
    assert deliver(smtp_server) == 2
    [spanish] = smtp_server.to('dev@consumer.test')
    assert spanish.subject == 'Restablezca su contraseña de Portico'
    assert 'Hola, Dana:' in spanish.body and 'caduca en una hora' in spanish.body
    page = html_of(spanish)
    assert '<html lang="es">' in page and 'caduca en una hora' in page
    [english] = smtp_server.to('other@consumer.test')
    assert english.subject == 'Reset your Portico password' and '<html lang="en">' in html_of(english)
    assert OutboxMessage.get(OutboxMessage.recipient == 'dev@consumer.test').locale == 'es'


def test_a_spanish_developer_gets_access_approved_in_spanish(db, smtp_server) -> None:
    from tests.utils import a_catalog_world
    world = a_catalog_world()
    developer = a_user('dev@consumer.test', first='Dana', locale='es')
    pending = access.request_access(developer, world['Partners'].id, world['Gold'].id, [world['Payments'].id],
                                    new_app_name='Shop')
    access.approve(pending, by=an_admin())
    deliver(smtp_server)
    [approved] = smtp_server.to('dev@consumer.test', 'Acceso concedido')
    assert approved.subject == 'Acceso concedido para Shop'
    assert 'Su aplicación «Shop» ya tiene acceso' in approved.body and 'Mis aplicaciones' in html_of(approved)


def test_a_recipient_without_a_choice_gets_the_portals_default_language(db, smtp_server) -> None:
    with database.atomic():
        settings.put('default_language', 'fr')
    a_user('dev@consumer.test', first='Dana')
    a_user('spanish@consumer.test', first='Sara', locale='es')
    with database.atomic():
        outbox.queue('test', 'dev@consumer.test', sender_name='Ada')
        outbox.queue('test', 'spanish@consumer.test', sender_name='Ada')
        outbox.queue('test', 'nobody@elsewhere.test', sender_name='Ada')  # no account: the default too
    assert deliver(smtp_server) == 3
    assert smtp_server.to('dev@consumer.test')[0].subject == 'Message de test de Portico'
    assert smtp_server.to('nobody@elsewhere.test')[0].subject == 'Message de test de Portico'
    assert smtp_server.to('spanish@consumer.test')[0].subject == 'Mensaje de prueba de Portico'


def test_a_language_no_longer_offered_falls_back_to_the_default(db, smtp_server) -> None:
    with database.atomic():
        settings.put('offered_languages', ['en', 'fr'])
    a_user('dev@consumer.test', locale='es')
    with database.atomic():
        outbox.queue('test', 'dev@consumer.test', sender_name='Ada')
    deliver(smtp_server)
    assert smtp_server.to('dev@consumer.test')[0].subject == 'Test message from Portico'


def test_a_message_queued_before_languages_is_sent_in_the_default(db, smtp_server) -> None:
    with database.atomic():
        settings.put('default_language', 'de')
    OutboxMessage.create(template_key='test', recipient='ops@example.com', context={'sender_name': 'Ada'})
    deliver(smtp_server)
    assert smtp_server.to('ops@example.com')[0].subject == 'Testnachricht von Portico'


def test_an_admins_german_version_goes_to_german_recipients_only(db, smtp_server) -> None:
    admin = an_admin()
    a_user('anna@consumer.test', first='Anna', locale='de')
    a_user('sara@consumer.test', first='Sara', locale='es')
    a_user('emma@consumer.test', first='Emma', locale='en')
    mail_admin.save_template('test', 'Grüße von ${portal_name}', 'Eigener Text von ${sender_name}.', by=admin,
                             locale='de')
    mail_admin.save_template('test', 'Hello from ${portal_name}', 'Our own text.', by=admin, locale='en')
    assert templates.origin('test', 'de', templates.effective('test', 'de')[2]) == templates.EDITED
    assert templates.origin('test', 'fr', templates.effective('test', 'fr')[2]) == templates.SHIPPED
    with database.atomic():
        for address in ('anna@consumer.test', 'sara@consumer.test', 'emma@consumer.test'):
            outbox.queue('test', address, sender_name='Ada')
    assert deliver(smtp_server) == 3
    german = smtp_server.to('anna@consumer.test')[0]
    assert german.subject == 'Grüße von Portico' and 'Eigener Text von Ada.' in german.body
    assert smtp_server.to('sara@consumer.test')[0].subject == 'Mensaje de prueba de Portico'  # the shipped Spanish
    assert smtp_server.to('emma@consumer.test')[0].subject == 'Hello from Portico'
    mail_admin.reset_template('test', by=admin, locale='de')
    assert templates.effective('test', 'de') == (*templates.shipped('test', 'de'), False)
    assert templates.effective('test', 'en')[2] is True  # the English version stays


def test_lazy_values_are_written_in_the_recipients_language(db, smtp_server) -> None:
    a_user('anna@consumer.test', locale='de')
    with database.atomic():
        outbox.queue('test', 'anna@consumer.test', sender_name=i18n.lazy_plural('{count} day', '{count} days', 1500))
        outbox.queue('test', 'emma@consumer.test', sender_name=i18n.lazy_plural('{count} day', '{count} days', 1500))
    assert OutboxMessage.get(OutboxMessage.recipient == 'anna@consumer.test').context['sender_name'].startswith('1.500')
    assert OutboxMessage.get(OutboxMessage.recipient == 'emma@consumer.test').context['sender_name'] == '1,500 days'


def test_template_languages_are_checked(db) -> None:
    from domain.errors import DomainError
    with pytest.raises(DomainError, match='Unknown language'):
        mail_admin.save_template('test', 'Subject', 'Body', by=an_admin(), locale='xx')


# --- the REST API ----------------------------------------------------------------------------------------------

def client(user, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test/api/v1',
                             headers={'Authorization': f'Bearer {token}'})


async def test_a_refusal_of_the_api_is_in_the_language_asked_for_with_its_english_message(user) -> None:
    admin = an_admin()
    token = api_tokens.create(admin, 'CRM', read_only=False)[1]
    async with client(user, token) as api:
        german = await api.put('/email-templates/test', json={'subject': 'x', 'body': 'y'},
                               headers={'Accept-Language': 'de-DE,de;q=0.9,en;q=0.5'})
        plain = await api.put('/email-templates/test', json={'subject': 'x', 'body': 'y'})
        unoffered = await api.put('/email-templates/test', json={'subject': 'x', 'body': 'y'},
                                  headers={'Accept-Language': 'pt-BR'})
    assert german.status_code == 428 and german.headers['content-language'] == 'de'
    problem = german.json()
    assert problem['title'] == 'Precondition required'  # machine text: English
    assert problem['message'].startswith('Send the ETag of the version you read in the If-Match header')
    assert problem['detail'].startswith('Senden Sie das ETag der Version')
    assert plain.json()['detail'] == plain.json()['message'] == problem['message']
    assert plain.headers['content-language'] == 'en' and unoffered.json()['detail'] == problem['message']


async def test_a_domain_refusal_keeps_its_english_message(user) -> None:
    admin = an_admin()
    token = api_tokens.create(admin, 'CRM', read_only=False)[1]
    async with client(user, token) as api:
        answer = await api.get('/email-templates/nope', headers={'Accept-Language': 'fr'})
    assert answer.status_code == 404 and answer.headers['content-language'] == 'fr'
    assert answer.json()['message'] == 'This template was not found.'


async def test_templates_are_read_and_saved_per_language_through_the_api(user) -> None:
    admin = an_admin()
    token = api_tokens.create(admin, 'CRM', read_only=False)[1]
    async with client(user, token) as api:
        shipped = await api.get('/email-templates/test', params={'locale': 'fr'})
        saved = await api.put('/email-templates/test', params={'locale': 'fr'}, headers={'If-Match': shipped.headers['etag']},
                              json={'subject': 'Bonjour de ${portal_name}', 'body': 'Texte de ${sender_name}.'})
        english = await api.get('/email-templates/test')
        unknown = await api.get('/email-templates/test', params={'locale': 'xx'})
        reset = await api.delete('/email-templates/test', params={'locale': 'fr'})
    assert shipped.json()['subject'] == 'Message de test de ${portal_name}' and shipped.json()['source'] == 'shipped'
    assert saved.status_code == 200 and saved.json()['source'] == 'edited' and saved.json()['locale'] == 'fr'
    assert english.json()['locale'] == 'en' and english.json()['customised'] is False
    assert unknown.status_code == 422
    assert reset.json()['source'] == 'shipped' and not User.select().where(User.locale == 'fr').exists()


async def test_a_wrong_or_read_only_token_is_told_so_in_the_language_asked_for(user) -> None:
    admin = an_admin()
    reader = api_tokens.create(admin, 'Dashboard', read_only=True)[1]
    async with client(user, reader) as api:
        refused = await api.put('/email-templates/test', json={'subject': 'x', 'body': 'y'},
                                headers={'Accept-Language': 'es', 'If-Match': '*'})
    async with client(user, 'ptk_' + 'x' * 40) as api:
        wrong = await api.get('/users', headers={'Accept-Language': 'de'})
    assert refused.status_code == 403 and refused.headers['content-language'] == 'es'
    assert refused.json()['message'].startswith('This token is read-only')
    assert refused.json()['detail'].startswith('Este token es de solo lectura')
    assert wrong.status_code == 401 and wrong.headers['content-language'] == 'de'
    assert wrong.json()['detail'] != wrong.json()['message'] and wrong.json()['message']
