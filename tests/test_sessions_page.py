"""Profile -> Sessions (issue 24): where you are signed in and how, signing out one session, the others, or all;
a crafted session id of someone else changes nothing; a browser left open on a session signed out elsewhere is
out at its next step."""
from __future__ import annotations

import pytest

from db.models import AuditEvent, User, UserSession
from tests.utils import a_user, log_in, settle
from workflows import sessions

FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:135.0) Gecko/20100101 Firefox/135.0'
IPHONE = ('Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) '
          'Version/18.1 Mobile/15E148 Safari/604.1')


def test_devices_and_methods_read_as_words() -> None:
    assert sessions.device_of(FIREFOX) == 'Firefox on Windows'
    assert sessions.device_of(IPHONE) == 'Safari on iPhone'
    assert sessions.device_of('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) '
                              'HeadlessChrome/156.0.0.0 Safari/537.36') == 'Chrome (headless) on Linux'
    assert sessions.device_of('') == 'Unknown device'
    assert sessions.method_label('password') == 'Password'
    assert sessions.method_label('password+totp') == 'Password and authenticator app'
    assert sessions.method_label('passkey') == 'Passkey'
    assert sessions.method_label('provider:Acme SSO') == 'Acme SSO (single sign-on)'


async def test_the_sessions_page_lists_where_you_are_and_signs_one_out(user) -> None:
    dana = a_user('dev@consumer.test')
    firefox = sessions.open_for(dana, 'passkey', user_agent=FIREFOX, ip='203.0.113.9')
    phone = sessions.open_for(dana, 'provider:Acme SSO', user_agent=IPHONE, ip='198.51.100.4')
    other = a_user('other@consumer.test')
    theirs = sessions.open_for(other, 'password', user_agent=FIREFOX)
    await log_in(user, 'dev@consumer.test')
    here = UserSession.select().where((UserSession.user == dana) & (UserSession.method == 'password')).get()
    assert here.method == 'password' and here.user_agent  # the browser's own header, read at sign-in

    await user.open('/profile')
    user.find(marker='profile-sessions').click()
    await user.open('/profile/sessions')
    await user.should_see('This browser')
    await user.should_see('Firefox on Windows')
    await user.should_see('Passkey · signed in')
    await user.should_see('from 203.0.113.9')
    await user.should_see('Safari on iPhone')
    await user.should_see('Acme SSO (single sign-on)')
    await user.should_not_see('other@consumer.test')
    firefox_row = UserSession.get(UserSession.user_agent == FIREFOX, UserSession.user == dana)
    user.find(marker=f'session-end-{firefox_row.id}').click()
    await user.should_see('Sign out this session?')
    user.find(marker='end-session-confirm').click()
    await settle()
    await user.should_see('Signed out: Firefox on Windows.')
    await user.should_see('Safari on iPhone')
    await user.should_not_see(marker=f'session-{firefox_row.id}')
    assert sessions.user_for(firefox) is None  # that browser is out at its next request
    assert sessions.user_for(phone).id == dana.id and sessions.user_for(theirs).id == other.id
    assert AuditEvent.select().where(AuditEvent.action == 'user.sign_out').count() == 1


def test_a_crafted_session_id_of_someone_else_changes_nothing(db) -> None:
    dana, other = a_user('dev@consumer.test'), a_user('other@consumer.test')
    theirs = sessions.open_for(other, 'password')
    row = UserSession.get(UserSession.user == other)
    assert sessions.end_one(dana, row.id) is False
    assert sessions.end_one(dana, -1) is False
    assert sessions.user_for(theirs).id == other.id
    assert not AuditEvent.select().where(AuditEvent.action == 'user.sign_out').exists()


async def test_sign_out_everywhere_else_keeps_this_browser(user) -> None:
    dana = a_user('dev@consumer.test')
    away = [sessions.open_for(dana, 'password', user_agent=FIREFOX) for _ in range(3)]
    await log_in(user, 'dev@consumer.test')
    await user.open('/profile/sessions')
    await user.should_see('Firefox on Windows')
    user.find(marker='sessions-end-others').click()
    await user.should_see('Sign out everywhere else?')
    user.find(marker='end-others-confirm').click()
    await settle()
    await user.should_see('3 other session(s) signed out. You stay signed in here.')
    await user.should_see('You are signed in in this browser only.')
    assert all(sessions.user_for(token) is None for token in away)
    assert UserSession.select().where(UserSession.user == dana).count() == 1
    await user.open('/dashboard')
    await user.should_see('Welcome, Dana!')


async def test_sign_out_everywhere_ends_this_browser_too(user) -> None:
    dana = a_user('dev@consumer.test')
    sessions.open_for(dana, 'password', user_agent=FIREFOX)
    await log_in(user, 'dev@consumer.test')
    await user.open('/profile/sessions')
    await user.should_see('This browser')
    user.find(marker='sessions-end-all').click()
    await user.should_see('Every session ends, this one too')
    user.find(marker='end-all-confirm').click()
    await settle()
    await user.should_see(marker='login-card')
    await user.should_see('Signed out everywhere (2 session(s)).')
    assert UserSession.select().where(UserSession.user == dana).count() == 0
    await user.open('/profile/sessions')
    await user.should_see(marker='login-card')  # no way back in without signing in again


async def test_an_open_sessions_tab_signed_out_elsewhere_leaves_at_its_next_step(user) -> None:
    dana = a_user('dev@consumer.test')
    elsewhere = sessions.open_for(dana, 'password', user_agent=FIREFOX)
    await log_in(user, 'dev@consumer.test')
    await user.open('/profile/sessions')
    await user.should_see('Firefox on Windows')
    sessions.end_others(dana, elsewhere)  # Dana, on her other device, signs out everywhere else
    firefox_row = UserSession.get(UserSession.user == dana)
    user.find(marker=f'session-end-{firefox_row.id}').click()
    await settle()
    await user.should_see(marker='login-card')
    assert sessions.user_for(elsewhere).id == dana.id  # the click in the stale tab did not sign the other out


@pytest.mark.browser
def test_a_developer_signs_out_a_forgotten_device_in_the_browser(screen, browser) -> None:
    b = browser
    screen.open('/login')
    dana = a_user('dev@consumer.test', first='Dana')
    forgotten = sessions.open_for(dana, 'password', user_agent=FIREFOX, ip='203.0.113.9')
    b.log_in('dev@consumer.test', lands_on='/dashboard')
    screen.open('/profile')
    b.click('See your sessions')
    b.at('/profile/sessions')
    b.sees('Chrome (headless) on Linux')  # this browser, as it told the portal at sign-in
    b.sees('This browser')
    row = b.row('Firefox on Windows')
    b.sees('from 203.0.113.9', within=row)
    b.confirm('Sign out', within=row, asks='Sign out this session?')
    b.notified('Signed out: Firefox on Windows.')
    b.sees('You are signed in in this browser only.')
    b.does_not_see('Firefox on Windows')
    assert sessions.user_for(forgotten) is None
    assert User.get(User.email == 'dev@consumer.test').sessions.count() == 1

    phone = sessions.open_for(dana, 'passkey', user_agent=IPHONE)  # later: a phone, and then everywhere else
    screen.open('/profile/sessions')
    b.sees('Safari on iPhone')
    b.click('Sign out everywhere else')
    b.sees('Every other device and browser is signed out at once', within=b.open_dialog())
    b.click('Sign out others', within=b.open_dialog())
    b.notified('1 other session(s) signed out. You stay signed in here.')
    b.sees('You are signed in in this browser only.')
    assert sessions.user_for(phone) is None and dana.sessions.count() == 1
