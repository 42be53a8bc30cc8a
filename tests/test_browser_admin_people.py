"""Admin -> Users, Organizations, Teams, Access requests, Apps, Settings, Email templates and Outbox in a
real browser, and a super admin's Approvals and API submission: every action confirms, the list shows the
new state at once, and the database holds it."""
from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

import pytest

from db.models import (AccessRequest, AccessStatus, Api, ApiStatus, App, AppStatus, EmailTemplate, Membership,
                       Organisation, OrgStatus, OutboxMessage, Setting, Team, User, UserStatus)
from tests.utils import WEATHER_OPENAPI, a_catalog_world, a_user, an_admin, an_org_with, set_settings
from workflows import access

pytestmark = pytest.mark.browser


def badge(b, entry: str) -> str:
    """The count next to an entry of the admin menu ('' without one)."""
    return ''.join(e.text for e in b.button(entry).find_elements('css selector', '.q-badge'))


def test_admin_manages_users(screen, browser, mailbox) -> None:
    b = browser
    screen.open('/login')
    a_user('waiting@dev.test', first='Wanda', status=UserStatus.PENDING_APPROVAL)
    a_user('refused@dev.test', first='Rolf', status=UserStatus.PENDING_APPROVAL)
    a_user('sleeping@dev.test', first='Sid', status=UserStatus.INACTIVE)
    a_user('busy@dev.test', first='Bea')
    b.admin_opens('/admin/users')
    assert badge(b, 'Users') == '2'  # the admin menu counts what waits

    b.click('Approve', within=b.row('waiting@dev.test'))
    b.notified('waiting@dev.test approved.')
    b.sees('active', within=b.row('waiting@dev.test'))
    b.reject('refused@dev.test', 'We only accept company addresses.')
    b.notified('refused@dev.test rejected.')
    b.until(lambda: badge(b, 'Users') == '', 'the menu still counts decided registrations')
    b.click('Activate developer', within=b.row('sleeping@dev.test'))
    b.notified('sleeping@dev.test activated.')
    b.click('Deactivate', within=b.row('busy@dev.test'))
    b.notified('busy@dev.test deactivated.')
    b.sees('Activate developer', within=b.row('busy@dev.test'))
    statuses = {u.email: u.status for u in User.select()}
    assert statuses['waiting@dev.test'] == UserStatus.ACTIVE and statuses['sleeping@dev.test'] == UserStatus.ACTIVE
    assert statuses['busy@dev.test'] == UserStatus.INACTIVE and statuses['refused@dev.test'] == UserStatus.REJECTED
    assert 'company addresses' in mailbox.expect('refused@dev.test').body

    b.click('Add new user')
    b.fills({'First name': 'Nina', 'Last name': 'New', 'Email': 'nina@dev.test',
             'Set password': 'a long enough password'})
    b.tick('Send invite (only without a password)')
    b.click('Save')
    assert b.dialog() is not None  # a password and an invite together are refused, the input kept
    b.sees('Either set a password or send an invite')
    assert b.value('Email') == 'nina@dev.test' and not User.select().where(User.email == 'nina@dev.test').exists()
    b.fill('Set password', '')
    b.click('Save')
    b.notified('nina@dev.test added and invited.')
    b.sees('invited', within=b.row('nina@dev.test'))
    mailbox.expect('nina@dev.test', 'invited')
    b.click('More Options', within=b.row('nina@dev.test'))
    b.click('Send invite')
    b.notified('Invitation sent to nina@dev.test.')
    b.fill('Search by name, email or organization', 'nina')
    b.sees('1–1 of 1')


def test_admin_manages_organizations_and_teams(screen, browser, mailbox) -> None:
    b = browser
    screen.open('/login')
    requester = a_user('founder@globex.test', first='Gil')
    Organisation.create(name='Globex', name_key='globex', status=OrgStatus.PENDING, requested_by=requester)
    acme = an_org_with('Acme', members=1)
    b.admin_opens('/admin/organizations')
    b.click('Approve', within=b.row('Globex'))
    b.notified('Globex approved.')
    b.sees('active', within=b.row('Globex'))
    assert User.get(User.email == 'founder@globex.test').organisation.name == 'Globex'
    b.click('Add')
    b.fill('Name', 'acme')
    b.click('Save')
    assert 'exists' in b.field_error('Name')
    b.fills({'Name': 'Initech', 'Contact email (approval notices)': 'contact@initech.test'})
    b.click('Save')
    b.notified('Initech saved.')
    b.sees('contact@initech.test', within=b.row('Initech'))
    b.click('Members', within=b.row('Acme'))
    b.sees('member1@acme.test', within=b.open_dialog())
    b.click('Close')
    b.dialog_closed()
    b.edit('Initech', {'Name': 'Initrode'})
    b.notified('Initrode saved.')
    b.confirm('Delete', within=b.row('Initrode'))
    b.notified('Initrode deleted.')
    b.does_not_see('Initrode')

    screen.open(f'/admin/teams?organisation={acme.id}')
    b.click('Add team')
    b.fill('Name', 'Mobile')
    b.click('Save')
    b.notified('Team Mobile saved.')
    b.sees('Acme', within=b.row('Mobile'))
    b.edit('Default team', {'Name': 'Core'}, button='Rename')
    b.notified('Team Core saved.')
    b.click('Members', within=b.row('Core'))
    b.sees('Teams of the members of Acme')
    select = b.driver.find_element('xpath', "//div[contains(@class, 'q-dialog')]//label[contains(@class, 'q-select')]"
                                            "[ancestor::div[contains(@class, 'row')][.//*[contains(text(), 'member1@acme.test')]]]")
    select.click()
    b.until(lambda: [i for i in b.driver.find_elements('css selector', '.q-menu .q-item') if i.text == 'Mobile'],
            'Mobile is not offered')[0].click()
    b.notified('Teams of member1@acme.test saved.')
    assert b.dialog() is not None  # the dialog stays open for the next member
    member = User.get(User.email == 'member1@acme.test')
    assert {m.team.name for m in Membership.select().where(Membership.user == member)} == {'Core', 'Mobile'}
    # Escape closes the options, then the dialog: pressed on the page, whichever element has the focus (the
    # focused option can be gone already, and Selenium refuses keys sent to it)
    ActionChains(b.driver).send_keys(Keys.ESCAPE).perform()
    ActionChains(b.driver).send_keys(Keys.ESCAPE).perform()
    b.dialog_closed()
    b.confirm('Delete', within=b.row('Mobile'))
    b.notified('Team Mobile deleted.')
    assert not Team.select().where(Team.name == 'Mobile').exists()


def test_admin_decides_access_requests_and_apps(screen, browser, mailbox) -> None:
    b = browser
    screen.open('/login')
    world = a_catalog_world()
    set_settings(auto_approve_apps=False)
    dev = a_user()
    first = access.request_access(dev, world['Partners'].id, world['Gold'].id, [world['Payments'].id],
                                  new_app_name='Till')
    second = access.request_access(dev, world['Partners'].id, world['Gold'].id, [world['Payments'].id],
                                   new_app_name='Ledger')
    App.update(status=AppStatus.ACTIVE).where(App.name == 'Till').execute()
    b.admin_opens('/admin/apps')
    b.click('Approve', within=b.row('Ledger'))
    b.notified('Ledger')
    assert App.get(App.name == 'Ledger').status == AppStatus.ACTIVE

    screen.open('/admin/access-requests')
    b.click('Approve', within=b.row('Till'))
    b.notified('Access for Till approved')
    b.reject('Ledger', 'Use the Free plan.')
    b.notified('Access for Ledger rejected.')
    b.does_not_see('Ledger')
    b.click('Approved')
    b.confirm('Revoke', within=b.row('Till'), asks='Its API key stops working at once.')
    b.notified('Access for Till revoked.')
    assert AccessRequest.get_by_id(first.id).status == AccessStatus.REVOKED
    assert AccessRequest.get_by_id(second.id).status == AccessStatus.REJECTED


def test_admin_changes_settings_templates_and_retries_mail(screen, browser, mailbox) -> None:
    b = browser
    b.admin_opens('/admin/settings')
    b.fill('Admin notification address', 'not an address')
    b.click('Save')
    assert b.field_error('Admin notification address')
    b.fills({'Admin notification address': 'ops@provider.test', 'Portal name': 'Acme Developer Hub'})
    b.tick('Auto-approve user registrations')
    b.click('Save')
    b.notified('Settings saved.')
    values = {row.key: row.value for row in Setting.select()}
    assert values['admin_email'] == 'ops@provider.test' and values['auto_approve_users'] is True
    screen.open('/admin/settings')
    b.sees('Acme Developer Hub')

    screen.open('/admin/email-templates')
    b.edit('test', {'Body': 'Hello ${nobody}'})
    assert 'Unknown placeholder' in b.field_error('Body')
    b.fill('Body', 'Ping from ${portal_name}.')
    b.click('Preview')
    b.sees('Ping from Acme Developer Hub.')
    b.click('Save')
    b.notified('Template saved.')
    b.sees('customised', within=b.row('test'))
    b.click('Edit', within=b.row('test'))
    b.click('Reset to default')
    b.sees('Reset test to the default?')
    b.click('Reset', within=b.open_dialog())
    b.notified('Template reset to the default.')
    b.sees('default', within=b.row('test'))
    assert EmailTemplate.select().count() == 0

    screen.open('/admin/outbox')
    failed = OutboxMessage.create(template_key='test', recipient='ops@provider.test', context={},
                                  status='failed', attempts=12, last_error='550 mailbox unavailable')
    b.click('Send test')
    b.notified('Test message queued.')
    b.until(lambda: 'Retry' in b.text(), 'the failed message shows no Retry')
    b.click('Retry', within=b.row('failed'))
    b.notified('The message is queued again.')
    mailbox.expect('ops@provider.test')
    assert OutboxMessage.get_by_id(failed.id).status in ('queued', 'sending', 'sent')


def test_super_admin_decides_approvals_and_submits_an_api(screen, browser, mailbox) -> None:
    b = browser
    screen.open('/login')
    an_admin()
    world = a_catalog_world()
    set_settings(delegate_app_management=True, auto_approve_apps=False)
    an_org_with('Acme', members=1)
    member = User.get(User.email == 'member1@acme.test')
    access.request_access(member, world['Public'].id, world['Free'].id, [world['Weather'].id], new_app_name='Radar')
    b.log_in('boss@acme.test')
    b.click('Approvals')
    b.at('/dashboard/requests')
    b.click('Approve', within=b.row('Radar', within=b.card('Apps waiting for approval')))
    b.notified('Radar')
    assert App.get(App.name == 'Radar').status == AppStatus.ACTIVE

    b.click('APIs')
    b.at('/dashboard/apis')
    b.fills({'Name': 'Acme Orders', 'Base path (listen path)': '/orders/',
             'OpenAPI document (JSON or YAML)': '{"openapi": '})
    b.click('Submit an API')
    assert b.field_error('OpenAPI document (JSON or YAML)')
    b.paste('OpenAPI document (JSON or YAML)', WEATHER_OPENAPI)
    b.click('Submit an API')
    b.notified('Acme Orders is submitted.')
    b.sees('pending', within=b.row('Acme Orders'))
    assert Api.get(Api.name == 'Acme Orders').status == ApiStatus.PENDING
