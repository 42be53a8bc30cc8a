"""The one clock of Portico: naive UTC datetimes, replaceable so tests can step past an expiry."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

_offset = timedelta()


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None) + _offset


def advance(delta: timedelta) -> None:
    """Move the clock forward (tests only)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta()
