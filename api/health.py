"""Health for orchestrators (issue 27): `GET /healthz` says the process is alive (a liveness probe: restart it when
this fails); `GET /readyz` says it can do its work (a readiness probe: send it traffic only while this is 200): the
database answers, no email has waited too long to go out, and Redis answers when it is configured."""
from __future__ import annotations

from datetime import timedelta

import redis
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from nicegui import run

import config
from db import clock
from db.connection import reachable
from db.models import OutboxMessage, OutboxStatus

router = APIRouter()
HEADERS = {'Cache-Control': 'no-store'}


@router.get('/healthz')
async def healthz() -> JSONResponse:
    """Alive: the event loop answers. Nothing else is asked, so a slow database never gets the process killed."""
    return JSONResponse({'status': 'alive'}, headers=HEADERS)


@router.get('/readyz')
async def readyz() -> JSONResponse:
    checks = await run.io_bound(_checks)
    ready = all(check['ok'] for check in checks.values())
    return JSONResponse({'status': 'ready' if ready else 'not ready', 'checks': checks},
                        status_code=200 if ready else 503, headers=HEADERS)


def _checks() -> dict[str, dict]:
    cfg = config.current()
    checks = {'database': {'ok': reachable()}}
    if checks['database']['ok']:
        checks['mail_queue'] = _mail_queue(cfg.ready_mail_age_seconds)
    if cfg.redis_url:
        checks['redis'] = _redis(cfg.redis_url)
    return checks


def _mail_queue(limit_seconds: int) -> dict:
    """The age of the oldest email not sent yet (queued, retrying or being sent; not one given up on, which the
    Outbox page shows)."""
    now = clock.now()
    oldest = (OutboxMessage.select(OutboxMessage.created_at)
              .where(OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]))
              .order_by(OutboxMessage.created_at).limit(1).scalar())
    waiting = max(0, int((now - oldest) / timedelta(seconds=1))) if oldest is not None else 0
    return {'ok': waiting <= limit_seconds, 'oldest_due_seconds': waiting, 'limit_seconds': limit_seconds}


def _redis(url: str) -> dict:
    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            return {'ok': bool(client.ping())}
        finally:
            client.close()
    except redis.RedisError:
        return {'ok': False}
