"""The audit trail: who did what to which object, written in the same transaction as the change; read back
by the admin's Audit log, filtered by actor, action, object and date, and exported as CSV."""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import peewee as pw

from db.models import AuditEvent, User
from domain.events import Event
from domain.errors import DomainError

FILTER_MAX = 100
EXPORT_BATCH = 500
CSV_HEADER = ['when (UTC)', 'actor', 'action', 'object type', 'object id', 'details']


def record(event: Event) -> None:
    """The listener that writes every announced event as an audit row (listeners.py registers it)."""
    target = event.target
    AuditEvent.create(
        actor=event.actor,
        action=event.name,
        target_type=type(target).__name__.lower() if target is not None else '',
        target_id=getattr(target, 'id', None),
        detail=event.detail,
    )


@dataclass(frozen=True)
class Filters:
    """What the admin looks for; empty parts match everything."""
    actor: str = ''  # part of the actor's email address, or "system" for what no person did
    action: str = ''  # an action or its beginning: "user." finds every action on users
    target_type: str = ''
    target_id: int | None = None
    since: date | None = None
    until: date | None = None  # inclusive

    def as_query(self) -> dict[str, str]:
        """The filters as the page's inputs write them (for the CSV link)."""
        target = self.target_type + (f' #{self.target_id}' if self.target_id is not None else '')
        values = {'actor': self.actor, 'action': self.action, 'object': target.strip(),
                  'from': self.since.isoformat() if self.since else '',
                  'to': self.until.isoformat() if self.until else ''}
        return {key: value for key, value in values.items() if value}


_TARGET = re.compile(r'^(?P<type>[a-z_]*)\s*#?\s*(?P<id>\d{1,9})?$')  # an ID fits the integer column


def parse_filters(actor: str = '', action: str = '', target: str = '', since: str = '', until: str = '') -> Filters:
    """The filters from what the admin typed; a DomainError names the field that cannot be understood."""
    values = {name: ' '.join((value or '').split()).lower()
              for name, value in (('actor', actor), ('action', action), ('object', target), ('from', since),
                                  ('to', until))}
    for name, value in values.items():
        if len(value) > FILTER_MAX:
            raise DomainError('Too long ({limit} characters at most).', name, limit=FILTER_MAX)
    match = _TARGET.match(values['object'])
    if match is None:
        raise DomainError('Write an object as its type and number, e.g. "app #12", or just "app".', 'object')
    start, end = _day(values['from'], 'from'), _day(values['to'], 'to')
    if start and end and end < start:
        raise DomainError('The end date is before the start date.', 'to')
    return Filters(actor=values['actor'], action=values['action'], target_type=match['type'] or '',
                   target_id=int(match['id']) if match['id'] else None, since=start, until=end)


def _day(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        if re.fullmatch(r'\d{4}-\d{2}-\d{2}', text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise DomainError('Write a date as YYYY-MM-DD, e.g. 2026-01-31.', field)


def _query(filters: Filters) -> pw.ModelSelect:
    query = (AuditEvent.select(AuditEvent, User)
             .join(User, pw.JOIN.LEFT_OUTER, on=(AuditEvent.actor == User.id)))
    if filters.actor == 'system':
        query = query.where(AuditEvent.actor.is_null())
    elif filters.actor:
        query = query.where(User.email.contains(filters.actor))
    if filters.action:
        query = query.where(AuditEvent.action.startswith(filters.action))
    if filters.target_type:
        query = query.where(AuditEvent.target_type == filters.target_type)
    if filters.target_id is not None:
        query = query.where(AuditEvent.target_id == filters.target_id)
    if filters.since:
        query = query.where(AuditEvent.at >= datetime.combine(filters.since, datetime.min.time()))
    if filters.until:
        query = query.where(AuditEvent.at < datetime.combine(filters.until + timedelta(days=1), datetime.min.time()))
    return query


def events(filters: Filters, offset: int, limit: int) -> tuple[list[AuditEvent], int]:
    """One page, newest first (the actor joined in), and how many match."""
    query = _query(filters)
    rows = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset(offset).limit(limit)
    return list(rows), query.count()


def export_csv(filters: Filters) -> Iterator[str]:
    """Every matching event as CSV text, newest first, read in batches (any size of log, little memory)."""
    yield _csv_line(CSV_HEADER)
    last: tuple[datetime, int] | None = None
    while True:
        query = _query(filters)
        if last is not None:
            query = query.where((AuditEvent.at < last[0]) | ((AuditEvent.at == last[0]) & (AuditEvent.id < last[1])))
        batch = list(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(EXPORT_BATCH))
        if not batch:
            return
        yield ''.join(_csv_line(_cells(event)) for event in batch)
        last = (batch[-1].at, batch[-1].id)


def _cells(event: AuditEvent) -> list[str]:
    actor = 'system' if event.actor_id is None else event.actor.email
    return [event.at.strftime('%Y-%m-%d %H:%M:%S'), actor, event.action, event.target_type,
            '' if event.target_id is None else str(event.target_id),
            json.dumps(event.detail, sort_keys=True, ensure_ascii=False) if event.detail else '']


def _csv_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator='\r\n').writerow([_inert(cell) for cell in cells])
    return out.getvalue()


def _inert(cell: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @, or a tab or return first) is kept as text."""
    return "'" + cell if cell[:1] in ('=', '+', '-', '@', '\t', '\r') else cell
