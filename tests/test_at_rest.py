"""Secrets kept at rest by one digest and one sealing helper (domain/at_rest.py) read the rows the code before it
wrote: tests/data/secrets_at_rest_before.json holds, for a fixed secret key, what that code stored for an API key,
an invite code, a webhook secret, a queued email's link and the digests of each kind of token (made with the
modules of the commit it names). Existing databases keep working after the upgrade."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

import config
from db import bootstrap
from db.models import Credential, InviteCode, OutboxMessage, UserSession, WebhookEndpoint
from domain import at_rest
from domain.errors import DomainError
from gateway import keys as gateway_keys
from mail import outbox
from tests.utils import a_catalog_world, a_user, an_admin
from workflows import access, api_tokens, credentials, invite_codes, sessions, tokens, webhook_endpoints

BEFORE = json.loads((Path(__file__).parent / 'data' / 'secrets_at_rest_before.json').read_text())


@pytest.fixture
def old_secret_key(db, monkeypatch):
    monkeypatch.setenv('PORTICO_SECRET_KEY', BEFORE['secret_key'])
    config.use(config.load())


def test_an_api_key_stored_before_is_shown_to_its_owner_and_passes_the_gateway(old_secret_key) -> None:
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Old app')
    stored = BEFORE['api_key']
    Credential.update(key_prefix=stored['key_prefix'], key_hash=stored['key_hash'],
                      key_encrypted=stored['key_encrypted']).where(Credential.access_request == request).execute()
    credential = Credential.get(Credential.access_request == request)
    assert credentials.reveal(credential, dev) == stored['raw']
    gateway_keys.clear()
    found = gateway_keys.lookup_blocking(gateway_keys.digest(stored['raw']))
    assert found is not None and found.app_name == 'Old app'


def test_an_invite_code_stored_before_is_shown_again_and_lets_people_in(old_secret_key) -> None:
    admin = an_admin()
    code, _ = invite_codes.create(bootstrap.default_team(bootstrap.default_organisation()).id, 3, date.today() + timedelta(days=3), 'active', '', by=admin)
    stored = BEFORE['invite_code']
    InviteCode.update(code_prefix=stored['code_prefix'], code_hash=stored['code_hash'],
                      code_encrypted=stored['code_encrypted']).where(InviteCode.id == code.id).execute()
    assert invite_codes.reveal(InviteCode.get_by_id(code.id), admin) == stored['raw']
    assert invite_codes.redeem(stored['raw']).id == code.id
    assert InviteCode.get_by_id(code.id).used == 1


def test_a_webhook_secret_and_a_queued_link_stored_before_open(old_secret_key) -> None:
    admin = an_admin()
    webhook_endpoint = WebhookEndpoint.create(url='https://93.184.215.14/hooks', events=['app.created'],
                                              secret_encrypted=BEFORE['webhook_secret']['secret_encrypted'],
                                              created_by=admin)
    assert webhook_endpoints.reveal_secret(webhook_endpoint.id, by=admin) == BEFORE['webhook_secret']['raw']
    message = OutboxMessage.create(template_key='reset', recipient='dev@consumer.test', context={},
                                   secret_context=BEFORE['outbox']['secret_context'])
    assert outbox.unseal(OutboxMessage.get_by_id(message.id).secret_context) == BEFORE['outbox']['raw']


def test_every_kind_of_token_is_looked_up_by_the_digest_stored_before(db) -> None:
    raw, stored = BEFORE['digests']['raw'], BEFORE['digests']
    assert at_rest.digest(raw) == stored['link_token'] == stored['api_token'] == stored['session'] \
        == stored['invite_code'] == stored['api_key']
    # and each module looks its rows up by that same digest
    user = a_user()
    raw_link = tokens.issue(tokens.RESET, user)
    assert tokens.peek(tokens.RESET, raw_link).token_hash == at_rest.digest(raw_link)
    admin = an_admin()
    token, raw_api_token = api_tokens.create(admin, 'CI')
    assert token.token_hash == at_rest.digest(raw_api_token)
    session_token = sessions.open_for(admin)
    assert sessions.user_for(session_token).id == admin.id
    assert UserSession.get(UserSession.user == admin).token_hash == at_rest.digest(session_token)


def test_a_secret_sealed_under_another_key_is_refused_with_a_message(old_secret_key, monkeypatch) -> None:
    admin = an_admin()
    endpoint = WebhookEndpoint.create(url='https://93.184.215.14/hooks', events=['app.created'],
                                      secret_encrypted=BEFORE['webhook_secret']['secret_encrypted'], created_by=admin)
    monkeypatch.setenv('PORTICO_SECRET_KEY', 'another-secret-key-' + 'x' * 40)
    config.use(config.load())
    with pytest.raises(DomainError, match='encrypted with another secret key'):
        webhook_endpoints.reveal_secret(endpoint.id, by=admin)
