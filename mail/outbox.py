"""Queueing email: a row written in the caller's transaction; rendering and sending happen later."""
from __future__ import annotations

from db.models import OutboxMessage, OutboxStatus
from mail import templates


def queue(template_key: str, recipient: str, *, secret: dict | None = None, **context) -> OutboxMessage:
    """Queue one email. `secret` holds link tokens: used to render, then wiped once delivered."""
    if template_key not in templates.DESCRIPTIONS:
        raise KeyError(f'no email template {template_key!r}')
    return OutboxMessage.create(template_key=template_key, recipient=recipient.strip().lower(),
                                context=context, secret_context=secret or {})


def retry(message_id: int) -> bool:
    """Put a failed message back in the queue (admin: Outbox -> Retry)."""
    return bool(OutboxMessage.update(status=OutboxStatus.QUEUED, attempts=0, last_error='')
                .where((OutboxMessage.id == message_id) & (OutboxMessage.status == OutboxStatus.FAILED))
                .execute())
