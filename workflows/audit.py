"""The audit trail: who did what to which object, written in the same transaction as the change."""
from __future__ import annotations

from contextvars import ContextVar

from db.models import AuditEvent, User
from workflows import webhooks

# the REST API sets this for the request it serves, so every event of that request names the token
via_token: ContextVar[str | None] = ContextVar('via_token', default=None)


def record(actor: User | None, action: str, target=None, **detail) -> None:
    token = via_token.get()
    if token is not None:
        detail['api_token'] = token
    AuditEvent.create(
        actor=actor,
        action=action,
        target_type=type(target).__name__.lower() if target is not None else '',
        target_id=getattr(target, 'id', None),
        detail=detail,
    )
    webhooks.emit(action, target, actor, detail)  # the action's webhook events, in the same transaction
