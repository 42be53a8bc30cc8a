"""A gateway that verifies Portico's OAuth access tokens itself (issue 26): Apache httpd with Debian's
mod_auth_openidc (deploy/apache-jwt.conf) in front of a tiny upstream, the public keys fetched from the portal's
/oauth/jwks through a counting proxy: a token from Authlib passes, the upstream gets its claims as headers,
tampered, expired and foreign tokens get 401, and many calls ask the portal nothing beyond the keys."""
from __future__ import annotations

import base64
import json
import time
import urllib.request

import pytest
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.oauth_world import OAuthWorld
from tests.peers import call
from tests.servers import APACHE, Apache, Upstream, _Loopback, _Quiet, _serve
from tests.utils import free_port
from workflows import oauth_clients, signing_keys

pytestmark = pytest.mark.skipif(APACHE is None, reason='apache2 is not installed '
                                '(apt-get install apache2 libapache2-mod-auth-openidc)')


class CountingProxy(_Loopback):
    """Forwards GETs to `target` and keeps the paths asked: what the gateway asked the portal."""

    def __init__(self, port: int, target: str) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(_Quiet):
            def do_GET(self):  # noqa: N802 - http.server's hook name
                paths.append(self.path)
                with urllib.request.urlopen(target + self.path, timeout=10) as response:
                    body = response.read()
                    kind = response.headers.get('Content-Type', 'application/json')
                self.send_response(200)
                self.send_header('Content-Type', kind)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = _serve(port, Handler)


def start_gateway(world: OAuthWorld, root) -> tuple[str, Upstream, CountingProxy, Apache]:
    upstream_port, proxy_port, gateway_port, tls_port = free_port(), free_port(), free_port(), free_port()
    upstream = Upstream(upstream_port)
    proxy = CountingProxy(proxy_port, world.url)
    apache = Apache('apache-jwt.conf', root, {
        'http://127.0.0.1:8080/oauth/jwks': f'http://127.0.0.1:{proxy_port}/oauth/jwks',
        '127.0.0.1:8080': f'127.0.0.1:{world.port}', '127.0.0.1:9000': f'127.0.0.1:{upstream_port}',
        '127.0.0.1:8000': f'127.0.0.1:{gateway_port}', '127.0.0.1:8443': f'127.0.0.1:{tls_port}'}, gateway_port)
    return f'http://127.0.0.1:{gateway_port}', upstream, proxy, apache


@pytest.fixture
def gateway(db, tmp_path):
    world = OAuthWorld(tmp_path)
    url, upstream, proxy, apache = start_gateway(world, tmp_path / 'apache')
    yield world, url, upstream, proxy, apache
    apache.stop()
    proxy.stop()
    upstream.stop()
    world.stop()


def a_token(world: OAuthWorld, **kwargs) -> str:
    session = OAuth2Session(world.client_id, world.secret, token_endpoint_auth_method='client_secret_basic', **kwargs)
    return session.fetch_token(world.token_url, grant_type='client_credentials')['access_token']


def test_tokens_from_authlib_pass_apache_which_asks_the_portal_only_for_its_keys(gateway) -> None:
    world, url, upstream, proxy, apache = gateway
    token = a_token(world)
    status, _, body = call(url + '/weather/forecast?days=2', token, bearer=True,
                           headers={'X-Portico-Plan': 'Platinum'})
    assert status == 200, (body, apache.error_log())
    [seen] = upstream.calls
    assert seen['path'] == '/weather/forecast?days=2' and seen['plan'] == 'Free' and seen['app'] == 'Bot'
    headers = seen['headers']
    assert headers['x-portico-client_id'] == world.client_id and headers['x-portico-scope'] == 'maps weather'
    assert 'authorization' not in headers and 'oidc_access_token' not in headers  # the token stops at the gateway
    assert call(url + '/maps/tiles', token, bearer=True)[0] == 200
    assert call(url + '/payments/charge', token, bearer=True)[0] == 403  # not in its scope
    narrow = a_token(world, scope='maps')
    assert call(url + '/weather/x', narrow, bearer=True)[0] == 403 and call(url + '/maps/x', narrow, bearer=True)[0] == 200

    # the point: calls are checked by the gateway alone
    asked_before = len(proxy.paths)
    assert asked_before == 1 and proxy.paths == ['/oauth/jwks']
    assert [call(url + '/weather/x', token, bearer=True)[0] for _ in range(50)] == [200] * 50
    assert len(proxy.paths) == asked_before

    # tampered, unsigned, foreign-signed, expired, no token: 401
    header, payload, signature = token.split('.')
    claims = json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, 'scope': 'payments'}).encode()).rstrip(b'=').decode()
    assert call(url + '/payments/x', f'{header}.{forged}.{signature}', bearer=True)[0] == 401
    none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"at+jwt"}').rstrip(b'=').decode()
    assert call(url + '/weather/x', f'{none}.{payload}.', bearer=True)[0] == 401
    stranger = RSAKey.generate_key(2048, parameters={'kid': 'x'}, private=True)
    assert call(url + '/weather/x', jwt.encode({'alg': 'RS256', 'typ': 'at+jwt', 'kid': 'x'}, claims, stranger),
                bearer=True)[0] == 401
    kid, key = signing_keys.current()
    expired = jwt.encode({'alg': 'RS256', 'typ': 'at+jwt', 'kid': kid},
                         {**claims, 'iat': int(time.time()) - 700, 'exp': int(time.time()) - 100}, key)
    assert call(url + '/weather/x', expired, bearer=True)[0] == 401
    other_audience = jwt.encode({'alg': 'RS256', 'typ': 'at+jwt', 'kid': kid}, {**claims, 'aud': 'https://x.test'},
                                key)
    assert call(url + '/weather/x', other_audience, bearer=True)[0] in (401, 403)
    assert call(url + '/weather/x')[0] == 401
    assert call(url + '/weather/x', 'ptc_' + 'A' * 43, bearer=True)[0] == 401
    assert len(upstream.calls) == 53  # 3 before the 50, and none refused

    # a rotated signing key: old tokens still pass, new ones (a new kid) make the gateway fetch the keys again
    signing_keys.rotate(world.admin)
    time.sleep(1.1)
    fresh = a_token(world)
    assert call(url + '/weather/x', fresh, bearer=True)[0] == 200, apache.error_log()
    assert call(url + '/weather/x', token, bearer=True)[0] == 200
    assert 2 <= len(proxy.paths) <= 4 and set(proxy.paths) == {'/oauth/jwks'}


def test_a_revoked_client_gets_no_new_token(gateway) -> None:
    world, url, _, _, _ = gateway
    token = a_token(world)
    oauth_clients.revoke(oauth_clients.OAuthClient.get_by_id(world.client.id), by=world.dev)
    with pytest.raises(Exception, match='invalid_client'):
        a_token(world)
    # a gateway that verifies tokens itself accepts the ones issued before until they expire (minutes)
    assert call(url + '/weather/x', token, bearer=True)[0] == 200


def test_a_gateway_that_introspects_refuses_a_revoked_clients_tokens_at_once(db, tmp_path) -> None:
    """deploy/apache-introspection.conf (mod_auth_openidc asking Portico's RFC 7662 endpoint for every call) with
    Portico's JWT access tokens: they pass while the client is active and stop as soon as it is revoked."""
    from tests.peers import SECRET
    world = OAuthWorld(tmp_path)
    upstream_port, gateway_port, tls_port = free_port(), free_port(), free_port()
    upstream = Upstream(upstream_port)
    apache = Apache('apache-introspection.conf', tmp_path / 'apache', {
        '127.0.0.1:8080': f'127.0.0.1:{world.port}', '127.0.0.1:9000': f'127.0.0.1:{upstream_port}',
        '127.0.0.1:8000': f'127.0.0.1:{gateway_port}', '127.0.0.1:8443': f'127.0.0.1:{tls_port}',
        'change-me-to-PORTICO_GATEWAY_SECRET': SECRET}, gateway_port)
    try:
        url = f'http://127.0.0.1:{gateway_port}'
        token = a_token(world)  # scope "maps weather": each product's rule finds its slug in the list
        status, _, body = call(url + '/weather/x', token, bearer=True)
        assert status == 200, (body, apache.error_log())
        assert call(url + '/maps/x', token, bearer=True)[0] == 200
        assert upstream.calls[-1]['headers']['x-portico-client_id'] == world.client_id
        assert call(url + '/payments/x', token, bearer=True)[0] == 403
        oauth_clients.revoke(oauth_clients.OAuthClient.get_by_id(world.client.id), by=world.dev)
        assert call(url + '/weather/x', token, bearer=True)[0] == 401
    finally:
        apache.stop()
        upstream.stop()
        world.stop()
