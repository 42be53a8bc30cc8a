"""Apps: list with filters, get, approve, reject."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from api.v1.auth import Principal, reader, writer
from api.v1.common import READ_ERRORS, WRITE_ERRORS, Id, QueryId, ReleasingRoute, found, utc, with_etag
from api.v1.paging import Page, Paging, filtered, page
from api.v1.users import Reason
from db.models import App
from workflows import apps

router = APIRouter(prefix='/apps', tags=['apps'], route_class=ReleasingRoute)


class AppOut(BaseModel):
    id: int
    name: str
    description: str
    organisation_id: int
    owner_id: int | None
    status: str
    created_at: datetime
    decided_at: datetime | None


def show(app: App) -> AppOut:
    return AppOut(id=app.id, name=app.name, description=app.description, organisation_id=app.organisation_id,
                  owner_id=app.owner_id, status=app.status, created_at=utc(app.created_at),
                  decided_at=utc(app.decided_at))


@router.get('', response_model=Page[AppOut], responses=READ_ERRORS, summary='List apps')
def list_apps(paging: Paging = Depends(), status: str | None = None, organisation_id: QueryId = None,
              owner_id: QueryId = None, _: Principal = Depends(reader)) -> dict:
    query = filtered(App.select(), (App.status, status), (App.organisation, organisation_id), (App.owner, owner_id))
    return page(query, App.id, paging, show)


@router.get('/{app_id}', response_model=AppOut, responses=READ_ERRORS, summary='Get an app')
def get_app(app_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show(found(App, app_id, 'This app')))


@router.post('/{app_id}/approve', response_model=AppOut, responses=WRITE_ERRORS, summary='Approve an app')
def approve(app_id: Id, response: Response, principal: Principal = Depends(writer)):
    apps.approve_app(apps.find_decidable(app_id, principal.user), by=principal.user)
    return with_etag(response, show(found(App, app_id, 'This app')))


@router.post('/{app_id}/reject', response_model=AppOut, responses=WRITE_ERRORS, summary='Reject an app')
def reject(app_id: Id, body: Reason, response: Response, principal: Principal = Depends(writer)):
    apps.reject_app(apps.find_decidable(app_id, principal.user), by=principal.user, reason=body.reason)
    return with_etag(response, show(found(App, app_id, 'This app')))
