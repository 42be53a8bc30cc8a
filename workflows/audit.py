"""The audit trail: who did what to which object, written in the same transaction as the change."""
from __future__ import annotations

from db.models import AuditEvent, User


def record(actor: User | None, action: str, target=None, **detail) -> None:
    AuditEvent.create(
        actor=actor,
        action=action,
        target_type=type(target).__name__.lower() if target is not None else '',
        target_id=getattr(target, 'id', None),
        detail=detail,
    )
