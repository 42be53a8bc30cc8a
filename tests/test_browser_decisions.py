"""The rejects that used to decide at once ask for a reason like every other queue (components/decisions.py): a
portal admin rejecting an organisation, a delegated super admin rejecting a registration. In a real browser: the
dialog, the notification, the list afterwards, the database and the email with the reason."""
from __future__ import annotations

import pytest

from db.models import Organisation, OrgStatus, User, UserStatus
from tests.utils import a_user, an_admin, an_org_with, set_settings
from workflows import REASON_MAX, organisations

pytestmark = pytest.mark.browser

REASON = 'Reason (optional, sent in the email)'


def test_an_admin_rejects_an_organisation_with_a_reason(screen, browser, mailbox) -> None:
    b = browser
    screen.open('/login')
    an_admin()
    founder = a_user('founder@globex.test', first='Priya')
    organisations.request_organisation('Globex Payments', by=founder)
    b.log_in('admin@provider.test')
    screen.open('/admin/organizations')
    b.sees('Globex Payments')

    b.click('Reject', within=b.row('Globex Payments'))
    dialog = b.open_dialog()
    b.sees('Reject the organization Globex Payments?', within=dialog)
    b.click('Cancel', within=dialog)  # changes nothing
    b.dialog_closed()
    assert Organisation.get(Organisation.name == 'Globex Payments').status == OrgStatus.PENDING

    b.click('Reject', within=b.row('Globex Payments'))
    b.field(REASON).click()  # a pasted essay stops at the limit the workflow keeps
    b.driver.execute_cdp_cmd('Input.insertText', {'text': 'x' * (REASON_MAX + 40)})
    b.until(lambda: len(b.value(REASON)) == REASON_MAX, 'the reason field took more than the limit')
    b.fill(REASON, 'We only onboard payment companies with a licence.')
    b.click('Reject', within=b.open_dialog())
    b.notified('Globex Payments rejected.')
    b.sees('rejected', within=b.row('Globex Payments'))
    assert Organisation.get(Organisation.name == 'Globex Payments').status == OrgStatus.REJECTED
    assert 'payment companies with a licence' in mailbox.expect('founder@globex.test').body


def test_a_delegated_super_admin_rejects_a_registration_with_a_reason(screen, browser, mailbox) -> None:
    b = browser
    screen.open('/login')
    set_settings(delegate_user_management=True)
    acme = an_org_with('Acme', super_admin='boss@acme.test')
    a_user('waiting@dev.test', first='Wanda', organisation=acme, status=UserStatus.PENDING_APPROVAL)
    a_user('hopeful@dev.test', first='Hope', organisation=acme, status=UserStatus.PENDING_APPROVAL)
    b.log_in('boss@acme.test')
    screen.open('/dashboard/users')
    waiting = b.card('Registrations waiting for your approval')
    b.sees('hopeful@dev.test', within=waiting)

    b.click('Reject', within=b.row('waiting@dev.test', within=waiting))
    b.sees('Reject the registration of waiting@dev.test?', within=b.open_dialog())
    b.fill(REASON, 'Please register with your company address.')
    b.click('Reject', within=b.open_dialog())
    b.notified('waiting@dev.test rejected.')
    waiting = b.card('Registrations waiting for your approval')
    b.sees('hopeful@dev.test', within=waiting)
    b.until(lambda: 'waiting@dev.test' not in b.text_of(waiting()), 'the rejected registration still waits')
    b.sees('rejected', within=b.row('waiting@dev.test'))  # and the members list says so
    assert User.get(User.email == 'waiting@dev.test').status == UserStatus.REJECTED
    assert User.get(User.email == 'hopeful@dev.test').status == UserStatus.PENDING_APPROVAL
    assert 'company address' in mailbox.expect('waiting@dev.test').body
