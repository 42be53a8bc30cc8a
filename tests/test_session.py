"""Sign-in, sign-out, guards by role, and changes that take effect at once (foundation issue)."""
from __future__ import annotations

from db.models import Role, User, UserSession, UserStatus
from tests.utils import PASSWORD, a_user, admin_opens, an_admin, an_org_with, log_in, opens_as, settle


async def test_developer_logs_in_and_sees_the_dashboard(user) -> None:
    a_user('dev@consumer.test', first='Dana')
    await log_in(user, 'dev@consumer.test')
    await user.should_see('Welcome, Dana!')
    await user.should_see(marker='nav-dashboard')
    await user.should_not_see(marker='nav-admin')
    assert UserSession.select().join(User).where(User.email == 'dev@consumer.test').count() == 1


async def test_wrong_password_and_unknown_email_get_the_same_message(user) -> None:
    a_user('dev@consumer.test')
    await log_in(user, 'dev@consumer.test', 'not the password')
    await user.should_see('Wrong email or password.')
    await log_in(user, 'nobody@consumer.test', PASSWORD)
    await user.should_see('Wrong email or password.')
    assert UserSession.select().count() == 0


async def test_empty_fields_and_overlong_values_get_a_clear_message(user) -> None:
    await user.open('/login')
    user.find(marker='login-submit').click()
    await user.should_see('Enter your email and password.')
    await log_in(user, 'x' * 5000 + '@example.com', 'y' * 5000)
    await user.should_see('Wrong email or password.')
    await log_in(user, 'dev@consumer.test\udcff', PASSWORD)
    await user.should_see('Wrong email or password.')
    assert UserSession.select().count() == 0


async def test_inactive_and_pending_accounts_cannot_log_in(user) -> None:
    a_user('off@consumer.test', status=UserStatus.INACTIVE)
    a_user('wait@consumer.test', status=UserStatus.PENDING_APPROVAL)
    await log_in(user, 'off@consumer.test')
    await user.should_see('This account is deactivated.')
    await log_in(user, 'wait@consumer.test')
    await user.should_see('waiting for an administrator to approve')
    assert UserSession.select().count() == 0


async def test_visitor_is_sent_to_log_in_and_back(user) -> None:
    a_user('dev@consumer.test')
    await user.open('/dashboard')
    await user.should_see(marker='login-card')
    user.find(marker='login-email').type('dev@consumer.test')
    user.find(marker='login-password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await settle()
    await user.should_see(marker='dashboard-welcome')


async def test_admin_area_is_for_portal_admins_only(user) -> None:
    a_user('dev@consumer.test')
    response = await user.http_client.get('/admin', follow_redirects=False)
    assert response.status_code == 303 and response.headers['location'].startswith('/login')
    await log_in(user, 'dev@consumer.test')
    await settle()
    response = await user.http_client.get('/admin', follow_redirects=True)
    assert response.status_code == 403
    assert 'You do not have access to this page.' in response.text
    assert 'Registrations to approve' not in response.text


async def test_admin_sees_the_admin_area(user) -> None:
    an_admin('admin@provider.test')
    await log_in(user, 'admin@provider.test')
    await settle()
    await user.should_see(marker='nav-admin')
    await user.open('/admin')
    await user.should_see('Registrations to approve')
    await user.should_see(marker='admin-nav-outbox')


async def test_deactivation_takes_effect_at_once(user) -> None:
    dev = a_user('dev@consumer.test')
    await opens_as(user, 'dev@consumer.test', '/profile')
    User.update(status=UserStatus.INACTIVE).where(User.id == dev.id).execute()
    # an action in the open tab is refused: the user is read again and no longer active
    user.find(marker='profile-first').clear().type('Mallory')
    user.find(marker='profile-save').click()
    await settle()
    assert User.get_by_id(dev.id).first_name == 'Dana'
    # and the next page load goes to Log in
    response = await user.http_client.get('/dashboard', follow_redirects=False)
    assert response.status_code == 303 and response.headers['location'].startswith('/login')


async def test_losing_the_admin_role_takes_effect_at_once(user) -> None:
    admin = await admin_opens(user, '/admin')
    User.update(is_portal_admin=False).where(User.id == admin.id).execute()
    response = await user.http_client.get('/admin', follow_redirects=True)
    assert response.status_code == 403


async def test_super_admin_role_is_read_from_the_database(user) -> None:
    an_org_with('Acme', super_admin='boss@acme.test')
    await opens_as(user, 'boss@acme.test', '/dashboard')
    await user.should_see('Super admin')
    await user.should_see(marker='nav-dashboard/requests')
    User.update(role=Role.TEAM_MEMBER).where(User.email == 'boss@acme.test').execute()
    await user.open('/dashboard')
    await user.should_see('Team member')
    await user.should_not_see(marker='nav-dashboard/requests')  # the super admin's Approvals are gone too


async def test_log_out_ends_the_session(user) -> None:
    a_user('dev@consumer.test')
    await opens_as(user, 'dev@consumer.test', '/logout')
    await user.should_see(marker='login-card')
    assert UserSession.select().count() == 0
