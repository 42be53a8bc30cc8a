"""The delivery worker: claims due messages atomically, renders and sends them, retries with back-off.

Claiming is safe with several instances: PostgreSQL uses SELECT ... FOR UPDATE SKIP LOCKED, SQLite a
conditional UPDATE per row. A message claimed by an instance that died is claimable again after
PORTICO_MAIL_CLAIM_SECONDS.

Stopping (SIGTERM): the message being handed to the SMTP server is finished and marked sent, the rest of
the batch is given back to the queue at once, so a restart sends each message exactly once. Only a process
killed without warning (SIGKILL, power cut) between the SMTP server's "OK" and the row's update sends that
one message again after the claim timeout, with the same Message-ID, so mail systems can drop the copy.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import config
from db import claims, clock, settings
from db.connection import SQLITE_PRAGMAS, database, is_postgres
from db.models import BrandAsset, OutboxMessage, OutboxStatus
from domain import i18n
from domain.brand import Look
from domain.i18n import _
from mail import branded, outbox, templates, transports

log = logging.getLogger('portico.mail')

MAX_ATTEMPTS = 12
BATCH = 20


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s ... capped at 10 minutes: twelve tries span about an hour and a half."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 600))


def claim_timeout() -> timedelta:
    """After this long, a message claimed by an instance that died is claimable again."""
    return timedelta(seconds=config.current().mail_claim_seconds)


def _claimable():
    now = clock.now()
    return (((OutboxMessage.status == OutboxStatus.QUEUED) & (OutboxMessage.next_attempt_at <= now))
            | ((OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.claimed_at < now - claim_timeout())))


def claim(instance: str, limit: int = BATCH) -> list[OutboxMessage]:
    """Take up to `limit` due messages for this instance; no other instance gets the same ones."""
    ids = claims.claim(OutboxMessage, _claimable, OutboxStatus.SENDING, instance, limit)
    return list(OutboxMessage.select().where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)) if ids else []


@dataclass(frozen=True)
class Looks:
    """What the messages of a batch share, read once per batch (not once per message): the portal name and its
    brand (colours, footer links, a raster logo), which can change at any time, the portal's default language
    (for messages queued without one) and the admin's versions of the batch's templates in their languages."""
    portal_name: str
    templates: dict[tuple[str, str], tuple[str, str]]
    brand: Look | None = None
    logo: tuple[str, bytes] | None = None  # content type and bytes of a raster logo (no SVG: mail clients hide it)
    default_language: str = i18n.DEFAULT

    @classmethod
    def read(cls, messages: Iterable[OutboxMessage]) -> Looks:
        values = settings.load()
        look = Look.of(values)
        logo = None
        if look.logo and look.logo_type in branded.RASTER:
            row = BrandAsset.get_or_none(BrandAsset.kind == 'logo')
            logo = (row.content_type, bytes(row.data)) if row is not None else None
        default = values.get('default_language')
        default = default if default in settings.SHIPPED_LANGUAGES else i18n.DEFAULT
        wanted = {(message.template_key, language_of(message, default)) for message in messages}
        return cls(look.portal_name, templates.overrides(wanted), look, logo, default)

    def html(self, body: str, locale: str = i18n.DEFAULT) -> branded.HtmlPart:
        return branded.html_part(body, self.brand or Look.of({'portal_name': self.portal_name}), self.logo, locale)

    def text(self, body: str) -> str:
        return branded.plain_text(body, self.brand) if self.brand is not None else body


def language_of(message: OutboxMessage, default: str) -> str:
    """The language a message is written in: the recipient's when it was queued, else (queued by a release before
    issue 28) the portal's default now."""
    return message.locale if message.locale in settings.SHIPPED_LANGUAGES else default


def render(message: OutboxMessage, *, reveal_secrets: bool = True, looks: Looks | None = None) -> tuple[str, str]:
    """The subject and body of a message in its language."""
    looks = looks or Looks.read([message])
    locale = language_of(message, looks.default_language)
    with i18n.use(locale):
        context = {'portal_name': looks.portal_name, **message.context}
        if reveal_secrets:
            context.update(outbox.unseal(message.secret_context or {}))
        else:
            hidden = _('(link hidden: only the recipient sees it)')
            context.update({key: hidden for key in message.secret_context or {}})
        subject, body = templates.render(message.template_key, context, looks.templates, locale)
    # a line break in a subject (a name stored before CR was refused) must not break the message's headers
    return ' '.join(subject.split()), body


def message_id(message: OutboxMessage) -> str:
    """The left part of the Message-ID header: the same each time this row is sent."""
    digest = hashlib.sha256(f'{message.id}:{message.created_at}'.encode()).hexdigest()[:16]
    return f'portico.{message.id}.{digest}'


def deliver_due(transport=None, instance: str | None = None, limit: int = BATCH,
                stopping: threading.Event | None = None) -> int:
    """Claim and deliver one batch; returns how many messages went out. Blocking: run in a thread.
    Once `stopping` is set, the message in flight is finished and the rest goes back to the queue."""
    cfg = config.current()
    transport = transport or transports.from_config(cfg)
    batch = claim(instance or cfg.instance_name, limit)
    if not batch:
        return 0
    sent, handled, in_flight = 0, 0, False
    try:
        looks = Looks.read(batch)
        with transport.session() as send:
            for message in batch:
                if stopping is not None and stopping.is_set():
                    break
                in_flight = True
                try:
                    subject, body = render(message, looks=looks)
                    html = looks.html(body, language_of(message, looks.default_language))
                    send(message.recipient, subject, looks.text(body), message_id(message), html=html)
                except transports.ConnectionLost:
                    raise
                except Exception as error:  # noqa: BLE001 - a broken template or a refused recipient fails one
                    _mark_failed(message, error)
                else:
                    _mark_sent(message, subject)  # at once: a crash now re-sends at most the message in flight
                    sent += 1
                handled += 1
                in_flight = False
    except transports.ConnectionLost as error:
        for message in batch[handled:]:
            if OutboxMessage.get_by_id(message.id).status == OutboxStatus.SENDING:
                _mark_failed(message, error)
        handled, in_flight = len(batch), False
    finally:
        # what was never handed to the server goes back to the queue now (a message whose sending broke
        # off in some other way waits for the claim timeout: it may have been delivered)
        _release(batch[handled + in_flight:], instance or cfg.instance_name)
    if sent and not is_postgres():
        _checkpoint()
    return sent


def deliver_all_due(stopping: threading.Event | None = None) -> int:
    """Batch after batch until nothing is due or `stopping` is set (the background loop's round)."""
    total = 0
    while not (stopping is not None and stopping.is_set()):
        sent = deliver_due(stopping=stopping)
        if not sent:
            break
        total += sent
    return total


def _release(messages: list[OutboxMessage], instance: str) -> None:
    """Give claimed messages that were not tried back to the queue, due at once, no attempt counted."""
    if messages:
        (OutboxMessage.update(status=OutboxStatus.QUEUED, claimed_by=None, claimed_at=None)
         .where(OutboxMessage.id.in_([message.id for message in messages])
                & (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.claimed_by == instance))
         .execute())


def _checkpoint() -> None:
    """With secure_delete on, the wiped link pages are zeroed in the database file; the checkpoint moves
    them out of the WAL and truncates it, so no old copy of a link stays on disk.

    Without waiting: a truncating checkpoint that waits for readers holds off writers, and a transaction
    that read before it then fails with "database is locked". A busy database checkpoints next time."""
    try:
        database.execute_sql('PRAGMA busy_timeout = 0')
        try:
            database.execute_sql('PRAGMA wal_checkpoint(TRUNCATE)')
        finally:
            database.execute_sql(f'PRAGMA busy_timeout = {SQLITE_PRAGMAS["busy_timeout"]}')
    except Exception as error:  # noqa: BLE001
        log.debug('checkpoint skipped: %s', error)


def _mark_sent(message: OutboxMessage, subject: str) -> None:
    (OutboxMessage.update(status=OutboxStatus.SENT, sent_at=clock.now(), subject=subject[:255],
                          secret_context={key: None for key in message.secret_context or {}},
                          attempts=OutboxMessage.attempts + 1, last_error='')
     .where(OutboxMessage.id == message.id).execute())


def _mark_failed(message: OutboxMessage, error: Exception) -> None:
    attempts = message.attempts + 1
    status = OutboxStatus.FAILED if attempts >= MAX_ATTEMPTS else OutboxStatus.QUEUED
    (OutboxMessage.update(status=status, attempts=attempts, last_error=str(error)[:1000],
                          next_attempt_at=clock.now() + backoff(attempts), claimed_by=None, claimed_at=None)
     .where(OutboxMessage.id == message.id).execute())
    log.warning('email %s to %s not delivered (attempt %s): %s', message.id, message.recipient, attempts, error)
