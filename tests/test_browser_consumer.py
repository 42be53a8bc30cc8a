"""A developer's forms in a real browser, with real emails: register, verify, log in, profile, change
password, forgot and reset; create an organization and manage teammates; cart, request access, apps and
keys. Each step checks what the page says and what the database holds."""
from __future__ import annotations

import pytest

from db.models import App, CartItem, Credential, CredentialStatus, Organisation, OrgStatus, Role, User, UserStatus
from tests.utils import PASSWORD, a_catalog_world, a_user, path_of, set_settings

pytestmark = pytest.mark.browser
NEW_PASSWORD = 'a brand new secret 42'


def test_a_developer_registers_verifies_and_looks_after_the_account(screen, browser, mailbox) -> None:
    b = browser
    screen.open('/register')
    set_settings(auto_approve_users=True)
    b.fills({'First name': 'Rita', 'Last name': 'Reader', 'Email': 'rita@example.test', 'Password': 'short',
             'Confirm password': 'short'})
    b.click('Register to developer portal')
    assert 'characters' in b.field_error('Password')
    assert b.value('Email') == 'rita@example.test' and User.select().count() == 0
    b.fills({'Password': PASSWORD, 'Confirm password': PASSWORD})
    b.click('Register to developer portal')
    b.sees('Check your inbox')
    link = mailbox.expect('rita@example.test', 'Confirm your email').link('/auth/verify')
    screen.open(path_of(link))
    b.click('Confirm my email address')
    b.at('/catalogs')  # active at once: signed in, as after Log in
    assert User.get(User.email == 'rita@example.test').status == UserStatus.ACTIVE
    b.click('Rita')
    b.click('Log out')
    b.at('/login')
    b.fills({'Email': 'rita@example.test', 'Password': 'not the password'})
    b.click('Log in')
    b.sees('Wrong email or password')
    b.fill('Password', PASSWORD)
    b.click('Log in')
    b.sees('Welcome, Rita!')

    screen.open('/profile')
    b.fill('First name', '')
    b.click('Save')
    assert b.field_error('First name')
    b.fill('First name', 'Margarita')
    b.click('Save')
    b.notified('Your name was saved.')
    assert User.get(User.email == 'rita@example.test').first_name == 'Margarita'

    b.click('Change password')
    b.at('/profile/password')
    b.fills({'Current password': 'wrong one', 'New password': NEW_PASSWORD, 'Confirm new password': NEW_PASSWORD})
    b.click('Change password')
    assert b.field_error('Current password')
    b.fill('Current password', PASSWORD)
    b.click('Change password')
    b.at('/dashboard')
    b.notified('Password changed.')

    b.click('Margarita')
    b.click('Log out')
    b.at('/login')
    b.click('Forgot Password?')
    b.fill('Email', 'rita@example.test')
    b.click('Reset')
    b.sees('If an account exists')
    link = mailbox.expect('rita@example.test', 'Reset your').link('/auth/reset/code')
    screen.open(path_of(link))
    b.fills({'Password': 'yet another secret 43', 'Confirm password': 'yet another secret 43'})
    b.click('Reset')
    b.sees('Your password was reset.')
    b.click('Login again')
    b.log_in('rita@example.test', 'yet another secret 43', lands_on='/dashboard')


def test_a_developer_creates_an_organization_and_manages_teammates(screen, browser, mailbox) -> None:
    b = browser
    screen.open('/login')
    set_settings(auto_approve_orgs=True)
    a_user('founder@startup.test', first='Fay')
    b.log_in('founder@startup.test')
    b.click('Create an organization')
    b.fill('Organization name', 'Startup')
    b.click('Create an organization', within=b.card('Organization name'))
    b.sees('Startup is ready.')
    assert Organisation.get(Organisation.name == 'Startup').status == OrgStatus.ACTIVE
    b.click('Invite teammates')
    b.at('/dashboard/users')
    b.fills({'First name': 'Tom', 'Last name': 'Mate', 'Email': 'not an email'})
    b.click('Send invite')
    assert b.field_error('Email')
    b.fill('Email', 'tom@startup.test')
    b.choose('Role', 'Super admin')
    b.click('Send invite')
    b.notified('Invitation sent to tom@startup.test.')
    b.sees('tom@startup.test', within=b.row('tom@startup.test'))
    invite = mailbox.expect('tom@startup.test', 'Join Startup')

    b.click('Revoke', within=b.row('tom@startup.test'))
    b.sees('Revoke the invitation of tom@startup.test?')
    b.click('Cancel')
    b.dialog_closed()
    assert User.select().where(User.email == 'tom@startup.test').exists()

    # Tom accepts in a browser of his own (the same one, after Fay signs out)
    b.click('Fay')
    b.click('Log out')
    b.at('/login')
    screen.open(path_of(invite.link('/auth/invite')))
    b.fills({'Password': PASSWORD, 'Confirm password': PASSWORD})
    b.click('Create my account')
    b.at('/dashboard')
    tom = User.get(User.email == 'tom@startup.test')
    assert tom.status == UserStatus.ACTIVE and tom.role == Role.SUPER_ADMIN
    b.click('Tom')
    b.click('Log out')
    b.at('/login')

    b.opens_as('founder@startup.test', '/dashboard/users')
    b.click('Edit', within=b.row('tom@startup.test'))
    b.sees('Edit tom@startup.test')
    b.fill('Last name', 'Matey')
    b.choose('Role', 'Team member')
    b.click('Save')
    b.notified('Saved.')
    b.sees('Team member', within=b.row('tom@startup.test'))
    assert User.get(User.email == 'tom@startup.test').role == Role.TEAM_MEMBER
    b.confirm('Remove', within=b.row('tom@startup.test'))
    b.notified('tom@startup.test was removed from Startup.')
    b.does_not_see('tom@startup.test')
    assert User.get(User.email == 'tom@startup.test').organisation.is_default


def test_a_developer_requests_access_and_looks_after_apps_and_keys(screen, browser) -> None:
    b = browser
    screen.open('/login')
    a_catalog_world()
    a_user()
    b.opens_as('dev@consumer.test', '/catalogs')
    b.click('More info', within=b.card('Weather for your apps'))
    b.at('/products/weather')
    b.click('Add to cart')
    b.notified('Weather (Public) is in your cart.')
    screen.open('/products/payments')
    b.click('Add to cart')
    b.notified('is in your cart.')
    screen.open('/products/maps')
    b.click('Add to cart')
    b.notified('Maps (Public) is in your cart.')
    b.click('Cart (3 items)')  # the header counts without a reload
    b.at('/cart')
    b.click('Remove Maps from the cart')
    b.notified('Maps was removed from your cart.')
    b.does_not_see('Maps for your apps')
    b.button('Cart (2 items)')
    assert CartItem.select().count() == 2
    public = b.card('Catalog: Public')
    b.click('Request access', within=public)
    assert b.field_error('App name', within=public)
    b.fill('App name', 'Storm Watch', within=public)
    b.click('Request access', within=public)
    b.sees('Public: access granted')
    partners = b.card('Catalog: Partners')
    b.choose('App', 'Storm Watch', within=partners)  # the app made a moment ago is offered without a reload
    b.click('Request access', within=partners)
    b.sees('Partners: access requested')
    app = App.get(App.name == 'Storm Watch')

    screen.open('/apps')
    b.click('Create a new app')
    b.click('Create', within=b.open_dialog())
    assert b.field_error('App name')
    b.fill('App name', 'Second App')
    b.click('Create', within=b.open_dialog())
    b.notified('Second App was created.')
    second = App.get(App.name == 'Second App')
    b.at(f'/apps/{second.id}')

    screen.open(f'/apps/{app.id}')
    [key] = Credential.select().where(Credential.app == app)
    b.click('Rotate')
    b.sees('Until the old key stops, both work')
    b.click('Cancel')
    b.dialog_closed()
    assert Credential.get_by_id(key.id).status == CredentialStatus.ACTIVE
    b.click('Rotate')
    b.pick('now')
    b.click('Rotate', within=b.open_dialog())
    b.notified('The key was rotated')
    assert Credential.get_by_id(key.id).key_hash != key.key_hash
    b.click('Revoke')
    b.click('Revoke', within=b.open_dialog())
    b.notified('The key was revoked.')
    b.sees('revoked')
    assert Credential.get_by_id(key.id).status == CredentialStatus.REVOKED
    b.click('Delete app')
    b.click('Delete', within=b.open_dialog())
    b.at('/apps')
    b.notified('Storm Watch was deleted.')
    assert not App.select().where(App.name == 'Storm Watch').exists()
