"""Granting access (003 "Access an API Product"): an approved request gets one credential covering its products.

Both an approval and the approval of the app that a request waited for grant through here, so the credential,
the requester's email and the event are the same however access came.
"""
from __future__ import annotations

from db import clock
from db.models import AccessRequest, AccessRequestProduct, AccessStatus, App, Plan, Product, User
from domain import events
from domain.errors import AlreadyDecided
from mail import outbox
from workflows import credentials, oauth_clients, settings


def grant(request: AccessRequest, by: User | None, auto: bool) -> None:
    """Approve a pending request (by a person, or automatically): its credential, the requester's email and the
    event, in the caller's transaction; AlreadyDecided when someone else decided it first."""
    won = (AccessRequest.update(status=AccessStatus.APPROVED, decided_by=by, decided_at=clock.now())
           .where((AccessRequest.id == request.id) & (AccessRequest.status == AccessStatus.PENDING)).execute())
    if not won:
        raise AlreadyDecided('This access request')
    # issue 26 (OAuth clients): a plan issuing clients gets a client instead of a key
    if Plan.get_by_id(request.plan_id).credential_kind == 'oauth_client':
        oauth_clients.issue(request, by)
    else:
        credentials.issue(request)
    requester = User.get_or_none(User.id == request.requested_by_id)
    if requester is not None:
        outbox.queue('access_approved', requester.email, first_name=requester.first_name,
                     app_name=request.app.name, products=product_names(request), plan_name=request.plan.name,
                     apps_link=f'{settings.base_url()}/apps/{request.app_id}')
    events.announce(by, 'access.approve', request, auto=auto)


def provision_waiting(app: App) -> None:
    """After an app's approval: its requests on plans without approval are granted."""
    for request in (AccessRequest.select().join(Plan)
                    .where((AccessRequest.app == app) & (AccessRequest.status == AccessStatus.PENDING)
                           & ~Plan.requires_approval)):
        grant(request, by=None, auto=True)


def product_names(request: AccessRequest) -> str:
    return ', '.join(product.name for product in products_of(request))


def products_of(request: AccessRequest) -> list[Product]:
    return list(Product.select().join(AccessRequestProduct)
                .where(AccessRequestProduct.request == request).order_by(Product.name))
