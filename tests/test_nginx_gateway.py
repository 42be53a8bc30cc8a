"""A real nginx with deploy/nginx-gateway.conf in front of a tiny upstream, asking a real Portico process."""
from __future__ import annotations

import time
import urllib.request

import pytest

from db.models import Credential, Plan
from tests.servers import NGINX, Nginx, Portal, Upstream
from tests.utils import a_catalog_world, a_user, an_admin, free_port
from workflows import access, credentials

pytestmark = pytest.mark.skipif(NGINX is None, reason='nginx is not installed (apt-get install nginx-light)')
CHANGES_POLL_SECONDS = 0.5


def call(url: str, key: str | None = None, bearer: bool = False) -> tuple[int, dict, str]:
    request = urllib.request.Request(url)
    if key is not None:
        request.add_header(*(('Authorization', f'Bearer {key}') if bearer else ('X-API-Key', key)))
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def gateway(db, tmp_path):
    world = a_catalog_world()
    Plan.update(rate_limit=5, rate_period=60).where(Plan.id == world['Free'].id).execute()
    admin = an_admin()
    dev = a_user('dev@consumer.test')
    weather = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')
    payments = access.request_access(dev, world['Partners'].id, world['Gold'].id, [world['Payments'].id],
                                      app_id=weather.app_id)
    access.approve(payments, by=admin)
    keys = {name: credentials.reveal(Credential.get(Credential.access_request == request), dev)
            for name, request in (('weather', weather), ('payments', payments))}
    portal_port, upstream_port, nginx_port = free_port(), free_port(), free_port()
    portal = Portal(portal_port, tmp_path / 'portal.log', PORTICO_KEY_CHANGES_POLL_SECONDS=str(CHANGES_POLL_SECONDS))
    upstream = Upstream(upstream_port)
    nginx = Nginx('nginx-gateway.conf', tmp_path / 'nginx', {
        '127.0.0.1:8080': f'127.0.0.1:{portal_port}', '127.0.0.1:9000': f'127.0.0.1:{upstream_port}',
        '127.0.0.1:8000': f'127.0.0.1:{nginx_port}'})
    yield {'url': f'http://127.0.0.1:{nginx_port}', 'keys': keys, 'upstream': upstream, 'dev': dev,
           'weather': weather, 'admin': admin}
    nginx.stop()
    upstream.stop()
    portal.stop()


def test_a_key_from_an_approved_request_reaches_the_upstream(gateway) -> None:
    status, _, body = call(gateway['url'] + '/weather/forecast/berlin?days=2', gateway['keys']['weather'])
    assert status == 200, body
    [seen] = gateway['upstream'].calls
    assert seen['path'] == '/weather/forecast/berlin?days=2'
    assert seen['app'] == 'Bot' and seen['plan'] == 'Free' and seen['key'] is None
    status, _, _ = call(gateway['url'] + '/payments/charge', gateway['keys']['payments'], bearer=True)
    assert status == 200


def test_no_key_and_a_wrong_key_get_401(gateway) -> None:
    assert call(gateway['url'] + '/weather/x')[0] == 401
    assert call(gateway['url'] + '/weather/x', 'ptc_not-a-key')[0] == 401
    assert gateway['upstream'].calls == []


def test_a_key_on_another_products_path_gets_403(gateway) -> None:
    status, _, body = call(gateway['url'] + '/payments/charge', gateway['keys']['weather'])
    assert status == 403 and 'does not cover' in body
    assert gateway['upstream'].calls == []


def test_revoked_and_rotated_out_keys_get_401_within_the_change_feed_bound(gateway) -> None:
    """The changes are made in this process, as on another instance: the portal's 60 s cache still
    lets go of the key once it has read the change feed."""
    url, keys, dev = gateway['url'] + '/weather/x', gateway['keys'], gateway['dev']
    assert call(url, keys['weather'])[0] == 200
    credential = Credential.get(Credential.access_request == gateway['weather'])
    credentials.rotate(credential, by=dev)  # decided here, as if on another instance
    time.sleep(CHANGES_POLL_SECONDS + 0.5)
    assert call(url, keys['weather'])[0] == 401
    rotated = credentials.reveal(Credential.get_by_id(credential.id), dev)
    assert call(url, rotated)[0] == 200
    credentials.revoke(Credential.get_by_id(credential.id), by=dev)
    time.sleep(CHANGES_POLL_SECONDS + 0.5)
    assert call(url, rotated)[0] == 401


def test_exceeding_the_plans_rate_limit_gets_429(gateway) -> None:
    url, key = gateway['url'] + '/weather/x', gateway['keys']['weather']
    assert [call(url, key)[0] for _ in range(5)] == [200] * 5
    status, headers, _ = call(url, key)
    assert status == 429 and 1 <= int(headers['Retry-After']) <= 60
    assert len(gateway['upstream'].calls) == 5
