"""Access requests (003 "Access an API Product"; 000 "API access workflow"): one request per catalog
with one plan and one app; a plan without approval provisions at once, otherwise the request waits for
an admin (or, with delegated application management, a super admin of the organisation). Each
approved request yields one credential covering its products."""
from __future__ import annotations

from collections.abc import Iterable

from db import clock
from db.connection import database
from db.models import (AccessRequest, AccessRequestProduct, AccessStatus, App, AppStatus, CartItem, Catalog,
                       CatalogPlan, Credential, CredentialStatus, Plan, Product, User, UserStatus)
from mail import outbox
from permissions import ACCESS, can, decider_scope, ensure
from domain import events
from domain.errors import AlreadyDecided, Conflict, DomainError, NotFound
from domain.i18n import lazy
from workflows import approvers, apps, browse, clean_reason, credentials, grants, plan_changes, settings, visibility


def request_access(user: User, catalog_id: int, plan_id: int | None, product_ids: list[int], *,
                   app_id: int | None = None, new_app_name: str = '', new_app_description: str = '') -> AccessRequest:
    """Request access: the products of one catalog, one plan offered there, an existing app or a new one."""
    if user is None or user.status != UserStatus.ACTIVE:
        raise DomainError('Log in to request access.')
    catalog = browse.visible_catalog(user, catalog_id)
    if catalog is None:
        raise NotFound('This catalog')
    product_ids = sorted(set(product_ids or []))
    if not product_ids:
        raise DomainError('Choose at least one product.')
    products = list(browse.products_visible_to(user, catalog.id).where(Product.id.in_(product_ids)))
    if len(products) != len(product_ids):
        raise NotFound('One of these products')
    if not plan_id:
        raise DomainError('Choose a plan.', 'plan')
    plan = (Plan.select().join(CatalogPlan)
            .where((CatalogPlan.catalog == catalog) & (Plan.id == plan_id)).first())
    if plan is None:
        raise Conflict('This plan is not offered in this catalog.', 'plan')
    values = settings.load()
    with database.atomic():
        if app_id:
            app = visibility.can_see_app(user, app_id)
            if app is None:
                raise NotFound('This app')
            if app.status == AppStatus.REJECTED:
                raise DomainError('This app was not approved; choose another one.', 'app')
        else:
            app = apps.create_app(new_app_name, new_app_description, by=user)
        request = AccessRequest.create(app=app, catalog=catalog, plan=plan, requested_by=user)
        for product in products:
            AccessRequestProduct.create(request=request, product=product)
        CartItem.delete().where((CartItem.user == user) & (CartItem.catalog == catalog)
                                & (CartItem.product.in_(product_ids))).execute()
        events.announce(user, 'access.request', request, app=app.name, plan=plan.name,
                     products=[product.name for product in products])
        names = ', '.join(product.name for product in products)
        context = dict(app_name=app.name, products=names, catalog_name=catalog.name, plan_name=plan.name)
        if not plan.requires_approval and app.status == AppStatus.ACTIVE:
            grants.grant(request, by=None, auto=True)
        elif plan.requires_approval:
            outbox.queue('access_pending', user.email, first_name=user.first_name,
                         apps_link=f'{settings.base_url()}/apps/{app.id}', **context)
            approvers.notify('access_request_notice', app, user, values,
                             review_link=f'{settings.base_url()}/admin/access-requests?status={AccessStatus.PENDING}',
                             **context)
    return request


def approve(request: AccessRequest, by: User) -> None:
    ensure(by, 'decide_access', request)
    if App.get_by_id(request.app_id).status != AppStatus.ACTIVE:
        raise DomainError('Approve the app first: it is not approved yet.')
    with database.atomic():
        if request.changes_id is not None:  # a plan change: the access it changes moves to the new plan
            plan_changes.grant_change(request, by=by)
        else:
            grants.grant(request, by=by, auto=False)


def reject(request: AccessRequest, by: User, reason: str = '') -> None:
    ensure(by, 'decide_access', request)
    reason = clean_reason(reason)
    with database.atomic():
        won = (AccessRequest.update(status=AccessStatus.REJECTED, reason=reason, decided_by=by,
                                    decided_at=clock.now())
               .where((AccessRequest.id == request.id) & (AccessRequest.status == AccessStatus.PENDING)).execute())
        if not won:
            raise AlreadyDecided('This access request')
        requester = User.get_or_none(User.id == request.requested_by_id)
        if requester is not None:
            outbox.queue('access_rejected', requester.email, first_name=requester.first_name,
                         app_name=request.app.name, products=grants.product_names(request),
                         reason_part=lazy('\n\nReason: {reason}', reason=reason) if reason else '')
        events.announce(by, 'access.reject', request, reason=reason)


def revoke(request: AccessRequest, by: User, reason: str = '') -> None:
    """An approved request can later be revoked: its key stops working."""
    ensure(by, 'decide_access', request)
    reason = clean_reason(reason)
    with database.atomic():
        won = (AccessRequest.update(status=AccessStatus.REVOKED, reason=reason,
                                    decided_by=by, decided_at=clock.now())
               .where((AccessRequest.id == request.id) & (AccessRequest.status == AccessStatus.APPROVED)).execute())
        if not won:
            raise AlreadyDecided('This access request')
        (Credential.update(status=CredentialStatus.REVOKED, revoked_at=clock.now())
         .where((Credential.access_request == request) & (Credential.status == CredentialStatus.ACTIVE)).execute())
        credentials.retire(AccessRequest.id == request.id)
        events.announce(by, 'access.revoke', request)


def find_decidable(request_id: int, user: User) -> AccessRequest:
    request = AccessRequest.get_or_none(AccessRequest.id == request_id)
    if request is None or not can(user, 'decide_access', request):
        raise NotFound('This access request')
    return request


def pending_for(user: User):
    """Pending requests this user may decide: admins all, delegated super admins their organisation's."""
    query = (AccessRequest.select(AccessRequest, App, Catalog, Plan).join(App).switch(AccessRequest)
             .join(Catalog).switch(AccessRequest).join(Plan)
             .where(AccessRequest.status == AccessStatus.PENDING).order_by(AccessRequest.created_at))
    return decider_scope(user, ACCESS).filter(query, App.organisation)


def product_names_by_request(request_ids: Iterable[int]) -> dict[int, list[str]]:
    """The product names of many requests in one query (never one query per row)."""
    ids = list(request_ids)
    names: dict[int, list[str]] = {}
    if ids:
        for request_id, name in (AccessRequestProduct.select(AccessRequestProduct.request, Product.name)
                                 .join(Product).where(AccessRequestProduct.request.in_(ids))
                                 .order_by(Product.name).tuples()):
            names.setdefault(request_id, []).append(name)
    return names


def keys_for_product(user: User | None, product: Product, limit: int = 20) -> list[tuple[str, str]]:
    """(app name, key) for the active keys of the user's apps that cover `product`, for the reference's Try it
    (issue 13): only apps the user may see, and only keys that would pass the gateway now."""
    if user is None:
        return []
    keys = []
    for credential in usable_credentials(user, product).limit(limit):
        try:
            keys.append((credential.app.name, credentials.reveal(credential, user)))
        except DomainError:
            continue  # a key encrypted with another secret cannot be shown; My apps says how to rotate it
    return keys


def usable_credentials(user: User, product: Product):
    """The active credentials (with their app) of the apps `user` may see that cover `product` and would pass the
    gateway now, by app name: the keys of the reference's Try it, and the key prefix a guide shows (issue 25)."""
    return (Credential.select(Credential, App)
            .join(App, on=(Credential.app == App.id))
            .join_from(Credential, AccessRequest)
            .join(AccessRequestProduct)
            .where((Credential.status == CredentialStatus.ACTIVE) & (AccessRequest.status == AccessStatus.APPROVED)
                   & (AccessRequestProduct.product == product.id) & (App.status == AppStatus.ACTIVE)
                   & App.id.in_(visibility.apps_visible_to(user).select(App.id)))
            .order_by(App.name, Credential.id))
