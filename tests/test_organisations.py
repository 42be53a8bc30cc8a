"""001 "Manage API Consumer organizations", steps 1-5, end to end with real emails; the admin's side
(003 "Manually Create Organizations", Teams); isolation between organisations."""
from __future__ import annotations

import pytest

from db.models import App, Membership, Organisation, OrgStatus, Role, Team, Token, User, UserStatus
from tests.utils import (PASSWORD, a_user, admin_opens, an_admin, an_org_with, choose, log_in, opens_as, set_settings,
                         settle, until)
from domain.errors import DomainError, PermissionDenied
from workflows import activation, organisations, teammates, visibility

ADMIN_ADDRESS = 'api-admin@provider.test'



async def request_org(user, name: str) -> None:
    await user.open('/dashboard')
    user.find(marker='nav-create-org').click()
    await user.should_see(marker='org-name')
    user.find(marker='org-name').type(name)
    user.find(marker='org-submit').click()
    await settle()


async def invite_teammate(user, first, last, email, role_label='Team member') -> None:
    await user.open('/dashboard/users')
    user.find(marker='teammate-first').type(first)
    user.find(marker='teammate-last').type(last)
    user.find(marker='teammate-email').type(email)
    if role_label != 'Team member':
        choose(user, 'teammate-role', role_label)
    user.find(marker='teammate-send').click()
    await settle()


async def test_the_five_steps_of_001(mailbox, user) -> None:
    """Request -> admin approves -> invite -> the teammate joins -> roles -> shared apps."""
    an_admin('admin@provider.test')
    founder = a_user('founder@acme.test', first='Fiona', last='Founder')

    # Step 1: request org registration (auto-approval off: pending, no inviting yet)
    await log_in(user, 'founder@acme.test')
    await request_org(user, 'Acme Corp')
    await user.should_see(marker='org-pending')
    org = Organisation.get(Organisation.name == 'Acme Corp')
    assert org.status == OrgStatus.PENDING and User.get_by_id(founder.id).organisation.is_default
    with pytest.raises(PermissionDenied):
        teammates.invite(org, 'Tim', 'Mate', 'tim@acme.test', Role.TEAM_MEMBER, by=User.get_by_id(founder.id))

    # Step 2: the admins are emailed; an admin approves from the Organizations menu
    notice = await mailbox.wait_for(ADMIN_ADDRESS, 'New organization to approve: Acme Corp')
    assert 'founder@acme.test' in notice.body
    await user.open('/logout')
    await opens_as(user, 'admin@provider.test', notice.path('/admin/organizations'))
    user.find(marker='approve-org-Acme Corp').click()
    await user.should_see('Acme Corp approved.')
    approved = await mailbox.wait_for('founder@acme.test', 'is approved')
    assert 'super admin' in approved.body
    founder = User.get_by_id(founder.id)
    assert founder.organisation.name == 'Acme Corp' and founder.role == Role.SUPER_ADMIN
    assert Team.get(Team.organisation == org).is_default

    # Step 3: invite teammates from Dashboard -> Users
    await user.open('/logout')
    await log_in(user, 'founder@acme.test')
    await invite_teammate(user, 'Tim', 'Mate', 'tim@acme.test')
    await user.should_see('Invitation sent to tim@acme.test.')
    invitation = await mailbox.wait_for('tim@acme.test', 'Join Acme Corp')
    assert 'Fiona Founder invited you' in invitation.body and 'Team member' in invitation.body
    await user.open('/logout')
    await user.open(invitation.path('/auth/invite'))
    await user.should_see(marker='invite-organisation')
    user.find(marker='invite-password').type(PASSWORD)
    user.find(marker='invite-confirm').type(PASSWORD)
    user.find(marker='invite-submit').click()
    await until(lambda: User.get(User.email == 'tim@acme.test').status == UserStatus.ACTIVE)
    tim = User.get(User.email == 'tim@acme.test')
    assert tim.organisation_id == org.id and tim.role == Role.TEAM_MEMBER

    # Step 4: the super admin edits names and roles, with immediate effect
    await user.open('/logout')
    await opens_as(user, 'founder@acme.test', '/dashboard/users')
    user.find(marker='edit-tim@acme.test').click()
    user.find(marker='member-first').clear().type('Timothy')
    choose(user, 'member-role', 'Super admin')
    user.find(marker='member-save').click()
    await settle()
    tim = User.get_by_id(tim.id)
    assert tim.first_name == 'Timothy' and tim.role == Role.SUPER_ADMIN

    # Step 5: an app created by one member is visible to every member
    app = App.create(name='Shipping bot', name_key='shipping bot', organisation=org, owner=tim)
    assert visibility.can_see_app(User.get_by_id(founder.id), app.id) == app
    assert [a.id for a in visibility.apps_visible_to(tim)] == [app.id]


async def test_auto_approved_organisation_is_provisioned_at_once(mailbox, user) -> None:
    set_settings(auto_approve_orgs=True)
    founder = a_user('founder@acme.test')
    await log_in(user, 'founder@acme.test')
    await request_org(user, 'Acme Corp')
    await user.should_see(marker='org-provisioned')
    founder = User.get_by_id(founder.id)
    assert founder.organisation.name == 'Acme Corp' and founder.organisation.status == OrgStatus.ACTIVE
    assert founder.role == Role.SUPER_ADMIN
    assert Membership.select().where(Membership.user == founder).get().team.is_default
    await user.open('/dashboard/users')
    await user.should_see(marker='invite-form')
    await user.should_not_see(marker='nav-create-org')


async def test_organisation_registration_can_be_turned_off(user) -> None:
    set_settings(enable_org_registration=False)
    dev = a_user('dev@consumer.test')
    await opens_as(user, 'dev@consumer.test', '/dashboard')
    await user.should_see('Welcome, Dana!')
    await user.should_not_see(marker='nav-create-org')
    await user.open('/organization/new')
    await user.should_see(marker='org-not-available')
    with pytest.raises(DomainError, match='not enabled'):
        organisations.request_organisation('Acme', by=dev)
    assert Organisation.select().count() == 1


@pytest.mark.parametrize('name, message', [
    ('', 'Enter the name of the organization.'),
    ('x' * 101, 'too long'),
    ('ACME', 'exists already'),
    ('  acme  ', 'exists already'),
])
async def test_empty_overlong_and_duplicate_names_are_refused(user, name, message) -> None:
    an_org_with('Acme')
    a_user('dev@consumer.test')
    await log_in(user, 'dev@consumer.test')
    await request_org(user, name)
    await user.should_see(message)
    assert Organisation.select().count() == 2


async def test_admin_rejects_and_the_requester_is_told(mailbox, user) -> None:
    admin = an_admin('admin@provider.test')
    dev = a_user('dev@consumer.test')
    org, _ = organisations.request_organisation('Acme Corp', by=dev)
    organisations.reject(org, by=admin, reason='Please use your company address.')
    rejected = await mailbox.wait_for('dev@consumer.test', 'organization request')
    assert 'not approved' in rejected.body and 'company address' in rejected.body
    with pytest.raises(DomainError, match='already decided'):
        organisations.approve(Organisation.get_by_id(org.id), by=admin)
    assert User.get_by_id(dev.id).organisation.is_default
    organisations.request_organisation('Acme Corp', by=User.get_by_id(dev.id))  # the name is free again


async def test_team_members_see_users_read_only_and_cannot_call_the_actions(user) -> None:
    org = an_org_with('Acme', super_admin='boss@acme.test', members=1)
    member = User.get(User.email == 'member1@acme.test')
    boss = User.get(User.email == 'boss@acme.test')
    await opens_as(user, 'member1@acme.test', '/dashboard/users')
    await user.should_see(marker='member-boss@acme.test')
    await user.should_not_see(marker='invite-form')
    await user.should_not_see(marker='remove-boss@acme.test')
    for action, args in ((teammates.invite, ('Eve', 'Evil', 'eve@acme.test', Role.SUPER_ADMIN)),
                         (teammates.remove, (boss.id,)),
                         (teammates.update, (boss.id, 'Sam', 'Boss', Role.TEAM_MEMBER))):
        with pytest.raises(PermissionDenied):
            action(org, *args, by=member)
    assert User.get_by_id(boss.id).role == Role.SUPER_ADMIN
    assert not User.select().where(User.email == 'eve@acme.test').exists()


async def test_the_last_super_admin_cannot_be_demoted_or_removed(user) -> None:
    org = an_org_with('Acme', super_admin='boss@acme.test', members=1)
    boss = User.get(User.email == 'boss@acme.test')
    with pytest.raises(DomainError, match='last super admin'):
        teammates.update(org, boss.id, 'Sam', 'Boss', Role.TEAM_MEMBER, by=boss)
    with pytest.raises(DomainError, match='last super admin'):
        teammates.remove(org, boss.id, by=boss)
    assert User.get_by_id(boss.id).role == Role.SUPER_ADMIN and User.get_by_id(boss.id).organisation_id == org.id
    admin = a_user('admin@provider.test', admin=True)
    with pytest.raises(DomainError, match='last super admin of Acme and cannot be deactivated'):
        activation.deactivate(boss, by=admin)
    assert User.get_by_id(boss.id).status == UserStatus.ACTIVE
    teammates.update(org, User.get(User.email == 'member1@acme.test').id, 'Member', '1', Role.SUPER_ADMIN, by=boss)
    activation.deactivate(boss, by=admin)  # another super admin is left: allowed
    assert User.get_by_id(boss.id).status == UserStatus.INACTIVE


async def test_a_removed_member_loses_the_organisations_apps_at_once(user) -> None:
    org = an_org_with('Acme', super_admin='boss@acme.test', members=1)
    boss = User.get(User.email == 'boss@acme.test')
    member = User.get(User.email == 'member1@acme.test')
    app = App.create(name='Bot', name_key='bot', organisation=org, owner=boss)
    assert visibility.can_see_app(member, app.id) == app
    await opens_as(user, 'boss@acme.test', '/dashboard/users')
    user.find(marker='remove-member1@acme.test').click()
    user.find(marker='member-remove-confirm').click()
    await user.should_see('member1@acme.test was removed from Acme.')
    member = User.get_by_id(member.id)
    assert member.organisation.is_default and member.status == UserStatus.ACTIVE
    assert visibility.can_see_app(member, app.id) is None


async def test_inviting_an_address_of_another_organisation_is_refused(user) -> None:
    an_org_with('Acme', super_admin='boss@acme.test')
    an_org_with('Globex', super_admin='boss@globex.test')
    await log_in(user, 'boss@acme.test')
    await invite_teammate(user, 'Bo', 'Globex', 'boss@globex.test')
    await user.should_see('already has an account in another organization')
    assert User.get(User.email == 'boss@globex.test').organisation.name == 'Globex'
    assert Token.select().where(Token.purpose == 'invite').count() == 0


async def test_revoked_and_used_invitations_are_worthless(mailbox, user) -> None:
    org = an_org_with('Acme', super_admin='boss@acme.test')
    await log_in(user, 'boss@acme.test')
    await invite_teammate(user, 'Tim', 'Mate', 'tim@acme.test')
    first = await mailbox.wait_for('tim@acme.test', 'Join Acme')
    user.find(marker='revoke-tim@acme.test').click()
    user.find(marker='member-revoke-confirm').click()
    await user.should_see('Invitation of tim@acme.test revoked.')
    assert not User.select().where(User.email == 'tim@acme.test').exists()
    await user.open('/logout')
    await user.open(first.path('/auth/invite'))
    await user.should_see(marker='invite-invalid')

    boss = User.get(User.email == 'boss@acme.test')
    teammates.invite(org, 'Tim', 'Mate', 'tim@acme.test', Role.TEAM_MEMBER, by=boss)
    tim = User.get(User.email == 'tim@acme.test')
    teammates.resend(org, tim.id, by=boss)
    await until(lambda: len(mailbox.to('tim@acme.test', 'Join Acme')) == 3)
    second, third = mailbox.to('tim@acme.test', 'Join Acme')[1:]
    await user.open(second.path('/auth/invite'))  # replaced by the resent one
    await user.should_see(marker='invite-invalid')
    await user.open(third.path('/auth/invite'))
    user.find(marker='invite-password').type(PASSWORD)
    user.find(marker='invite-confirm').type(PASSWORD)
    user.find(marker='invite-submit').click()
    await until(lambda: User.get_by_id(tim.id).status == UserStatus.ACTIVE)
    await user.open('/logout')
    await user.open(third.path('/auth/invite'))
    await user.should_see(marker='invite-invalid')


async def test_two_organisations_never_see_each_others_users_invites_or_apps(user) -> None:
    acme = an_org_with('Acme', super_admin='boss@acme.test', members=1)
    globex = an_org_with('Globex', super_admin='boss@globex.test', members=1)
    acme_boss = User.get(User.email == 'boss@acme.test')
    globex_boss = User.get(User.email == 'boss@globex.test')
    teammates.invite(globex, 'Gina', 'Invited', 'gina@globex.test', Role.TEAM_MEMBER, by=globex_boss)
    globex_app = App.create(name='Globex app', name_key='globex app', organisation=globex, owner=globex_boss)
    gina = User.get(User.email == 'gina@globex.test')
    globex_member = User.get(User.email == 'member1@globex.test')

    await opens_as(user, 'boss@acme.test', '/dashboard/users')
    await user.should_see(marker='member-member1@acme.test')
    for foreign in ('boss@globex.test', 'member1@globex.test', 'gina@globex.test'):
        await user.should_not_see(foreign)
    with pytest.raises(DomainError, match='not found'):
        teammates.members(globex, by=acme_boss)
    for action, args in ((teammates.revoke, (gina.id,)), (teammates.resend, (gina.id,)),
                         (teammates.remove, (globex_member.id,)),
                         (teammates.update, (globex_member.id, 'X', 'Y', Role.SUPER_ADMIN))):
        with pytest.raises(DomainError, match='not found'):
            action(acme, *args, by=acme_boss)  # through their own organisation: the ID is not found there
        with pytest.raises(PermissionDenied):
            action(globex, *args, by=acme_boss)  # through the other organisation: not allowed
    assert visibility.can_see_app(acme_boss, globex_app.id) is None
    assert list(visibility.apps_visible_to(acme_boss)) == []
    assert User.get_by_id(gina.id).status == UserStatus.INVITED
    assert User.get_by_id(globex_member.id).organisation_id == globex.id


async def test_in_the_default_organisation_an_app_is_its_owners_only(user) -> None:
    ada = a_user('ada@consumer.test')
    bob = a_user('bob@consumer.test')
    app = App.create(name='Ada app', name_key='ada app', organisation=ada.organisation, owner=ada)
    assert visibility.can_see_app(ada, app.id) == app
    assert visibility.can_see_app(bob, app.id) is None


async def test_admin_adds_renames_and_deletes_an_organisation(user) -> None:
    await admin_opens(user, '/admin/organizations')
    user.find(marker='orgs-add').click()
    user.find(marker='org-edit-name').type('Initech')
    user.find(marker='org-edit-save').click()
    await user.should_see('Initech saved.')
    initech = Organisation.get(Organisation.name == 'Initech')
    assert initech.status == OrgStatus.ACTIVE and Team.get(Team.organisation == initech).is_default
    a_user('peter@initech.test', organisation=initech, role=Role.SUPER_ADMIN)
    await user.open('/admin/organizations')
    user.find(marker='edit-org-Initech').click()
    user.find(marker='org-edit-name').clear().type('Initrode')
    user.find(marker='org-edit-save').click()
    await settle()
    assert Organisation.get_by_id(initech.id).name == 'Initrode'
    await user.open('/admin/organizations')
    user.find(marker='delete-org-Initrode').click()
    user.find(marker='org-delete-confirm').click()
    await user.should_see('Initrode deleted.')
    peter = User.get(User.email == 'peter@initech.test')
    assert peter.organisation.is_default and peter.role == Role.TEAM_MEMBER
    assert Membership.get(Membership.user == peter).team.is_default
    await user.should_see(marker='edit-org-Default organization')  # its row, without a Delete
    await user.should_not_see(marker='delete-org-Default organization')
    with pytest.raises(DomainError, match='cannot be deleted'):
        organisations.delete_organisation(Organisation.get(Organisation.is_default), by=User.get(
            User.email == 'admin@provider.test'))


async def test_admin_manages_teams(user) -> None:
    an_admin('admin@provider.test')
    org = an_org_with('Acme', super_admin='boss@acme.test')
    boss = User.get(User.email == 'boss@acme.test')
    await opens_as(user, 'admin@provider.test', f'/admin/teams?organisation={org.id}')
    user.find(marker='teams-add').click()
    user.find(marker='team-name').type('Mobile')
    user.find(marker='team-save').click()
    await user.should_see('Team Mobile saved.')
    mobile = Team.get(Team.name == 'Mobile')
    user.find(marker='team-rename-Acme-Default team').click()
    user.find(marker='team-name').clear().type('Core')
    user.find(marker='team-save').click()
    await settle()
    assert Team.get(Team.organisation == org, Team.is_default).name == 'Core'
    core = Team.get(Team.name == 'Core')

    admin = User.get(User.email == 'admin@provider.test')
    organisations.set_teams(boss, [core.id, mobile.id], by=admin)  # a user in several teams
    assert {m.team_id for m in Membership.select().where(Membership.user == boss)} == {core.id, mobile.id}
    other = an_org_with('Globex', super_admin='')
    foreign_team = Team.get(Team.organisation == other)
    with pytest.raises(DomainError, match='own organization'):
        organisations.set_teams(boss, [core.id, foreign_team.id], by=admin)
    with pytest.raises(DomainError, match='at least one team'):
        organisations.set_teams(boss, [], by=admin)
    with pytest.raises(DomainError, match='cannot be deleted'):
        organisations.delete_team(core, by=admin)
    organisations.delete_team(mobile, by=admin)
    assert [m.team_id for m in Membership.select().where(Membership.user == boss)] == [core.id]
    with pytest.raises(PermissionDenied):
        organisations.add_team(org, 'Hackers', by=boss)
