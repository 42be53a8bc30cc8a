"""Issue 15 in a real browser: an admin adds an invite code (shown in full once, copied to the clipboard
with its link), edits and deactivates it; a developer registers through the link; a super admin gets the
codes section once the admin allows it on the Settings page."""
from __future__ import annotations

import pytest

from db.models import InviteCode, InviteCodeState, Team, User, UserStatus
from tests.utils import PASSWORD, an_admin, an_org_with, path_of
from workflows import invite_codes

pytestmark = pytest.mark.browser


def clipboard(b) -> str:
    """What the page put on the clipboard (the test's browser may read it)."""
    return b.driver.execute_async_script(
        'const done = arguments[arguments.length - 1];'
        'navigator.clipboard.readText().then(done, error => done("error: " + error));')


def allow_clipboard(screen) -> None:
    screen.selenium.execute_cdp_cmd('Browser.grantPermissions', {
        'origin': screen.url, 'permissions': ['clipboardReadWrite', 'clipboardSanitizedWrite']})


def register(b, email: str, first: str) -> None:
    b.fills({'First name': first, 'Last name': 'Partner', 'Email': email, 'Password': PASSWORD,
             'Confirm password': PASSWORD})
    b.click('Register to developer portal')


def test_admin_adds_copies_edits_and_deactivates_a_code_and_a_developer_registers_through_its_link(
        screen, browser, mailbox) -> None:
    b = browser
    screen.open('/login')
    allow_clipboard(screen)
    partner = an_org_with('Partner Co', super_admin='boss@partner.test', contact_email='')
    b.admin_opens('/admin')
    b.click('Invite codes')  # API Consumers, next to Users, Organizations and Teams
    b.at('/admin/invite-codes')
    b.sees('No invite codes yet')

    b.click('Add invite code')
    b.choose('Team (fixes the organization)', 'Partner Co · Default team')
    b.fills({'Quota (most users who may use it)': '', 'Note': 'Partner devs'})
    b.click('Save')
    assert 'whole number' in b.field_error('Quota (most users who may use it)')
    assert InviteCode.select().count() == 0
    b.fill('Quota (most users who may use it)', '3')
    b.click('Save')
    b.sees('Invite code created')
    code, link = b.value('Invite code'), b.value('Registration link')
    assert code.startswith('inv_') and link == f'http://portal.test/register?code={code}'
    b.click('Copy code')
    b.notified('Invite code copied.')
    b.until(lambda: clipboard(b) == code, 'the clipboard does not hold the code')
    b.click('Copy link')
    b.notified('Registration link copied.')
    b.until(lambda: clipboard(b) == link, 'the clipboard does not hold the link')
    b.click('Done')
    b.dialog_closed()
    b.sees('0 of 3', within=b.row('Partner devs'))
    assert code not in b.text()  # shown once; later only Copy brings it back
    stored = InviteCode.get()
    assert stored.code_hash != code and code not in stored.code_encrypted

    b.click('Copy code', within=b.row('Partner devs'))  # later, from the list: decrypted for the admin
    b.until(lambda: clipboard(b) == code, 'Copy code in the list did not copy the code')
    b.click('Copy link', within=b.row('Partner devs'))
    b.until(lambda: clipboard(b) == link, 'Copy link in the list did not copy the link')

    b.click('Edit', within=b.row('Partner devs'))
    b.fills({'Quota (most users who may use it)': '5', 'Note': 'Partner developers'})
    b.click('Choose the expiry date')  # the calendar opens at the current expiry, a month ahead: its 28th
    calendar = b.until(lambda: (b.driver.find_elements('css selector', '.q-menu .q-date') or [None])[0], 'no calendar')
    b.click('28', within=calendar)
    b.until(lambda: b.value('Expiry date').endswith('-28'), 'the calendar did not fill the expiry date')
    chosen = b.value('Expiry date')
    b.click('Save')
    b.notified('Invite code saved.')
    b.sees('0 of 5', within=b.row('Partner developers'))
    b.sees(chosen, within=b.row('Partner developers'))
    assert InviteCode.get().quota == 5 and str(invite_codes.expiry_day(InviteCode.get())) == chosen

    screen.open('/logout')
    screen.open(path_of(link))
    assert b.value('Invite code') == code  # filled from the link
    register(b, 'pia@partner.test', 'Pia')
    b.sees('Check your inbox')
    screen.open(path_of(mailbox.expect('pia@partner.test', 'Confirm your email').link('/auth/verify')))
    b.click('Confirm my email address')
    b.at('/catalogs')  # active at once, without an approval: signed in, as after Log in
    pia = User.get(User.email == 'pia@partner.test')
    assert pia.status == UserStatus.ACTIVE and pia.organisation_id == partner.id
    assert mailbox.expect('boss@partner.test', 'joined Partner Co with an invite code')
    screen.open('/logout')
    screen.open(path_of(link))  # another registers now, and verifies only after the code is deactivated
    register(b, 'wes@partner.test', 'Wes')
    b.sees('Check your inbox')

    b.opens_as('admin@provider.test', '/admin/invite-codes')
    b.sees('2 of 5', within=b.row('Partner developers'))
    b.confirm('Deactivate', within=b.row('Partner developers'))
    b.notified('Invite code deactivated.')
    b.sees('Inactive', within=b.row('Partner developers'))
    assert InviteCode.get().state == InviteCodeState.INACTIVE

    screen.open('/logout')
    screen.open(path_of(link))
    register(b, 'late@partner.test', 'Lars')
    assert 'no longer active' in b.field_error('Invite code')
    assert not User.select().where(User.email == 'late@partner.test').exists()
    # the deactivated code approves nobody any more, not even a registration made before: it waits
    screen.open(path_of(mailbox.expect('wes@partner.test', 'Confirm your email').link('/auth/verify')))
    b.click('Confirm my email address')
    b.sees('The invite code you registered with has been withdrawn since')
    assert User.get(User.email == 'wes@partner.test').status == UserStatus.PENDING_APPROVAL
    assert InviteCode.get().used == 1  # Wes's place went back


def test_a_super_admin_gets_invite_codes_once_the_admin_allows_it(screen, browser) -> None:
    b = browser
    screen.open('/login')
    an_admin()
    partner = an_org_with('Partner Co', super_admin='boss@partner.test')
    Team.create(organisation=partner, name='Mobile')
    an_org_with('Rival', super_admin='boss@rival.test')
    b.opens_as('boss@partner.test', '/dashboard/users')
    b.sees('Members of Partner Co')
    b.does_not_see('Add invite code')  # the setting is off by default

    screen.open('/logout')
    b.opens_as('admin@provider.test', '/admin/settings')
    b.tick('Let organization super admins create invite codes for their teams')
    b.click('Save')
    b.notified('Settings saved.')

    screen.open('/logout')
    b.opens_as('boss@partner.test', '/dashboard/users')
    b.click('Add invite code')
    b.choose('Team (fixes the organization)', 'Partner Co · Mobile')
    b.fill('Note', 'Mobile contractors')
    b.click('Save')
    b.sees('Invite code created')
    b.click('Done')
    b.sees('0 of 10', within=b.row('Mobile contractors'))
    assert InviteCode.get().team.name == 'Mobile'
