"""Sign in with your company in a real browser (issue 24): a partner's developer types their company address on
Log in, is sent to the partner's OpenID Provider (oidc-provider from npm, its own login and consent pages), and
comes back signed in, in the partner organisation; "Continue with" later signs the same account in again.
The refusals are tested on the workflow (tests/test_sso.py)."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from db.models import ExternalIdentity, IdentityProvider, Membership, Team, User, UserSession
from tests.identity_provider import CLIENT_ID, CLIENT_SECRET, MISSING, OpenIdProvider
from tests.utils import PASSWORD, an_admin, an_org_with, set_settings
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


def test_done_when_an_admin_adds_the_provider_links_it_and_the_partner_developer_gets_and_loses_backend(screen,
                                                                                                       browser):
    """Issue 24's "Done when", in a real browser: an admin adds the partner's provider in Admin -> Sign-in, with a
    group -> team row, and signs in through it (their account exists: the link page asks its password once);
    the partner's developer types name@partner.example, lands in Backend from the provider's groups, and loses
    Backend when the provider drops the group."""
    b = browser
    screen.open('/login')
    set_settings(base_url=screen.url)
    people = {'ada': {'email': 'admin@provider.test', 'email_verified': True, 'name': 'Ada Admin'},
              'ann': {'email': 'ann@partner.example', 'email_verified': True, 'given_name': 'Ann',
                      'family_name': 'Lee', 'groups': ['Backend']}}
    op = OpenIdProvider(people, [f'{screen.url}/auth/sso/callback'])
    try:
        partner = an_org_with('Partner', super_admin='boss@partner.example')
        backend = Team.create(organisation=partner, name='Backend')
        b.admin_opens('/admin/sign-in')
        b.click('Add provider')
        dialog = b.open_dialog()
        b.fills({'Name (shown as "Continue with <name>")': 'Partner SSO', 'Issuer URL': op.issuer,
                 'Client ID': CLIENT_ID, 'Client secret': CLIENT_SECRET, 'Scopes': 'openid email profile groups'},
                within=dialog)
        b.choose('Organization (its people land there without approval)', 'Partner', within=dialog)
        b.fill('Email domains that Log in sends here (e.g. partner.example)', 'partner.example', within=dialog)
        b.click('Add group', within=dialog)
        b.fill('Group', 'Backend', within=dialog)
        b.choose('Team', 'Backend', within=dialog)
        b.click('Save', within=dialog)
        b.notified('Partner SSO saved.')
        b.sees('1 group(s) to teams')
        provider = IdentityProvider.get(IdentityProvider.name == 'Partner SSO')
        assert provider.team_groups == [{'group': 'Backend', 'team': backend.id}]
        assert provider.organisation_id == partner.id

        screen.open('/logout')  # the admin signs in through the provider: the password once, to link it
        b.click('Continue with Partner SSO')
        at_the_provider(b, 'ada')
        b.sees('An account with admin@provider.test exists. Enter its password once to link Partner SSO.')
        b.fill('Password', 'not the password')
        b.click('Link Partner SSO and log in')
        assert 'Wrong email or password' in b.field_error('Password')
        assert not ExternalIdentity.select().exists()
        b.fill('Password', PASSWORD)
        b.click('Link Partner SSO and log in')
        b.at('/dashboard')
        admin = User.get(User.email == 'admin@provider.test')
        assert ExternalIdentity.get().user_id == admin.id
        assert UserSession.get(UserSession.user == admin).method == 'provider:Partner SSO'

        screen.open('/logout')
        forget_the_provider_session(b, op)
        screen.open('/login')  # the partner's developer
        b.fill('Email', 'ann@partner.example')
        b.click('Log in')
        at_the_provider(b, 'ann')
        b.at('/dashboard')
        b.sees('Welcome, Ann!')
        ann = User.get(User.email == 'ann@partner.example')
        assert ann.organisation_id == partner.id and teams_of(ann) == {'Default team', 'Backend'}

        op.set_accounts({**people, 'ann': {**people['ann'], 'groups': ['Frontend']}})  # the IdP drops Backend
        screen.open('/logout')
        b.click('Continue with Partner SSO')  # the provider still knows Ann: no form
        b.at('/dashboard')
        b.sees('Welcome, Ann!')
        assert teams_of(ann) == {'Default team'}
        assert User.select().where(User.email == 'ann@partner.example').count() == 1
    finally:
        op.stop()


def forget_the_provider_session(b, op) -> None:
    """Another person at the same browser: the provider's cookies go (they belong to the provider's address)."""
    b.driver.get(f'{op.issuer}/.well-known/openid-configuration')
    b.driver.delete_all_cookies()


def teams_of(user: User) -> set[str]:
    return {row.team.name for row in Membership.select().where(Membership.user == user)}
