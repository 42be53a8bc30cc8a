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
from workflows import access

FILTERS = {AccessStatus.PENDING: 'Pending', AccessStatus.APPROVED: 'Approved', AccessStatus.REJECTED: 'Rejected',
           AccessStatus.REVOKED: 'Revoked', 'all': 'All'}


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
    with admin_frame('Access requests'):
        status_filter(FILTERS, state, lambda: table.refresh(), 'access-filter', default=AccessStatus.PENDING)

        def revoke(request: AccessRequest) -> None:
            def decide(reason: str) -> str:
                actor = session.current_user()
                access.revoke(access.find_decidable(request.id, actor), by=actor, reason=reason)
                return f'Access for {request.app.name} revoked.'
            reason_dialog(f'Revoke the access of {request.app.name} to {", ".join(request.product_names)}?',
                          'Revoke', 'Reason (optional)', 'access-revoke', decide, table.refresh,
                          note='Its API key stops working at once.')

        def actions(request: AccessRequest) -> None:
            with ui.row().classes('gap-1 no-wrap'):
                if request.status == AccessStatus.PENDING:
                    decision_buttons(ACCESS, request.id,
                                     approved=f'Access for {request.app.name} approved; the credentials are issued.',
                                     rejected=f'Access for {request.app.name} rejected.',
                                     question=f'Reject the access request of {request.app.name}?',
                                     marker='access-reject',
                                     buttons=(f'access-approve-{request.id}', f'access-reject-{request.id}'),
                                     done=lambda: table.refresh())
                elif request.status == AccessStatus.APPROVED:
                    ui.button('Revoke', on_click=lambda r=request: revoke(r)) \
                        .props('flat dense no-caps color=grey-8').mark(f'access-revoke-{request.id}')

        table = PagedTable([
            Column('Requested', lambda r: ui.label(r.created_at.strftime('%Y-%m-%d')), '6rem'),
            Column('Requester', requester_cell, '1.5fr'),
            Column('Organization', lambda r: ui.label(r.app.organisation.name), '1fr'),
            Column('App', app_cell, '1.2fr'),
            Column('Catalog', lambda r: ui.label(r.catalog.name), '0.7fr'),
            Column('Plan', lambda r: ui.label(f'{r.plan.name} (plan change)' if r.changes_id else r.plan.name), '0.6fr'),
            Column('Products', lambda r: ui.label(', '.join(r.product_names)), '1fr'),
            Column('Status', status_cell, '1fr'),
            Column('', actions, '9rem'),
        ], lambda search, offset, limit: fetch(search, state['status'], offset, limit),
            empty='No access requests here. Requests for plans that need approval wait in this list.',
            search_label='Search by app name or requester email', marker='access')


def requester_cell(request: AccessRequest) -> None:
    requester = request.requested_by if request.requested_by_id else None
    if requester is None:
        ui.label('(deleted user)').classes('text-grey-8')
        return
    ui.label(requester.full_name).classes('font-medium')
    ui.label(requester.email).classes('text-xs text-grey-8')


def app_cell(request: AccessRequest) -> None:
    ui.label(request.app.name).classes('font-medium')
    if request.app.status == AppStatus.PENDING and request.status == AccessStatus.PENDING:
        ui.link('pending app', f'/admin/apps?status={AppStatus.PENDING}').classes('text-xs text-deep-orange-10') \
            .tooltip('The app itself waits for approval; approve it first.').mark(f'access-pending-app-{request.id}')


def status_cell(request: AccessRequest) -> None:
    status_chip(request.status)
    if request.decided_at and request.status != AccessStatus.PENDING:
        ui.label(request.decided_at.strftime('%Y-%m-%d')).classes('text-xs text-grey-8')
    if request.reason and request.status in (AccessStatus.REJECTED, AccessStatus.REVOKED):
        ui.label(request.reason).classes('text-xs text-grey-8 italic').mark(f'access-reason-{request.id}')
