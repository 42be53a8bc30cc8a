"""Access requests (003 "Access an API Product", 000 "API access workflow"): the queue with Approve / Reject,
and Revoke for granted access."""
from __future__ import annotations

import peewee as pw
from nicegui import ui

import session
from components.chips import status_chip
from components.decisions import ACCESS, decision_buttons
from components.dialogs import reason_dialog
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable, status_filter
from db.paging import page_of
from db.search import within
from db.models import AccessRequest, AccessStatus, App, AppStatus, Catalog, Organisation, Plan, User
from domain import i18n
from domain.i18n import N_, _
from workflows import access

FILTERS = {AccessStatus.PENDING: N_('Pending'), AccessStatus.APPROVED: N_('Approved'),
           AccessStatus.REJECTED: N_('Rejected'), AccessStatus.REVOKED: N_('Revoked'), 'all': N_('All')}


def fetch(search: str, status: str, offset: int, limit: int) -> tuple[list[AccessRequest], int]:
    """One page of requests with their app, organisation, catalog, plan and requester joined in."""
    query = AccessRequest.select(AccessRequest.id)
    if status != 'all':
        query = query.where(AccessRequest.status == status)
    if search:
        query = query.where(within(AccessRequest.app, App, search)
                            | within(AccessRequest.requested_by, User, search))
    # the queue is worked oldest first; the other lists show the latest first
    latest = status != AccessStatus.PENDING
    rows, total = page_of(query, [(AccessRequest.created_at, latest), (AccessRequest.id, latest)],
                          AccessRequest.select(AccessRequest, App, Organisation, Catalog, Plan, User)
                          .join(App).join(Organisation)
                          .switch(AccessRequest).join(Catalog)
                          .switch(AccessRequest).join(Plan)
                          .switch(AccessRequest).join(User, pw.JOIN.LEFT_OUTER, on=AccessRequest.requested_by),
                          offset, limit, searched=bool(search))
    names = access.product_names_by_request(row.id for row in rows)
    for row in rows:
        row.product_names = names.get(row.id, [])
    return rows, total


@admin_page('/admin/access-requests')
def access_requests_page(status: str = AccessStatus.PENDING) -> None:
    state = {'status': status if status in FILTERS else AccessStatus.PENDING}
    with admin_frame(_('Access requests')):
        status_filter({key: _(label) for key, label in FILTERS.items()}, state, lambda: table.refresh(), 'access-filter', default=AccessStatus.PENDING)

        def revoke(request: AccessRequest) -> None:
            def decide(reason: str) -> str:
                actor = session.current_user()
                access.revoke(access.find_decidable(request.id, actor), by=actor, reason=reason)
                return _('Access for {app} revoked.', app=request.app.name)
            reason_dialog(_('Revoke the access of {app} to {products}?', app=request.app.name,
                            products=', '.join(request.product_names)),
                          _('Revoke'), _('Reason (optional)'), 'access-revoke', decide, table.refresh,
                          note=_('Its API key stops working at once.'))

        def actions(request: AccessRequest) -> None:
            with ui.row().classes('gap-1 no-wrap'):
                if request.status == AccessStatus.PENDING:
                    decision_buttons(ACCESS, request.id,
                                     approved=_('Access for {app} approved; the credentials are issued.',
                                                app=request.app.name),
                                     rejected=_('Access for {app} rejected.', app=request.app.name),
                                     question=_('Reject the access request of {app}?', app=request.app.name),
                                     marker='access-reject',
                                     buttons=(f'access-approve-{request.id}', f'access-reject-{request.id}'),
                                     done=lambda: table.refresh())
                elif request.status == AccessStatus.APPROVED:
                    ui.button(_('Revoke'), on_click=lambda r=request: revoke(r)) \
                        .props('flat dense no-caps color=grey-8').mark(f'access-revoke-{request.id}')

        table = PagedTable([
            Column(_('Requested'), lambda r: ui.label(i18n.day(r.created_at)), '7rem'),
            Column(_('Requester'), requester_cell, '1.5fr'),
            Column(_('Organization'), lambda r: ui.label(r.app.organisation.name), '1fr'),
            Column(_('App'), app_cell, '1.2fr'),
            Column(_('Catalog'), lambda r: ui.label(r.catalog.name), '0.7fr'),
            Column(_('Plan'), lambda r: ui.label(_('{plan} (plan change)', plan=r.plan.name) if r.changes_id
                                                else r.plan.name), '0.6fr'),
            Column(_('Products'), lambda r: ui.label(', '.join(r.product_names)), '1fr'),
            Column(_('Status'), status_cell, '1fr'),
            Column('', actions, '9rem'),
        ], lambda search, offset, limit: fetch(search, state['status'], offset, limit),
            empty=_('No access requests here. Requests for plans that need approval wait in this list.'),
            search_label=_('Search by app name or requester email'), marker='access')


def requester_cell(request: AccessRequest) -> None:
    requester = request.requested_by if request.requested_by_id else None
    if requester is None:
        ui.label(_('(deleted user)')).classes('text-grey-8')
        return
    ui.label(requester.full_name).classes('font-medium')
    ui.label(requester.email).classes('text-xs text-grey-8')


def app_cell(request: AccessRequest) -> None:
    ui.label(request.app.name).classes('font-medium')
    if request.app.status == AppStatus.PENDING and request.status == AccessStatus.PENDING:
        ui.link(_('pending app'), f'/admin/apps?status={AppStatus.PENDING}').classes('text-xs text-deep-orange-10') \
            .tooltip(_('The app itself waits for approval; approve it first.')).mark(f'access-pending-app-{request.id}')


def status_cell(request: AccessRequest) -> None:
    status_chip(request.status)
    if request.decided_at and request.status != AccessStatus.PENDING:
        ui.label(i18n.day(request.decided_at)).classes('text-xs text-grey-8')
    if request.reason and request.status in (AccessStatus.REJECTED, AccessStatus.REVOKED):
        ui.label(request.reason).classes('text-xs text-grey-8 italic').mark(f'access-reason-{request.id}')
