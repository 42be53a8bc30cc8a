"""Webhooks out (issue 16): the worker that delivers the events workflows/webhook_events.py wrote.

Claiming is the mail outbox's (mail/worker.py): PostgreSQL's FOR UPDATE SKIP LOCKED, SQLite's conditional
UPDATE, a claim of a dead instance expires. Each delivery is signed per Standard Webhooks (the
`standardwebhooks` package: `webhook-id`, `webhook-timestamp`, `webhook-signature`), sent without following
redirects to an address checked again at each send, logged (status, response code, time, an excerpt) and
retried with back-off; an endpoint that keeps failing longer than the setting is disabled and the admins
are emailed. Delivery is at least once: a receiver de-duplicates by `webhook-id`.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import httpx
from standardwebhooks import Webhook

import config
from db import claims, clock
from db.connection import database
from db.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from domain import metrics
from domain.errors import DomainError
from workflows import webhook_endpoints

log = logging.getLogger('portico.webhooks')

MAX_ATTEMPTS = 10
BATCH = 20
TIMEOUT_SECONDS = 10  # per connect, write or read
DEADLINE_SECONDS = 15  # per attempt in all: connect, send, headers and body; a trickling receiver is cut off
EXCERPT = 500
USER_AGENT = 'Portico-Webhooks/1'


def backoff(attempts: int) -> timedelta:
    """5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 2 h (ten tries span about nine hours)."""
    steps = [5, 30, 120, 600, 1800, 3600]
    return timedelta(seconds=steps[attempts - 1] if attempts <= len(steps) else 7200)


def _claimable():
    now = clock.now()
    timeout = timedelta(seconds=config.current().mail_claim_seconds)
    enabled = WebhookEndpoint.select(WebhookEndpoint.id).where(WebhookEndpoint.enabled)  # a disabled one keeps its queue
    return ((((WebhookDelivery.status == DeliveryStatus.QUEUED) & (WebhookDelivery.next_attempt_at <= now))
             | ((WebhookDelivery.status == DeliveryStatus.SENDING) & (WebhookDelivery.claimed_at < now - timeout)))
            & WebhookDelivery.endpoint.in_(enabled))


def claim(instance: str, limit: int = BATCH) -> list[WebhookDelivery]:
    ids = claims.claim(WebhookDelivery, _claimable, DeliveryStatus.SENDING, instance, limit)
    if not ids:
        return []
    return list(WebhookDelivery.select(WebhookDelivery, WebhookEvent, WebhookEndpoint)
                .join(WebhookEvent).switch(WebhookDelivery).join(WebhookEndpoint)
                .where(WebhookDelivery.id.in_(ids)).order_by(WebhookDelivery.id))


def signed_headers(endpoint: WebhookEndpoint, event: WebhookEvent, when: datetime) -> dict[str, str]:
    signature = Webhook(webhook_endpoints.secret_of(endpoint)).sign(event.message_id, when, event.payload)
    return {'webhook-id': event.message_id, 'webhook-timestamp': str(int(when.timestamp())),
            'webhook-signature': signature, 'content-type': 'application/json', 'user-agent': USER_AGENT}


def send(delivery: WebhookDelivery, client: httpx.Client) -> tuple[int | None, str, str]:
    """(response code, excerpt, error) of one try."""
    endpoint, event = delivery.endpoint, delivery.event
    try:
        # checked again at each send, and sent to the very address checked (the name may point elsewhere now)
        target, host, extensions = webhook_endpoints.delivery_target(endpoint.url)
        headers = {**signed_headers(endpoint, event, datetime.now(timezone.utc)), **host}
    except DomainError as error:
        return None, '', str(error)
    watchdog = _Deadline(DEADLINE_SECONDS)
    try:
        with client.stream('POST', target, content=event.payload.encode(), headers=headers,
                           extensions={**extensions, 'trace': watchdog.trace}) as response:
            body = b''
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= EXCERPT * 4 or watchdog.expired:
                    break
            if watchdog.expired:
                return None, body.decode('utf-8', 'replace')[:EXCERPT], watchdog.message
            return response.status_code, body.decode('utf-8', 'replace')[:EXCERPT], ''
    except httpx.HTTPError as error:
        return None, '', watchdog.message if watchdog.expired else f'{type(error).__name__}: {error}'[:500]
    finally:
        watchdog.cancel()


class _Deadline:
    """A hard limit on one attempt: httpx's timeouts hold per read, so a receiver sending a byte every few
    seconds could keep the (serial) worker for hours. At the deadline the connection's socket is shut
    down from a timer thread, which ends the blocked read at once; httpcore's trace hook hands us the
    socket as it is connected (and again when TLS wraps it)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def message(self) -> str:
        return f'No complete answer within {self.seconds:g} s: the attempt was cut off.'

    def trace(self, name: str, info: dict) -> None:
        if name in ('connection.connect_tcp.complete', 'connection.start_tls.complete'):
            sock = info['return_value'].get_extra_info('socket')
            with self._lock:
                self._sockets.append(sock)
                expired = self.expired
            if expired:
                self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:  # the plain socket's shutdown (an SSLSocket's own would drop its state under the reader)
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass

    def cancel(self) -> None:
        self._timer.cancel()


def deliver_due(instance: str | None = None, limit: int = BATCH) -> int:
    """Claim and send one batch; returns how many were delivered. Blocking: run it in a thread."""
    batch = claim(instance or config.current().instance_name, limit)
    delivered = 0
    if not batch:
        return 0
    # no kept-alive connections: each attempt connects anew, so its deadline watches its own socket
    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False,
                      limits=httpx.Limits(max_keepalive_connections=0)) as client:
        for delivery in batch:
            started = time.monotonic()
            code, excerpt, error = send(delivery, client)
            duration = int((time.monotonic() - started) * 1000)
            ok = code is not None and 200 <= code < 300
            record(delivery, code, excerpt, error if not ok and error else ('' if ok else f'HTTP {code}'), duration, ok)
            delivered += ok
    return delivered


def record(delivery: WebhookDelivery, code: int | None, excerpt: str, error: str, duration: int, ok: bool) -> None:
    now = clock.now()
    attempts = delivery.attempts + 1
    with database.atomic():
        WebhookAttempt.create(delivery=delivery.id, at=now, response_code=code, response_excerpt=excerpt,
                              error=error, duration_ms=duration)
        if ok:
            status, next_at = DeliveryStatus.DELIVERED, delivery.next_attempt_at
        else:
            status = DeliveryStatus.FAILED if attempts >= MAX_ATTEMPTS else DeliveryStatus.QUEUED
            next_at = now + backoff(attempts)
        metrics.WEBHOOK_DELIVERIES.labels('delivered' if ok else 'failed' if status == DeliveryStatus.FAILED
                                          else 'retrying').inc()
        (WebhookDelivery.update(status=status, attempts=attempts, next_attempt_at=next_at, claimed_by=None,
                                claimed_at=None, response_code=code, response_excerpt=excerpt, last_error=error,
                                last_attempt_at=now, delivered_at=now if ok else None)
         .where(WebhookDelivery.id == delivery.id).execute())
        if ok:
            WebhookEndpoint.update(failing_since=None).where(WebhookEndpoint.id == delivery.endpoint_id).execute()
        else:
            webhook_endpoints.count_failure(delivery.endpoint_id, now)
    if not ok:
        log.warning('webhook %s to endpoint %s not delivered (attempt %s): %s', delivery.event.message_id,
                    delivery.endpoint_id, attempts, error)


def deliver_all_due() -> int:
    """Batch after batch until nothing is due (one round of the background loop; blocking, in a thread)."""
    total = 0
    while sent := deliver_due():
        total += sent
    return total
