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
from domain import i18n
from domain.i18n import N_, _

FILTERS = {'': N_('All'), AppStatus.PENDING: N_('Pending'), AppStatus.ACTIVE: N_('Active'),
           AppStatus.REJECTED: N_('Rejected')}


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
    with admin_frame(_('Apps')):
        status_filter({key: _(label) for key, label in FILTERS.items()}, state, lambda: table.refresh(), 'apps-filter')

        def actions(app: App) -> None:
            if app.status != AppStatus.PENDING:
                return
            with ui.row().classes('gap-1 no-wrap'):
                decision_buttons(APPS, app.id, approved=_('{name} approved.', name=app.name),
                                 rejected=_('{name} rejected.', name=app.name),
                                 question=_('Reject the app {name}?', name=app.name),
                                 marker='app-reject', buttons=(f'app-approve-{app.id}', f'app-reject-{app.id}'),
                                 done=lambda: table.refresh(), note=_('Its waiting access requests are rejected with it.'))

        table = PagedTable([
            Column(_('App'), name_cell, '2fr'),
            Column(_('Organization'), lambda a: ui.label(a.organisation.name), '1fr'),
            Column(_('Owner'), owner_cell, '1.4fr'),
            Column(_('Status'), lambda a: status_chip(a.status), '6rem'),
            Column(_('Created'), lambda a: ui.label(i18n.day(a.created_at)), '7rem'),
            Column(_('Credentials'), credentials_cell, '6rem'),
            Column('', actions, '9rem'),
        ], lambda search, offset, limit: fetch(search, state['status'], offset, limit),
            empty=_('No apps here. Apps appear once developers create them.'),
            search_label=_('Search by app or organization'), marker='apps')


def name_cell(app: App) -> None:
    ui.label(app.name).classes('font-medium')
    if app.description:
        ui.label(app.description).classes('text-xs text-grey-8 line-clamp-2')


def owner_cell(app: App) -> None:
    owner = app.owner if app.owner_id else None
    if owner is None:
        ui.label(_('(no owner)')).classes('text-grey-8')
        return
    ui.label(owner.full_name)
    ui.label(owner.email).classes('text-xs text-grey-8')


def credentials_cell(app: App) -> None:
    active = app.credential_counts.get(CredentialStatus.ACTIVE, 0)
    revoked = app.credential_counts.get(CredentialStatus.REVOKED, 0)
    ui.label(i18n.number(active)).mark(f'app-credentials-{app.id}')
    if revoked:
        ui.label(_('+{count} revoked', count=i18n.number(revoked))).classes('text-xs text-grey-8')
