"""A plan's rate limit and quota, counted per credential, in fixed windows.

With NICEGUI_REDIS_URL set the counters live in Redis, so that a limit holds across all instances;
otherwise in this process. The quota starts from the calls stored in UsageDaily, so it survives restarts
up to the last flush of usage. Should Redis fail, the instance counts locally until it is back.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis

import config


@dataclass
class Refusal:
    reason: str
    retry_after: int


_windows: dict[tuple[int, int], int] = {}
_quota: dict[tuple[int, float], int] = {}  # (credential, loaded_at) -> calls since the load


def check(info) -> Refusal | None:
    """Count one call against the plan; a Refusal when the rate limit or the quota is exhausted."""
    client = _redis()
    if client is not None:
        try:
            return _check_redis(client, info)
        except redis.RedisError as error:
            _redis_failed(error)
    return _check_local(info)


def _check_redis(client, info) -> Refusal | None:
    plan = info.plan
    now = time.time()
    window = int(now // plan.rate_period)
    rate_key = f'portico:rate:{info.credential_id}:{plan.rate_period}:{window}'
    pipe = client.pipeline()
    pipe.incr(rate_key)
    pipe.expire(rate_key, plan.rate_period + 1)
    if plan.quota:
        seconds = _seconds_to_next_period(plan.quota_period)
        quota_key = f'portico:quota:{info.credential_id}:{plan.quota_period}:{int(now + seconds)}'
        pipe.set(quota_key, info.quota_used, nx=True, ex=seconds + 60)
        pipe.incr(quota_key)
    results = pipe.execute()
    if results[0] > plan.rate_limit:
        return Refusal(f'rate limit of {plan.rate_limit} requests per {plan.rate_period} s exceeded',
                       max(1, int((window + 1) * plan.rate_period - now + 0.999)))
    if plan.quota and results[3] > plan.quota:
        return Refusal(f'quota of {plan.quota} requests per {plan.quota_period} used up', seconds)
    return None


_client_state: dict = {'url': None, 'client': None, 'failed_at': 0.0}


def _redis():
    url = config.current().redis_url
    if not url or time.monotonic() - _client_state['failed_at'] < 5:
        return None
    if _client_state['url'] != url:
        _client_state.update(url=url, client=redis.Redis.from_url(url, socket_timeout=0.5,
                                                                  socket_connect_timeout=0.5))
    return _client_state['client']


def _redis_failed(error: Exception) -> None:
    _client_state['failed_at'] = time.monotonic()
    logging.getLogger('portico.gateway').warning('Redis unavailable for rate limits, counting locally: %s', error)


def _check_local(info) -> Refusal | None:
    plan = info.plan
    now = time.time()
    window = int(now // plan.rate_period)
    key = (info.credential_id, window)
    used = _windows.get(key, 0)
    if used >= plan.rate_limit:
        return Refusal(f'rate limit of {plan.rate_limit} requests per {plan.rate_period} s exceeded',
                       max(1, int((window + 1) * plan.rate_period - now + 0.999)))
    if plan.quota:
        quota_key = (info.credential_id, info.loaded_at)
        since_load = _quota.get(quota_key, 0)
        if info.quota_used + since_load >= plan.quota:
            return Refusal(f'quota of {plan.quota} requests per {plan.quota_period} used up',
                           _seconds_to_next_period(plan.quota_period))
        _quota[quota_key] = since_load + 1
    _windows[key] = used + 1
    if len(_windows) > 100_000:
        _prune(window)
    return None


def _prune(current_window: int) -> None:
    for key in [k for k in _windows if k[1] < current_window - 1]:
        del _windows[key]
    if len(_quota) > 100_000:
        _quota.clear()


def _seconds_to_next_period(period: str) -> int:
    import datetime as dt
    now = dt.datetime.now(dt.timezone.utc)
    if period == 'day':
        following = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        following = (now.replace(day=1) + dt.timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0,
                                                                         microsecond=0)
    return max(1, int((following - now).total_seconds()))


def reset() -> None:
    _windows.clear()
    _quota.clear()
