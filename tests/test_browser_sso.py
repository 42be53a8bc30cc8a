"""Sign in with your company in a real browser (issue 24): a partner's developer types their company address on
Log in, is sent to the partner's OpenID Provider (oidc-provider from npm, its own login and consent pages), and
comes back signed in, in the partner organisation; "Continue with" later signs the same account in again.
The refusals are tested on the workflow (tests/test_sso.py)."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from db.models import ExternalIdentity, User
from tests.identity_provider import CLIENT_ID, CLIENT_SECRET, MISSING, OpenIdProvider
from tests.utils import an_admin, an_org_with, set_settings
from workflows import sso

pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(MISSING), reason=MISSING or 'ok')]
ACCOUNTS = {'ann': {'email': 'ann@partner.example', 'email_verified': True, 'given_name': 'Ann',
                    'family_name': 'Lee'}}


def at_the_provider(b, login: str) -> None:
    """The provider's own pages: its login form (the login is the account's id), then its consent."""
    b.until(lambda: b.driver.find_elements(By.NAME, 'login'), 'the provider showed no login form')
    b.driver.find_element(By.NAME, 'login').send_keys(login)
    b.driver.find_element(By.NAME, 'password').send_keys('any password')
    b.driver.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
    b.until(lambda: b.driver.find_elements(By.CSS_SELECTOR, 'button[type=submit]')
            and 'consent' in b.driver.page_source.lower() or '/interaction/' not in b.driver.current_url,
            'the provider showed no consent page')
    if '/interaction/' in b.driver.current_url:
        b.driver.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()


def test_a_partner_developer_signs_in_with_the_company_address(screen, browser) -> None:
    b = browser
    screen.open('/login')
    set_settings(base_url=screen.url)
    op = OpenIdProvider(ACCOUNTS, [f'{screen.url}/auth/sso/callback'])
    try:
        partner = an_org_with('Partner', super_admin='boss@partner.example')
        sso.save_provider(None, name='Partner SSO', issuer=op.issuer, client_id=CLIENT_ID,
                          client_secret=CLIENT_SECRET, organisation_id=partner.id, email_domains='partner.example',
                          by=an_admin())
        screen.open('/login')
        b.sees('Continue with Partner SSO')
        b.fill('Email', 'ann@partner.example')
        b.click('Log in')  # no password: the address belongs to the partner's provider
        at_the_provider(b, 'ann')
        b.at('/dashboard')
        b.sees('Welcome, Ann!')
        ann = User.get(User.email == 'ann@partner.example')
        assert ann.organisation.name == 'Partner' and ExternalIdentity.get().user_id == ann.id

        screen.open('/logout')  # out of the portal, still signed in at the provider
        b.sees('Continue with Partner SSO')
        b.click('Continue with Partner SSO')
        b.at('/dashboard')  # the provider knows Ann: no form this time, and the same account
        b.sees('Welcome, Ann!')
        assert User.select().where(User.email == 'ann@partner.example').count() == 1
        assert ExternalIdentity.select().count() == 1
    finally:
        op.stop()
