"""003 "Reset Password", "Invite a New User", the admin's user list, and slowing down guessing."""
from __future__ import annotations

from datetime import timedelta

import pytest

from db import clock
from db.models import OutboxMessage, Token, User, UserSession, UserStatus
from tests.utils import PASSWORD, a_user, admin_opens, an_admin, fill, follow, log_in, opens_as, press, settle
from domain.errors import DomainError
from workflows import users

NEW_PASSWORD = 'a brand new secret'


async def ask_for_reset(user, email: str) -> None:
    """On Log in, Forgot Password?, the address typed in and sent."""
    await user.open('/login')
    await follow(user, 'forgot-link')
    await user.should_see(marker='forgot-email')
    user.find(marker='forgot-email').type(email)
    await press(user, 'forgot-submit')


async def test_reset_password_end_to_end(mailbox, user) -> None:
    dev = a_user('dev@consumer.test')
    UserSession.create(token_hash='y' * 64, user=dev)  # signed in on another device
    await ask_for_reset(user, 'Dev@Consumer.test')
    await user.should_see('If an account exists for this address')
    message = await mailbox.wait_for('dev@consumer.test', 'Reset your Portico password')
    link = message.link('/auth/reset/code?token=')
    assert link.startswith('http://portal.test/auth/reset/code?token=')
    await user.open(message.path('/auth/reset/code'))
    user.find(marker='reset-password').type(NEW_PASSWORD)
    user.find(marker='reset-confirm').type(NEW_PASSWORD)
    user.find(marker='reset-submit').click()
    await settle()
    await user.should_see('Your password was reset.')
    await follow(user, 'reset-login-again')
    await user.should_see(marker='login-card')
    assert UserSession.select().where(UserSession.user == dev).count() == 0  # every session ended
    await log_in(user, 'dev@consumer.test', PASSWORD)
    await user.should_see('Wrong email or password.')
    await log_in(user, 'dev@consumer.test', NEW_PASSWORD)
    await settle()
    await user.should_see('Welcome, Dana!')
    # the link works once
    await user.open(message.path('/auth/reset/code'))
    await user.should_see(marker='reset-invalid')


async def test_reset_request_answers_the_same_for_an_unknown_address(mailbox, user) -> None:
    await ask_for_reset(user, 'nobody@consumer.test')
    await user.should_see('If an account exists for this address')
    await settle()
    assert mailbox.messages == [] and OutboxMessage.select().count() == 0


async def test_reset_link_expires_after_an_hour(mailbox, user) -> None:
    a_user('dev@consumer.test')
    await ask_for_reset(user, 'dev@consumer.test')
    message = await mailbox.wait_for('dev@consumer.test', 'Reset')
    clock.advance(timedelta(hours=1, seconds=1))
    await user.open(message.path('/auth/reset/code'))
    await user.should_see(marker='reset-invalid')
    await user.open(message.path('/auth/reset/code').replace('token=', 'token=x'))
    await user.should_see(marker='reset-invalid')


async def test_reset_with_a_weak_password_changes_nothing(mailbox, user) -> None:
    dev = a_user('dev@consumer.test')
    await ask_for_reset(user, 'dev@consumer.test')
    message = await mailbox.wait_for('dev@consumer.test', 'Reset')
    await user.open(message.path('/auth/reset/code'))
    user.find(marker='reset-password').type('short')
    user.find(marker='reset-confirm').type('short')
    user.find(marker='reset-submit').click()
    await user.should_see('at least 10 characters')
    assert User.get_by_id(dev.id).password_hash == dev.password_hash
    assert Token.get(Token.purpose == 'reset').used_at is None


async def test_repeated_reset_requests_are_slowed_down(mailbox, user) -> None:
    a_user('dev@consumer.test')
    for _ in range(3):
        await ask_for_reset(user, 'dev@consumer.test')
        await user.should_see('If an account exists')
    await ask_for_reset(user, 'dev@consumer.test')
    await user.should_see('Too many reset requests')
    assert OutboxMessage.select().where(OutboxMessage.template_key == 'reset').count() == 3


async def test_repeated_failed_logins_are_slowed_down(user) -> None:
    a_user('dev@consumer.test')
    for _ in range(5):
        await log_in(user, 'dev@consumer.test', 'wrong password!')
        await user.should_see('Wrong email or password.')
    await log_in(user, 'dev@consumer.test', PASSWORD)  # even the right password waits now
    await user.should_see('Too many failed sign-in attempts')
    assert UserSession.select().count() == 0
    clock.advance(timedelta(minutes=16))
    await log_in(user, 'dev@consumer.test', PASSWORD)
    await settle()
    await user.should_see('Welcome, Dana!')


async def open_add_user(user) -> None:
    """A portal admin (Ada) opens Admin -> Users, Add new user, and fills in Ivy Invited's name and address."""
    await admin_opens(user, '/admin/users')
    user.find(marker='users-add').click()
    fill(user, {'new-first': 'Ivy', 'new-last': 'Invited', 'new-email': 'ivy@consumer.test'})


async def test_admin_adds_a_user_with_a_password_who_must_change_it(user) -> None:
    await open_add_user(user)
    user.find(marker='new-password').type('temporary password')
    user.find(marker='new-must-change').click()
    user.find(marker='new-save').click()
    await settle()
    await user.should_see('ivy@consumer.test added.')
    ivy = User.get(User.email == 'ivy@consumer.test')
    assert ivy.status == UserStatus.ACTIVE and ivy.must_change_password

    await user.open('/logout')
    await log_in(user, 'ivy@consumer.test', 'temporary password')
    await settle()
    await user.should_see(marker='must-change-notice')
    await user.open('/dashboard')  # nothing else is reachable until the password is changed
    await user.should_see(marker='must-change-notice')
    fill(user, {'pw-current': 'temporary password', 'pw-new': NEW_PASSWORD, 'pw-confirm': NEW_PASSWORD})
    await press(user, 'pw-submit')
    await user.open('/dashboard')
    await user.should_see('Welcome, Ivy!')
    assert not User.get_by_id(ivy.id).must_change_password


async def test_admin_sends_an_invite_and_the_user_chooses_a_password(mailbox, user) -> None:
    await open_add_user(user)
    user.find(marker='new-save').click()
    await settle()
    assert User.get(User.email == 'ivy@consumer.test').status == UserStatus.INVITED
    user.find(marker='more-ivy@consumer.test').click()
    user.find(marker='invite-ivy@consumer.test').click()
    await user.should_see('Invitation sent to ivy@consumer.test.')
    invite = await mailbox.wait_for('ivy@consumer.test', 'invited')
    assert 'Ada Admin invited you' in invite.body

    await user.open('/logout')
    await user.open(invite.path('/auth/invite'))
    await user.should_see('ivy@consumer.test')
    fill(user, {'invite-password': NEW_PASSWORD, 'invite-confirm': NEW_PASSWORD})
    await press(user, 'invite-submit')
    await user.open('/dashboard')
    await user.should_see('Welcome, Ivy!')
    assert User.get(User.email == 'ivy@consumer.test').status == UserStatus.ACTIVE
    await user.open('/logout')
    await user.open(invite.path('/auth/invite'))  # used
    await user.should_see(marker='invite-invalid')


async def test_password_and_invite_at_once_is_refused(user) -> None:
    await open_add_user(user)
    user.find(marker='new-password').type('temporary password')
    user.find(marker='new-send-invite').click()
    user.find(marker='new-save').click()
    await user.should_see('Either set a password or send an invite, not both.')
    assert not User.select().where(User.email == 'ivy@consumer.test').exists()


async def test_an_invite_for_a_user_with_a_password_is_refused(user) -> None:
    admin = an_admin('admin@provider.test')
    ivy = users.create_user('Ivy', 'Invited', 'ivy@consumer.test', None, by=admin,
                            password='a temporary passphrase')
    with pytest.raises(DomainError, match='has a password already'):
        users.send_invite(ivy, by=admin)
    assert OutboxMessage.select().count() == 0


async def test_admin_deactivates_and_activates_a_developer(user) -> None:
    an_admin('admin@provider.test')
    dev = a_user('dev@consumer.test')
    UserSession.create(token_hash='z' * 64, user=dev)
    await opens_as(user, 'admin@provider.test', '/admin/users')
    user.find(marker='deactivate-dev@consumer.test').click()
    await user.should_see('dev@consumer.test deactivated.')
    assert User.get_by_id(dev.id).status == UserStatus.INACTIVE
    assert UserSession.select().where(UserSession.user == dev).count() == 0
    await user.should_see(marker='activate-dev@consumer.test')  # the table reads again in a worker thread
    user.find(marker='activate-dev@consumer.test').click()
    await user.should_see('dev@consumer.test activated.')
    assert User.get_by_id(dev.id).status == UserStatus.ACTIVE


async def test_user_list_searches_filters_and_pages(user) -> None:
    an_admin('admin@provider.test')
    for number in range(45):
        a_user(f'dev{number:02d}@consumer.test', first=f'Dev{number:02d}')
    a_user('waiting@consumer.test', status=UserStatus.PENDING_APPROVAL)
    await opens_as(user, 'admin@provider.test', '/admin/users')
    await user.should_see('1–20 of 47')
    user.find(marker='users-search').type('dev07')
    await settle()
    await user.should_see('1–1 of 1')
    await user.should_see('dev07@consumer.test')
    await user.open('/admin/users?status=pending_approval')
    await user.should_see('waiting@consumer.test')
    await user.should_not_see('dev07@consumer.test')
    await user.open('/admin')
    await user.should_see(marker='badge-users')


async def test_profile_name_change(user) -> None:
    dev = a_user('dev@consumer.test')
    await opens_as(user, 'dev@consumer.test', '/profile')
    user.find(marker='profile-first').clear().type('Danielle')
    user.find(marker='profile-save').click()
    await user.should_see('Your name was saved.')
    assert User.get_by_id(dev.id).first_name == 'Danielle'
    user.find(marker='profile-first').clear()
    user.find(marker='profile-save').click()
    await user.should_see('Enter the first name.')
    assert User.get_by_id(dev.id).first_name == 'Danielle'
