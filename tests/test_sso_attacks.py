"""The attacks of issue 24 on sign-in through a provider, each against the real oidc-provider: an ID token signed
with a key the provider never published, one for another audience or issuer, an expired one; an IdP that asserts
a portal admin's address (through the portal's own routes: the browser lands on the link page, not signed in);
logout tokens that are forged in each of the ways Back-Channel Logout 1.0 names. (A replayed or forged `state`, a
wrong nonce and an unverified address: tests/test_sso.py; another organisation's team in the groups claim:
tests/test_sso_groups.py; a replayed logout token and deprovision without an admin's token:
tests/test_sso_logout.py.)"""
from __future__ import annotations

import time
import uuid

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from db.models import ExternalIdentity, Token, User, UserSession
from tests.identity_provider import (CLIENT_ID, MISSING, OpenIdProvider, ProviderBrowser, public,
                                     partner_provider, rsa_key_set, sign_in_through)
from tests.utils import a_user
from workflows import sso, sso_logout, tokens

pytestmark = pytest.mark.skipif(bool(MISSING), reason=MISSING or 'ok')
CALLBACK = 'http://portal.test/auth/sso/callback'
ACCOUNTS = {'ann': {'email': 'ann@partner.example', 'email_verified': True, 'given_name': 'Ann'},
            'mallory': {'email': 'admin@provider.test', 'email_verified': True, 'name': 'Mallory'}}
KEYS = rsa_key_set('op-key')  # what the provider signs with and publishes


def started(**options) -> OpenIdProvider:
    return OpenIdProvider(ACCOUNTS, [CALLBACK], jwks=KEYS, **options)


def refused(op, message: str) -> None:
    provider = partner_provider(op)
    with pytest.raises(sso.SignInRefused, match=message):
        sign_in_through(provider, 'ann', CALLBACK)
    assert not User.select().where(User.email == 'ann@partner.example').exists()
    assert not ExternalIdentity.select().exists()


@pytest.mark.parametrize('attack', ['another key, same kid', 'a key it never published'])
def test_an_id_token_signed_with_another_key_is_refused(db, attack) -> None:
    forger = rsa_key_set('op-key' if attack == 'another key, same kid' else 'forger')['keys'][0]
    op = started(tamper={'claims': {}, 'key': forger})
    try:
        refused(op, 'ID token .* is not valid')
    finally:
        op.stop()


def test_a_provider_that_publishes_other_keys_than_it_signs_with_is_refused(db) -> None:
    op = started(published_jwks=public(rsa_key_set('op-key')))
    try:
        refused(op, 'ID token .* is not valid')
    finally:
        op.stop()


@pytest.mark.parametrize('claims, message', [
    ({'aud': 'another-client'}, 'is not valid'),
    ({'aud': ['another-client', CLIENT_ID], 'azp': 'another-client'}, 'issued to another client'),
    ({'iss': 'http://127.0.0.1:9/another-issuer'}, 'is not valid'),
    ({'exp': int(time.time()) - 3600}, 'is not valid'),
], ids=['another audience', 'another authorised party', 'another issuer', 'expired'])
def test_an_id_token_for_someone_else_or_expired_is_refused_though_the_providers_key_signed_it(db, claims, message):
    op = started(tamper={'claims': claims})  # re-signed with the provider's own key: only the claims are wrong
    try:
        refused(op, message)
    finally:
        op.stop()


def test_the_tampering_provider_itself_is_fine_when_it_changes_nothing(db) -> None:
    """The re-signing used above is not what fails: with the same claims, the sign-in works."""
    op = started(tamper={'claims': {}})
    try:
        assert sign_in_through(partner_provider(op), 'ann', CALLBACK).user.email == 'ann@partner.example'
    finally:
        op.stop()


async def test_an_idp_asserting_an_admins_address_lands_on_the_link_page_and_signs_nobody_in(db, user) -> None:
    op = started()
    at_provider = ProviderBrowser()
    try:
        provider = partner_provider(op)
        admin = User.get(User.email == 'admin@provider.test')
        async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test') as browser:
            begun = await browser.get(f'/auth/sso/{provider.id}')
            answer = at_provider.sign_in(begun.headers['location'], 'mallory', CALLBACK)
            back = await browser.get('/auth/sso/callback', params=answer)
            assert back.status_code == 303 and back.headers['location'].startswith('/auth/sso/link?token=')
            assert not UserSession.select().exists() and not Token.select().where(Token.purpose == tokens.SIGN_IN).exists()
            page = await browser.get(back.headers['location'])
            assert 'An account with admin@provider.test exists' in page.text
            # the same link in another browser (the victim's, lured there) is worthless
            async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test') as other:
                lured = await other.get(back.headers['location'])
                assert 'another browser' in lured.text and 'admin@provider.test' not in lured.text
            assert (await browser.get('/admin')).headers.get('location', '').startswith('/login')
        assert not ExternalIdentity.select().exists() and User.get_by_id(admin.id).is_portal_admin
    finally:
        at_provider.close()
        op.stop()


def logout_token(op, provider, **claims) -> str:
    """A logout token as the provider would send it, signed with its own key, with `claims` changed."""
    now = int(time.time())
    values = {'iss': op.issuer, 'aud': CLIENT_ID, 'iat': now, 'exp': now + 120, 'jti': uuid.uuid4().hex,
              'sub': 'ann', 'events': {sso_logout.LOGOUT_EVENT: {}}, **claims}
    values = {name: value for name, value in values.items() if value is not None}
    key = KeySet.import_key_set(KEYS).keys[0]
    return jwt.encode({'alg': 'RS256', 'kid': 'op-key', 'typ': 'logout+jwt'}, values, key)


def test_forged_logout_tokens_sign_nobody_out(db) -> None:
    from workflows import sessions
    op = started()
    try:
        provider = partner_provider(op)
        ann = a_user('ann@partner.example', organisation=provider.organisation, password=None)
        ExternalIdentity.create(provider=provider, subject='ann', user=ann)
        sessions.open_for(ann, 'provider:Partner SSO', provider_id=provider.id, provider_sid='the-sid')
        forgeries = {
            'another audience': logout_token(op, provider, aud='another-client'),
            'another issuer': logout_token(op, provider, iss='http://127.0.0.1:9'),
            'no event': logout_token(op, provider, events=None),
            'another event': logout_token(op, provider, events={'http://example.com/other-event': {}}),
            'a nonce (an ID token)': logout_token(op, provider, nonce='n'),
            'neither sub nor sid': logout_token(op, provider, sub=None),
            'no jti': logout_token(op, provider, jti=None),
            'too old': logout_token(op, provider, iat=int(time.time()) - 3600, exp=None),
            'another key': jwt.encode({'alg': 'RS256', 'kid': 'op-key'},
                                      {'iss': op.issuer, 'aud': CLIENT_ID, 'iat': int(time.time()), 'jti': 'x',
                                       'sub': 'ann', 'events': {sso_logout.LOGOUT_EVENT: {}}},
                                      KeySet.import_key_set(rsa_key_set('op-key')).keys[0]),
            'not a JWT': 'not.a.jwt',
        }
        for what, forged in forgeries.items():
            with pytest.raises(sso_logout.InvalidLogoutToken):
                sso_logout.backchannel_logout(provider.id, forged)
            assert UserSession.select().count() == 1, what
        for other_session in (logout_token(op, provider, sid='another-sid'),  # valid, but names another session
                              logout_token(op, provider, sub='someone-else', sid='the-sid')):  # not Ann's
            assert sso_logout.backchannel_logout(provider.id, other_session) == 0
        assert UserSession.select().count() == 1
        genuine = logout_token(op, provider, sid='the-sid')
        assert sso_logout.backchannel_logout(provider.id, genuine) == 1
        with pytest.raises(tokens.InvalidToken):  # once
            sso_logout.backchannel_logout(provider.id, genuine)
    finally:
        op.stop()
