"""Apps (000 "Application creation workflow"): every consumer app, pending ones with Approve / Reject."""
from __future__ import annotations

import peewee as pw
from nicegui import ui

from components.chips import status_chip
from components.decisions import APPS, decision_buttons
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable, status_filter
from db.paging import page_of
from db.search import matches, within
from db.models import App, AppStatus, Credential, CredentialStatus, Organisation, User

FILTERS = {'': 'All', AppStatus.PENDING: 'Pending', AppStatus.ACTIVE: 'Active', AppStatus.REJECTED: 'Rejected'}


def fetch(search: str, status: str, offset: int, limit: int) -> tuple[list[App], int]:
    """One page of apps with organisation and owner joined in, and their credentials counted in one query."""
    query = App.select(App.id)
    if status:
        query = query.where(App.status == status)
    if search:
        query = query.where(matches(App, search) | within(App.organisation, Organisation, search))
    # newest first along the primary key: no sort of the whole table (use the Pending filter for the queue)
    rows, total = page_of(query, [(App.id, True)], App.select(App, Organisation, User).join(Organisation)
                          .switch(App).join(User, pw.JOIN.LEFT_OUTER, on=App.owner), offset, limit,
                          searched=bool(search))
    counts: dict[int, dict[str, int]] = {}
    if rows:
        for app_id, credential_status, number in (
                Credential.select(Credential.app, Credential.status, pw.fn.COUNT(Credential.id))
                .where(Credential.app.in_([row.id for row in rows]))
                .group_by(Credential.app, Credential.status).tuples()):
            counts.setdefault(app_id, {})[credential_status] = number
    for row in rows:
        row.credential_counts = counts.get(row.id, {})
    return rows, total


@admin_page('/admin/apps')
def apps_page(status: str = '') -> None:
    status = '' if status == 'all' else status
    state = {'status': status if status in FILTERS else ''}
    with admin_frame('Apps'):
        status_filter(FILTERS, state, lambda: table.refresh(), 'apps-filter')

        def actions(app: App) -> None:
            if app.status != AppStatus.PENDING:
                return
            with ui.row().classes('gap-1 no-wrap'):
                decision_buttons(APPS, app.id, approved=f'{app.name} approved.',
                                 rejected=f'{app.name} rejected.', question=f'Reject the app {app.name}?',
                                 marker='app-reject', buttons=(f'app-approve-{app.id}', f'app-reject-{app.id}'),
                                 done=lambda: table.refresh(), note='Its waiting access requests are rejected with it.')

        table = PagedTable([
            Column('App', name_cell, '2fr'),
            Column('Organization', lambda a: ui.label(a.organisation.name), '1fr'),
            Column('Owner', owner_cell, '1.4fr'),
            Column('Status', lambda a: status_chip(a.status), '6rem'),
            Column('Created', lambda a: ui.label(a.created_at.strftime('%Y-%m-%d')), '6rem'),
            Column('Credentials', credentials_cell, '6rem'),
            Column('', actions, '9rem'),
        ], lambda search, offset, limit: fetch(search, state['status'], offset, limit),
            empty='No apps here. Apps appear once developers create them.',
            search_label='Search by app or organization', marker='apps')


def name_cell(app: App) -> None:
    ui.label(app.name).classes('font-medium')
    if app.description:
        ui.label(app.description).classes('text-xs text-grey-8 line-clamp-2')


def owner_cell(app: App) -> None:
    owner = app.owner if app.owner_id else None
    if owner is None:
        ui.label('(no owner)').classes('text-grey-8')
        return
    ui.label(owner.full_name)
    ui.label(owner.email).classes('text-xs text-grey-8')


def credentials_cell(app: App) -> None:
    active = app.credential_counts.get(CredentialStatus.ACTIVE, 0)
    revoked = app.credential_counts.get(CredentialStatus.REVOKED, 0)
    ui.label(str(active)).mark(f'app-credentials-{app.id}')
    if revoked:
        ui.label(f'+{revoked} revoked').classes('text-xs text-grey-8')
