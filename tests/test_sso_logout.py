"""Deprovisioning (issue 24): "a person the IdP no longer lets in ... is signed out everywhere at once".

OpenID Connect Back-Channel Logout against the real oidc-provider: a person signs in to the portal through it (the
portal's own routes, a browser at the provider), then ends their session at the provider; the provider posts its
logout token to the back-channel logout URI registered for the client, the portal checks it and the portal
session is gone. And the admin REST API's deprovision call."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from db.models import AuditEvent, ExternalIdentity, IdentityProvider, User, UserSession, UserStatus
from tests.identity_provider import CLIENT_ID, CLIENT_SECRET, MISSING, OpenIdProvider, ProviderBrowser, partner_provider
from tests.utils import a_user, fresh
from workflows import api_tokens, sso

pytestmark = pytest.mark.skipif(bool(MISSING), reason=MISSING or 'ok')
CALLBACK = 'http://portal.test/auth/sso/callback'
ACCOUNTS = {'ann': {'email': 'ann@partner.example', 'email_verified': True, 'given_name': 'Ann'},
            'kim': {'email': 'kim@partner.example', 'email_verified': True, 'given_name': 'Kim'}}


class Receiver:
    """Where the provider posts its logout tokens (the test hands them to the portal's route itself, so that it
    can also replay and forge them)."""

    def __init__(self) -> None:
        tokens = self.tokens = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get('content-length', 0))).decode()
                tokens.append((urlsplit(self.path).query, parse_qs(body)['logout_token'][0]))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.server.server_port}/auth/sso/backchannel-logout'
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int = 1) -> list[tuple[str, str]]:
        deadline = time.monotonic() + 10
        while len(self.tokens) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.tokens) >= count, 'the provider sent no logout token'
        return self.tokens

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver():
    receiving = Receiver()
    yield receiving
    receiving.stop()


@pytest.fixture
def op(db, receiver):
    provider = OpenIdProvider(ACCOUNTS, [CALLBACK], backchannel_logout_uri=receiver.url + '?provider=1')
    yield provider
    provider.stop()


def partner_sso(op) -> IdentityProvider:
    provider = partner_provider(op)
    assert provider.id == 1  # the back-channel logout URI registered at the provider names it
    return provider


async def signs_in_through_the_portal(portal: httpx.AsyncClient, provider, at_provider: ProviderBrowser,
                                      login: str) -> None:
    """The portal's routes: /auth/sso/<id> -> the provider's pages -> the callback -> the session."""
    started = await portal.get(f'/auth/sso/{provider.id}')
    assert started.status_code == 303
    answer = at_provider.sign_in(started.headers['location'], login, CALLBACK)
    back = await portal.get('/auth/sso/callback', params=answer)
    assert back.status_code == 303 and back.headers['location'].startswith('/auth/session?ticket=')
    assert (await portal.get(back.headers['location'])).status_code in (302, 303, 307)


async def test_ending_the_session_at_the_provider_signs_the_person_out_of_the_portal(op, receiver, user) -> None:
    provider = partner_sso(op)
    kim_at_provider, ann_at_provider = ProviderBrowser(), ProviderBrowser()
    transport = user.http_client._transport
    async with httpx.AsyncClient(transport=transport, base_url='http://test') as ann_portal, \
            httpx.AsyncClient(transport=transport, base_url='http://test') as kim_portal:
        await signs_in_through_the_portal(ann_portal, provider, ann_at_provider, 'ann')
        await signs_in_through_the_portal(kim_portal, provider, kim_at_provider, 'kim')
        ann = User.get(User.email == 'ann@partner.example')
        session = UserSession.get(UserSession.user == ann)
        assert session.provider_id == provider.id and session.provider_sid  # the ID token's sid
        assert session.method == 'provider:Partner SSO'
        assert (await ann_portal.get('/dashboard')).status_code == 200

        ann_at_provider.end_session(op.issuer)  # Ann signs out at her company's provider
        query, logout_token = receiver.wait()[0]
        assert query == 'provider=1'
        answer = await ann_portal.post(f'/auth/sso/backchannel-logout?{query}', data={'logout_token': logout_token})
        assert answer.status_code == 200 and answer.headers['cache-control'] == 'no-store'
        assert not UserSession.select().where(UserSession.user == ann).exists()
        assert (await ann_portal.get('/dashboard')).headers.get('location', '').startswith('/login')
        kim = User.get(User.email == 'kim@partner.example')  # Kim's session at the provider goes on: so does hers
        assert UserSession.select().where(UserSession.user == kim).count() == 1
        assert AuditEvent.get(AuditEvent.action == 'identity.logout').target_id == ann.id

        replayed = await ann_portal.post(f'/auth/sso/backchannel-logout?{query}', data={'logout_token': logout_token})
        assert replayed.status_code == 400 and replayed.json()['error'] == 'invalid_request'
        for forged in ({'logout_token': logout_token[:-4] + 'AAAA'}, {'logout_token': ''}, {}):
            refused = await kim_portal.post('/auth/sso/backchannel-logout?provider=1', data=forged)
            assert refused.status_code == 400
        other = await kim_portal.post('/auth/sso/backchannel-logout?provider=99', data={'logout_token': logout_token})
        assert other.status_code == 400
        assert UserSession.select().where(UserSession.user == kim).count() == 1
    for browser in (ann_at_provider, kim_at_provider):
        browser.close()


def test_an_id_token_is_no_logout_token(op) -> None:
    """An attacker who has someone's ID token (it carries sub and sid) cannot use it to sign them out."""
    from tests.identity_provider import sign_in_at_provider
    from workflows import sso_logout
    provider = partner_sso(op)
    url, _secret = sso.begin(provider.id)
    answer = sign_in_at_provider(url, 'ann', CALLBACK)
    started = sso.tokens.consume(sso.tokens.SSO, answer['state'])
    from authlib.integrations.requests_client import OAuth2Session
    document = sso.discover(op.issuer)
    client = OAuth2Session(CLIENT_ID, CLIENT_SECRET, redirect_uri=sso.redirect_uri())
    id_token = client.fetch_token(document['token_endpoint'], code=answer['code'],
                                  code_verifier=started.data['verifier'])['id_token']
    with pytest.raises(sso_logout.InvalidLogoutToken):  # no jti, no back-channel logout event, a nonce
        sso_logout.backchannel_logout(provider.id, id_token)


# --- deprovision (the admin REST API) ---------------------------------------------------------------------------

def api(user, token: str):
    return httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test/api/v1',
                             headers={'Authorization': f'Bearer {token}'})


async def test_deprovision_signs_out_everywhere_and_deactivates_an_account_with_no_other_way_in(op, user) -> None:
    from workflows import sessions
    provider = partner_sso(op)
    admin = User.get(User.email == 'admin@provider.test')
    ann = a_user('ann@partner.example', organisation=provider.organisation, password=None)
    kim = a_user('kim@partner.example', organisation=provider.organisation)  # has a password too
    for person, subject in ((ann, 'ann'), (kim, 'kim')):
        ExternalIdentity.create(provider=provider, subject=subject, user=person)
        sessions.open_for(person)
        sessions.open_for(person, 'provider:Partner SSO', provider_id=provider.id, provider_sid='sid-' + subject)
    _, token = api_tokens.create(admin, 'idp sync', read_only=False)
    async with api(user, token) as client:
        answer = await client.post(f'/identity-providers/{provider.id}/deprovision', json={'subject': 'ann'})
        assert answer.status_code == 200, answer.text
        assert answer.json() | {'detail': ''} == {'user_id': ann.id, 'email': 'ann@partner.example',
                                                  'sessions_ended': 2, 'deactivated': True, 'detail': ''}
        assert fresh(ann).status == UserStatus.INACTIVE and not UserSession.select().where(UserSession.user == ann).exists()

        answer = await client.post(f'/identity-providers/{provider.id}/deprovision', json={'email': 'KIM@partner.example'})
        assert answer.status_code == 200 and answer.json()['deactivated'] is False
        assert 'another way in' in answer.json()['detail']
        assert fresh(kim).status == UserStatus.ACTIVE and not UserSession.select().where(UserSession.user == kim).exists()

        for body, status in (({'subject': 'nobody'}, 404), ({}, 422), ({'subject': 'ann', 'email': 'a@b.c'}, 422)):
            assert (await client.post(f'/identity-providers/{provider.id}/deprovision', json=body)).status_code == status
        assert (await client.post('/identity-providers/999/deprovision', json={'subject': 'ann'})).status_code == 404
    assert [event.detail['deactivated'] for event in
            AuditEvent.select().where(AuditEvent.action == 'identity.deprovision').order_by(AuditEvent.id)] == [True, False]


async def test_deprovision_needs_a_read_write_token_of_a_portal_admin(op, user) -> None:
    from workflows import sessions
    provider = partner_sso(op)
    admin = User.get(User.email == 'admin@provider.test')
    ann = a_user('ann@partner.example', organisation=provider.organisation, password=None)
    ExternalIdentity.create(provider=provider, subject='ann', user=ann)
    sessions.open_for(ann)
    _, read_only = api_tokens.create(admin, 'reader', read_only=True)
    _, former = api_tokens.create(admin, 'former admin', read_only=False)
    async with api(user, read_only) as client:
        answer = await client.post(f'/identity-providers/{provider.id}/deprovision', json={'subject': 'ann'})
        assert answer.status_code == 403
    User.update(is_portal_admin=False).where(User.id == admin.id).execute()  # no longer an admin: its token is void
    async with api(user, former) as client:
        answer = await client.post(f'/identity-providers/{provider.id}/deprovision', json={'subject': 'ann'})
        assert answer.status_code == 401
    async with api(user, 'ptk_forged0000000000000000000000000000') as client:
        answer = await client.post(f'/identity-providers/{provider.id}/deprovision', json={'subject': 'ann'})
        assert answer.status_code == 401
    assert fresh(ann).status == UserStatus.ACTIVE and UserSession.select().where(UserSession.user == ann).count() == 1
