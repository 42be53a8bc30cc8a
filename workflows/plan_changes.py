"""Change plan without a new key (issue 26, item 3): an app's approved access moves to another plan of the same
catalog. A plan without approval applies at once; otherwise a change request waits in the access-request queue
(the same deciders, emails and REST API as any request) while the old plan stays in force. Either way the key
stays, and every instance reloads the key with the new limits (credentials.retire)."""
from __future__ import annotations

from db import clock
from db.connection import database
from db.models import AccessRequest, AccessRequestProduct, AccessStatus, App, CatalogPlan, Plan, User, UserStatus
from domain import events
from domain.errors import AlreadyDecided, Conflict, DomainError, NotFound
from mail import outbox
from permissions import ensure
from workflows import approvers, credentials, grants, settings, visibility


def offered_plans(request: AccessRequest) -> list[Plan]:
    """The other plans the request's catalog offers, to move to."""
    return list(Plan.select().join(CatalogPlan)
                .where((CatalogPlan.catalog == request.catalog_id) & (Plan.id != request.plan_id)).order_by(Plan.name))


def pending_change(request: AccessRequest) -> AccessRequest | None:
    return AccessRequest.get_or_none((AccessRequest.changes == request.id) & (AccessRequest.status == AccessStatus.PENDING))


def change_plan(request: AccessRequest, plan_id: int, by: User) -> AccessRequest:
    """A member of the app's organisation (whoever sees the app) moves its access to `plan_id`. Returns the
    request that holds the change: the same request when it applied at once, else the pending change request."""
    if by is None or by.status != UserStatus.ACTIVE or visibility.can_see_app(by, request.app_id) is None:
        raise NotFound('This access request')
    return _change(request, plan_id, by, approve_now=False)


def change_plan_by_admin(request: AccessRequest, plan_id: int, by: User) -> AccessRequest:
    """A portal admin moves an app's access to another plan of its catalog; it applies at once (the admin is the
    one who would approve it)."""
    ensure(by, 'decide_access', request)
    return _change(request, plan_id, by, approve_now=True)


def _change(request: AccessRequest, plan_id, by: User, approve_now: bool) -> AccessRequest:
    request = AccessRequest.get_or_none(AccessRequest.id == request.id)
    if request is None:
        raise NotFound('This access request')
    if request.status != AccessStatus.APPROVED or request.changes_id is not None:
        raise Conflict('Only approved access can move to another plan.')
    try:
        plan_id = int(plan_id)
    except (TypeError, ValueError):
        raise DomainError('Choose a plan.', 'plan') from None
    plan = Plan.select().join(CatalogPlan).where((CatalogPlan.catalog == request.catalog_id)
                                                 & (Plan.id == plan_id)).first()
    if plan is None:
        raise Conflict('This plan is not offered in this catalog.', 'plan')
    if plan.id == request.plan_id:
        raise Conflict('This access is on {plan} already.', 'plan', plan=plan.name)
    with database.atomic():
        waiting = pending_change(request)
        if waiting is not None:
            raise Conflict('A change to {plan} waits for approval already.', 'plan', plan=waiting.plan.name)
        if approve_now or not plan.requires_approval:
            old = request.plan.name
            _move(request, plan)
            events.announce(by, 'access.change_plan', AccessRequest.get_by_id(request.id), old_plan=old,
                            plan=plan.name)
            return AccessRequest.get_by_id(request.id)
        app = App.get_by_id(request.app_id)
        change = AccessRequest.create(app=app, catalog=request.catalog_id, plan=plan, requested_by=by, changes=request)
        AccessRequestProduct.insert_from(
            AccessRequestProduct.select(change.id, AccessRequestProduct.product)
            .where(AccessRequestProduct.request == request),
            [AccessRequestProduct.request, AccessRequestProduct.product]).execute()
        events.announce(by, 'access.request', change, app=app.name, plan=plan.name, changes_plan=request.plan.name)
        context = dict(app_name=app.name, products=_names(request), catalog_name=request.catalog.name,
                       plan_name=f'{plan.name} (a change from {request.plan.name}; the key stays)')
        outbox.queue('access_pending', by.email, first_name=by.first_name,
                     apps_link=f'{settings.base_url()}/apps/{app.id}', **context)
        approvers.notify('access_request_notice', app, by, settings.load(),
                         review_link=f'{settings.base_url()}/admin/access-requests?status={AccessStatus.PENDING}',
                         **context)
        return change


def grant_change(change: AccessRequest, by: User | None) -> None:
    """Approve a pending plan change (grants.grant calls this for a change request, in its transaction): the
    request it changes moves to the new plan, keeping its key."""
    won = (AccessRequest.update(status=AccessStatus.APPROVED, decided_by=by, decided_at=clock.now())
           .where((AccessRequest.id == change.id) & (AccessRequest.status == AccessStatus.PENDING)).execute())
    if not won:
        raise AlreadyDecided('This access request')
    target = AccessRequest.get_by_id(change.changes_id)
    if target.status != AccessStatus.APPROVED:
        raise DomainError('The access this change was for is no longer approved.')
    old = target.plan.name
    plan = Plan.get_by_id(change.plan_id)
    _move(target, plan)
    requester = User.get_or_none(User.id == change.requested_by_id)
    if requester is not None:
        outbox.queue('access_approved', requester.email, first_name=requester.first_name,
                     app_name=change.app.name, products=_names(target),
                     plan_name=f'{plan.name} (changed from {old}; your key stays the same)',
                     apps_link=f'{settings.base_url()}/apps/{change.app_id}')
    events.announce(by, 'access.change_plan', target, old_plan=old, plan=plan.name, change_request=change.id)


def _move(request: AccessRequest, plan: Plan) -> None:
    AccessRequest.update(plan=plan).where(AccessRequest.id == request.id).execute()
    credentials.retire(AccessRequest.id == request.id)  # every instance reloads the key with the new limits


def _names(request: AccessRequest) -> str:
    return grants.product_names(request)
