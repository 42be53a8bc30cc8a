"""Rotation with overlap (issue 26, item 1): the old key works beside the new one until the end chosen, the gateway
answers for both, My apps shows both with the old one's end, the owners are reminded a day before, and revoking
still stops a key at once."""
from __future__ import annotations

from datetime import timedelta

import pytest

from db import clock
from db.models import AuditEvent, Credential, OutboxMessage, Plan, WebhookEvent
from domain.errors import DomainError, NotFound
from gateway import limits
from tests.test_gateway import ask
from tests.utils import a_catalog_world, a_user, admin_opens, an_admin, an_org_with, in_parallel, opens_as, settle
from workflows import access, catalog, credentials, maintenance, usage, webhook_endpoints

HOUR = 3600


@pytest.fixture
def world(user):
    limits.reset()
    usage.reset()
    data = a_catalog_world()
    data['dev'] = a_user('dev@consumer.test')
    request = access.request_access(data['dev'], data['Public'].id, data['Free'].id, [data['Weather'].id],
                                    new_app_name='Bot')
    data['request'] = request
    data['credential'] = Credential.get(Credential.access_request == request)
    data['key'] = credentials.reveal(data['credential'], data['dev'])
    yield data
    clock.reset()


async def test_both_keys_work_until_the_old_one_stops_then_only_the_new_one(user, world) -> None:
    dev, old_key = world['dev'], world['key']
    assert (await ask(user, old_key, '/weather/x')).status_code == 200  # cached before the rotation
    new = credentials.rotate(world['credential'], by=dev, old_key_stops_in=HOUR)
    new_key = credentials.reveal(new, dev)
    assert new.id != world['credential'].id and new_key != old_key
    old = Credential.get_by_id(world['credential'].id)
    assert old.status == 'active' and abs((old.expires_at - clock.now()) - timedelta(hours=1)) < timedelta(seconds=5)
    assert (await ask(user, old_key, '/weather/x')).status_code == 200
    assert (await ask(user, new_key, '/weather/x')).status_code == 200
    clock.advance(timedelta(minutes=59))
    assert (await ask(user, old_key, '/weather/x')).status_code == 200
    clock.advance(timedelta(minutes=2))  # past the end: the cached answer of the old key ends with it
    refused = await ask(user, old_key, '/weather/x')
    assert refused.status_code == 401 and 'replaced and has stopped working' in refused.json()['error']
    assert (await ask(user, new_key, '/weather/x')).status_code == 200
    # and loaded afresh (another instance, or after the cache's lifetime), it is refused the same way
    from gateway import keys
    keys.clear()
    assert (await ask(user, old_key, '/weather/x')).status_code == 401
    assert (await ask(user, new_key, '/weather/x')).status_code == 200


@pytest.fixture
def gateway_secret(monkeypatch):
    monkeypatch.setenv('PORTICO_GATEWAY_SECRET', 'introspection-secret')


async def test_introspection_says_when_the_old_key_ends_and_then_that_it_is_inactive(gateway_secret, user,
                                                                                     world) -> None:
    credentials.rotate(world['credential'], by=world['dev'], old_key_stops_in=HOUR)

    async def introspect() -> dict:
        response = await user.http_client.post('/oauth/introspect', data={'token': world['key']},
                                               headers={'Authorization': 'Bearer introspection-secret'})
        assert response.status_code == 200
        return response.json()

    answer = await introspect()
    assert answer['active'] is True and 3500 < answer['exp'] - __import__('time').time() <= 3600
    clock.advance(timedelta(hours=1, seconds=1))
    assert (await introspect()) == {'active': False}


async def test_the_old_key_stops_at_once_when_chosen_and_revoking_stops_it_at_once(user, world) -> None:
    dev, old_key = world['dev'], world['key']
    assert (await ask(user, old_key, '/weather/x')).status_code == 200
    new = credentials.rotate(world['credential'], by=dev, old_key_stops_in=7 * 24 * HOUR)
    assert (await ask(user, old_key, '/weather/x')).status_code == 200
    credentials.revoke(Credential.get_by_id(world['credential'].id), by=dev)  # the overlap is not a promise
    assert (await ask(user, old_key, '/weather/x')).status_code == 401
    newest = credentials.rotate(new, by=dev, old_key_stops_in=0)  # now: the same row takes a new key
    assert newest.id == new.id
    assert (await ask(user, credentials.reveal(newest, dev), '/weather/x')).status_code == 200


def test_only_the_current_key_rotates_once_and_only_for_those_who_see_the_app(world) -> None:
    dev = world['dev']
    with pytest.raises(DomainError, match='Choose when the old key stops'):
        credentials.rotate(world['credential'], by=dev, old_key_stops_in=5)
    stranger = a_user('boss@globex.test', organisation=an_org_with('Globex', super_admin=''))
    with pytest.raises(NotFound):
        credentials.rotate(world['credential'], by=stranger, old_key_stops_in=HOUR)
    answers = in_parallel(6, lambda: credentials.rotate(Credential.get_by_id(world['credential'].id), by=dev,
                                                        old_key_stops_in=HOUR))
    assert answers.count('ok') == 1, answers
    assert Credential.select().where(Credential.access_request == world['request']).count() == 2
    with pytest.raises(DomainError, match='Only the current key can be rotated'):
        credentials.rotate(Credential.get_by_id(world['credential'].id), by=dev, old_key_stops_in=HOUR)


def test_the_owner_is_reminded_once_a_day_before_the_old_key_stops(world) -> None:
    dev = world['dev']
    credentials.rotate(world['credential'], by=dev, old_key_stops_in=7 * 24 * HOUR)
    maintenance.run_once()
    assert not OutboxMessage.select().where(OutboxMessage.template_key == 'key_ending').exists()
    clock.advance(timedelta(days=6, hours=1))
    assert maintenance.run_once()['key_reminders'] == 1
    assert maintenance.run_once()['key_reminders'] == 0  # once
    reminder = OutboxMessage.get(OutboxMessage.template_key == 'key_ending')
    assert reminder.recipient == dev.email and reminder.context['app_name'] == 'Bot'
    assert Credential.get_by_id(world['credential'].id).reminded_at is not None


def test_a_short_overlap_sends_no_reminder_the_rotation_is_audited_and_sent_as_a_webhook(world) -> None:
    admin = an_admin()
    webhook_endpoints.update_settings(True, 72, by=admin)
    webhook_endpoints.save_endpoint(None, 'http://127.0.0.1:9/hooks', ['credential.rotated'], True, by=admin)
    new = credentials.rotate(world['credential'], by=world['dev'], old_key_stops_in=HOUR)
    clock.advance(timedelta(minutes=30))
    assert maintenance.run_once()['key_reminders'] == 0
    assert AuditEvent.select().where(AuditEvent.action == 'credential.rotate').count() == 1
    payload = WebhookEvent.get(WebhookEvent.type == 'credential.rotated').payload
    import json
    data = json.loads(payload)['data']
    assert data['credential']['id'] == new.id and data['credential']['expires_at'] is None
    assert data['replaces']['credential_id'] == world['credential'].id and data['replaces']['stops_at'].endswith('Z')
    assert world['key'] not in payload


async def test_my_apps_rotates_with_an_overlap_and_shows_both_keys_with_the_old_ones_end(user, world) -> None:
    key = world['credential']
    await opens_as(user, 'dev@consumer.test', f'/apps/{world["request"].app_id}')
    user.find(marker=f'key-rotate-{key.id}').click()
    await user.should_see('Until the old key stops, both work')
    user.find(marker='key-rotate-when').elements.pop().set_value(HOUR)
    user.find(marker='key-rotate-confirm').click()
    await user.should_see('The old key works for 1 hour more')
    await settle()
    await user.open(f'/apps/{world["request"].app_id}')
    new = Credential.select().where(Credential.access_request == world['request']).order_by(Credential.id.desc()).get()
    assert new.id != key.id
    await user.should_see(marker=f'credential-{new.id}')
    await user.should_see(marker=f'key-ends-{key.id}')
    await user.should_see('Old API key')
    await user.should_see(marker=f'key-rotate-{new.id}')
    await user.should_not_see(marker=f'key-rotate-{key.id}')  # the old key is being replaced already
    clock.advance(timedelta(hours=1, minutes=1))
    await user.open(f'/apps/{world["request"].app_id}')
    await user.should_see(marker=f'credential-{new.id}')
    await user.should_not_see(marker=f'credential-{key.id}')  # ended: gone from My apps


async def test_the_admin_api_rotates_with_an_overlap_and_never_answers_with_a_key(user, world) -> None:
    from workflows import api_tokens
    _, token = api_tokens.create(an_admin(), 'CRM', read_only=False)
    _, read_only = api_tokens.create(an_admin('reader@provider.test'), 'Reports')
    old = world['credential']
    url = f'/api/v1/credentials/{old.id}/rotate'
    refused = await user.http_client.post(url, json={'old_key_stops_in': 5}, headers={'Authorization': f'Bearer {token}'})
    assert refused.status_code == 422
    assert (await user.http_client.post(url, json={'old_key_stops_in': HOUR},
                                        headers={'Authorization': f'Bearer {read_only}'})).status_code == 403
    assert Credential.select().count() == 1  # nothing changed by either
    answer = await user.http_client.post(url, json={'old_key_stops_in': HOUR}, headers={'Authorization': f'Bearer {token}'})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body['id'] != old.id and body['expires_at'] is None and world['key'] not in answer.text
    shown = (await user.http_client.get(f'/api/v1/credentials/{old.id}', headers={'Authorization': f'Bearer {token}'})).json()
    assert shown['status'] == 'active' and shown['expires_at'].startswith(f'{clock.now() + timedelta(hours=1):%Y-%m-%dT%H}')
    again = await user.http_client.post(url, json={'old_key_stops_in': 0}, headers={'Authorization': f'Bearer {token}'})
    assert again.status_code == 409 and 'Only the current key' in again.text


# --- expiry per plan (issue 26, item 2) -----------------------------------------------------------------------

@pytest.fixture
def expiring(user):
    limits.reset()
    usage.reset()
    data = a_catalog_world()
    admin = an_admin()
    free = data['Free']
    catalog.save_plan(free.id, free.name, free.rate_limit, free.rate_period, free.quota, free.quota_period, False,
                      by=admin, key_lifetime_days=30)
    data['dev'] = a_user('dev@consumer.test')
    request = access.request_access(data['dev'], data['Public'].id, free.id, [data['Weather'].id], new_app_name='Bot')
    data['request'], data['credential'] = request, Credential.get(Credential.access_request == request)
    data['key'] = credentials.reveal(data['credential'], data['dev'])
    yield data
    clock.reset()


def reminders() -> list[OutboxMessage]:
    return list(OutboxMessage.select().where(OutboxMessage.template_key == 'key_expiring').order_by(OutboxMessage.id))


def test_keys_of_a_plan_with_a_lifetime_expire_and_their_owners_are_told_14_and_3_days_before(expiring) -> None:
    key = expiring['credential']
    assert key.end_reason == 'lifetime' and abs(key.expires_at - clock.now() - timedelta(days=30)) < timedelta(minutes=1)
    clock.advance(timedelta(days=15))
    maintenance.run_once()
    assert reminders() == []
    clock.advance(timedelta(days=1, hours=1))  # 13 days and 23 hours left
    assert maintenance.run_once()['key_reminders'] == 1
    assert maintenance.run_once()['key_reminders'] == 0
    clock.advance(timedelta(days=10))
    assert maintenance.run_once()['key_reminders'] == 0  # 3 days and 23 hours left: not yet
    clock.advance(timedelta(days=1))
    assert maintenance.run_once()['key_reminders'] == 1
    assert maintenance.run_once()['key_reminders'] == 0
    first, second = reminders()
    assert first.recipient == second.recipient == 'dev@consumer.test'
    assert first.context['days_left'] == '14 days' and second.context['days_left'] == '3 days'


async def test_an_expired_key_gets_401_with_its_reason_and_renewing_is_one_click(user, expiring) -> None:
    key = expiring['key']
    assert (await ask(user, key, '/weather/x')).status_code == 200
    clock.advance(timedelta(days=30, minutes=1))
    refused = await ask(user, key, '/weather/x')
    assert refused.status_code == 401 and refused.json()['error'] == 'this API key has expired; renew it in My apps'
    assert refused.headers['x-portico-reason'] == refused.json()['error']
    await opens_as(user, 'dev@consumer.test', f'/apps/{expiring["request"].app_id}')
    credential = expiring['credential']
    await user.should_see(marker=f'key-expired-{credential.id}')
    await user.should_not_see(marker=f'key-rotate-{credential.id}')  # renew, not rotate, an expired key
    user.find(marker=f'key-renew-{credential.id}').click()
    await user.should_see('A new key is ready')
    renewed = Credential.get_by_id(credential.id)  # the expired key's row took the new key
    assert renewed.key_hash != credential.key_hash
    assert abs(renewed.expires_at - clock.now() - timedelta(days=30)) < timedelta(minutes=1)
    assert (await ask(user, key, '/weather/x')).status_code == 401
    assert (await ask(user, credentials.reveal(renewed, expiring['dev']), '/weather/x')).status_code == 200


async def test_renewing_before_the_end_keeps_the_old_key_until_then(user, expiring) -> None:
    dev, old_key = expiring['dev'], expiring['key']
    clock.advance(timedelta(days=27))
    new = credentials.renew(expiring['credential'], by=dev)
    old = Credential.get_by_id(expiring['credential'].id)
    assert new.id != old.id and old.end_reason == 'rotated'
    assert abs(old.expires_at - (clock.now() + timedelta(days=3))) < timedelta(minutes=1)  # its own end, kept
    assert abs(new.expires_at - (clock.now() + timedelta(days=30))) < timedelta(minutes=1)
    new_key = credentials.reveal(new, dev)
    assert (await ask(user, old_key, '/weather/x')).status_code == 200
    assert (await ask(user, new_key, '/weather/x')).status_code == 200
    clock.advance(timedelta(days=2, hours=1))
    assert maintenance.run_once()['key_reminders'] == 1  # the replaced key, a day before it stops
    assert OutboxMessage.get(OutboxMessage.template_key == 'key_ending').context['key_prefix'] == old.key_prefix
    assert reminders() == []  # no "expires" reminder for a key that was renewed
    clock.advance(timedelta(days=1))
    refused = await ask(user, old_key, '/weather/x')
    assert refused.status_code == 401 and 'replaced' in refused.json()['error']
    assert (await ask(user, new_key, '/weather/x')).status_code == 200
    with pytest.raises(DomainError, match='does not expire'):
        credentials.renew(Credential.get_by_id(expiring['credential'].id), by=dev)


async def test_the_admin_sets_a_plans_key_lifetime_with_its_errors_next_to_the_field(user) -> None:
    a_catalog_world()
    await admin_opens(user, '/admin/plans')
    free = Plan.get(Plan.name == 'Free')
    user.find(marker='plan-edit-Free').click()
    user.find(marker='plan-key-lifetime').elements.pop().set_value(5000)
    user.find(marker='plan-save').click()
    await user.should_see('Keys live at most 3650 days')
    assert Plan.get_by_id(free.id).key_lifetime_days == 0
    user.find(marker='plan-key-lifetime').elements.pop().set_value(90)
    user.find(marker='plan-save').click()
    await user.should_see('Plan Free saved.')
    assert Plan.get_by_id(free.id).key_lifetime_days == 90
    await user.open('/products/weather')
    await user.should_see('keys expire after 90 days')


async def test_the_admin_api_reads_and_changes_a_plans_key_lifetime(user) -> None:
    from workflows import api_tokens
    a_catalog_world()
    _, token = api_tokens.create(an_admin(), 'CRM', read_only=False)
    free = Plan.get(Plan.name == 'Free')
    headers = {'Authorization': f'Bearer {token}'}
    shown = await user.http_client.get(f'/api/v1/plans/{free.id}', headers=headers)
    assert shown.json()['key_lifetime_days'] == 0
    changed = await user.http_client.patch(f'/api/v1/plans/{free.id}', json={'key_lifetime_days': 7},
                                           headers={**headers, 'If-Match': shown.headers['etag']})
    assert changed.status_code == 200 and changed.json()['key_lifetime_days'] == 7
    refused = await user.http_client.patch(f'/api/v1/plans/{free.id}', json={'key_lifetime_days': -1},
                                           headers={**headers, 'If-Match': changed.headers['etag']})
    assert refused.status_code == 422
    assert Plan.get_by_id(free.id).key_lifetime_days == 7


async def test_a_change_of_a_plans_key_lifetime_is_audited_and_sent_as_a_webhook(user) -> None:
    import json
    from db.models import AuditEvent, WebhookEvent
    from workflows import api_tokens, webhook_endpoints
    a_catalog_world()
    admin = an_admin()
    webhook_endpoints.update_settings(True, 72, by=admin)
    webhook_endpoints.save_endpoint(None, 'http://127.0.0.1:9/hooks', ['plan.updated'], True, by=admin)
    _, token = api_tokens.create(admin, 'CRM', read_only=False)
    free = Plan.get(Plan.name == 'Free')
    headers = {'Authorization': f'Bearer {token}'}
    shown = await user.http_client.get(f'/api/v1/plans/{free.id}', headers=headers)
    assert not WebhookEvent.select().exists()
    changed = await user.http_client.patch(f'/api/v1/plans/{free.id}', json={'key_lifetime_days': 90},
                                           headers={**headers, 'If-Match': shown.headers['etag']})
    assert changed.status_code == 200
    event = WebhookEvent.get(WebhookEvent.type == 'plan.updated')
    data = json.loads(event.payload)['data']
    assert data['plan']['id'] == free.id and data['plan']['key_lifetime_days'] == 90
    assert data['actor']['email'] == admin.email
    assert AuditEvent.select().where(AuditEvent.action == 'plan.update').count() == 1
