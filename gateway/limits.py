"""A plan's rate limit (fixed windows) and quota (UTC day or month), counted per credential.

Every call is counted in this process, on the event loop, without any I/O. With NICEGUI_REDIS_URL set, a
background task sends the counts to Redis every PORTICO_LIMITS_SYNC_SECONDS (0.2 s) in one script call, from
a worker thread, and reads back the totals of all instances (as Kong's rate-limiting plugin does with
`sync_rate`). An instance decides with the totals of its last sync plus its own calls since, and syncs only the counters it
used, so a limit can be overshot by at most the calls each instance admits between two of its syncs (never
more than (instances - 1) x the limit). Should Redis fail, the instance keeps counting locally and sends
its counts once Redis is back.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import background
import config

log = logging.getLogger('portico.gateway')
MAX_KEYS = 100_000


@dataclass(frozen=True)
class Refusal:
    reason: str
    retry_after: int


def window_end(rate_period: int, now: float) -> float:
    return (int(now // rate_period) + 1) * rate_period


_periods: dict[str, tuple[float, float]] = {}  # period -> (start, end) of the last one computed


def period_end(period: str, now: float) -> float:
    """The end of the UTC day or month containing `now` (a Unix time)."""
    known = _periods.get(period)
    if known is not None and known[0] <= now < known[1]:
        return known[1]
    moment = datetime.fromtimestamp(now, timezone.utc)
    start = moment.replace(day=1) if period == 'month' else moment
    start = start.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    end = _period_end(period, moment)
    _periods[period] = (start, end)
    return end


def _period_end(period: str, moment: datetime) -> float:
    if period == 'month':
        following = (moment.replace(day=1) + timedelta(days=32)).replace(day=1)
    else:
        following = moment + timedelta(days=1)
    return following.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def keys_of(info, now: float, shared: bool) -> tuple[str, str | None]:
    """The counter names of a call: its rate window and, with a quota, its quota period."""
    known = info.counter_names  # (valid from, shared, valid until, rate, quota, quota period's end)
    if known is not None and known[0] <= now < known[2] and known[1] == shared:
        return known[3], known[4]
    plan = info.plan
    window = int(now // plan.rate_period)
    start = window * plan.rate_period
    rate = f'portico:rate:{info.credential_id}:{plan.rate_period}:{window}'
    if not plan.quota:
        info.counter_names = (start, shared, window_end(plan.rate_period, now), rate, None, 0.0)
        return rate, None
    # the quota's name lasts a day or a month: kept from the previous window when still current
    if known is not None and known[4] is not None and known[1] == shared and now < known[5]:
        quota, quota_end = known[4], known[5]
    else:
        quota_end = period_end(plan.quota_period, now)
        quota = f'portico:quota:{info.credential_id}:{plan.quota_period}:{int(quota_end)}'
        if not shared:  # counted from the stored usage at the key's load, which includes flushed calls
            quota += f':{info.loaded_at}'
    info.counter_names = (start, shared, min(window_end(plan.rate_period, now), quota_end), rate, quota, quota_end)
    return rate, quota


class Counters:
    """The counts of one instance: its own calls not yet synced, and the totals of the last sync."""

    def __init__(self) -> None:
        self.local: dict[str, int] = {}  # calls counted here since the last sync (all calls without Redis)
        self.sending: dict[str, int] = {}  # calls on their way to Redis
        self.synced: dict[str, int] = {}  # the totals of all instances at the last sync
        self.bases: dict[str, int] = {}  # a quota's stored calls, the start value of its shared counter
        self.expiry: dict[str, float] = {}  # when a counter stops mattering (Unix time)

    def seen(self, name: str, base: int = 0) -> int:
        return self.synced.get(name, base) + self.sending.get(name, 0) + self.local.get(name, 0)

    def used(self, info, now: float, shared: bool) -> tuple[int, int]:
        """(calls in the current rate window, calls in the current quota period) as far as known here."""
        rate, quota = keys_of(info, now, shared)
        return self.seen(rate), (self.seen(quota, info.quota_used) if quota else 0)

    def add(self, info, now: float, shared: bool) -> None:
        rate, quota = keys_of(info, now, shared)  # the names used() just computed, from the key's info
        self.count(info, now, rate, quota)

    def count(self, info, now: float, rate: str, quota: str | None) -> None:
        """One call under the counter names of its key and time (`keys_of`)."""
        self.local[rate] = self.local.get(rate, 0) + 1
        if rate not in self.expiry:
            self.expiry[rate] = window_end(info.plan.rate_period, now) + 1
        if quota:
            self.local[quota] = self.local.get(quota, 0) + 1
            if quota not in self.expiry:
                self.expiry[quota] = period_end(info.plan.quota_period, now) + 60
                self.bases[quota] = info.quota_used
        if len(self.expiry) > MAX_KEYS:
            self.prune(now)

    def prune(self, now: float) -> None:
        for name in [name for name, until in self.expiry.items() if until < now]:
            for table in (self.local, self.synced, self.bases, self.expiry):
                table.pop(name, None)

    def take(self) -> dict[str, int]:
        """On the event loop, O(1): the calls counted since the last sync, which stay visible (in `sending`)
        until the totals come back. Only counters used since the last sync are sent: an idle one is brought
        up to date at the sync after its next use."""
        self.sending, self.local = self.local, {}
        return self.sending

    def batch(self, sending: dict[str, int], now: float) -> list[tuple[str, int, int | None, int]]:
        """(counter, calls, start value, seconds to live) for each counter (in the worker thread: `sending`
        is no longer written by the loop, and single reads of the other dictionaries are safe)."""
        expiry, bases = self.expiry, self.bases
        return [(name, calls, bases.get(name), max(1, int(expiry.get(name, now + 60) - now)))
                for name, calls in sending.items()]

    def settle(self, totals: dict[str, int] | None) -> None:
        """The totals after a sync, or None when it failed (the calls are counted here again)."""
        if totals is None:
            for name, calls in self.sending.items():
                self.local[name] = self.local.get(name, 0) + calls
        else:
            self.synced.update(totals)
        self.sending = {}


# One script call per sync whatever the number of counters, with the names, calls, start values and lifetimes in
# one argument and the totals in one answer: packing and parsing an argument per value cost the sync thread
# (and so the event loop, through the GIL) about 16 ms per 4,000 counters, five times a second; the names as
# 4,000 KEYS arguments still cost redis-py 4 ms of packing, in one string they cost nothing. (The counters
# need one Redis, not a cluster: a sync touches keys of every slot.)
SYNC_SCRIPT = """
local totals = {}
local i = 0
for name, calls, base, ttl in string.gmatch(ARGV[1], '(%S+) (%d+) (%S+) (%d+)') do
  i = i + 1
  calls, ttl = tonumber(calls), tonumber(ttl)
  if base ~= '-' then redis.call('SET', name, base, 'NX', 'EX', ttl) end
  totals[i] = redis.call('INCRBY', name, calls)
  if calls > 0 then redis.call('EXPIRE', name, ttl) end
end
return table.concat(totals, ' ')
"""
_scripts: dict[int, object] = {}


def push(client, batch: list[tuple[str, int, int | None, int]]) -> dict[str, int]:
    """Add the calls and read back the totals of all instances, in one script call (in a worker thread)."""
    if not batch:
        return {}
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(SYNC_SCRIPT)
    packed = ' '.join(f'{name} {calls} {"-" if base is None else base} {ttl}' for name, calls, base, ttl in batch)
    return dict(zip([name for name, _, _, _ in batch], map(int, script(keys=[], args=[packed]).split())))


counters = Counters()
_client_state: dict = {'url': None, 'client': None}


def shared() -> bool:
    return bool(config.current().redis_url)


def used(info, now: float) -> tuple[int, int]:
    return counters.used(info, now, shared())


def add(info, now: float) -> None:
    counters.add(info, now, shared())


def _redis():
    import redis
    url = config.current().redis_url
    if _client_state['url'] != url:
        _client_state.update(url=url, client=redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1))
    return _client_state['client']


def sync_once(target: Counters | None = None) -> None:
    """One sync from the calling thread (tests and scripts; the server uses sync_forever)."""
    target = target or counters
    sending = target.take()
    try:
        target.settle(push(_redis(), target.batch(sending, time.time())))
    except Exception:
        target.settle(None)
        raise


async def sync_forever() -> None:
    """Send the counts to Redis and read back the totals, off the event loop, until cancelled."""
    failing_since, pruned = 0.0, time.time()

    async def sync() -> None:
        nonlocal failing_since, pruned
        now = time.time()
        if now - pruned > 10:  # counters of past windows go, without walking them all five times a second
            counters.prune(now)
            pruned = now
        if not shared():
            return
        target = counters
        sending = target.take()
        try:
            totals = await background.in_thread(lambda: push(_redis(), target.batch(sending, now)))
        except asyncio.CancelledError:
            target.settle(None)
            raise
        except Exception as error:  # noqa: BLE001 - counting goes on locally while Redis is away
            target.settle(None)
            if time.monotonic() - failing_since > 60:
                failing_since = time.monotonic()
                log.warning('Redis unavailable for rate limits, counting locally: %s', error)
            return
        target.settle(totals)
        failing_since = 0.0

    await background.repeat('rate-limit sync', sync, lambda: config.current().limits_sync_seconds, wait_first=True)


def reset() -> None:
    global counters
    counters = Counters()
