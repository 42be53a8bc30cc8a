"""API versions and deprecation (issue 26, item 5): versions of one API, deprecating one with a sunset and a successor,
the notices to subscribed apps' owners (at marking, 30 and 7 days before, once each), the webhook event, the audit
rows, the REST API, the gateway's Deprecation/Sunset/Link headers and its 410 after the sunset, and the attacks."""
from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from db import clock
from db.models import AccessRequest, Api, AuditEvent, Credential, OutboxMessage, ProductApi, User, WebhookEvent
from domain.errors import DomainError, PermissionDenied
from gateway import keys, limits
from tests.test_gateway import ask
from tests.utils import a_catalog_world, a_user, an_admin, an_org_with
from workflows import access, api_tokens, api_versions, credentials, maintenance, usage, webhook_endpoints


@pytest.fixture
def world(db):
    yield from _world()


@pytest.fixture
def served(user):
    """The same world for the tests that call the gateway through the web app (the `user` fixture opens the
    database itself)."""
    yield from _world()


def _world():
    limits.reset()
    usage.reset()
    keys.clear()
    data = a_catalog_world()
    data['admin'] = an_admin()
    data['dev'] = a_user('dev@consumer.test')
    data['request'] = access.request_access(data['dev'], data['Public'].id, data['Free'].id, [data['Weather'].id],
                                            new_app_name='Bot')
    data['key'] = credentials.reveal(Credential.get(Credential.access_request == data['request']), data['dev'])
    data['v1'] = data['Weather API']
    yield data
    clock.reset()
    keys.clear()


def a_v2(world) -> Api:
    return api_versions.add_version(world['v1'].id, 'v2', '/weather/v2/', '', by=world['admin'])


def webhook_to(admin, *events: str) -> None:
    webhook_endpoints.update_settings(True, 72, by=admin)
    webhook_endpoints.save_endpoint(None, 'http://127.0.0.1:9/hooks', list(events), True, by=admin)


# --- versions ---------------------------------------------------------------------------------------

def test_a_new_version_has_its_own_path_the_same_name_and_joins_the_products(world) -> None:
    v1, admin = world['v1'], world['admin']
    v2 = a_v2(world)
    v1 = Api.get_by_id(v1.id)
    assert (v1.version_of_id, v1.version) == (v1.id, 'v1')  # the stand-alone API became the first version
    assert (v2.name, v2.base_path, v2.version_of_id, v2.version) == ('Weather API', '/weather/v2/', v1.id, 'v2')
    assert {link.api_id for link in ProductApi.select().where(ProductApi.product == world['Weather'])} == {v1.id, v2.id}
    assert [api.version for api in api_versions.versions_of(v2)] == ['v1', 'v2']
    audit = AuditEvent.get(AuditEvent.action == 'api.add_version')
    assert (audit.target_id, audit.detail['version'], audit.actor_id) == (v2.id, 'v2', admin.id)
    v3 = api_versions.add_version(v2.id, 'v3', '/weather/v3', '', by=admin, in_same_products=False)
    assert (v3.version_of_id, v3.base_path) == (v1.id, '/weather/v3/')
    assert not ProductApi.select().where(ProductApi.api == v3.id).exists()


def test_deleting_the_first_version_keeps_the_others_together(world) -> None:
    from workflows import catalog
    v2 = a_v2(world)
    v3 = api_versions.add_version(v2.id, 'v3', '/weather/v3/', '', by=world['admin'])
    api_versions.deprecate(v2.id, clock.now() + timedelta(days=9), v3.id, by=world['admin'])
    catalog.delete_api(Api.get_by_id(world['v1'].id), by=world['admin'])
    assert [(api.version, api.version_of_id) for api in api_versions.versions_of(Api.get_by_id(v3.id))] == [
        ('v2', v2.id), ('v3', v2.id)]
    catalog.delete_api(Api.get_by_id(v3.id), by=world['admin'])  # the successor goes: v2 has none now
    assert Api.get_by_id(v2.id).successor_id is None


def test_a_version_label_is_unique_in_its_api_and_well_formed_and_the_path_is_free(world) -> None:
    a_v2(world)
    for label, path, field in (('v2', '/weather/x/', 'version'), ('V1', '/weather/x/', 'version'),
                               ('', '/weather/x/', 'version'), ('v 3', '/weather/x/', 'version'),
                               ('<b>v3</b>', '/weather/x/', 'version'), ('v3' * 20, '/weather/x/', 'version'),
                               ('v3', '/weather/v2/', 'base_path')):
        with pytest.raises(DomainError) as error:
            api_versions.add_version(world['v1'].id, label, path, '', by=world['admin'])
        assert error.value.field == field, label
    assert Api.select().where(Api.name == 'Weather API').count() == 2


def test_only_portal_admins_add_versions_or_deprecate(world) -> None:
    an_org_with('Acme')
    boss = User.get(User.email == 'boss@acme.test')  # an organisation's super admin submits APIs, never versions
    for person in (world['dev'], boss):
        with pytest.raises(PermissionDenied):
            api_versions.add_version(world['v1'].id, 'v2', '/weather/v2/', '', by=person)
        with pytest.raises(PermissionDenied):
            api_versions.deprecate(world['v1'].id, clock.now() + timedelta(days=9), None, by=person)
    assert Api.get_by_id(world['v1'].id).deprecated_at is None and Api.select().count() == 3


# --- deprecation: the rules -------------------------------------------------------------------------

def test_the_sunset_must_be_in_the_future_and_the_successor_another_version_of_the_same_api(world) -> None:
    v2, admin = a_v2(world), world['admin']
    maps = world['Maps API']
    for sunset, successor, field in ((clock.now() - timedelta(minutes=1), v2.id, 'sunset'),
                                     ('2001-01-01', v2.id, 'sunset'), ('', v2.id, 'sunset'),
                                     ('next tuesday', v2.id, 'sunset'), ('9' * 500, v2.id, 'sunset'),
                                     (clock.now() + timedelta(days=3000), v2.id, 'sunset'),
                                     (clock.now() + timedelta(days=9), maps.id, 'successor'),
                                     (clock.now() + timedelta(days=9), world['v1'].id, 'successor'),
                                     (clock.now() + timedelta(days=9), 10 ** 9, 'successor'),
                                     (clock.now() + timedelta(days=9), 'x', 'successor')):
        with pytest.raises(DomainError) as error:
            api_versions.deprecate(world['v1'].id, sunset, successor, by=admin)
        assert error.value.field == field, (sunset, successor)
    with pytest.raises(DomainError) as error:  # a stand-alone API has no other version
        api_versions.deprecate(maps.id, clock.now() + timedelta(days=9), v2.id, by=admin)
    assert error.value.field == 'successor'
    assert not Api.select().where(Api.deprecated_at.is_null(False)).exists()
    assert not OutboxMessage.select().where(OutboxMessage.template_key == 'api_deprecated').exists()
    # a deprecated successor is refused as well
    api_versions.deprecate(v2.id, '2029-06-01', None, by=admin)
    with pytest.raises(DomainError) as error:
        api_versions.deprecate(world['v1'].id, '2029-01-01', v2.id, by=admin)
    assert error.value.field == 'successor'


def test_marking_emails_the_owners_of_subscribed_apps_and_raises_the_webhook_without_keys(world) -> None:
    admin = world['admin']
    webhook_to(admin, 'api.deprecated')
    other = a_user('other@consumer.test')  # a pending request is no subscription
    access.request_access(other, world['Partners'].id, world['Gold'].id, [world['Payments'].id], new_app_name='Shop')
    v2 = a_v2(world)
    sunset = (clock.now() + timedelta(days=90)).replace(microsecond=0)
    api = api_versions.deprecate(world['v1'].id, sunset, v2.id, by=admin)
    assert (api.sunset_at, api.successor_id, api.deprecated_at is not None) == (sunset, v2.id, True)
    [mail] = OutboxMessage.select().where(OutboxMessage.template_key == 'api_deprecated')
    assert mail.recipient == 'dev@consumer.test'
    assert mail.context['api_name'] == 'Weather API v1' and mail.context['sunset_date'] == api_versions.shown_date(sunset)
    assert 'Move to Weather API v2' in mail.context['successor_part'] and '/weather/v2/' in mail.context['successor_part']
    [event] = WebhookEvent.select().where(WebhookEvent.type == 'api.deprecated')
    payload = json.loads(event.payload)['data']
    assert payload['api']['version'] == 'v1' and payload['api']['successor'] == {'id': v2.id, 'version': 'v2',
                                                                                  'base_path': '/weather/v2/'}
    assert payload['api']['sunset_at'] == sunset.isoformat() + 'Z' and payload['app_ids'] == [world['request'].app_id]
    assert world['key'] not in event.payload and 'ptc_' not in event.payload
    audit = AuditEvent.get(AuditEvent.action == 'api.deprecate')
    assert (audit.actor_id, audit.target_id, audit.detail['successor_id']) == (admin.id, world['v1'].id, v2.id)
    undone = api_versions.undo_deprecation(world['v1'].id, by=admin)
    assert (undone.deprecated_at, undone.sunset_at, undone.successor_id) == (None, None, None)
    assert AuditEvent.select().where(AuditEvent.action == 'api.undeprecate').count() == 1
    with pytest.raises(DomainError, match='not deprecated'):
        api_versions.undo_deprecation(world['v1'].id, by=admin)


def test_the_notices_30_and_7_days_before_the_sunset_come_once_each(world) -> None:
    admin = world['admin']
    webhook_to(admin, 'api.deprecated')
    v2 = a_v2(world)
    api_versions.deprecate(world['v1'].id, clock.now() + timedelta(days=60), v2.id, by=admin)
    assert maintenance.run_once()['sunset_notices'] == 0
    clock.advance(timedelta(days=29, hours=12))  # 30.5 days left: nothing yet
    assert api_versions.remind_sunsets() == 0
    clock.advance(timedelta(hours=13))
    assert maintenance.run_once()['sunset_notices'] == 1
    assert api_versions.remind_sunsets() == 0  # once
    [soon] = OutboxMessage.select().where(OutboxMessage.template_key == 'api_sunset_soon')
    assert soon.recipient == 'dev@consumer.test' and soon.context['days_left'] == '30 days'
    clock.advance(timedelta(days=22))
    assert api_versions.remind_sunsets() == 0
    clock.advance(timedelta(days=1, hours=1))  # under 7 days left
    assert api_versions.remind_sunsets() == 1 and api_versions.remind_sunsets() == 0
    last = OutboxMessage.select().where(OutboxMessage.template_key == 'api_sunset_soon').order_by(OutboxMessage.id.desc()).get()
    assert last.context['days_left'] == '7 days'
    kinds = [json.loads(event.payload)['data'].get('days_left') for event in
             WebhookEvent.select().where(WebhookEvent.type == 'api.deprecated').order_by(WebhookEvent.id)]
    assert kinds == [None, 30, 7]
    assert [row.actor_id for row in AuditEvent.select().where(AuditEvent.action == 'api.sunset_reminder')] == [None, None]
    clock.advance(timedelta(days=8))  # past the sunset: nothing more
    assert api_versions.remind_sunsets() == 0


def test_a_sunset_under_30_days_away_sends_no_30_day_notice_after_the_marking_one(world) -> None:
    v2 = a_v2(world)
    api_versions.deprecate(world['v1'].id, clock.now() + timedelta(days=10), v2.id, by=world['admin'])
    assert api_versions.remind_sunsets() == 0
    clock.advance(timedelta(days=3, hours=1))
    assert api_versions.remind_sunsets() == 1
    assert OutboxMessage.select().where(OutboxMessage.template_key == 'api_sunset_soon').count() == 1


# --- the gateway ------------------------------------------------------------------------------------

async def test_the_gateway_adds_the_headers_then_answers_410_after_the_sunset(user, served) -> None:
    key, v2 = served['key'], a_v2(served)
    assert 'deprecation' not in (await ask(user, key, '/weather/x')).headers
    sunset = (clock.now() + timedelta(days=20)).replace(microsecond=0)
    v1 = api_versions.deprecate(served['v1'].id, sunset, v2.id, by=served['admin'])
    answer = await ask(user, key, '/weather/forecast')  # the key was retired: reloaded with the deprecation
    assert answer.status_code == 200
    assert answer.headers['deprecation'] == f'@{api_versions.unix(v1.deprecated_at)}'
    assert answer.headers['sunset'] == api_versions.http_date(sunset)
    assert answer.headers['link'].endswith('/weather/v2/>; rel="successor-version"')
    assert answer.headers['x-portico-product'] == 'weather'
    plain = await ask(user, key, '/weather/v2/forecast')  # the same product's other version: no deprecation
    assert plain.status_code == 200 and 'deprecation' not in plain.headers and 'sunset' not in plain.headers
    clock.advance(timedelta(days=20, seconds=1))  # the cached answer ends at the sunset
    gone = await ask(user, key, '/weather/forecast')
    assert gone.status_code == 410 and gone.json()['successor'].endswith('/weather/v2/')
    assert gone.headers['link'].endswith('/weather/v2/>; rel="successor-version"')
    nginx = await ask(user, key, '/weather/forecast', endpoint='/api/gateway/nginx-auth')
    assert nginx.status_code == 403 and nginx.headers['x-portico-status'] == '410'
    assert (await ask(user, key, '/weather/v2/forecast')).status_code == 200
    keys.clear()  # loaded afresh after the sunset: 410 as well
    assert (await ask(user, key, '/weather/forecast')).status_code == 410


async def test_moving_the_successor_to_another_path_changes_the_link(user, served) -> None:
    from workflows import catalog
    key, v2 = served['key'], a_v2(served)
    api_versions.deprecate(served['v1'].id, clock.now() + timedelta(days=20), v2.id, by=served['admin'])
    assert (await ask(user, key, '/weather/x')).headers['link'].endswith('/weather/v2/>; rel="successor-version"')
    catalog.save_api(v2.id, v2.name, '/weather/two/', v2.upstream, catalog.KEEP_DOCUMENT, by=served['admin'])
    assert (await ask(user, key, '/weather/x')).headers['link'].endswith('/weather/two/>; rel="successor-version"')


async def test_undoing_the_deprecation_drops_the_headers(user, served) -> None:
    key, v2 = served['key'], a_v2(served)
    api_versions.deprecate(served['v1'].id, clock.now() + timedelta(days=20), v2.id, by=served['admin'])
    assert 'sunset' in (await ask(user, key, '/weather/x')).headers
    api_versions.undo_deprecation(served['v1'].id, by=served['admin'])
    answer = await ask(user, key, '/weather/x')
    assert answer.status_code == 200 and 'sunset' not in answer.headers and 'deprecation' not in answer.headers


async def test_without_a_successor_the_headers_have_no_link_and_the_410_names_none(user, served) -> None:
    api_versions.deprecate(served['v1'].id, clock.now() + timedelta(days=2), None, by=served['admin'])
    answer = await ask(user, served['key'], '/weather/x')
    assert 'sunset' in answer.headers and 'link' not in answer.headers
    clock.advance(timedelta(days=3))
    gone = await ask(user, served['key'], '/weather/x')
    assert gone.status_code == 410 and 'successor' not in gone.json() and 'link' not in gone.headers


# --- the REST API -----------------------------------------------------------------------------------

def client(user, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test/api/v1',
                             headers={'Authorization': f'Bearer {token}'})


async def test_the_rest_api_adds_a_version_deprecates_and_lists_the_fields(user, served) -> None:
    admin = served['admin']
    writer, reader = api_tokens.create(admin, 'CRM', read_only=False)[1], api_tokens.create(admin, 'Reports')[1]
    v1 = served['v1'].id
    async with client(user, reader) as api:
        assert (await api.post(f'/apis/{v1}/versions', json={'version': 'v2', 'base_path': '/weather/v2/'})
                ).status_code == 403
    async with client(user, writer) as api:
        response = await api.post(f'/apis/{v1}/versions', json={'version': 'v2', 'base_path': '/weather/v2/'})
        assert response.status_code == 201, response.text
        v2 = response.json()
        assert (v2['version'], v2['version_of'], v2['name']) == ('v2', v1, 'Weather API')
        past = await api.post(f'/apis/{v1}/deprecate', json={'sunset_at': '2001-01-01', 'successor_id': v2['id']})
        assert past.status_code == 422 and 'future' in past.text
        other = await api.post(f'/apis/{v1}/deprecate', json={'sunset_at': '2029-06-01',
                                                              'successor_id': served['Maps API'].id})
        assert other.status_code == 422 and 'same API' in other.text
        assert (await api.post('/apis/999999/deprecate', json={'sunset_at': '2029-06-01'})).status_code == 404
        done = await api.post(f'/apis/{v1}/deprecate', json={'sunset_at': '2029-06-01', 'successor_id': v2['id']})
        assert done.status_code == 200, done.text
        assert done.json()['sunset_at'].startswith('2029-06-01T00:00:00') and done.json()['successor_id'] == v2['id']
        listed = {api_['id']: api_ for api_ in (await api.get('/apis')).json()['items']}
        assert listed[v1]['deprecated_at'] is not None and listed[v1]['version'] == 'v1'
        assert listed[v2['id']]['deprecated_at'] is None
        undone = await api.post(f'/apis/{v1}/undo-deprecation')
        assert undone.status_code == 200 and undone.json()['sunset_at'] is None
    audit = AuditEvent.get(AuditEvent.action == 'api.deprecate')
    assert audit.detail.get('api_token')  # the token is named in the audit row
    assert AccessRequest.get_by_id(served['request'].id).status == 'approved'


# --- Admin -> APIs (the simulated user; tests/test_browser_deprecation.py drives the dialogs in Chromium) ------------

async def test_the_admin_undoes_a_deprecation_and_a_bad_label_stays_next_to_its_field(user, served) -> None:
    from tests.utils import fill, field_error, opens_as, press
    v2 = a_v2(served)
    api_versions.deprecate(served['v1'].id, clock.now() + timedelta(days=20), v2.id, by=served['admin'])
    await opens_as(user, served['admin'].email, '/admin/apis')
    await user.should_see(f'Deprecated: stops on {api_versions.shown_date(Api.get_by_id(served["v1"].id).sunset_at)}',
                          retries=50)  # the table reads its rows in a worker thread
    await press(user, 'api-add-version-Weather API v2')
    fill(user, {'version-label': 'v1', 'version-base-path': '/weather/v3/'})
    await press(user, 'version-save')
    assert 'has a version v1 already' in field_error(user, 'version-label')
    assert not Api.select().where(Api.base_path == '/weather/v3/').exists()
    await press(user, 'api-undeprecate-Weather API v1')
    await user.should_see('Undo the deprecation of Weather API v1?')
    await press(user, 'undeprecate-confirm')
    await user.should_see('Weather API v1 is no longer deprecated.')
    assert Api.get_by_id(served['v1'].id).deprecated_at is None
    assert AuditEvent.get(AuditEvent.action == 'api.undeprecate').actor_id is not None
