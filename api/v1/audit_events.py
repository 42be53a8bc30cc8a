"""Audit events: filtered and paged, newest first."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.v1.auth import Principal, reader
from api.v1.common import READ_ERRORS, QueryId, ReleasingRoute, utc
from api.v1.paging import Page, Paging, filtered, page
from api.v1.problems import Problem
from db.models import AuditEvent

router = APIRouter(prefix='/audit-events', tags=['audit events'], route_class=ReleasingRoute)


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    action: str
    target_type: str
    target_id: int | None
    detail: dict[str, Any]


def show(event: AuditEvent) -> AuditEventOut:
    return AuditEventOut(id=event.id, at=utc(event.at), actor_id=event.actor_id, action=event.action,
                         target_type=event.target_type, target_id=event.target_id, detail=event.detail or {})


@router.get('', response_model=Page[AuditEventOut], responses=READ_ERRORS, summary='List audit events, newest first')
def list_events(paging: Paging = Depends(), action: str | None = Query(None, max_length=64, description='e.g. access.approve'),
                actor_id: QueryId = None, target_type: str | None = Query(None, max_length=32),
                target_id: QueryId = None,
                since: str | None = Query(None, max_length=40, json_schema_extra={'format': 'date-time'},
                                          description='events at or after this time (RFC 3339)'),
                until: str | None = Query(None, max_length=40, json_schema_extra={'format': 'date-time'},
                                          description='events before this time (RFC 3339)'),
                _: Principal = Depends(reader)) -> dict:
    query = filtered(AuditEvent.select(), (AuditEvent.action, action), (AuditEvent.actor, actor_id),
                     (AuditEvent.target_type, target_type), (AuditEvent.target_id, target_id))
    for name, text, compare in (('since', since, AuditEvent.at.__ge__), ('until', until, AuditEvent.at.__lt__)):
        if text is not None:  # any RFC 3339 date-time, as the description says (issue 27)
            query = query.where(compare(_rfc3339(text, name)))
    return page(query, AuditEvent.id, paging, show, newest_first=True)


def _rfc3339(text: str, field: str) -> datetime:
    """An RFC 3339 date-time (`T` or a space, `Z` or an offset, any fraction), as naive UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().upper().replace('Z', '+00:00'))
    except ValueError:
        raise Problem(422, 'Give a time like 2026-01-31T12:00:00Z (RFC 3339).', field=field) from None
    if moment.tzinfo is None:
        raise Problem(422, 'Give the time with its offset: 2026-01-31T12:00:00Z (RFC 3339).', field=field)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)
