"""Queueing email: a row written in the caller's transaction; rendering and sending happen later.

Link tokens (verify, invite, reset) are kept encrypted with a key derived from the portal's secret,
decrypted only to render the message, and wiped once it is delivered: a copy of the database (or of
SQLite's WAL) taken while mail is down holds no usable link.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import config
from db import settings
from db.models import OutboxMessage, OutboxStatus
from domain import i18n
from domain.at_rest import Seal
from mail import templates

SEAL = Seal(b'portico-outbox', b'links')


def seal(secret: dict) -> dict:
    return {key: SEAL.close(str(value)) for key, value in secret.items()}


def unseal(sealed: dict) -> dict:
    """The secret values for rendering; raises cryptography's InvalidToken when the secret key changed."""
    return {key: _open(value) for key, value in sealed.items() if value is not None}


def _open(value: str) -> str:
    if not value.startswith('gAAAAA'):  # queued in the clear by a release before encryption, still due
        return value
    return SEAL.open(value)


def queue(template_key: str, recipient: str, *, secret: dict | None = None, **context) -> OutboxMessage:
    """Queue one email in its recipient's language (their choice, else the portal's default). `secret` holds link
    tokens: stored encrypted, used to render, wiped once delivered. A lazy message among the values (a reason, "in
    14 days") is written in that language now: the row keeps text, not code."""
    if template_key not in templates.DESCRIPTIONS:
        raise KeyError(f'no email template {template_key!r}')
    address = recipient.strip().lower()
    locale = settings.language_of(address)
    with i18n.use(locale):
        context = {name: _text(value) for name, value in context.items()}
    return OutboxMessage.create(template_key=template_key, recipient=address, locale=locale,
                                context=context, secret_context=seal(secret or {}))


def _text(value):
    if isinstance(value, i18n.Lazy):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_text(item) for item in value]
    return value


RETENTION_SETTING = 'outbox_retention_days'


def retention_days() -> int:
    """How long delivered emails are kept: Admin -> Settings, else PORTICO_OUTBOX_RETENTION_DAYS (30)."""
    value = str(settings.get(RETENTION_SETTING) or '').strip()
    return int(value) if value.isdigit() and int(value) > 0 else config.current().outbox_retention_days


def prune_outbox(now: datetime) -> int:
    """Delete the delivered emails older than the retention (queued and failed ones stay); how many went."""
    cutoff = now - timedelta(days=retention_days())
    return (OutboxMessage.delete()
            .where((OutboxMessage.status == OutboxStatus.SENT) & (OutboxMessage.sent_at < cutoff)).execute())


def retry(message_id: int) -> bool:
    """Put a failed message back in the queue (admin: Outbox -> Retry)."""
    return bool(OutboxMessage.update(status=OutboxStatus.QUEUED, attempts=0, last_error='')
                .where((OutboxMessage.id == message_id) & (OutboxMessage.status == OutboxStatus.FAILED))
                .execute())
