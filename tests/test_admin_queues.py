"""The approval queues: admin Access requests and Apps, and the delegated super admin's Approvals page."""
from __future__ import annotations

import pytest

import background
from db.models import (AccessRequest, AccessStatus, App, AppStatus, Credential, CredentialStatus, OutboxMessage,
                       User)
from tests.utils import (a_catalog_world, a_user, admin_opens, an_admin, an_org_with, opens_as, set_settings,
                         statements_of_this_task)
from domain.errors import DomainError, PermissionDenied
from workflows import access, apps


def a_gold_request(dev: User, world: dict, app_name: str = 'Bot') -> AccessRequest:
    return access.request_access(dev, world['Partners'].id, world['Gold'].id, [world['Payments'].id],
                                 new_app_name=app_name)


def outbox(template_key: str) -> list[OutboxMessage]:
    return list(OutboxMessage.select().where(OutboxMessage.template_key == template_key))


# --- Access requests -------------------------------------------------------------------------------

async def test_admin_approves_a_gold_request_and_the_credential_is_issued(user) -> None:
    world = a_catalog_world()
    request = a_gold_request(a_user('dev@consumer.test', first='Dana', last='Developer'), world)
    admin = await admin_opens(user, '/admin/access-requests')
    await user.should_see(marker='access-row', retries=50)  # rows are read in a worker
    with user.scope(marker='access-row'):
        for text in ('Dana Developer', 'dev@consumer.test', 'Default organization', 'Bot', 'Partners', 'Gold',
                     'Payments', 'pending'):
            await user.should_see(text)
    user.find(marker=f'access-approve-{request.id}').click()
    await user.should_see('Access for Bot approved')
    await user.should_see(marker='access-empty')  # the Pending list is empty now
    assert AccessRequest.get_by_id(request.id).status == AccessStatus.APPROVED
    assert Credential.select().where(Credential.access_request == request.id).count() == 1
    [approved] = outbox('access_approved')
    assert approved.recipient == 'dev@consumer.test' and approved.context['products'] == 'Payments'

    with pytest.raises(DomainError, match='already decided'):
        access.approve(AccessRequest.get_by_id(request.id), by=admin)
    assert Credential.select().count() == 1 and len(outbox('access_approved')) == 1


async def test_two_admins_approve_at_once_and_the_second_is_told_it_was_decided(user) -> None:
    world = a_catalog_world()
    request = a_gold_request(a_user('dev@consumer.test'), world)
    await admin_opens(user, '/admin/access-requests')
    await user.should_see(marker=f'access-approve-{request.id}')
    access.approve(AccessRequest.get_by_id(request.id), by=an_admin('other-admin@provider.test'))
    user.find(marker=f'access-approve-{request.id}').click()  # the page still shows it pending
    await user.should_see('This access request was already decided by someone else.')
    assert user.notify.messages[-1] == 'This access request was already decided by someone else.'
    assert Credential.select().count() == 1 and len(outbox('access_approved')) == 1


async def test_admin_rejects_with_a_reason_and_the_requester_is_told_why(user) -> None:
    world = a_catalog_world()
    request = a_gold_request(a_user('dev@consumer.test'), world)
    await admin_opens(user, '/admin/access-requests')
    user.find(marker=f'access-reject-{request.id}').click()
    user.find(marker='access-reject-reason').type('Gold is for signed partners only.')
    user.find(marker='access-reject-confirm').click()
    await user.should_see('Access for Bot rejected.')
    stored = AccessRequest.get_by_id(request.id)
    assert stored.status == AccessStatus.REJECTED and stored.reason == 'Gold is for signed partners only.'
    [rejected] = outbox('access_rejected')
    assert rejected.recipient == 'dev@consumer.test'
    assert 'Gold is for signed partners only.' in rejected.context['reason_part']
    assert Credential.select().count() == 0

    await user.open('/admin/access-requests?status=rejected')
    await user.should_see(marker=f'access-reason-{request.id}')
    await user.should_see('Gold is for signed partners only.')


async def test_admin_revokes_granted_access_and_the_key_stops_working(user) -> None:
    world = a_catalog_world()
    request = a_gold_request(a_user('dev@consumer.test'), world)
    access.approve(AccessRequest.get_by_id(request.id), by=an_admin('other-admin@provider.test'))
    await admin_opens(user, '/admin/access-requests?status=approved')
    user.find(marker=f'access-revoke-{request.id}').click()
    await user.should_see('Its API key stops working at once.')
    user.find(marker='access-revoke-confirm').click()
    await user.should_see('Access for Bot revoked.')
    assert AccessRequest.get_by_id(request.id).status == AccessStatus.REVOKED
    assert Credential.get(Credential.access_request == request.id).status == CredentialStatus.REVOKED


async def test_the_page_does_the_same_number_of_queries_for_few_and_many_requests(user) -> None:
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    a_gold_request(dev, world, 'Bot 0')
    await admin_opens(user, '/admin/access-requests')
    await background.stop_all()  # the mail worker, the usage flush, the key feed: not the page's statements
    with statements_of_this_task() as statements:
        await user.open('/admin/access-requests?status=all')
    few = len(statements)
    for number in range(1, 8):
        a_gold_request(dev, world, f'Bot {number}')
    with statements_of_this_task() as statements:
        await user.open('/admin/access-requests?status=all')
        await user.should_see('Bot 7')
    assert few > 5 and len(statements) == few  # the page was counted at all, and the same both times


# --- Apps ------------------------------------------------------------------------------------------

async def test_admin_approves_a_pending_app_and_its_free_request_is_granted(user) -> None:
    set_settings(auto_approve_apps=False)
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot', new_app_description='Answers weather questions')
    app = App.get(App.name == 'Bot')
    assert app.status == AppStatus.PENDING and AccessRequest.get_by_id(request.id).status == AccessStatus.PENDING
    await admin_opens(user, '/admin/access-requests')
    await user.should_see(marker=f'access-pending-app-{request.id}')

    await user.open('/admin/apps?status=pending')
    await user.should_see('Answers weather questions')
    user.find(marker=f'app-approve-{app.id}').click()
    await user.should_see('Bot approved.')
    assert App.get_by_id(app.id).status == AppStatus.ACTIVE
    assert AccessRequest.get_by_id(request.id).status == AccessStatus.APPROVED
    assert [m.recipient for m in outbox('app_created')] == ['dev@consumer.test']
    assert len(outbox('access_approved')) == 1

    await user.open('/admin/apps')
    assert user.find(marker=f'app-credentials-{app.id}').elements.pop().text == '1'


async def test_admin_rejects_a_pending_app_with_a_reason(user) -> None:
    set_settings(auto_approve_apps=False)
    world = a_catalog_world()
    request = access.request_access(a_user('dev@consumer.test'), world['Public'].id, world['Free'].id,
                                    [world['Weather'].id], new_app_name='Bot')
    app = App.get(App.name == 'Bot')
    await admin_opens(user, '/admin/apps')
    user.find(marker=f'app-reject-{app.id}').click()
    user.find(marker='app-reject-reason').type('Please describe what the app does.')
    user.find(marker='app-reject-confirm').click()
    await user.should_see('Bot rejected.')
    assert App.get_by_id(app.id).status == AppStatus.REJECTED
    assert AccessRequest.get_by_id(request.id).status == AccessStatus.REJECTED
    [rejected] = outbox('app_rejected')
    assert 'Please describe what the app does.' in rejected.context['reason_part']


# --- Approvals for delegated super admins ----------------------------------------------------------

async def test_case_4_a_super_admin_approves_a_members_app_and_another_organisation_sees_nothing(user) -> None:
    set_settings(auto_approve_apps=False, delegate_app_management=True)
    world = a_catalog_world()
    acme = an_org_with('Acme', super_admin='boss@acme.test', members=1)
    an_org_with('Globex', super_admin='boss@globex.test', contact_email='contact@globex.test')
    request = a_gold_request(User.get(User.email == 'member1@acme.test'), world)
    app = App.get(App.name == 'Bot')

    await opens_as(user, 'boss@globex.test', '/dashboard/requests')
    await user.should_see('Nothing waits for your approval.')
    await user.should_not_see('Bot')
    with pytest.raises(PermissionDenied):
        apps.approve_app(app, by=User.get(User.email == 'boss@globex.test'))
    with pytest.raises(DomainError, match='not found'):
        access.find_decidable(request.id, User.get(User.email == 'boss@globex.test'))
    await user.open('/logout')

    await opens_as(user, 'boss@acme.test', '/dashboard/requests')
    await user.should_see(marker='approvals-apps', retries=50)  # rows are read in a worker
    with user.scope(marker='approvals-apps'):
        await user.should_see('Bot')
        await user.should_see('member1@acme.test')
    await user.should_see(marker='approvals-access', retries=50)  # rows are read in a worker
    with user.scope(marker='approvals-access'):
        await user.should_see('Payments')
        await user.should_see('pending app')
    user.find(marker=f'app-approve-{app.id}').click()
    await user.should_see('Bot approved.')
    assert App.get_by_id(app.id).status == AppStatus.ACTIVE and App.get_by_id(app.id).organisation_id == acme.id
    assert AccessRequest.get_by_id(request.id).status == AccessStatus.PENDING  # Gold needs its own decision
    user.find(marker=f'access-approve-{request.id}').click()
    await user.should_see('Access for Bot approved.')
    await user.should_see('Nothing waits for your approval.')
    assert Credential.select().where(Credential.app == app.id).count() == 1


async def test_a_super_admin_rejects_a_request_of_their_organisation(user) -> None:
    set_settings(delegate_app_management=True)
    world = a_catalog_world()
    an_org_with('Acme', super_admin='boss@acme.test', members=1)
    request = a_gold_request(User.get(User.email == 'member1@acme.test'), world)
    await opens_as(user, 'boss@acme.test', '/dashboard/requests')
    user.find(marker=f'access-reject-{request.id}').click()
    user.find(marker='access-reject-reason').type('We have no Gold budget this year.')
    user.find(marker='access-reject-confirm').click()
    await user.should_see('Access for Bot rejected.')
    stored = AccessRequest.get_by_id(request.id)
    assert stored.status == AccessStatus.REJECTED and stored.decided_by.email == 'boss@acme.test'
    assert 'no Gold budget' in outbox('access_rejected')[0].context['reason_part']


async def test_without_delegation_the_page_says_the_portal_administrators_decide(user) -> None:
    set_settings(auto_approve_apps=False)
    world = a_catalog_world()
    an_org_with('Acme', super_admin='boss@acme.test', members=1)
    a_gold_request(User.get(User.email == 'member1@acme.test'), world)
    await opens_as(user, 'boss@acme.test', '/dashboard/requests')
    await user.should_see(marker='approvals-not-delegated')
    await user.should_see('The portal administrators approve new apps and access requests')
    await user.should_not_see('Bot')
