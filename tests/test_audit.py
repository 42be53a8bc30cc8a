"""Admin -> Audit log (issue 14): paged, filtered by actor, action, object and date, exported as CSV for
the portal admins only; and what an attacker could put in a cell does not run in a spreadsheet."""
from __future__ import annotations

import csv
import io
from contextlib import asynccontextmanager
from datetime import datetime

import httpx
import pytest

from db.models import AuditEvent, User
from tests.utils import a_user, an_admin, field_error, opens_as, until
from domain.errors import DomainError
from workflows import audit, sessions


def a_history() -> dict[str, User]:
    """Three people and the system acting over three days."""
    ada, ann = an_admin('admin@provider.test'), a_user('ann@consumer.test')
    events = [
        (datetime(2026, 3, 1, 9), ada, 'user.create', 'user', ann.id),
        (datetime(2026, 3, 1, 10), ann, 'app.create', 'app', 12),
        (datetime(2026, 3, 2, 23, 59), ann, 'app.delete', 'app', 12),
        (datetime(2026, 3, 3, 0, 0), ada, 'app.approve', 'app', 13),
        (datetime(2026, 3, 3, 8), None, 'mail.cleanup', '', None),
    ]
    for at, actor, action, target_type, target_id in events:
        AuditEvent.create(at=at, actor=actor, action=action, target_type=target_type, target_id=target_id,
                          detail={'by': 'test'})
    return {'ada': ada, 'ann': ann}


def actions(**typed) -> list[str]:
    rows, total = audit.events(audit.parse_filters(**typed), 0, 50)
    assert total == len(rows)
    return [event.action for event in rows]


def test_filters_by_actor_action_object_and_date(db) -> None:
    a_history()
    assert actions() == ['mail.cleanup', 'app.approve', 'app.delete', 'app.create', 'user.create']  # newest first
    assert actions(actor='ANN@') == ['app.delete', 'app.create']
    assert actions(actor='system') == ['mail.cleanup']
    assert actions(action='app.') == ['app.approve', 'app.delete', 'app.create']
    assert actions(action='app.approve') == ['app.approve']
    assert actions(target='app') == ['app.approve', 'app.delete', 'app.create']
    assert actions(target='app #12') == ['app.delete', 'app.create']
    assert actions(target='App 13') == ['app.approve']
    assert actions(since='2026-03-02', until='2026-03-02') == ['app.delete']  # the whole day, its last minute too
    assert actions(since='2026-03-03') == ['mail.cleanup', 'app.approve']
    assert actions(actor='admin@', action='app.', since='2026-03-01', until='2026-03-03') == ['app.approve']
    assert actions(action='%') == [] and actions(actor='_') == []  # wildcards are plain characters


@pytest.mark.parametrize('typed, field, message', [
    ({'since': '03/01/2026'}, 'from', 'YYYY-MM-DD'),
    ({'until': '2026-02-30'}, 'to', 'YYYY-MM-DD'),
    ({'since': '2026-03-02', 'until': '2026-03-01'}, 'to', 'before the start date'),
    ({'target': 'app; drop table'}, 'object', 'e.g. "app #12"'),
    ({'target': 'app #99999999999999999999999'}, 'object', 'e.g. "app #12"'),
    ({'actor': 'x' * 101}, 'actor', 'Too long'),
])
def test_a_filter_that_cannot_be_understood_names_its_field(db, typed, field, message) -> None:
    with pytest.raises(DomainError, match=message) as refused:
        audit.parse_filters(**typed)
    assert refused.value.field == field


@asynccontextmanager
async def _as(user, person: User):
    """An HTTP client signed in as `person` (the way a browser's session starts)."""
    async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test') as client:
        await client.get(f'/auth/session?ticket={sessions.issue_ticket(person)}')
        yield client


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_the_csv_export_holds_the_filtered_events(user) -> None:
    people = a_history()
    async with _as(user, people['ada']) as admin:
        response = await admin.get('/admin/audit.csv', params={'action': 'app.', 'from': '2026-03-02'})
        assert response.status_code == 200
        assert response.headers['content-type'].startswith('text/csv')
        assert response.headers['content-disposition'].startswith('attachment; filename="audit-')
        assert read_csv(response.text) == [
            audit.CSV_HEADER,
            ['2026-03-03 00:00:00', 'admin@provider.test', 'app.approve', 'app', '13', '{"by": "test"}'],
            ['2026-03-02 23:59:00', 'ann@consumer.test', 'app.delete', 'app', '12', '{"by": "test"}'],
        ]
        everything = read_csv((await admin.get('/admin/audit.csv')).text)
        assert len(everything) == 6 and everything[-1][1:3] == ['admin@provider.test', 'user.create']
        refused = await admin.get('/admin/audit.csv', params={'to': 'yesterday'})
        assert refused.status_code == 400 and 'to: Write a date as YYYY-MM-DD' in refused.text
    async with _as(user, people['ann']) as developer:
        response = await developer.get('/admin/audit.csv', follow_redirects=False)
        assert response.status_code == 303 and response.headers['location'] == '/forbidden'
        assert 'app.approve' not in response.text


async def test_the_export_reads_a_long_log_in_batches_without_losing_or_repeating_a_row(user) -> None:
    ada = an_admin('admin@provider.test')
    same_second = datetime(2026, 3, 1, 12)  # ties on the time: the ID orders them
    AuditEvent.insert_many([{'at': same_second, 'actor': ada, 'action': 'plan.update', 'target_type': 'plan',
                             'target_id': number, 'detail': {}} for number in range(1, 1201)]).execute()
    async with _as(user, ada) as admin:
        rows = read_csv((await admin.get('/admin/audit.csv', params={'object': 'plan'})).text)[1:]
    assert sorted(int(row[4]) for row in rows) == list(range(1, 1201))
    assert [int(row[4]) for row in rows] == sorted((int(row[4]) for row in rows), reverse=True)


async def test_a_cell_a_spreadsheet_would_run_is_exported_as_text(user) -> None:
    """An organisation named like a formula, recorded in the details, stays text in the CSV."""
    ada = an_admin('admin@provider.test')
    AuditEvent.create(actor=ada, action='=cmd|/c calc!A1', detail={})
    AuditEvent.create(actor=ada, action='organisation.create', detail={})
    async with _as(user, ada) as admin:
        rows = read_csv((await admin.get('/admin/audit.csv')).text)[1:]
    assert {row[2] for row in rows} == {"'=cmd|/c calc!A1", 'organisation.create'}


async def test_the_page_filters_and_explains_a_bad_date_next_to_the_field(user) -> None:
    a_history()
    await opens_as(user, 'admin@provider.test', '/admin/audit')
    await user.should_see('1–5 of 5')
    user.find(marker='audit-object').type('app #12')
    await user.should_see('1–2 of 2', retries=20)
    user.find(marker='audit-from').type('2026-13-01')
    await until(lambda: 'YYYY-MM-DD' in (field_error(user, 'audit-from') or ''))
    await user.should_see('1–2 of 2')  # the list is what it was
    user.find(marker='audit-from').clear().type('2026-03-02')
    await user.should_see('1–1 of 1', retries=20)
    assert field_error(user, 'audit-from') is None
    user.find(marker='audit-actor').type('nobody@')
    await user.should_see('No event matches these filters.', retries=20)
