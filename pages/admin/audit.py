"""Audit log: who did what to which object, newest first; filtered by actor, action, object and date, and
exported as CSV (the filtered events, streamed, for portal admins only, like the page)."""
from __future__ import annotations

import json
from datetime import date
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from nicegui import app, ui

import session
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable
from db.models import AuditEvent
from permissions import is_portal_admin
from domain.errors import DomainError
from domain import i18n
from domain.i18n import N_, _
from workflows import audit

DETAIL_LENGTH = 2000
EXPORT_PATH = '/admin/audit.csv'
EMPTY = N_('Nothing happened yet. Approvals, invitations and changes will be listed here.')
FILTERS = [  # the query parameter and form field, its label and an example
    ('actor', N_('Actor'), N_('email, or system')),
    ('action', N_('Action'), N_('e.g. user. or app.approve')),
    ('object', N_('Object'), N_('e.g. app or app #12')),
    ('from', N_('From'), N_('YYYY-MM-DD')),
    ('to', N_('To'), N_('YYYY-MM-DD')),
]


def _who(event: AuditEvent) -> None:
    if event.actor_id is None:
        ui.label(_('system')).classes('text-grey-8 italic')
    else:
        ui.label(event.actor.email)


def _target(event: AuditEvent) -> None:
    text = event.target_type or '—'
    if event.target_id is not None:
        text += f' #{event.target_id}'
    ui.label(text).classes('text-grey-8')


def _details(event: AuditEvent) -> None:
    if not event.detail:
        return
    text = json.dumps(event.detail, sort_keys=True, ensure_ascii=False, separators=(', ', ': '))[:DETAIL_LENGTH]
    label = ui.label(text).classes('font-mono text-xs text-grey-8 truncate')
    if len(text) > 60:  # one line in the table, all of it on hover
        label.tooltip(text)


def _parse(values: dict[str, str]) -> audit.Filters:
    return audit.parse_filters(actor=values.get('actor', ''), action=values.get('action', ''),
                               target=values.get('object', ''), since=values.get('from', ''),
                               until=values.get('to', ''))


@admin_page('/admin/audit')
def audit_page() -> None:
    state = {'filters': audit.Filters()}
    with admin_frame(_('Audit log')):
        inputs: dict[str, ui.input] = {}

        def read() -> audit.Filters | None:
            """The filters, or None with the reason next to the field that cannot be understood."""
            for element in inputs.values():
                element.error = None
            try:
                return _parse({key: element.value or '' for key, element in inputs.items()})
            except DomainError as error:
                inputs[error.field].error = str(error)
                return None

        def apply() -> None:
            filters = read()
            if filters is None or filters == state['filters']:
                return
            state['filters'] = filters
            table.empty = _('No event matches these filters.') if filters != audit.Filters() else _(EMPTY)
            table.page = 1
            table.refresh()

        def export() -> None:
            if not session.still_allowed():
                return
            filters = read()
            if filters is None:
                ui.notify(_('Correct the filters first.'), type='negative')
                return
            ui.download.from_url(f'{EXPORT_PATH}?{urlencode(filters.as_query())}')

        with ui.row().classes('w-full items-start gap-2'):
            for key, label, example in FILTERS:
                inputs[key] = ui.input(_(label), placeholder=_(example), on_change=apply).without_auto_validation() \
                    .props('outlined dense clearable debounce=500').classes('w-44').mark(f'audit-{key}')
            ui.button(_('Export CSV'), icon='download', on_click=export) \
                .props('outline no-caps').classes('mt-1').mark('audit-export')
        table = PagedTable([
            Column(_('When'), lambda e: ui.label(i18n.moment(e.at)).classes('text-sm'), '12rem'),
            Column(_('Who'), _who, '1.2fr'),
            Column(_('Action'), lambda e: ui.label(e.action).classes('font-mono text-sm'), '1fr'),
            Column(_('Target'), _target, '8rem'),
            Column(_('Details'), _details, '2fr'),
        ], lambda _search, offset, limit: audit.events(state['filters'], offset, limit), search_label=None,
            marker='audit', empty=_(EMPTY))


@app.get(EXPORT_PATH)
def export_csv(request: Request) -> Response:
    """The events the page's filters select, as a CSV file; the page's own guard (portal admins)."""
    refused = session.refusal(request, is_portal_admin)
    if refused is not None:
        return refused
    try:
        filters = _parse(dict(request.query_params))
    except DomainError as error:
        return PlainTextResponse(f'{error.field}: {error}', status_code=400)
    return StreamingResponse(audit.export_csv(filters), media_type='text/csv; charset=utf-8', headers={
        'Content-Disposition': f'attachment; filename="audit-{date.today().isoformat()}.csv"',
        'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'private, no-store'})
