"""Calls per credential and day: counted in memory on the hot path, added to UsageDaily in batches."""
from __future__ import annotations

import threading
from datetime import date, timedelta

import peewee as pw

from db.connection import database
from db.models import AccessRequest, AccessRequestProduct, App, Credential, Organisation, Product, UsageDaily

_pending: dict[tuple[int, date], list[int]] = {}
_lock = threading.Lock()


def count(credential_id: int, refused: bool = False) -> None:
    key = (credential_id, date.today())
    with _lock:
        entry = _pending.setdefault(key, [0, 0])
        entry[1 if refused else 0] += 1


def flush() -> int:
    """Write the counted calls (one upsert per credential and day); returns how many rows were touched."""
    with _lock:
        batch = dict(_pending)
        _pending.clear()
    if not batch:
        return 0
    existing = {row.id for row in Credential.select(Credential.id)
                .where(Credential.id.in_(list({key[0] for key in batch})))}
    rows = [{'credential': credential_id, 'day': day, 'calls': calls, 'refused': refused}
            for (credential_id, day), (calls, refused) in batch.items() if credential_id in existing]
    with database.atomic():
        for first in range(0, len(rows), 500):  # one statement per 500 rows: flushing must not stall the loop
            (UsageDaily.insert_many(rows[first:first + 500])
             .on_conflict(conflict_target=[UsageDaily.credential, UsageDaily.day],
                          update={UsageDaily.calls: UsageDaily.calls + pw.EXCLUDED.calls,
                                  UsageDaily.refused: UsageDaily.refused + pw.EXCLUDED.refused})
             .execute())
    return len(rows)


def calls_in_period(credential_id: int, period: str, today: date) -> int:
    start = today.replace(day=1) if period == 'month' else today
    return UsageDaily.select(pw.fn.COALESCE(pw.fn.SUM(UsageDaily.calls), 0)).where(
        (UsageDaily.credential == credential_id) & (UsageDaily.day >= start)).scalar() or 0


def daily_calls_of_app(app: App, days: int = 30) -> list[tuple[date, int]]:
    """The last `days` days of one app, zeros included (one query)."""
    start = date.today() - timedelta(days=days - 1)
    rows = dict(UsageDaily.select(UsageDaily.day, pw.fn.SUM(UsageDaily.calls)).join(Credential)
                .where((Credential.app == app) & (UsageDaily.day >= start)).group_by(UsageDaily.day).tuples())
    rows = {(day if isinstance(day, date) else date.fromisoformat(str(day))): calls for day, calls in rows.items()}
    return [(start + timedelta(days=i), int(rows.get(start + timedelta(days=i), 0))) for i in range(days)]


def top_apps(days: int = 30, limit: int = 10) -> list[tuple[str, str, int]]:
    """(app, organisation, calls) of the busiest apps."""
    start = date.today() - timedelta(days=days - 1)
    total = pw.fn.SUM(UsageDaily.calls)
    return [(name, org, int(calls)) for name, org, calls in
            UsageDaily.select(App.name, Organisation.name, total).join(Credential).join(App).join(Organisation)
            .where(UsageDaily.day >= start).group_by(App.id, App.name, Organisation.name)
            .order_by(total.desc()).limit(limit).tuples()]


def top_products(days: int = 30, limit: int = 10) -> list[tuple[str, int]]:
    """(product, calls): each credential's calls counted for every product it covers."""
    start = date.today() - timedelta(days=days - 1)
    total = pw.fn.SUM(UsageDaily.calls)
    return [(name, int(calls)) for name, calls in
            UsageDaily.select(Product.name, total).join(Credential).join(AccessRequest)
            .join(AccessRequestProduct).join(Product).where(UsageDaily.day >= start)
            .group_by(Product.id, Product.name).order_by(total.desc()).limit(limit).tuples()]


def reset() -> None:
    with _lock:
        _pending.clear()

