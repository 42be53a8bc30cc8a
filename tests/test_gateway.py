"""Key introspection (gateway issue): decisions, rate limits and quotas, RFC 7662, and usage counting."""
from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from db import clock
from db.models import Credential, UsageDaily
from tests.utils import a_catalog_world, a_user, an_admin, set_settings
from gateway import keys as gateway_keys, limits
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


def test_a_flush_adds_to_stored_days_and_skips_deleted_keys(world) -> None:
    import datetime
    from gateway import usage as usage_flow
    first = world['credential']
    second = Credential.get_by_id(Credential.insert(
        access_request=first.access_request_id, app=first.app_id, key_prefix='ptc_second', key_hash='0' * 64,
        key_encrypted='-', status='revoked').execute())
    day = datetime.datetime.now(datetime.timezone.utc).timestamp()
    for offset in range(3):  # three UTC days of each key, and calls of a key deleted since
        when = day - offset * 86400
        usage_flow.count(first.id, False, when)
        usage_flow.count(second.id, offset == 1, when)
        usage_flow.count(987654, False, when)
    assert usage_flow.flush() == 6
    usage_flow.count(first.id, False, day)
    assert usage_flow.flush() == 1
    stored = {(row.credential_id, str(row.day)): (row.calls, row.refused) for row in UsageDaily.select()}
    today = str(datetime.datetime.fromtimestamp(day, datetime.timezone.utc).date())
    assert stored[(first.id, today)] == (2, 0)
    assert sorted(calls for (credential, _), calls in stored.items() if credential == second.id) == [
        (0, 1), (1, 0), (1, 0)]
    assert len(stored) == 6 and all(credential != 987654 for credential, _ in stored)
    for offset in range(1500):  # 1,500 days of one key
        usage_flow.count(second.id, False, day - offset * 86400)
    assert usage_flow.flush() == 1500
    assert UsageDaily.select().where(UsageDaily.credential == second.id).count() == 1500
    assert sum(row.calls for row in UsageDaily.select().where(UsageDaily.credential == second.id)) == 1502


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
    await user.should_see(marker='top-apps', retries=50)  # rows are read in a worker
    with user.scope(marker='top-apps'):
        await user.should_see('Bot (Default organization)')
    await user.should_see(marker='top-products', retries=50)  # rows are read in a worker
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
    """Calls are counted here and synced to Redis in one pipeline per interval; another instance (a second
    set of counters) sees them after its own sync."""
    import redis
    for _ in range(world['Free'].rate_limit):
        assert (await ask(user, world['key'], '/weather/x')).status_code == 200
    await user.http_client.get('/api/gateway/ping')
    limits.sync_once()
    assert any(key.startswith(b'portico:rate:') for key in redis.Redis.from_url(REDIS_URL).keys('portico:*'))
    limits.reset()  # another instance: nothing counted locally
    assert (await ask(user, world['key'], '/weather/x')).status_code == 200  # it has not synced yet
    limits.sync_once()
    response = await ask(user, world['key'], '/weather/x')
    assert response.status_code == 429 and int(response.headers['Retry-After']) >= 1


def test_two_instances_overshoot_by_at_most_what_they_admit_between_syncs(redis_limits, db) -> None:
    """The documented bound: an instance decides with the totals of its last sync plus its own calls, so a
    limit of 5 is exceeded by at most what the instances admitted between two of their syncs."""
    import time as clock
    from gateway.decision import Facts, decide
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')
    key = credentials.reveal(Credential.get(Credential.access_request == request), dev)
    info = gateway_keys.lookup_blocking(gateway_keys.digest(key))
    # the counters are named by credential id, which starts again at 1 in every test on PostgreSQL: a sync the
    # previous test's app had in flight when it stopped (a thread is not cancelled) can land after the fixture
    # emptied Redis, under this key's names; empty it again now that the world is built
    import redis
    redis.Redis.from_url(REDIS_URL).flushdb()
    a, b = limits.Counters(), limits.Counters()
    facts = Facts(key=key, path='/weather/x')

    def call(counters) -> int:
        now = clock.time()
        decision = decide(facts, info, now, counters.used(info, now, shared=True))
        if decision.status == 200:
            counters.add(info, now, shared=True)
        return decision.status

    assert [call(a) for _ in range(2)] == [200] * 2
    limits.sync_once(a)
    assert call(b) == 200
    limits.sync_once(b)  # b sends its call and learns a's 2: it knows 3
    # between two syncs each instance admits what it believes is left of 5
    assert [call(a) for _ in range(4)] == [200, 200, 200, 429]  # a still believes 2 were made
    assert [call(b) for _ in range(3)] == [200, 200, 429]
    limits.sync_once(a)
    limits.sync_once(b)
    assert call(a) == 429 and call(b) == 429  # 8 admitted for a limit of 5: what each admitted between syncs
    assert redis_count('portico:rate:*') == 8


def redis_count(pattern: str) -> int:
    import redis
    client = redis.Redis.from_url(REDIS_URL)
    return sum(int(client.get(name)) for name in client.keys(pattern))


# --- each gateway's own way of saying which call it asks about ----------------------------------------

async def test_caddy_and_traefik_headers_are_read_and_the_query_is_not_matched(user, world) -> None:
    headers = {'X-API-Key': world['key'], 'X-Forwarded-Uri': '/weather/x?next=/payments/', 'X-Forwarded-Method': 'POST'}
    assert (await user.http_client.get('/api/gateway/auth', headers=headers)).status_code == 200
    headers['X-Forwarded-Uri'] = '/payments/x?next=/weather/'
    assert (await user.http_client.get('/api/gateway/auth', headers=headers)).status_code == 403


async def test_a_client_cannot_choose_the_checked_path_with_a_header_portico_does_not_trust(user, world) -> None:
    """The spoofing attack: by default Portico reads X-Forwarded-Uri only (set by Caddy, Traefik and the
    shipped nginx configuration), so an X-Original-URI the client added changes nothing."""
    spoofed = {'X-API-Key': world['key'], 'X-Original-URI': '/weather/v1/x'}
    assert (await user.http_client.get('/api/gateway/auth', headers=spoofed)).status_code == 403
    spoofed['X-Forwarded-Uri'] = '/payments/charge'
    assert (await user.http_client.get('/api/gateway/auth', headers=spoofed)).status_code == 403


async def test_the_trusted_header_is_a_setting(monkeypatch, user, world) -> None:
    import config
    monkeypatch.setenv('PORTICO_GATEWAY_PATH_HEADER', 'X-Original-URI')
    config.use(config.load())
    both = {'X-API-Key': world['key'], 'X-Original-URI': '/payments/x', 'X-Forwarded-Uri': '/weather/x'}
    assert (await user.http_client.get('/api/gateway/auth', headers=both)).status_code == 403
    both['X-Original-URI'] = '/weather/x'
    assert (await user.http_client.get('/api/gateway/auth', headers=both)).status_code == 200
    with pytest.raises(config.ConfigError, match='PORTICO_GATEWAY_PATH_HEADER'):
        config.load({'PORTICO_GATEWAY_PATH_HEADER': 'X-Anything', 'PORTICO_SECRET_KEY': 'k'})


async def test_envoy_ext_authz_sends_the_path_after_the_prefix(user, world) -> None:
    key = {'X-API-Key': world['key']}
    assert (await user.http_client.get('/api/gateway/auth/weather/forecast?days=2', headers=key)).status_code == 200
    spoofed = {**key, 'X-Forwarded-Uri': '/weather/x', 'X-Original-URI': '/weather/x'}
    assert (await user.http_client.get('/api/gateway/auth/payments/charge', headers=spoofed)).status_code == 403
    assert (await user.http_client.get('/api/gateway/auth/weather/%2e%2e/payments', headers=key)).status_code == 403
    assert (await user.http_client.get('/api/gateway/auth/weather/x')).status_code == 401


async def test_with_a_gateway_secret_the_decision_endpoints_answer_gateways_only(monkeypatch, user, world) -> None:
    """Issue 11, item 13: a client asking the decision endpoints directly learns nothing and uses up no quota."""
    import config
    monkeypatch.setenv('PORTICO_GATEWAY_SECRET', 'gw-secret')
    config.use(config.load())
    for path in ('/api/gateway/auth', '/api/gateway/nginx-auth', '/api/gateway/auth/weather/x'):
        response = await ask(user, world['key'], '/weather/x', endpoint=path)
        assert response.status_code == 401 and 'gateways only' in response.json()['error']
    usage.flush()
    assert UsageDaily.select().count() == 0
    allowed = await user.http_client.get('/api/gateway/auth', headers={
        'X-API-Key': world['key'], 'X-Forwarded-Uri': '/weather/x', 'X-Portico-Gateway-Secret': 'gw-secret'})
    assert allowed.status_code == 200


# --- the decision path never blocks the loop ---------------------------------------------------------

async def test_a_key_that_cannot_be_valid_is_refused_before_any_lookup(monkeypatch, user, world) -> None:
    loads = []
    real_load = gateway_keys.load_many
    monkeypatch.setattr(gateway_keys, 'load_many', lambda hashes: loads.append(hashes) or real_load(hashes))
    for junk in ('ptc_short', 'x' * 47, 'ptc_' + '!' * 43, 'ptc_' + 'A' * 44, 'Bearer ptc_'):
        assert (await ask(user, junk, '/weather/x')).status_code == 401
    assert loads == [] and len(gateway_keys._unknown) == 0


async def test_concurrent_misses_share_one_load_in_a_worker_thread(monkeypatch, user, world) -> None:
    import asyncio
    import threading
    loads = []
    real_load = gateway_keys.load_many

    def counted(key_hashes):
        loads.append((list(key_hashes), threading.current_thread()))
        return real_load(key_hashes)
    monkeypatch.setattr(gateway_keys, 'load_many', counted)
    answers = await asyncio.gather(*(ask(user, world['key'], '/weather/x') for _ in range(10)))
    assert [answer.status_code for answer in answers].count(200) == 5  # Free: 5 calls per 60 s
    [(hashes, thread)] = loads
    assert hashes == [gateway_keys.digest(world['key'])] and thread is not threading.main_thread()


async def test_unknown_keys_live_in_a_bounded_lru_and_push_out_no_known_key(monkeypatch, user, world) -> None:
    import secrets
    monkeypatch.setattr(gateway_keys, 'MAX_UNKNOWN', 50)
    assert (await ask(user, world['key'], '/weather/x')).status_code == 200
    for _ in range(120):
        assert (await ask(user, 'ptc_' + secrets.token_urlsafe(32), '/weather/x')).status_code == 401
    assert len(gateway_keys._unknown) == 50
    assert gateway_keys.digest(world['key']) in gateway_keys._known
    assert (await ask(user, world['key'], '/weather/x')).status_code == 200


def past_the_cache() -> None:
    """Step the project clock past the key cache's lifetime (the cache reads db.clock, so no test sleeps)."""
    import config
    clock.advance(timedelta(seconds=config.current().key_cache_seconds + 0.1))


async def reloaded() -> None:
    """Until the key loader has answered what it was given (a background reload included)."""
    if gateway_keys._loader is not None:
        await gateway_keys._loader


async def test_an_expired_answer_is_given_while_it_reloads_and_a_retired_key_never(monkeypatch, user, world) -> None:
    """A known key's expired answer is given on while it reloads in the background (no call waits for the
    reload), and a retired key is never answered from the cache, expired or not."""
    import asyncio
    import threading

    reloading, release = threading.Event(), threading.Event()
    real_load = gateway_keys.load_many

    def slow_reload(key_hashes):
        if gateway_keys.digest(world['key']) in gateway_keys._known:  # a reload, not the first load
            reloading.set()
            release.wait(10)
        return real_load(key_hashes)
    monkeypatch.setattr(gateway_keys, 'load_many', slow_reload)
    assert (await ask(user, world['key'], '/weather/x')).status_code == 200
    past_the_cache()  # expired now
    # given at once while the reload waits (a call waiting for the reload would time out here)
    assert (await asyncio.wait_for(ask(user, world['key'], '/weather/x'), 2)).status_code == 200
    assert await asyncio.to_thread(reloading.wait, 5)
    assert (await ask(user, world['key'], '/weather/x')).status_code == 200
    release.set()
    await asyncio.wait_for(reloaded(), 5)
    past_the_cache()  # expired again
    credentials.revoke(world['credential'], by=world['dev'])
    assert (await ask(user, world['key'], '/weather/x')).status_code == 401


async def test_answers_that_expire_together_reload_in_one_batch_and_a_retired_key_waits_for_no_gathering(
        monkeypatch, user, world) -> None:
    import asyncio

    second = access.request_access(world['dev'], world['Public'].id, world['Free'].id, [world['Weather'].id],
                                   new_app_name='Bot 2')
    other_key = credentials.reveal(Credential.get(Credential.access_request == second), world['dev'])
    batches, loaded = [], asyncio.Event()
    real_load, loop = gateway_keys.load_many, asyncio.get_running_loop()

    def counted_load(hashes):
        batches.append(set(hashes))
        loop.call_soon_threadsafe(loaded.set)
        return real_load(hashes)
    monkeypatch.setattr(gateway_keys, 'load_many', counted_load)
    monkeypatch.setattr(gateway_keys, 'RELOAD_GATHER_SECONDS', 0.3)
    for key in (world['key'], other_key):
        assert (await ask(user, key, '/weather/x')).status_code == 200
    loads = len(batches)
    loaded.clear()
    past_the_cache()  # both expired
    for key in (world['key'], other_key):  # each call sees its key expired: given at once, reloaded later
        assert (await ask(user, key, '/weather/x')).status_code == 200
    assert len(batches) == loads
    await asyncio.wait_for(loaded.wait(), 5)  # the gathering ended: one batch for both
    await asyncio.wait_for(reloaded(), 5)
    assert batches[loads:] == [{gateway_keys.digest(world['key']), gateway_keys.digest(other_key)}]

    monkeypatch.setattr(gateway_keys, 'RELOAD_GATHER_SECONDS', 30)
    past_the_cache()  # expired again, and now the gathering would last 30 s
    assert (await ask(user, world['key'], '/weather/x')).status_code == 200
    credentials.revoke(world['credential'], by=world['dev'])
    assert (await asyncio.wait_for(ask(user, world['key'], '/weather/x'), 2)).status_code == 401


# --- RFC 7662 and calendar periods -------------------------------------------------------------------

async def test_rfc_7662_answers_carry_registered_member_types_and_count_as_calls(gateway_secret, user, world) -> None:
    answer = (await user.http_client.post('/oauth/introspect', data={'token': world['key']},
                                          headers={'Authorization': 'Bearer gw-secret'})).json()
    assert answer['active'] is True and 'exp' not in answer and None not in answer.values()
    assert all(isinstance(answer[name], str) for name in ('scope', 'client_id', 'username', 'token_type'))
    usage.flush()
    assert UsageDaily.get().calls == 1


def test_quota_periods_and_usage_days_are_utc() -> None:
    from datetime import datetime, timezone
    from gateway.limits import period_end
    late = datetime(2026, 1, 31, 23, 30, tzinfo=timezone.utc).timestamp()
    assert period_end('day', late) == datetime(2026, 2, 1, tzinfo=timezone.utc).timestamp()
    assert period_end('month', late) == datetime(2026, 2, 1, tzinfo=timezone.utc).timestamp()
    assert period_end('month', datetime(2026, 12, 15, tzinfo=timezone.utc).timestamp()) == \
        datetime(2027, 1, 1, tzinfo=timezone.utc).timestamp()
    assert usage.today() == datetime.now(timezone.utc).date()


def test_two_real_instances_keep_a_shared_limit_within_the_documented_bound(redis_limits, db, tmp_path) -> None:
    """Two portal processes counting in one Redis: together they admit at most the limit plus what the
    other admitted since its last sync (never more than twice the limit), and after a sync both refuse."""
    from tests.peers import call, eventually
    from tests.servers import Portal
    from tests.utils import free_port
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')  # Free: 5 calls per 60 s
    key = credentials.reveal(Credential.get(Credential.access_request == request), dev)
    env = {'NICEGUI_REDIS_URL': REDIS_URL, 'PORTICO_LIMITS_SYNC_SECONDS': '0.2'}
    instances = [Portal(free_port(), tmp_path / f'{name}.log', PORTICO_INSTANCE_NAME=name, **env) for name in 'ab']
    try:
        def status(instance) -> int:
            return call(instance.url + '/api/gateway/auth', key, headers={'X-Forwarded-Uri': '/weather/x'})[0]
        answers = [status(instances[i % 2]) for i in range(12)]
        admitted = answers.count(200)
        assert 5 <= admitted <= 10, answers
        # after a sync each (every 0.2 s) both know everyone's calls
        assert eventually(lambda: [status(instance) for instance in instances] == [429, 429], 3)
        assert eventually(lambda: redis_count('portico:rate:*') == admitted, 3)  # every admitted call synced
    finally:
        for instance in instances:
            instance.stop()
