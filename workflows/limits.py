"""A plan's rate limit and quota, counted per credential.

Counters live in this process (fixed windows); the quota starts from the calls stored in UsageDaily when
the key was looked up, so it survives restarts up to the last flush of usage.
"""
from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class Refusal:
    reason: str
    retry_after: int


_windows: dict[tuple[int, int], int] = {}
_quota: dict[tuple[int, float], int] = {}  # (credential, loaded_at) -> calls since the load


def check(info) -> Refusal | None:
    """Count one call against the plan; a Refusal when the rate limit or the quota is exhausted."""
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
