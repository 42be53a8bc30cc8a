"""GET /metrics (issue 27): this instance's counters in the Prometheus text format, for Prometheus (or anything that
reads it) holding PORTICO_METRICS_TOKEN or the gateway secret as a bearer token. Closed until one is set: the counts
name products and show traffic. Each instance answers for itself; scrape every instance."""
from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

import config
from db.models import OutboxMessage, OutboxStatus
from domain import metrics


def install(app) -> None:
    metrics.watch_outbox(_outbox_counts)
    app.add_api_route('/metrics', metrics_page, methods=['GET'])


def _outbox_counts() -> tuple[int, int]:
    waiting = OutboxMessage.select().where(OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING])).count()
    failed = OutboxMessage.select().where(OutboxMessage.status == OutboxStatus.FAILED).count()
    return waiting, failed


def metrics_page(request: Request) -> Response:
    """A plain `def`: FastAPI runs it in a thread, where the outbox is counted."""
    cfg = config.current()
    secrets = [secret for secret in (cfg.metrics_token, cfg.gateway_secret) if secret]
    if not secrets:
        return PlainTextResponse('metrics are off: set PORTICO_METRICS_TOKEN', status_code=503)
    scheme, _, given = request.headers.get('authorization', '').partition(' ')
    given = given.strip() if scheme.lower() == 'bearer' else request.headers.get('x-portico-gateway-secret', '')
    if not any(hmac.compare_digest(given.encode(), secret.encode()) for secret in secrets):
        return PlainTextResponse('a bearer token is needed: PORTICO_METRICS_TOKEN', status_code=401,
                                 headers={'WWW-Authenticate': 'Bearer realm="metrics"'})
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST,
                    headers={'Cache-Control': 'no-store'})
