"""Access requests: list (pending by filter), get, approve, reject with a reason, revoke, change plan."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from api.v1.auth import Principal, reader, writer
from api.v1.common import READ_ERRORS, WRITE_ERRORS, Id, QueryId, ReleasingRoute, found, grouped, utc, with_etag
from api.v1.paging import Page, Paging, filtered, page
from api.v1.users import Reason
from db.models import AccessRequest, AccessRequestProduct
from workflows import access, plan_changes

router = APIRouter(prefix='/access-requests', tags=['access requests'], route_class=ReleasingRoute)


class AccessRequestOut(BaseModel):
    id: int
    app_id: int
    catalog_id: int
    plan_id: int
    product_ids: list[int]
    requested_by_id: int | None
    status: str
    reason: str
    created_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None
    changes_id: int | None  # a plan change: the approved request whose plan it changes (its key stays)


class PlanChangeIn(BaseModel):
    plan_id: int


def show(request: AccessRequest, product_ids: list[int] | None = None) -> AccessRequestOut:
    if product_ids is None:
        product_ids = [row.product_id for row in AccessRequestProduct.select(AccessRequestProduct.product)
                       .where(AccessRequestProduct.request == request.id).order_by(AccessRequestProduct.product)]
    return AccessRequestOut(id=request.id, app_id=request.app_id, catalog_id=request.catalog_id,
                            plan_id=request.plan_id, product_ids=product_ids, requested_by_id=request.requested_by_id,
                            status=request.status, reason=request.reason, created_at=utc(request.created_at),
                            decided_by_id=request.decided_by_id, decided_at=utc(request.decided_at),
                            changes_id=request.changes_id)


@router.get('', response_model=Page[AccessRequestOut], responses=READ_ERRORS, summary='List access requests')
def list_requests(paging: Paging = Depends(), status: str | None = None, app_id: QueryId = None,
                  _: Principal = Depends(reader)) -> dict:
    query = filtered(AccessRequest.select(), (AccessRequest.status, status), (AccessRequest.app, app_id))
    result = page(query, AccessRequest.id, paging, lambda row: row)
    products = grouped(AccessRequestProduct.select(AccessRequestProduct.request, AccessRequestProduct.product)
                       .where(AccessRequestProduct.request.in_([row.id for row in result['items']]))
                       .order_by(AccessRequestProduct.product).tuples())
    result['items'] = [show(row, products.get(row.id, [])) for row in result['items']]
    return result


@router.get('/{request_id}', response_model=AccessRequestOut, responses=READ_ERRORS, summary='Get an access request')
def get_request(request_id: Id, response: Response, _: Principal = Depends(reader)):
    return with_etag(response, show(found(AccessRequest, request_id, 'This access request')))


@router.post('/{request_id}/approve', response_model=AccessRequestOut, responses=WRITE_ERRORS,
             summary='Approve: the app gets its key')
def approve(request_id: Id, response: Response, principal: Principal = Depends(writer)):
    access.approve(access.find_decidable(request_id, principal.user), by=principal.user)
    return with_etag(response, show(found(AccessRequest, request_id, 'This access request')))


@router.post('/{request_id}/reject', response_model=AccessRequestOut, responses=WRITE_ERRORS,
             summary='Reject, with a reason sent to the requester')
def reject(request_id: Id, body: Reason, response: Response, principal: Principal = Depends(writer)):
    access.reject(access.find_decidable(request_id, principal.user), by=principal.user, reason=body.reason)
    return with_etag(response, show(found(AccessRequest, request_id, 'This access request')))


@router.post('/{request_id}/revoke', response_model=AccessRequestOut, responses=WRITE_ERRORS,
             summary='Revoke granted access: its key stops working')
def revoke(request_id: Id, body: Reason, response: Response, principal: Principal = Depends(writer)):
    access.revoke(access.find_decidable(request_id, principal.user), by=principal.user, reason=body.reason)
    return with_etag(response, show(found(AccessRequest, request_id, 'This access request')))


@router.post('/{request_id}/change-plan', response_model=AccessRequestOut, responses=WRITE_ERRORS,
             summary="Move approved access to another plan of its catalog, at once; the key stays")
def change_plan(request_id: Id, body: PlanChangeIn, response: Response, principal: Principal = Depends(writer)):
    plan_changes.change_plan_by_admin(access.find_decidable(request_id, principal.user), body.plan_id,
                                      by=principal.user)
    return with_etag(response, show(found(AccessRequest, request_id, 'This access request')))
