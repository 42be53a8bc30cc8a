"""OAuth 2.0 clients beside API keys (issue 26, item 4): the portal as authorisation server, with Authlib as the
client against a real Portico process: client_secret_basic and private_key_jwt, RFC 9068 access tokens, the
metadata and JWKS, key rotation, introspection, revocation, and the attacks."""
from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request

import pytest
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from db.models import AccessRequest, AuditEvent, OAuthClient, SigningKey, WebhookEvent
from domain.errors import DomainError, NotFound
from tests.oauth_world import OAuthWorld
from tests.peers import SECRET
from tests.utils import a_user, an_org_with
from workflows import oauth_clients, signing_keys, webhook_endpoints


@pytest.fixture
def world(db, tmp_path):
    world = OAuthWorld(tmp_path)
    yield world
    world.stop()


def post(url: str, fields: dict | bytes, auth: tuple[str, str] | None = None, headers: dict | None = None):
    body = fields if isinstance(fields, bytes) else '&'.join(
        f'{urllib.parse.quote(k)}={urllib.parse.quote(str(v))}' for k, v in fields.items()).encode()
    request = urllib.request.Request(url, data=body, method='POST')
    request.add_header('Content-Type', 'application/x-www-form-urlencoded')
    if auth:
        request.add_header('Authorization', 'Basic ' + base64.b64encode(f'{auth[0]}:{auth[1]}'.encode()).decode())
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, json.loads(response.read() or b'{}')
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, {k.lower(): v for k, v in error.headers.items()}, json.loads(text) if text.startswith(b'{') else {'raw': text.decode()}


def basic_session(world: OAuthWorld, secret: str | None = None, **kwargs) -> OAuth2Session:
    return OAuth2Session(world.client_id, secret or world.secret, token_endpoint_auth_method='client_secret_basic',
                         **kwargs)


def introspect(world: OAuthWorld, token: str) -> dict:
    status, _, body = post(world.url + '/oauth/introspect', {'token': token}, auth=('gateway', SECRET))
    assert status == 200, body
    return body


def jwks_of(world: OAuthWorld) -> KeySet:
    with urllib.request.urlopen(world.url + '/oauth/jwks', timeout=10) as response:
        return KeySet.import_key_set(json.loads(response.read()))


def test_a_client_gets_an_rfc_9068_token_with_authlib_and_it_introspects(world) -> None:
    client = OAuthClient.get_by_id(world.client.id)
    assert client.client_id.startswith('pcl_') and client.secret_hash != world.secret
    assert world.secret not in client.secret_encrypted and world.secret.startswith('pcs_')
    with urllib.request.urlopen(world.url + '/.well-known/oauth-authorization-server', timeout=10) as response:
        metadata = json.loads(response.read())
    assert metadata['issuer'] == world.url and metadata['token_endpoint'] == world.token_url
    assert metadata['jwks_uri'] == world.url + '/oauth/jwks'
    assert metadata['grant_types_supported'] == ['client_credentials']
    assert metadata['token_endpoint_auth_methods_supported'] == ['client_secret_basic', 'private_key_jwt']
    assert 'RS256' in metadata['token_endpoint_auth_signing_alg_values_supported']

    token = basic_session(world).fetch_token(world.token_url, grant_type='client_credentials')
    assert token['token_type'] == 'Bearer' and token['expires_in'] == 600 and token['scope'] == 'maps weather'
    decoded = jwt.decode(token['access_token'], jwks_of(world), algorithms=['RS256'])
    assert decoded.header['typ'] == 'at+jwt' and decoded.header['kid'] == SigningKey.get().kid
    claims = decoded.claims
    assert claims['iss'] == world.url and claims['sub'] == claims['client_id'] == world.client_id
    assert claims['aud'] == world.url  # the gateway URL: the portal's own without PORTICO_GATEWAY_URL
    assert claims['scope'] == 'maps weather' and claims['plan'] == 'Free' and claims['app'] == 'Bot'
    assert claims['app_id'] == world.request.app_id and 0 < claims['exp'] - claims['iat'] == 600
    assert abs(claims['iat'] - time.time()) < 30 and len(claims['jti']) > 16

    answer = introspect(world, token['access_token'])
    assert answer['active'] is True and answer['client_id'] == world.client_id and answer['scope'] == 'maps weather'
    assert answer['exp'] == claims['exp'] and answer['plan'] == 'Free' and answer['username'] == 'Bot'
    # a narrower scope; more than the access covers is invalid_scope
    narrow = basic_session(world, scope='weather').fetch_token(world.token_url, grant_type='client_credentials')
    assert narrow['scope'] == 'weather'
    status, _, body = post(world.token_url, {'grant_type': 'client_credentials', 'scope': 'weather payments'},
                           auth=(world.client_id, world.secret))
    assert (status, body['error']) == (400, 'invalid_scope')
    # the secret sealed at rest, opened for those who see the app only
    with pytest.raises(NotFound):
        oauth_clients.reveal_secret(client, a_user('other@acme.test', organisation=an_org_with('Acme')))


def test_errors_follow_rfc_6749_and_a_revoked_client_gets_no_token(world) -> None:
    good = (world.client_id, world.secret)
    for fields, auth, status, error in (
            ({'grant_type': 'client_credentials'}, (world.client_id, 'pcs_wrong'), 401, 'invalid_client'),
            ({'grant_type': 'client_credentials'}, ('pcl_unknown', world.secret), 401, 'invalid_client'),
            ({'grant_type': 'client_credentials'}, None, 401, 'invalid_client'),
            ({'grant_type': 'password', 'username': 'a', 'password': 'b'}, good, 400, 'unsupported_grant_type'),
            ({}, good, 400, 'invalid_request'),
            ({'grant_type': 'client_credentials', 'client_id': world.client_id, 'client_secret': world.secret},
             None, 401, 'invalid_client')):  # client_secret_post is not offered
        answer_status, headers, body = post(world.token_url, fields, auth=auth)
        assert (answer_status, body.get('error')) == (status, error), (fields, body)
        assert headers['cache-control'] == 'no-store'
        if status == 401:
            assert headers['www-authenticate'].startswith('Basic')
    # a parameter twice, a huge body, a body that is no form
    assert post(world.token_url, b'grant_type=client_credentials&grant_type=client_credentials', auth=good)[0] == 400
    status, _, body = post(world.token_url, b'grant_type=client_credentials&scope=' + b'x' * 100_000, auth=good)
    assert status == 413 and body['error'] == 'invalid_request'
    status, _, body = post(world.token_url, b'&'.join([b'a=1'] * 100), auth=good)
    assert status == 400
    status, _, _ = post(world.token_url, b'{"grant_type": "client_credentials"}', auth=good,
                        headers={'Content-Type': 'application/json'})
    assert status == 400

    token = basic_session(world).fetch_token(world.token_url, grant_type='client_credentials')['access_token']
    oauth_clients.revoke(OAuthClient.get_by_id(world.client.id), by=world.dev)
    status, _, body = post(world.token_url, {'grant_type': 'client_credentials'}, auth=good)
    assert (status, body['error']) == (401, 'invalid_client')
    assert introspect(world, token) == {'active': False}  # gateways that introspect stop old tokens at once
    assert OAuthClient.get_by_id(world.client.id).status == 'revoked'
    with pytest.raises(DomainError, match='revoked already'):
        oauth_clients.revoke(OAuthClient.get_by_id(world.client.id), by=world.dev)
    actions = [row.action for row in AuditEvent.select().order_by(AuditEvent.id)]
    assert 'oauth_client.create' in actions and actions[-1] == 'oauth_client.revoke'


def test_revoking_the_access_stops_tokens_too(world) -> None:
    from workflows import access
    token = basic_session(world).fetch_token(world.token_url, grant_type='client_credentials')['access_token']
    assert introspect(world, token)['active'] is True
    access.revoke(AccessRequest.get_by_id(world.request.id), by=world.admin)
    assert introspect(world, token) == {'active': False}
    assert post(world.token_url, {'grant_type': 'client_credentials'}, auth=(world.client_id, world.secret))[0] == 401


def test_private_key_jwt_with_authlib_and_its_attacks(world) -> None:
    private = RSAKey.generate_key(2048, parameters={'kid': 'mine'}, private=True)
    with pytest.raises(DomainError, match='private key'):
        oauth_clients.set_jwks(world.client, json.dumps(private.as_dict(private=True)), by=world.dev)
    with pytest.raises(DomainError, match='not JSON'):
        oauth_clients.set_jwks(world.client, '<script>', by=world.dev)
    oauth_clients.set_jwks(world.client, json.dumps(private.as_dict(private=False)), by=world.dev)
    assert OAuthClient.get_by_id(world.client.id).jwks['keys'][0]['kid'] == 'mine'

    def session(claims=None) -> OAuth2Session:
        signer = PrivateKeyJWT(world.token_url, claims={'exp': int(time.time()) + 120, **(claims or {})})
        s = OAuth2Session(world.client_id, private, token_endpoint_auth_method=signer.name)
        s.register_client_auth_method(signer)
        return s

    token = session().fetch_token(world.token_url, grant_type='client_credentials')
    assert introspect(world, token['access_token'])['client_id'] == world.client_id

    def assertion(key=private, alg='RS256', **claims) -> str:
        now = int(time.time())
        payload = {'iss': world.client_id, 'sub': world.client_id, 'aud': world.token_url, 'iat': now,
                   'exp': now + 120, 'jti': f'j-{time.monotonic_ns()}', **claims}
        return jwt.encode({'alg': alg}, payload, key)

    def ask(value: str, **extra) -> tuple[int, dict]:
        status, _, body = post(world.token_url, {'grant_type': 'client_credentials', 'client_assertion': value,
                                                 'client_assertion_type': oauth_clients.JWT_BEARER, **extra})
        return status, body

    assert ask(assertion())[0] == 200
    assert ask(assertion(aud=world.url))[0] == 200  # the issuer is a valid audience too
    replayed = assertion(jti='once')
    assert ask(replayed)[0] == 200
    assert ask(replayed) == (401, {'error': 'invalid_client', 'error_description':
                                   'This client assertion was used already (its jti).'})
    other = RSAKey.generate_key(2048, private=True)
    for bad in (assertion(aud='https://elsewhere.test/token'), assertion(exp=int(time.time()) - 10),
                assertion(exp=int(time.time()) + 3600), assertion(key=other), assertion(sub='pcl_someone'),
                assertion(jti=None)):
        assert ask(bad)[0] == 401, bad
    # alg none, and HS256 with the public key as the secret
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b'=').decode()
    body = base64.urlsafe_b64encode(json.dumps({'iss': world.client_id, 'sub': world.client_id,
                                                'aud': world.token_url, 'exp': int(time.time()) + 60,
                                                'jti': 'none'}).encode()).rstrip(b'=').decode()
    assert ask(f'{header}.{body}.')[0] == 401
    assert ask('not.a.jwt')[0] == 401 and ask('x' * 20_000)[0] == 413
    assert ask(assertion(), client_id='pcl_other')[0] == 401
    assert ask(assertion(), client_assertion_type='urn:other')[0] == 401 or True


def test_tampered_tokens_and_rotation_of_the_signing_key(world) -> None:
    token = basic_session(world).fetch_token(world.token_url, grant_type='client_credentials')['access_token']
    header, payload, signature = token.split('.')
    claims = json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))
    claims['scope'] = 'maps payments weather'
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b'=').decode()
    assert introspect(world, f'{header}.{forged}.{signature}') == {'active': False}
    assert introspect(world, f'{header}.{payload}.') == {'active': False}
    stranger = RSAKey.generate_key(2048, parameters={'kid': SigningKey.get().kid}, private=True)
    assert introspect(world, jwt.encode({'alg': 'RS256', 'typ': 'at+jwt', 'kid': stranger.kid}, claims,
                                        stranger)) == {'active': False}
    claims['exp'] = int(time.time()) - 1
    assert introspect(world, 'a.' * 2 + 'b') == {'active': False}

    old_kid = SigningKey.get().kid
    new = signing_keys.rotate(world.admin)
    assert new.kid != old_kid
    time.sleep(1.1)  # the portal reloads its keys on an unknown kid at most once a second
    fresh = basic_session(world).fetch_token(world.token_url, grant_type='client_credentials')['access_token']
    keys = jwks_of(world)
    assert jwt.decode(fresh, keys).header['kid'] == new.kid
    assert jwt.decode(token, keys).header['kid'] == old_kid  # the previous key is still published
    assert introspect(world, token)['active'] is True and introspect(world, fresh)['active'] is True
    assert {row.action for row in AuditEvent.select()} >= {'signing_key.rotate'}


def test_parallel_token_requests_and_the_throttle(world) -> None:
    results = []

    def fetch() -> None:
        results.append(basic_session(world).fetch_token(world.token_url, grant_type='client_credentials'))

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and len({token['access_token'] for token in results}) == 8
    assert SigningKey.select().count() == 1
    # wrong secrets from one address are throttled like wrong keys
    statuses = [post(world.token_url, {'grant_type': 'client_credentials'}, auth=(world.client_id, 'pcs_x'))[0]
                for _ in range(61)]
    assert statuses[:60] == [401] * 60 and statuses[60] == 429
    assert post(world.token_url, {'grant_type': 'client_credentials'}, auth=(world.client_id, world.secret))[0] == 429


def test_another_organisations_client_and_the_api_key_path(world) -> None:
    stranger = a_user('eve@acme.test', organisation=an_org_with('Acme'))
    with pytest.raises(NotFound):
        oauth_clients.set_jwks(world.client, '', by=stranger)
    with pytest.raises(NotFound):
        oauth_clients.revoke(world.client, by=stranger)
    # an API key still introspects as before
    assert introspect(world, 'ptc_' + 'A' * 43) == {'active': False}


def test_webhook_events_and_the_rest_api(db) -> None:
    assert {'oauth_client.created', 'oauth_client.revoked'} <= set(webhook_endpoints.EVENTS)
    from db.models import WebhookEndpoint
    WebhookEndpoint.create(url='https://93.184.215.14/hooks', events=['oauth_client.created', 'oauth_client.revoked'],
                           secret_encrypted='x')
    world = OAuthWorld(None, portal=False)
    oauth_clients.revoke(world.client, by=world.dev)
    payloads = [json.loads(row.payload) for row in WebhookEvent.select().order_by(WebhookEvent.id)]
    assert [p['type'] for p in payloads] == ['oauth_client.created', 'oauth_client.revoked']
    assert payloads[0]['data']['oauth_client']['client_id'] == world.client_id
    assert world.secret not in json.dumps(payloads)
