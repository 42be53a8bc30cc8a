"""A bound on failed attempts per key (an address, a client) and window: slows guessing down."""
from __future__ import annotations

from datetime import timedelta

from db import clock
from db.models import Throttle
from workflows import DomainError

WINDOW = timedelta(minutes=15)
LIMITS = {'login': 5, 'login-client': 30, 'reset': 3, 'reset-client': 10, 'register-client': 10}


class TooManyAttempts(DomainError):
    pass


def _window_start():
    now = clock.now()
    minutes = int(WINDOW.total_seconds() // 60)
    return now.replace(minute=now.minute // minutes * minutes, second=0, microsecond=0)


def _limit(key: str) -> int:
    return LIMITS.get(key.split(':', 1)[0], 10)


def check(keys: list[str], message: str) -> None:
    """Raise TooManyAttempts when any key is at its bound in the current window."""
    start = _window_start()
    for row in Throttle.select().where((Throttle.key.in_(keys)) & (Throttle.window_start == start)):
        if row.count >= _limit(row.key):
            raise TooManyAttempts(message)


def hit(keys: list[str]) -> None:
    start = _window_start()
    for key in keys:
        Throttle.insert(key=key, window_start=start, count=1).on_conflict(
            conflict_target=[Throttle.key, Throttle.window_start],
            update={Throttle.count: Throttle.count + 1}).execute()


def clear(keys: list[str]) -> None:
    Throttle.delete().where(Throttle.key.in_(keys)).execute()


def prune() -> int:
    return Throttle.delete().where(Throttle.window_start < clock.now() - 2 * WINDOW).execute()
