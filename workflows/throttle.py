"""Bounds on attempts per key (an address, a client, both) and fixed window: slows guessing down.

Counting is atomic: an attempt is counted first (one INSERT ... ON CONFLICT ... RETURNING, or a Redis
INCR) and only then allowed or refused, so parallel attempts count exactly like sequential ones. With
NICEGUI_REDIS_URL set the counters live in Redis and hold across instances; should Redis fail, the
database counts (shared by the instances as well).

Sign-in follows Django-axes and Keycloak: an address is locked for one client after a few failures
(`login`), while a slower budget per address over all clients (`login-address`) bounds guessing by a
botnet; a flood from one client stays below that budget, so it never locks the owner out elsewhere.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis

import config
from db import clock
from db.connection import database
from db.models import Throttle
from domain.errors import DomainError

log = logging.getLogger('portico.throttle')


@dataclass(frozen=True)
class Limit:
    attempts: int
    window: timedelta


LIMITS = {
    'login': Limit(5, timedelta(minutes=15)),            # one address from one client
    'login-address': Limit(50, timedelta(hours=1)),      # one address from every client together
    'login-client': Limit(30, timedelta(minutes=15)),    # one client, every address
    'reset': Limit(3, timedelta(minutes=15)),
    'reset-client': Limit(10, timedelta(minutes=15)),
    'register': Limit(3, timedelta(hours=1)),            # emails to one address
    'register-client': Limit(5, timedelta(hours=1)),
    # registrations with an invite code from one client: a hackathon room behind one address registers at
    # once, but one client holding a leaked code can neither drain it nor send mail without bound
    'register-code-client': Limit(60, timedelta(hours=1)),
    'register-code-client-day': Limit(200, timedelta(days=1)),
    'invite-code-client': Limit(10, timedelta(hours=1)),  # wrong invite codes from one client
    # codes of a second factor (an authenticator app's, a recovery code) for one account: from one client as
    # passwords are, and from every client together a budget that keeps guessing 6 digits hopeless
    'second-factor': Limit(5, timedelta(minutes=15)),
    'second-factor-account': Limit(20, timedelta(hours=1)),
    'passkey-client': Limit(30, timedelta(minutes=15)),  # passkey sign-ins begun by one client
}
DEFAULT = Limit(10, timedelta(minutes=15))
LONGEST = max(limit.window for limit in LIMITS.values())


class TooManyAttempts(DomainError):
    pass


def limit_of(key: str) -> Limit:
    return LIMITS.get(key.split(':', 1)[0], DEFAULT)


_EPOCH = datetime(1970, 1, 1)


def _window_number(key: str) -> int:
    seconds = int(limit_of(key).window.total_seconds())
    return int((clock.now() - _EPOCH).total_seconds()) // seconds


def _window_start(key: str) -> datetime:
    return _EPOCH + _window_number(key) * limit_of(key).window


def attempt(keys: list[str], message: str) -> None:
    """Count one attempt for every key, then refuse with TooManyAttempts if any key is past its bound.

    A refused attempt is counted too: hammering a locked key does not shorten the lock."""
    counts = _add(keys, 1)
    if any(count > limit_of(key).attempts for key, count in zip(keys, counts)):
        raise TooManyAttempts(message)


def exceeded(keys: list[str]) -> bool:
    """Whether a key has used up its attempts in this window, without counting one (a read only): for bounds
    that count failures only (wrong invite codes, wrong API tokens), checked before the attempt and counted
    after it failed, so a locked client is refused without a write per request."""
    client = _redis()
    if client is not None:
        try:
            counts = [int(value or 0) for value in client.mget([_redis_key(key) for key in keys])]
            return any(count >= limit_of(key).attempts for key, count in zip(keys, counts))
        except redis.RedisError as error:
            _redis_failed(error)
    for key in keys:
        count = (Throttle.select(Throttle.count)
                 .where((Throttle.key == key) & (Throttle.window_start == _window_start(key))).scalar())
        if (count or 0) >= limit_of(key).attempts:
            return True
    return False


def forgive(keys: list[str]) -> None:
    """Take back one attempt (it succeeded: only failures count)."""
    _add(keys, -1)


def clear(keys: list[str]) -> None:
    """Forget the key in the current window (e.g. the address's budget after a password reset)."""
    client = _redis()
    if client is not None:
        try:
            client.delete(*[_redis_key(key) for key in keys])
        except redis.RedisError as error:
            _redis_failed(error)
    Throttle.delete().where(Throttle.key.in_(keys)).execute()


def prune() -> int:
    return Throttle.delete().where(Throttle.window_start < clock.now() - 2 * LONGEST).execute()


# --- counting ---------------------------------------------------------------------------------------

def _add(keys: list[str], step: int) -> list[int]:
    client = _redis()
    if client is not None:
        try:
            return _add_redis(client, keys, step)
        except redis.RedisError as error:
            _redis_failed(error)
    return [_add_sql(key, step) for key in keys]


def _add_sql(key: str, step: int) -> int:
    start = _window_start(key)
    with database.atomic():
        if step > 0:
            query = Throttle.insert(key=key, window_start=start, count=step).on_conflict(
                conflict_target=[Throttle.key, Throttle.window_start],
                update={Throttle.count: Throttle.count + step})
        else:
            query = Throttle.update(count=Throttle.count + step).where(
                (Throttle.key == key) & (Throttle.window_start == start) & (Throttle.count > 0))
        rows = list(query.returning(Throttle.count).execute())
    return rows[0].count if rows else 0


def _redis_key(key: str) -> str:
    return f'portico:throttle:{key}:{_window_number(key)}'


def _add_redis(client: redis.Redis, keys: list[str], step: int) -> list[int]:
    pipe = client.pipeline(transaction=True)
    for key in keys:
        name = _redis_key(key)
        pipe.incrby(name, step)
        pipe.expire(name, int(limit_of(key).window.total_seconds()) + 60)
    results = pipe.execute()
    return [int(value) for value in results[::2]]


_state: dict = {'url': None, 'client': None}


def _redis() -> redis.Redis | None:
    url = config.current().redis_url
    if not url:
        return None
    if _state['url'] != url:
        _state.update(url=url, client=redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5))
    return _state['client']


def _redis_failed(error: Exception) -> None:
    log.warning('Redis unavailable for throttling, counting in the database: %s', error)
