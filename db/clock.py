"""The one clock of Portico: naive UTC datetimes, and seconds that only go forward for caches; tests step both
past an expiry with advance() instead of sleeping."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

_offset = timedelta()
_offset_seconds = 0.0  # the same, for monotonic(), which the gateway reads on every call


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None) + _offset


def monotonic() -> float:
    """Seconds for cache lifetimes (time.monotonic, moved by advance() as now() is)."""
    return time.monotonic() + _offset_seconds


def advance(delta: timedelta) -> None:
    """Move the clock forward (tests only)."""
    global _offset, _offset_seconds
    _offset += delta
    _offset_seconds = _offset.total_seconds()


def reset() -> None:
    global _offset, _offset_seconds
    _offset, _offset_seconds = timedelta(), 0.0
