"""Change plan without a new key (issue 26, item 3): from My apps, an app's access moves to another plan of the same
catalog; at once when the plan needs no approval, else after approval with the old plan in force meanwhile. The key
stays, and the gateway applies the new limits at once."""
from __future__ import annotations

import json

import pytest

from db.models import AccessRequest, AccessStatus, AuditEvent, CatalogPlan, Credential, OutboxMessage, Plan, WebhookEvent
from domain.errors import DomainError, NotFound
from gateway import limits
from tests.test_gateway import ask
from tests.utils import a_catalog_world, a_user, an_admin, an_org_with, opens_as, settle
from workflows import access, api_tokens, credentials, plan_changes, usage, webhook_endpoints


@pytest.fixture
def world(user):
    limits.reset()
    usage.reset()
    data = a_catalog_world()
    data['Plus'] = Plan.create(name='Plus', rate_limit=50, rate_period=60, quota=0, requires_approval=False)
    data['Pro'] = Plan.create(name='Pro', rate_limit=500, rate_period=60, quota=0, requires_approval=True)
    for plan in ('Plus', 'Pro'):
        CatalogPlan.create(catalog=data['Public'], plan=data[plan])
    data['admin'] = an_admin()
    data['dev'] = a_user('dev@consumer.test')
    data['request'] = access.request_access(data['dev'], data['Public'].id, data['Free'].id, [data['Weather'].id],
                                            new_app_name='Bot')
    data['credential'] = Credential.get(Credential.access_request == data['request'])
    data['key'] = credentials.reveal(data['credential'], data['dev'])
    return data


async def calls_allowed(user, key: str, tries: int = 8) -> int:
    return sum([(await ask(user, key, '/weather/x')).status_code == 200 for _ in range(tries)])


async def test_a_plan_without_approval_applies_at_once_with_the_same_key(user, world) -> None:
    webhook_endpoints.update_settings(True, 72, by=world['admin'])
    webhook_endpoints.save_endpoint(None, 'http://127.0.0.1:9/hooks', ['access_request.plan_changed'], True,
                                    by=world['admin'])
    assert await calls_allowed(user, world['key']) == 5  # Free: 5 calls a minute
    result = plan_changes.change_plan(world['request'], world['Plus'].id, by=world['dev'])
    assert result.id == world['request'].id and AccessRequest.get_by_id(result.id).plan_id == world['Plus'].id
    assert await calls_allowed(user, world['key']) == 8  # Plus: 50 a minute, counted on from the same window
    assert Credential.get_by_id(world['credential'].id).key_hash == world['credential'].key_hash  # the same key
    assert Credential.select().count() == 1
    assert AuditEvent.select().where(AuditEvent.action == 'access.change_plan').count() == 1
    data = json.loads(WebhookEvent.get(WebhookEvent.type == 'access_request.plan_changed').payload)['data']
    assert data['access_request']['plan_name'] == 'Plus' and data['previous_plan_name'] == 'Free'


async def test_a_plan_with_approval_waits_and_the_old_plan_stays_in_force(user, world) -> None:
    change = plan_changes.change_plan(world['request'], world['Pro'].id, by=world['dev'])
    assert change.id != world['request'].id and change.status == AccessStatus.PENDING
    assert change.changes_id == world['request'].id
    assert AccessRequest.get_by_id(world['request'].id).plan_id == world['Free'].id
    assert await calls_allowed(user, world['key']) == 5  # still Free
    with pytest.raises(DomainError, match='A change to Pro waits for approval already'):
        plan_changes.change_plan(world['request'], world['Plus'].id, by=world['dev'])
    assert OutboxMessage.select().where(OutboxMessage.template_key == 'access_request_notice').exists()
    access.approve(change, by=world['admin'])
    assert AccessRequest.get_by_id(world['request'].id).plan_id == world['Pro'].id
    assert AccessRequest.get_by_id(change.id).status == AccessStatus.APPROVED
    assert Credential.select().count() == 1  # no new key
    limits.reset()
    assert await calls_allowed(user, world['key'], 12) == 12
    approved = OutboxMessage.select().where(OutboxMessage.template_key == 'access_approved') \
        .order_by(OutboxMessage.id.desc()).first()
    assert 'your key stays the same' in approved.context['plan_name']


def test_a_rejected_change_leaves_the_access_as_it_was(world) -> None:
    change = plan_changes.change_plan(world['request'], world['Pro'].id, by=world['dev'])
    access.reject(change, by=world['admin'], reason='Talk to sales first')
    request = AccessRequest.get_by_id(world['request'].id)
    assert request.plan_id == world['Free'].id and request.status == AccessStatus.APPROVED
    assert plan_changes.pending_change(request) is None
    plan_changes.change_plan(request, world['Plus'].id, by=world['dev'])  # and another change may follow


def test_only_approved_access_to_a_plan_of_its_catalog_and_only_by_those_who_see_the_app(world) -> None:
    with pytest.raises(DomainError, match='not offered in this catalog'):
        plan_changes.change_plan(world['request'], world['Gold'].id, by=world['dev'])  # Gold: the Partners catalog
    with pytest.raises(DomainError, match='on Free already'):
        plan_changes.change_plan(world['request'], world['Free'].id, by=world['dev'])
    with pytest.raises(DomainError, match='Choose a plan'):
        plan_changes.change_plan(world['request'], 'gold', by=world['dev'])
    stranger = a_user('boss@globex.test', organisation=an_org_with('Globex', super_admin=''))
    with pytest.raises(NotFound):
        plan_changes.change_plan(world['request'], world['Plus'].id, by=stranger)
    change = plan_changes.change_plan(world['request'], world['Pro'].id, by=world['dev'])
    with pytest.raises(DomainError, match='Only approved access'):
        plan_changes.change_plan(change, world['Plus'].id, by=world['dev'])  # a change request is not access
    assert AccessRequest.get_by_id(world['request'].id).plan_id == world['Free'].id


async def test_my_apps_changes_the_plan_and_shows_a_waiting_change(user, world) -> None:
    request = world['request']
    await opens_as(user, 'dev@consumer.test', f'/apps/{request.app_id}')
    user.find(marker=f'plan-change-{request.id}').click()
    await user.should_see('The key stays the same')
    user.find(marker='plan-change-choice').elements.pop().set_value(world['Pro'].id)
    user.find(marker='plan-change-confirm').click()
    await user.should_see('The change to Pro waits for approval')
    await settle()
    await user.open(f'/apps/{request.app_id}')
    await user.should_see(marker=f'plan-change-pending-{request.id}')
    await user.should_not_see(marker=f'plan-change-{request.id}')
    assert AccessRequest.get_by_id(request.id).plan_id == world['Free'].id
    change = plan_changes.pending_change(request)
    await user.open('/logout')
    await opens_as(user, 'admin@provider.test', '/admin/access-requests?status=pending')
    await user.should_see('Pro (plan change)')
    access.approve(change, by=world['admin'])
    await user.open('/logout')
    await opens_as(user, 'dev@consumer.test', f'/apps/{request.app_id}')
    await user.should_see('plan Pro')
    await user.should_not_see(marker=f'plan-change-pending-{request.id}')


async def test_the_admin_api_changes_a_plan_at_once(user, world) -> None:
    _, token = api_tokens.create(world['admin'], 'CRM', read_only=False)
    headers = {'Authorization': f'Bearer {token}'}
    url = f'/api/v1/access-requests/{world["request"].id}/change-plan'
    refused = await user.http_client.post(url, json={'plan_id': world['Gold'].id}, headers=headers)
    assert refused.status_code == 409 and 'not offered' in refused.text
    answer = await user.http_client.post(url, json={'plan_id': world['Pro'].id}, headers=headers)
    assert answer.status_code == 200 and answer.json()['plan_id'] == world['Pro'].id  # an admin: no approval wait
    assert Credential.select().count() == 1
