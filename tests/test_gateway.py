"""Key introspection (gateway issue): decisions, rate limits and quotas, RFC 7662, and usage counting."""
from __future__ import annotations

import base64

import pytest

from db.models import Credential, UsageDaily
from tests.utils import a_catalog_world, a_user, an_admin, set_settings
from gateway import limits
from workflows import access, apps, credentials, usage


@pytest.fixture
def world(user):
    limits.reset()
    usage.reset()
    data = a_catalog_world()
    data['dev'] = a_user('dev@consumer.test')
    request = access.request_access(data['dev'], data['Public'].id, data['Free'].id, [data['Weather'].id],
                                    new_app_name='Bot')
    data['credential'] = Credential.get(Credential.access_request == request)
    data['key'] = credentials.reveal(data['credential'], data['dev'])
    return data


async def ask(user, key: str | None, path: str, *, bearer: bool = False, endpoint: str = '/api/gateway/auth'):
    headers = {'X-Forwarded-Uri': path, 'X-Forwarded-Method': 'GET'}
    if key is not None:
        headers['Authorization' if bearer else 'X-API-Key'] = f'Bearer {key}' if bearer else key
    return await user.http_client.get(endpoint, headers=headers)


async def test_an_active_key_on_a_covered_path_is_allowed_with_its_identity(user, world) -> None:
    response = await ask(user, world['key'], '/weather/forecast/berlin?days=2')
    assert response.status_code == 200
    assert response.headers['X-Portico-App'] == 'Bot'
    assert response.headers['X-Portico-Plan'] == 'Free'
    assert response.headers['X-Portico-Product'] == 'weather'
    assert (await ask(user, world['key'], '/weather/', bearer=True)).status_code == 200


@pytest.mark.parametrize('key', [None, '', 'ptc_unknown', 'x' * 500])
async def test_no_key_or_an_unknown_key_gets_401(user, world, key) -> None:
    assert (await ask(user, key, '/weather/forecast')).status_code == 401


async def test_a_key_on_another_products_path_gets_403(user, world) -> None:
    assert (await ask(user, world['key'], '/payments/charge')).status_code == 403
    assert (await ask(user, world['key'], '/weather/../payments/charge')).status_code == 403
    assert (await ask(user, world['key'], '/weather/%2e%2e/payments')).status_code == 403
    assert (await ask(user, world['key'], '/weatherman/')).status_code == 403


async def test_revoked_rotated_and_deleted_keys_stop_working_at_once(user, world) -> None:
    dev, key = world['dev'], world['key']
    assert (await ask(user, key, '/weather/x')).status_code == 200  # cached now
    credentials.rotate(world['credential'], by=dev)
    assert (await ask(user, key, '/weather/x')).status_code == 401
    new_key = credentials.reveal(Credential.get_by_id(world['credential'].id), dev)
    assert (await ask(user, new_key, '/weather/x')).status_code == 200
    credentials.revoke(Credential.get_by_id(world['credential'].id), by=dev)
    assert (await ask(user, new_key, '/weather/x')).status_code == 401
    other = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Maps'].id],
                                  new_app_name='Other')
    other_key = credentials.reveal(Credential.get(Credential.access_request == other), dev)
    assert (await ask(user, other_key, '/maps/x')).status_code == 200
    apps.delete_app(other.app, by=dev)
    assert (await ask(user, other_key, '/maps/x')).status_code == 401


async def test_an_admin_revoking_the_request_stops_the_key(user, world) -> None:
    admin = an_admin()
    assert (await ask(user, world['key'], '/weather/x')).status_code == 200
    access.revoke(world['credential'].access_request, by=admin)
    assert (await ask(user, world['key'], '/weather/x')).status_code == 401


async def test_the_rate_limit_answers_429_with_retry_after(user, world) -> None:
    for _ in range(world['Free'].rate_limit):  # Free: 5 requests per 60 s
        assert (await ask(user, world['key'], '/weather/x')).status_code == 200
    response = await ask(user, world['key'], '/weather/x')
    assert response.status_code == 429 and 1 <= int(response.headers['Retry-After']) <= 60
    nginx = await ask(user, world['key'], '/weather/x', endpoint='/api/gateway/nginx-auth')
    assert nginx.status_code == 403 and nginx.headers['X-Portico-Status'] == '429'


async def test_the_quota_counts_stored_usage(user, world) -> None:
    plan = world['Free']
    plan.rate_limit, plan.quota, plan.quota_period = 1000, 3, 'day'
    plan.save()
    UsageDaily.create(credential=world['credential'], day=__import__('datetime').date.today(), calls=2)
    assert (await ask(user, world['key'], '/weather/x')).status_code == 200
    response = await ask(user, world['key'], '/weather/x')
    assert response.status_code == 429 and 'quota' in response.json()['error']


async def test_usage_is_counted_in_batches(user, world) -> None:
    for _ in range(3):
        await ask(user, world['key'], '/weather/x')
    await ask(user, world['key'], '/payments/x')
    assert UsageDaily.select().count() == 0  # nothing written per call
    usage.flush()
    row = UsageDaily.get()
    assert (row.calls, row.refused) == (3, 1)
    assert usage.daily_calls_of_app(world['credential'].app)[-1][1] == 3
    assert usage.top_apps()[0][0] == 'Bot' and usage.top_products()[0] == ('Weather', 3)


@pytest.fixture
def gateway_secret(monkeypatch):
    monkeypatch.setenv('PORTICO_GATEWAY_SECRET', 'gw-secret')


async def test_rfc_7662_introspection_needs_the_gateway_secret(gateway_secret, user, world) -> None:
    form = {'token': world['key']}
    assert (await user.http_client.post('/oauth/introspect', data=form)).status_code == 401
    wrong = {'Authorization': 'Bearer nope'}
    assert (await user.http_client.post('/oauth/introspect', data=form, headers=wrong)).status_code == 401
    basic = {'Authorization': 'Basic ' + base64.b64encode(b'gateway:gw-secret').decode()}
    answer = (await user.http_client.post('/oauth/introspect', data=form, headers=basic)).json()
    assert answer['active'] is True and answer['client_id'] == str(world['credential'].app_id)
    assert answer['scope'] == 'weather' and answer['plan'] == 'Free'
    inactive = await user.http_client.post('/oauth/introspect', data={'token': 'ptc_nope'},
                                           headers={'Authorization': 'Bearer gw-secret'})
    assert inactive.json() == {'active': False}


async def test_a_pending_app_gets_its_working_key_on_approval(user) -> None:
    set_settings(auto_approve_apps=False)
    data = a_catalog_world()
    dev = a_user('dev@consumer.test')
    request = access.request_access(dev, data['Public'].id, data['Free'].id, [data['Weather'].id],
                                    new_app_name='Bot')
    assert Credential.select().count() == 0
    apps.approve_app(request.app, by=an_admin())
    key = credentials.reveal(Credential.get(Credential.access_request == request), dev)
    assert (await ask(user, key, '/weather/x')).status_code == 200


async def test_my_apps_shows_the_calls_and_the_admin_the_top_apps_and_products(user, world) -> None:
    from tests.utils import log_in
    for _ in range(4):
        await ask(user, world['key'], '/weather/x')
    usage.flush()
    await log_in(user, 'dev@consumer.test')
    await user.open(f'/apps/{world["credential"].app_id}')
    await user.should_see('Calls in the last 30 days: 4')
    await user.open('/logout')
    an_admin('admin@provider.test')
    await log_in(user, 'admin@provider.test')
    await user.open('/admin')
    with user.scope(marker='top-apps'):
        await user.should_see('Bot (Default organization)')
    with user.scope(marker='top-products'):
        await user.should_see('Weather')


REDIS_URL = __import__('os').environ.get('PORTICO_TEST_REDIS_URL', '')


@pytest.fixture
def redis_limits(monkeypatch):
    if not REDIS_URL:
        pytest.skip('set PORTICO_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) to test Redis counters')
    import redis
    redis.Redis.from_url(REDIS_URL).flushdb()
    monkeypatch.setenv('NICEGUI_REDIS_URL', REDIS_URL)


async def test_the_rate_limit_is_counted_in_redis_when_configured(redis_limits, user, world) -> None:
    import redis
    for _ in range(world['Free'].rate_limit):
        assert (await ask(user, world['key'], '/weather/x')).status_code == 200
    limits.reset()  # another instance: nothing counted locally
    assert (await ask(user, world['key'], '/weather/x')).status_code == 429
    assert any(key.startswith(b'portico:rate:') for key in redis.Redis.from_url(REDIS_URL).keys('portico:*'))
