"""The world that the tests with real gateways share: one app with a key for Weather (Free plan, 5 calls per
60 s) and one for Payments (Gold), a portal process asking the same database, and plain HTTP calls."""
from __future__ import annotations

import time
import urllib.request
from pathlib import Path

from db.models import Credential, Plan
from tests.servers import Portal, Upstream
from tests.utils import a_catalog_world, a_user, an_admin, free_port
from workflows import access, credentials

SECRET = 'gateway-secret-for-tests'
CHANGES_POLL_SECONDS = 0.2


def call(url: str, key: str | None = None, *, bearer: bool = False, headers: dict | None = None,
         method: str = 'GET') -> tuple[int, dict, str]:
    request = urllib.request.Request(url, method=method)
    if key is not None:
        request.add_header(*(('Authorization', f'Bearer {key}') if bearer else ('X-API-Key', key)))
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def eventually(check, seconds: float = 2.0) -> bool:
    """Whether `check()` holds within `seconds` (the bound the issue sets for a retired key)."""
    deadline = time.monotonic() + seconds
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


class World:
    """Keys, a portal process and an upstream; `stop()` ends both."""

    def __init__(self, tmp_path: Path, **portal_env: str) -> None:
        world = a_catalog_world()
        Plan.update(rate_limit=5, rate_period=60).where(Plan.id == world['Free'].id).execute()
        self.admin = an_admin()
        self.dev = a_user('dev@consumer.test')
        self.weather = access.request_access(self.dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                             new_app_name='Bot')
        payments = access.request_access(self.dev, world['Partners'].id, world['Gold'].id, [world['Payments'].id],
                                         app_id=self.weather.app_id)
        access.approve(payments, by=self.admin)
        self.keys = {name: self.key_of(request) for name, request in (('weather', self.weather),
                                                                      ('payments', payments))}
        self.portal_port, self.upstream_port, self.gateway_port = free_port(), free_port(), free_port()
        self.portal = Portal(self.portal_port, tmp_path / 'portal.log', PORTICO_GATEWAY_SECRET=SECRET,
                             PORTICO_KEY_CHANGES_POLL_SECONDS=str(CHANGES_POLL_SECONDS), **portal_env)
        self.upstream = Upstream(self.upstream_port)

    def addresses(self) -> dict[str, str]:
        """The example configurations' addresses (deploy/: the portal at 8080, the upstream at 9000, the
        gateway at 8000) replaced by this world's ports."""
        return {'127.0.0.1:8080': f'127.0.0.1:{self.portal_port}',
                '127.0.0.1:9000': f'127.0.0.1:{self.upstream_port}',
                '127.0.0.1:8000': f'127.0.0.1:{self.gateway_port}'}

    def key_of(self, request) -> str:
        return credentials.reveal(Credential.get(Credential.access_request == request), self.dev)

    def stop(self) -> None:
        self.upstream.stop()
        self.portal.stop()


def calls_and_refusals(url: str, world: World) -> None:
    """Through a gateway at `url`: allowed calls reach the upstream with Portico's identity headers only;
    missing, unknown and uncovered keys are refused, and so is a client that names the path to check."""
    keys, upstream = world.keys, world.upstream
    status, _, body = call(url + '/weather/forecast/berlin?days=2', keys['weather'],
                           headers={'X-Portico-App': 'Evil', 'X-Portico-Plan': 'Platinum'})
    assert status == 200, body
    [seen] = upstream.calls
    assert seen['path'] == '/weather/forecast/berlin?days=2'
    assert (seen['app'], seen['plan'], seen['key']) == ('Bot', 'Free', None)
    assert seen['headers']['x-portico-product'] == 'weather'
    assert 'x-portico-gateway-secret' not in seen['headers'] or seen['headers']['x-portico-gateway-secret'] == ''
    assert call(url + '/payments/charge', keys['payments'], bearer=True)[0] == 200

    assert call(url + '/weather/x')[0] == 401
    assert call(url + '/weather/x', 'ptc_' + 'A' * 43)[0] == 401  # well-formed, unknown
    assert call(url + '/weather/x', 'not-a-key')[0] == 401
    status, _, body = call(url + '/payments/charge', keys['weather'])
    assert status == 403 and 'does not cover' in body
    # the spoofing attack: a key for /weather/ naming a covered path in the headers Portico could read
    for spoof in ({'X-Original-URI': '/weather/v1/x'}, {'X-Forwarded-Uri': '/weather/v1/x'},
                  {'X-Original-URI': '/weather/v1/x', 'X-Forwarded-Uri': '/weather/v1/x',
                   'X-Forwarded-Method': 'GET', 'X-Original-Method': 'GET'}):
        assert call(url + '/payments/charge', keys['weather'], headers=spoof)[0] == 403, spoof
    assert [seen['path'] for seen in upstream.calls] == ['/weather/forecast/berlin?days=2', '/payments/charge']


def decision_endpoints_answer_gateways_only(portal_url: str, world: World) -> None:
    """Issue 11, item 13: with PORTICO_GATEWAY_SECRET set, a client that calls the decision endpoints
    directly (an oracle for keys, counting against their quota) is refused; the gateway's secret is needed."""
    key = world.keys['weather']
    asked = {'X-Forwarded-Uri': '/weather/x', 'X-Original-URI': '/weather/x'}
    for path in ('/api/gateway/auth', '/api/gateway/nginx-auth', '/api/gateway/auth/weather/x'):
        status, _, body = call(portal_url + path, key, headers=asked)
        assert status == 401 and 'gateways only' in body, (path, status)
        assert call(portal_url + path, key, headers={**asked, 'X-Portico-Gateway-Secret': 'guess'})[0] == 401
    assert call(portal_url + '/api/gateway/auth', key, headers={**asked, 'X-Portico-Gateway-Secret': SECRET})[0] == 200


def retired_keys_and_limits(url: str, world: World) -> None:
    """Rotated-out and revoked keys are refused within 2 s (changed here, as on another instance); past
    the plan's rate limit the gateway answers 429 with Retry-After."""
    keys = world.keys
    assert call(url + '/payments/x', keys['payments'])[0] == 200  # now cached by the portal
    payments = Credential.get(Credential.access_request != world.weather.id)
    credentials.rotate(payments, by=world.dev)
    assert eventually(lambda: call(url + '/payments/x', keys['payments'])[0] == 401)
    rotated = credentials.reveal(Credential.get_by_id(payments.id), world.dev)
    assert call(url + '/payments/x', rotated)[0] == 200
    credentials.revoke(Credential.get_by_id(payments.id), by=world.dev)
    assert eventually(lambda: call(url + '/payments/x', rotated)[0] == 401)

    weather = url + '/weather/x'
    assert [call(weather, keys['weather'])[0] for _ in range(5)] == [200] * 5  # Free: 5 calls per 60 s
    status, headers, _ = call(weather, keys['weather'])
    assert status == 429 and 1 <= int(headers['Retry-After']) <= 60


def deprecated_version_headers_then_gone(url: str, world: World) -> None:
    """Issue 26, item 5, through a real gateway: Weather API gets a v2 (in the same product) and v1 is deprecated
    with v2 as its successor; calls to v1 pass with Deprecation (RFC 9745), Sunset (RFC 8594) and Link headers,
    calls to v2 without them; once the sunset has passed (set in the database, since the portal is another
    process, and the keys retired), v1 answers 410 with the successor's address, and v2 still works."""
    from datetime import timedelta

    from db import clock
    from db.models import AccessRequest, Api
    from workflows import api_versions
    Plan.update(rate_limit=10_000).execute()  # many calls below
    v1 = Api.get(Api.base_path == '/weather/')
    v2 = api_versions.add_version(v1.id, 'v2', '/weather/v2/', '', by=world.admin)
    sunset = (clock.now() + timedelta(days=40)).replace(microsecond=0)
    api_versions.deprecate(v1.id, sunset, v2.id, by=world.admin)
    v1 = Api.get_by_id(v1.id)
    key = world.keys['weather']
    assert eventually(lambda: 'Deprecation' in call(url + '/weather/forecast', key)[1], 5)
    status, headers, _ = call(url + '/weather/forecast', key)
    assert status == 200
    assert headers['Deprecation'] == f'@{api_versions.unix(v1.deprecated_at)}'
    assert headers['Sunset'] == api_versions.http_date(sunset)
    assert headers['Link'].endswith('/weather/v2/>; rel="successor-version"'), headers['Link']
    status, headers, _ = call(url + '/weather/v2/forecast', key)
    assert status == 200 and 'Deprecation' not in headers and 'Sunset' not in headers, headers
    # a client cannot make the gateway claim a deprecation
    status, headers, _ = call(url + '/weather/v2/x', key, headers={'Deprecation': '@1', 'Sunset': 'x', 'Link': '<x>'})
    assert status == 200 and 'Deprecation' not in headers and 'Sunset' not in headers and 'Link' not in headers

    Api.update(sunset_at=clock.now() - timedelta(minutes=1)).where(Api.id == v1.id).execute()
    credentials.retire(AccessRequest.id == world.weather.id)
    assert eventually(lambda: call(url + '/weather/forecast', key)[0] == 410, 5)
    before = len(world.upstream.calls)
    status, headers, body = call(url + '/weather/forecast', key)
    assert status == 410 and headers['Link'].endswith('/weather/v2/>; rel="successor-version"')
    answer = __import__('json').loads(body)
    assert answer['successor'].endswith('/weather/v2/') and 'sunset' in answer['error']
    assert len(world.upstream.calls) == before  # never reached the upstream
    assert call(url + '/weather/v2/forecast', key)[0] == 200
