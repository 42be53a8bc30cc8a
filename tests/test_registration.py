"""000 "API consumer user registration workflow", cases 1-4, and 003 "Self Registration/Signup",
driven through the UI with the real emails of a loopback SMTP server."""
from __future__ import annotations

from datetime import timedelta

import pytest

from db import clock
from db.models import OutboxMessage, Token, User, UserSession, UserStatus
from tests.utils import PASSWORD, a_user, an_admin, an_org_with, choose, fresh, log_in, opens_as, set_settings, settle
from domain.errors import DomainError, PermissionDenied
from workflows import activation, registration, tokens

ADMIN_ADDRESS = 'api-admin@provider.test'  # PORTICO_ADMIN_EMAIL in tests/conftest.py



async def register(user, email='new@consumer.test', *, first='Nora', last='Newman', password=PASSWORD,
                   confirm=None, organisation=None) -> None:
    await user.open('/register')
    user.find(marker='register-first').type(first)
    user.find(marker='register-last').type(last)
    user.find(marker='register-email').type(email)
    user.find(marker='register-password').type(password)
    user.find(marker='register-confirm').type(password if confirm is None else confirm)
    if organisation is not None:
        choose(user, 'register-organisation', organisation)
    user.find(marker='register-submit').click()
    await settle()


async def follow_verification(user, mailbox, email='new@consumer.test') -> None:
    message = await mailbox.wait_for(email, 'Confirm your email address')
    await user.open(message.path('/auth/verify'))
    user.find(marker='verify-confirm').click()
    await settle()


async def test_case_1_auto_approval_activates_after_verification(mailbox, user) -> None:
    set_settings(auto_approve_users=True, delegate_user_management=True)
    await register(user)
    await user.should_see(marker='outcome-verify_email')
    assert User.get(User.email == 'new@consumer.test').status == UserStatus.PENDING_VERIFICATION
    await log_in(user, 'new@consumer.test')
    await user.should_see('Please confirm your email address first')
    await follow_verification(user, mailbox)
    # active now: signed in as on Log in, and sent on to the Catalogs (issue 13, time to first call)
    await user.should_see('Catalogs', retries=30)
    registrant = User.get(User.email == 'new@consumer.test')
    assert registrant.status == UserStatus.ACTIVE and registrant.last_login_at is not None
    assert UserSession.select().where(UserSession.user == registrant).count() == 1
    await mailbox.wait_for('new@consumer.test', 'account is ready')
    await user.open('/dashboard')
    await user.should_see('Welcome, Nora!')


async def test_case_2_auto_approval_without_delegation_behaves_the_same(mailbox, user) -> None:
    set_settings(auto_approve_users=True, delegate_user_management=False)
    await register(user)
    await follow_verification(user, mailbox)
    await user.open('/dashboard')
    await user.should_see('Welcome, Nora!')
    await mailbox.wait_for('new@consumer.test', 'account is ready')
    assert not mailbox.to(ADMIN_ADDRESS)


async def test_case_3_no_auto_approval_notifies_api_admin(mailbox, user) -> None:
    an_admin('admin@provider.test')
    await register(user)
    await follow_verification(user, mailbox)
    await user.should_see('An administrator must approve your registration')
    await mailbox.wait_for('new@consumer.test', 'waiting for approval')
    notice = await mailbox.wait_for(ADMIN_ADDRESS, 'New registration to approve')
    assert 'Nora Newman <new@consumer.test>' in notice.body
    assert User.get(User.email == 'new@consumer.test').status == UserStatus.PENDING_APPROVAL

    await opens_as(user, 'admin@provider.test', notice.path('/admin/users'))
    await user.should_see(marker='badge-users')
    user.find(marker='approve-new@consumer.test').click()
    await user.should_see('new@consumer.test approved.')
    registrant = User.get(User.email == 'new@consumer.test')
    assert registrant.status == UserStatus.ACTIVE and registrant.decided_by.email == 'admin@provider.test'
    await mailbox.wait_for('new@consumer.test', 'account is ready')

    await user.open('/logout')
    await log_in(user, 'new@consumer.test')
    await settle()
    await user.should_see('Welcome, Nora!')


async def test_case_4_delegated_notice_goes_to_the_organisation_and_its_admin_approves(mailbox, user) -> None:
    set_settings(delegate_user_management=True)
    an_org_with('Acme', super_admin='boss@acme.test', contact_email='contact@acme.test')
    an_org_with('Globex', super_admin='boss@globex.test', contact_email='contact@globex.test')
    await register(user, organisation='Acme')
    await follow_verification(user, mailbox)
    await user.should_see(marker='outcome-pending_approval')
    notice = await mailbox.wait_for('contact@acme.test', 'New registration to approve')
    assert 'to join Acme' in notice.body and '/dashboard/users' in notice.body
    assert not mailbox.to(ADMIN_ADDRESS) and not mailbox.to('contact@globex.test')
    registrant = User.get(User.email == 'new@consumer.test')
    assert registrant.organisation.name == 'Acme'

    # the super admin of another organisation neither sees nor may decide it
    await opens_as(user, 'boss@globex.test', '/dashboard/users')
    await user.should_see('Members of Globex')
    await user.should_not_see('new@consumer.test')
    globex_boss = User.get(User.email == 'boss@globex.test')
    with pytest.raises(DomainError, match='not found'):
        registration.find_registrant(registrant.id, by=globex_boss)
    with pytest.raises(PermissionDenied):
        registration.approve(registrant, by=globex_boss)
    assert User.get_by_id(registrant.id).status == UserStatus.PENDING_APPROVAL

    await user.open('/logout')
    await opens_as(user, 'boss@acme.test', '/dashboard/users')
    user.find(marker='approve-new@consumer.test').click()
    await settle()
    assert User.get_by_id(registrant.id).status == UserStatus.ACTIVE
    await mailbox.wait_for('new@consumer.test', 'account is ready')


async def test_without_delegation_an_organisation_cannot_be_chosen(user) -> None:
    an_org_with('Acme')
    await user.open('/register')
    await user.should_see(marker='register-email')
    await user.should_not_see(marker='register-organisation')
    with pytest.raises(DomainError, match='not enabled'):
        registration.register('Nora', 'Newman', 'new@consumer.test', PASSWORD, organisation_id=2)
    assert not User.select().where(User.email == 'new@consumer.test').exists()


async def test_reject_sends_the_rejection_email_and_the_address_can_register_again(mailbox, user) -> None:
    an_admin('admin@provider.test')
    await register(user)
    await follow_verification(user, mailbox)
    await opens_as(user, 'admin@provider.test', '/admin/users?status=pending_approval')
    user.find(marker='reject-new@consumer.test').click()
    user.find(marker='reject-reason').type('We only accept company addresses.')
    user.find(marker='reject-confirm').click()
    await settle()
    assert User.get(User.email == 'new@consumer.test').status == UserStatus.REJECTED
    rejection = await mailbox.wait_for('new@consumer.test', 'registration', text='not approved')
    assert 'not approved' in rejection.body and 'company addresses' in rejection.body

    await user.open('/logout')
    await log_in(user, 'new@consumer.test')
    await user.should_see('This registration was not approved.')
    await register(user)
    await user.should_see(marker='outcome-verify_email')
    assert User.get(User.email == 'new@consumer.test').status == UserStatus.PENDING_VERIFICATION


async def test_verification_can_be_turned_off_for_closed_portals(user) -> None:
    set_settings(require_email_verification=False, auto_approve_users=True)
    await register(user)
    await user.should_see('You can log in straight away.')
    assert User.get(User.email == 'new@consumer.test').status == UserStatus.ACTIVE
    assert not OutboxMessage.select().where(OutboxMessage.template_key == 'verify').exists()


async def test_duplicate_email_creates_nothing_and_tells_the_owner_not_the_visitor(mailbox, user) -> None:
    """Case-insensitively, also against a pending registration; the visitor gets the answer a new address
    gets (no enumeration of accounts), the owner an email about the attempt with the way to reset."""
    a_user('taken@consumer.test', first='Tess')
    await register(user, 'TAKEN@consumer.test')
    await user.should_see(marker='outcome-verify_email')
    await user.should_not_see('exists already')
    notice = await mailbox.wait_for('taken@consumer.test', 'tried to register')
    assert notice.path('/auth/forgot') == '/auth/forgot'
    await register(user, 'new@consumer.test')
    await register(user, 'New@Consumer.test')
    await user.should_see(marker='outcome-verify_email')
    await mailbox.wait_for('new@consumer.test', 'tried to register')
    assert User.select().where(User.email.in_(['taken@consumer.test', 'new@consumer.test'])).count() == 2
    assert fresh(User.get(User.email == 'taken@consumer.test')).first_name == 'Tess'


async def test_an_address_whose_verification_link_expired_can_register_again(user) -> None:
    await register(user)
    clock.advance(tokens.LIFETIMES[tokens.VERIFY] + timedelta(minutes=1))
    await register(user, first='Second')
    await user.should_see(marker='outcome-verify_email')
    assert User.get(User.email == 'new@consumer.test').first_name == 'Second'


@pytest.mark.parametrize('password, confirm, message', [
    ('short', 'short', 'at least 10 characters'),
    ('aaaaaaaaaaaa', 'aaaaaaaaaaaa', 'too easy to guess'),
    (PASSWORD, 'something else entirely', 'The passwords do not match.'),
])
async def test_weak_or_mismatched_passwords_are_refused(user, password, confirm, message) -> None:
    await register(user, password=password, confirm=confirm)
    await user.should_see(message)
    assert User.select().where(User.email == 'new@consumer.test').count() == 0


async def test_empty_and_overlong_fields_are_refused(user) -> None:
    await register(user, first='')
    await user.should_see('Enter the first name.')
    await register(user, last='x' * 101)
    await user.should_see('The last name is too long')
    await register(user, email='not-an-address')
    await user.should_see('Enter a valid email address.')
    assert User.select().where(User.email != 'x').count() == 0


async def test_expired_reused_and_tampered_verification_links_are_refused(mailbox, user) -> None:
    await register(user)
    message = await mailbox.wait_for('new@consumer.test', 'Confirm your email address')
    path = message.path('/auth/verify')
    await user.open(path + 'tampered')
    await user.should_see(marker='verify-invalid')
    await user.open(path)
    user.find(marker='verify-confirm').click()
    await user.should_see(marker='outcome-pending_approval')
    await user.open(path)
    await user.should_see(marker='verify-invalid')

    await register(user, 'late@consumer.test')
    late = await mailbox.wait_for('late@consumer.test', 'Confirm your email address')
    clock.advance(timedelta(days=3))
    await user.open(late.path('/auth/verify'))
    await user.should_see(marker='verify-invalid')
    assert User.get(User.email == 'late@consumer.test').status == UserStatus.PENDING_VERIFICATION


async def test_approving_twice_the_second_gets_already_decided(user) -> None:
    admin = an_admin('admin@provider.test')
    other = an_admin('other@provider.test')
    registrant = a_user('new@consumer.test', status=UserStatus.PENDING_APPROVAL)
    registration.approve(registrant, by=admin)
    with pytest.raises(DomainError, match='already decided'):
        registration.reject(User.get_by_id(registrant.id), by=other)
    assert User.get_by_id(registrant.id).status == UserStatus.ACTIVE
    assert OutboxMessage.select().where(OutboxMessage.template_key == 'rejected').count() == 0


async def test_a_developer_cannot_call_admin_actions(user) -> None:
    developer = a_user('dev@consumer.test')
    registrant = a_user('new@consumer.test', status=UserStatus.PENDING_APPROVAL)
    for action in (registration.approve, registration.reject, activation.deactivate):
        with pytest.raises(PermissionDenied):
            action(registrant, by=developer)
    assert User.get_by_id(registrant.id).status == UserStatus.PENDING_APPROVAL
    await log_in(user, 'dev@consumer.test')
    await settle()
    response = await user.http_client.get('/admin/users', follow_redirects=True)
    assert response.status_code == 403 and 'Access denied' in response.text
    assert 'new@consumer.test' not in response.text


async def nobody_is_signed_in(user) -> None:
    """No session and no sign-in ticket exist, and the dashboard sends this browser to Log in."""
    assert not UserSession.select().exists()
    assert not Token.select().where(Token.purpose == tokens.SIGN_IN).exists()
    await user.open('/dashboard')
    await user.should_see(marker='login-card')


async def test_verification_signs_in_only_an_account_that_is_active_afterwards(mailbox, user) -> None:
    """Issue 13: with approval required, confirming the address signs nobody in (no session, no ticket)."""
    set_settings(auto_approve_users=False)
    await register(user)
    await follow_verification(user, mailbox)
    await user.should_see(marker='outcome-pending_approval')
    registrant = User.get(User.email == 'new@consumer.test')
    assert registrant.status == UserStatus.PENDING_APPROVAL and registrant.last_login_at is None
    await nobody_is_signed_in(user)


async def test_a_verification_confirmed_twice_at_once_signs_in_once(mailbox, user) -> None:
    """The link's token is consumed in the transaction that issues the sign-in ticket: of two parallel
    confirmations one gets a ticket, the other is told the link was used."""
    import asyncio
    from nicegui import run
    set_settings(auto_approve_users=True)
    await run.io_bound(registration.register, 'Nora', 'Newman', 'new@consumer.test', PASSWORD, PASSWORD,
                       browser_proof='the registering browser')
    message = await mailbox.wait_for('new@consumer.test', 'Confirm your email address')
    raw = message.link('/auth/verify').split('token=')[1]

    def attempt():
        try:
            return registration.verify_email_and_sign_in(raw, 'the registering browser')[2]
        except DomainError as error:
            return error
    answers = await asyncio.gather(*(run.io_bound(attempt) for _ in range(4)))
    tickets = [a for a in answers if isinstance(a, str)]
    assert len(tickets) == 1 and all(isinstance(a, DomainError) for a in answers if a not in tickets)
    assert Token.select().where(Token.purpose == tokens.SIGN_IN).count() == 1
    assert User.get(User.email == 'new@consumer.test').status == UserStatus.ACTIVE


async def test_the_link_opened_in_another_browser_confirms_the_address_but_signs_nobody_in(mailbox, user) -> None:
    """Attacks: someone registers an address that is not theirs with a password they chose, or sends the link
    of their own account to a victim. Whoever opens the link in another browser confirms the address (shown
    on the page) and is sent to Log in: never signed into an account whose password they did not choose."""
    set_settings(auto_approve_users=True)
    await register(user)
    message = await mailbox.wait_for('new@consumer.test', 'Confirm your email address')
    user.http_client.cookies.clear()  # another browser: a new storage id, without the registering one's proof
    await user.open(message.path('/auth/verify'))
    await user.should_see(marker='verify-address')
    await user.should_see('new@consumer.test')
    user.find(marker='verify-confirm').click()
    await user.should_see(marker='outcome-active', retries=30)
    registrant = User.get(User.email == 'new@consumer.test')
    assert registrant.status == UserStatus.ACTIVE and registrant.last_login_at is None
    await nobody_is_signed_in(user)
    # and a forged proof gets no ticket either
    with pytest.raises(tokens.InvalidToken):
        registration.verify_email_and_sign_in(message.link('/auth/verify').split('token=')[1], '')


async def test_a_browser_signed_in_as_someone_else_stays_so_after_confirming(mailbox, user) -> None:
    set_settings(auto_approve_users=True)
    a_user('other@consumer.test', first='Otto')
    await register(user)
    message = await mailbox.wait_for('new@consumer.test', 'Confirm your email address')
    await opens_as(user, 'other@consumer.test', message.path('/auth/verify'))
    user.find(marker='verify-confirm').click()
    await user.should_see(marker='outcome-active')
    assert User.get(User.email == 'new@consumer.test').status == UserStatus.ACTIVE
    assert not UserSession.select().join(User).where(User.email == 'new@consumer.test').exists()
    await user.open('/dashboard')
    await user.should_see('Welcome, Otto!')
