"""Calls per credential and UTC day: counted in memory on the hot path, added to UsageDaily in batches.

Days are UTC days, like the quota periods in `limits`, so that "calls today" in My apps and the daily
quota count the same calls."""
from __future__ import annotations

import threading
from datetime import date, datetime, timezone

import peewee as pw

from db.connection import database
from db.models import Credential, UsageDaily

_pending: dict[tuple[int, date], list[int]] = {}
_lock = threading.Lock()


def today() -> date:
    """The current UTC day."""
    return datetime.now(timezone.utc).date()


def period_start(period: str, day: date) -> date:
    return day.replace(day=1) if period == 'month' else day


def count(credential_id: int, refused: bool = False) -> None:
    key = (credential_id, today())
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


def calls_in_period(credential_id: int, period: str, day: date | None = None) -> int:
    """Stored calls of a credential in the quota period (UTC day or month) containing `day`."""
    start = period_start(period, day or today())
    return UsageDaily.select(pw.fn.COALESCE(pw.fn.SUM(UsageDaily.calls), 0)).where(
        (UsageDaily.credential == credential_id) & (UsageDaily.day >= start)).scalar() or 0


def reset() -> None:
    with _lock:
        _pending.clear()
