"""Passkeys and the required second factor in a real browser (issue 24), with Chromium's virtual authenticator
(Chrome DevTools Protocol: WebAuthn.addVirtualAuthenticator) standing in for a phone or a security key.

The portal is opened at http://localhost:<port>, and its base URL says so: the RP id is the base URL's host
('localhost'; an IP address cannot be one), and WebAuthn needs a secure context, which localhost is."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from db import clock, settings as stored_settings
from db.connection import database
from db.models import Passkey, RecoveryCode, UserSession
from tests.utils import a_user, an_admin
from workflows import second_factor, settings

pytestmark = pytest.mark.browser


@pytest.fixture
def authenticator(screen):
    """A platform authenticator with resident keys and user verification, which says yes by itself."""
    screen.open('/login')
    with database.atomic():
        stored_settings.put('base_url', screen.url)  # the portal's public address is where the browser is
    driver = screen.selenium
    driver.execute_cdp_cmd('WebAuthn.enable', {})
    made = driver.execute_cdp_cmd('WebAuthn.addVirtualAuthenticator', {'options': {
        'protocol': 'ctap2', 'transport': 'internal', 'hasResidentKey': True, 'hasUserVerification': True,
        'isUserVerified': True, 'automaticPresenceSimulation': True}})
    yield made['authenticatorId']
    driver.execute_cdp_cmd('WebAuthn.removeVirtualAuthenticator', {'authenticatorId': made['authenticatorId']})
    driver.execute_cdp_cmd('WebAuthn.disable', {})


def credentials_on(screen, authenticator_id: str) -> list[dict]:
    return screen.selenium.execute_cdp_cmd('WebAuthn.getCredentials', {'authenticatorId': authenticator_id})['credentials']


def add_passkey(browser, name: str) -> None:
    """On Profile -> Security: Add a passkey, name it, Create; the first one comes with recovery codes."""
    browser.click('Add a passkey')
    browser.fill('Passkey name', name, within=browser.open_dialog())
    browser.click('Create', within=browser.open_dialog())
    browser.notified(f'Passkey {name} added.')


def test_an_admin_registers_a_passkey_and_signs_in_with_it_without_a_password(screen, browser, authenticator) -> None:
    admin = an_admin()
    browser.log_in(admin.email, lands_on='/dashboard')
    screen.open('/profile')
    browser.click('Security settings')
    browser.at('/profile/security')
    browser.sees('No passkeys yet.')
    add_passkey(browser, 'Laptop')
    codes = browser.open_dialog()
    browser.sees('Your recovery codes', within=codes)
    browser.click('I have saved them', within=codes)
    browser.dialog_closed()
    browser.sees('Laptop')
    browser.does_not_see('No passkeys yet.')
    passkey = Passkey.get()
    assert (passkey.user_id, passkey.name) == (admin.id, 'Laptop')
    assert RecoveryCode.select().where(RecoveryCode.user == admin.id).count() == 10
    [credential] = credentials_on(screen, authenticator)
    assert credential['isResidentCredential'] and credential['rpId'] == 'localhost'

    screen.open('/logout')
    browser.at('/login')
    browser.click('Sign in with a passkey')
    browser.at('/dashboard')
    browser.sees('Welcome, Ada!')
    session = UserSession.select().where(UserSession.user == admin.id).order_by(UserSession.id.desc()).get()
    assert session.method == 'passkey'
    assert Passkey.get().last_used_at is not None
    screen.open('/admin')
    browser.sees('Registrations to approve')


def test_a_passkey_is_the_second_factor_after_the_password(screen, browser, authenticator) -> None:
    a_user('dev@consumer.test', first='Dana')
    browser.log_in('dev@consumer.test', lands_on='/dashboard')
    screen.open('/profile/security')
    add_passkey(browser, 'Phone')
    browser.click('I have saved them', within=browser.open_dialog())
    screen.open('/logout')
    browser.log_in('dev@consumer.test', lands_on='/login/second-factor')
    browser.sees('Your password was right.')
    assert UserSession.select().count() == 0  # the password alone opened nothing
    browser.click('Use a passkey')
    browser.at('/dashboard')
    browser.sees('Welcome, Dana!')
    assert UserSession.get().method == 'password+passkey'


def test_a_required_second_factor_blocks_an_admin_without_one_until_they_add_a_passkey(screen, browser,
                                                                                       authenticator) -> None:
    lead = an_admin('lead@provider.test')
    enrolment = second_factor.start_enrolment(lead)
    second_factor.confirm_enrolment(lead, second_factor.code_at(enrolment.secret, second_factor.current_step()))
    settings.update({'require_admin_second_factor': True}, by=lead)
    admin = an_admin()
    browser.log_in(admin.email, lands_on='/profile/security')
    browser.sees('Set up a second factor to continue')
    screen.open('/admin/users')
    browser.at('/profile/security')
    browser.sees('Set up a second factor to continue')
    browser.does_not_see('Add new user')
    screen.open('/profile')  # the admin REST API's tokens are made there
    browser.at('/profile/security')
    add_passkey(browser, 'Security key')
    browser.click('I have saved them', within=browser.open_dialog())
    screen.open('/admin/users')
    browser.at('/admin/users')
    browser.sees('admin@provider.test')
    assert Passkey.select().where(Passkey.user == admin.id).count() == 1


def test_the_authenticator_app_is_set_up_on_the_security_page_and_asked_for_at_log_in(screen, browser) -> None:
    screen.open('/login')
    a_user('dev@consumer.test', first='Dana')
    browser.log_in('dev@consumer.test', lands_on='/dashboard')
    screen.open('/profile/security')
    browser.click('Set up the authenticator app')
    setup = browser.open_dialog()
    browser.sees('Open in an authenticator app', within=setup)
    link = browser.driver.execute_script("return document.querySelector('a[href^=\"otpauth:\"]').href")
    secret = parse_qs(urlsplit(link).query)['secret'][0]
    browser.sees(' '.join(secret[i:i + 4] for i in range(0, len(secret), 4)), within=setup)  # the key to type
    browser.fill('Code from the app', '000000' if second_factor.code_at(secret, second_factor.current_step())
                 != '000000' else '111111', within=setup)
    browser.click('Turn on', within=setup)
    assert 'not right' in browser.field_error('Code from the app', within=setup)
    browser.fill('Code from the app', second_factor.code_at(secret, second_factor.current_step()), within=setup)
    browser.click('Turn on', within=setup)
    browser.notified('The authenticator app is on')
    codes = browser.open_dialog()
    browser.sees('Your recovery codes', within=codes)
    browser.click('I have saved them', within=codes)
    browser.sees('10 of 10 recovery codes left.')
    clock.advance(timedelta(seconds=second_factor.STEP_SECONDS))
    screen.open('/logout')
    browser.log_in('dev@consumer.test', lands_on='/login/second-factor')
    browser.fill('Code from your authenticator app', second_factor.code_at(secret, second_factor.current_step()))
    browser.click('Verify')
    browser.at('/dashboard')
    assert UserSession.get().method == 'password+totp'
