"""Audit events: filtered and paged, newest first."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.v1.auth import Principal, reader
from api.v1.common import READ_ERRORS, QueryId, clean_filter, utc
from api.v1.paging import Paging, page
from db.models import AuditEvent

router = APIRouter(prefix='/audit-events', tags=['audit events'])


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    action: str
    target_type: str
    target_id: int | None
    detail: dict[str, Any]


class AuditEventPage(BaseModel):
    items: list[AuditEventOut]
    next_cursor: str | None


def show(event: AuditEvent) -> AuditEventOut:
    return AuditEventOut(id=event.id, at=utc(event.at), actor_id=event.actor_id, action=event.action,
                         target_type=event.target_type, target_id=event.target_id, detail=event.detail or {})


@router.get('', response_model=AuditEventPage, responses=READ_ERRORS, summary='List audit events, newest first')
def list_events(paging: Paging = Depends(), action: str | None = Query(None, max_length=64, description='e.g. access.approve'),
                actor_id: QueryId = None, target_type: str | None = Query(None, max_length=32),
                target_id: QueryId = None, since: datetime | None = None, until: datetime | None = None,
                _: Principal = Depends(reader)) -> dict:
    query = AuditEvent.select()
    if action:
        query = query.where(AuditEvent.action == clean_filter(action, 'action'))
    if actor_id:
        query = query.where(AuditEvent.actor == actor_id)
    if target_type:
        query = query.where(AuditEvent.target_type == clean_filter(target_type, 'target_type'))
    if target_id:
        query = query.where(AuditEvent.target_id == target_id)
    for bound, compare in ((since, AuditEvent.at.__ge__), (until, AuditEvent.at.__lt__)):
        if bound is not None:
            if bound.tzinfo is not None:
                bound = bound.astimezone(utc(datetime(2000, 1, 1)).tzinfo).replace(tzinfo=None)
            query = query.where(compare(bound))
    return page(query, AuditEvent.id, paging, show, newest_first=True)
