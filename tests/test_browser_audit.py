"""Admin -> Audit log and Admin -> Settings (email retention) in a real browser: the admin filters the log,
is told next to the field when a date cannot be understood, pages through it, and downloads the CSV of what
the filters select; sets how long delivered emails are kept."""
from __future__ import annotations

import csv
import io
import time
from datetime import datetime, timedelta

import pytest

from db.models import AuditEvent, Setting
from tests.utils import a_user, an_admin

pytestmark = pytest.mark.browser


def test_admin_filters_the_audit_log_and_downloads_what_it_shows(screen, browser, tmp_path) -> None:
    b = browser
    screen.open('/login')
    ada, ann = an_admin('admin@provider.test'), a_user('ann@consumer.test')
    start = datetime(2026, 3, 1, 9)
    AuditEvent.insert_many([{'at': start + timedelta(minutes=number), 'actor': ann, 'action': 'app.create',
                             'target_type': 'app', 'target_id': number, 'detail': {}}
                            for number in range(1, 31)]).execute()
    AuditEvent.create(at=datetime(2026, 3, 5, 12), actor=ada, action='app.approve', target_type='app', target_id=7)
    b.opens_as('admin@provider.test', '/admin/audit')
    b.sees('1–20 of 31')
    b.click('2')  # the second page
    b.sees('21–31 of 31')

    b.fill('From', '2026-03-32')
    assert 'YYYY-MM-DD' in b.field_error('From')
    b.sees('of 31')  # nothing changed
    b.fill('From', '2026-03-05')
    b.sees('1–1 of 1')
    b.sees('app.approve', within=b.row('admin@provider.test'))
    b.fill('From', '')
    b.fill('Object', 'app #7')
    b.fill('Actor', 'ann@')
    b.sees('1–1 of 1')
    b.sees('ann@consumer.test', within=b.row('app #7'))

    screen.selenium.execute_cdp_cmd('Browser.setDownloadBehavior', {'behavior': 'allow',
                                                                    'downloadPath': str(tmp_path)})
    b.click('Export CSV')
    rows = b.until(lambda: _downloaded(tmp_path), 'the CSV never arrived')
    assert rows[0][:3] == ['when (UTC)', 'actor', 'action']
    assert rows[1:] == [['2026-03-01 09:07:00', 'ann@consumer.test', 'app.create', 'app', '7', '']]


def _downloaded(folder) -> list[list[str]] | None:
    files = [path for path in folder.glob('audit-*.csv')]
    if not files:
        return None
    time.sleep(0.1)  # the browser renames the file once it is complete
    return list(csv.reader(io.StringIO(files[0].read_text())))


def test_admin_sets_how_long_delivered_emails_are_kept(screen, browser) -> None:
    b = browser
    b.admin_opens('/admin/settings')
    b.fill('Keep delivered emails (days)', 'forever')
    b.click('Save')
    assert 'whole number of days' in b.field_error('Keep delivered emails (days)')
    assert Setting.get_by_id('outbox_retention_days').value == ''  # nothing saved
    b.fill('Keep delivered emails (days)', '7')
    b.click('Save')
    b.notified('Settings saved.')
    assert Setting.get_by_id('outbox_retention_days').value == '7'
