"""Calls per credential and UTC day: counted in memory on the hot path, added to UsageDaily in batches.

Days are UTC days, like the quota periods in `limits`, so that "calls today" in My apps and the daily
quota count the same calls."""
from __future__ import annotations

import operator
import threading
import time
from datetime import date, datetime, timedelta, timezone

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


_day: tuple[int, date | None] = (-1, None)  # the UTC day number (Unix time // 86400) last seen, and its date


def count(credential_id: int, refused: bool = False, now: float | None = None) -> None:
    """One call of a credential, at `now` (Unix time; default: the current time), counted in its UTC day."""
    number = (time.time() if now is None else now) // 86400  # Unix days are UTC days
    known = _day
    key = (credential_id, known[1] if number == known[0] else _day_of(int(number)))
    with _lock:
        entry = _pending.get(key)
        if entry is None:
            _pending[key] = [0, 1] if refused else [1, 0]
        else:
            entry[refused] += 1  # calls, refused


def _day_of(number: int) -> date:
    global _day
    day = date(1970, 1, 1) + timedelta(days=number)
    _day = (number, day)
    return day


def flush() -> int:
    """Write the counted calls (one upsert per credential and day); returns how many rows were touched."""
    with _lock:
        batch = dict(_pending)
        _pending.clear()
    if not batch:
        return 0
    ids = list({key[0] for key in batch})
    existing: set[int] = set()  # a key deleted meanwhile has no row to count on
    # plain SQL: Peewee took 12 ms to build an IN list of 2,000 ids, every flush (the GIL's, so the loop's)
    table, mark = UsageDaily._meta.table_name, database.param
    for first in range(0, len(ids), 5000):
        chunk = ids[first:first + 5000]
        cursor = database.execute_sql(f'SELECT id FROM {Credential._meta.table_name} '
                                      f'WHERE id IN ({", ".join([mark] * len(chunk))})', chunk)
        existing.update(credential_id for (credential_id,) in cursor.fetchall())
    rows = [(credential_id, day, calls, refused)
            for (credential_id, day), (calls, refused) in batch.items() if credential_id in existing]
    # one prepared statement for all rows (executemany): building a query per row costs the event loop
    # its share of the GIL for tens of milliseconds at thousands of keys
    sql = (f'INSERT INTO {table} (credential_id, day, calls, refused) VALUES ({mark}, {mark}, {mark}, {mark}) '
           f'ON CONFLICT (credential_id, day) DO UPDATE SET calls = {table}.calls + excluded.calls, '
           f'refused = {table}.refused + excluded.refused')
    with database.atomic():
        database.cursor().executemany(sql, rows)
    return len(rows)


def calls_in_period(credential_id: int, period: str, day: date | None = None) -> int:
    """Stored calls of a credential in the quota period (UTC day or month) containing `day`."""
    start = period_start(period, day or today())
    return UsageDaily.select(pw.fn.COALESCE(pw.fn.SUM(UsageDaily.calls), 0)).where(
        (UsageDaily.credential == credential_id) & (UsageDaily.day >= start)).scalar() or 0


def calls_by_period(credential_ids: list[int]) -> dict[tuple[int, str], int]:
    """Stored calls of each credential today and this month (UTC): {(credential, 'day'|'month'): calls}."""
    if not credential_ids:
        return {}
    day = today()
    totals: dict[tuple[int, str], int] = {}
    for credential_id, stored_day, calls in (
            UsageDaily.select(UsageDaily.credential, UsageDaily.day, UsageDaily.calls)
            .where(UsageDaily.credential.in_(id_list(credential_ids)) & (UsageDaily.day >= day.replace(day=1)))
            .tuples()):
        totals[(credential_id, 'month')] = totals.get((credential_id, 'month'), 0) + calls
        if str(stored_day) == str(day):
            totals[(credential_id, 'day')] = totals.get((credential_id, 'day'), 0) + calls
    return totals


def id_list(ids) -> pw.SQL:
    """`(1,2,3)`: an IN of row ids written inline (Peewee builds a parameter node per value; integers only)."""
    return pw.SQL('(' + (','.join([str(operator.index(value)) for value in ids]) or 'NULL') + ')')


def reset() -> None:
    with _lock:
        _pending.clear()
