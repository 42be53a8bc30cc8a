"""Dashboard -> APIs: an organisation's super admin submits an API; a portal admin approves publishing it (000's
note on provider API publishing)."""
from __future__ import annotations

from nicegui import run, ui

import session
from components.chips import status_chip
from components.forms import PASTE_LIMIT, Feedback, bounded, refuse_cut_paste
from components.frame import frame
from components.tables import Column, PagedTable
from db.models import Api, ApiStatus, User
from domain import i18n
from domain.errors import DomainError
from domain.i18n import N_, _
from workflows import catalog

STATUS_HINTS = {ApiStatus.PENDING: N_('waiting for a portal admin'), ApiStatus.PUBLISHED: N_('in the portal'),
                ApiStatus.REJECTED: N_('not published')}


def fetch_submitted(user: User, offset: int, limit: int) -> tuple[list[Api], int]:
    query = Api.select(Api.id, Api.name, Api.base_path, Api.status, Api.created_at).where(Api.submitted_by == user)
    return list(query.order_by(Api.created_at.desc(), Api.id.desc()).offset(offset).limit(limit)), query.count()


@ui.page('/dashboard/apis')
@session.login_required
def dashboard_apis_page() -> None:
    me = session.current_user()
    with frame(_('APIs'), me):
        if not session.is_super_admin_of(me, me.organisation_id):
            with ui.card().classes('p-6 gap-2').mark('apis-not-available'):
                ui.label(_('Only the super admins of an organization can submit APIs.')).classes('text-lg')
                ui.label(_('Ask a super admin of your organization, or the portal administrator, to publish your '
                           'API.')).classes('text-grey-8')
            return

        ui.label(_('APIs you submit appear in the portal once a portal admin approves publishing them; '
                   'we email you the decision.')).classes('text-grey-8')
        ui.label(_('APIs you submitted')).classes('text-lg font-semibold')
        table = PagedTable([
            Column(_('Name'), lambda a: ui.label(a.name).classes('font-medium'), '1.5fr'),
            Column(_('Base path'), lambda a: ui.label(a.base_path).classes('font-mono text-sm'), '1fr'),
            Column(_('Status'), lambda a: status_chip(a.status), '7rem'),
            Column('', lambda a: ui.label(_(STATUS_HINTS[a.status]) if a.status in STATUS_HINTS else '')
                   .classes('text-sm text-grey-8'), '1fr'),
            Column(_('Submitted'), lambda a: ui.label(i18n.day(a.created_at)), '6rem'),
        ], lambda _search, offset, limit: fetch_submitted(me, offset, limit),
            empty=_('You have not submitted an API yet. Submit one below with its OpenAPI document; '
                    'a portal admin approves publishing it.'), search_label=None, page_size=10, marker='my-apis')

        with ui.card().classes('w-full max-w-3xl p-6 gap-3'):
            ui.label(_('Submit an API')).classes('text-lg font-semibold')
            with ui.row().classes('w-full no-wrap gap-3'):
                name = ui.input(_('Name')).props('outlined').classes('grow').mark('submit-api-name')
                base_path = ui.input(_('Base path (listen path)'), placeholder='/weather/').props('outlined') \
                    .classes('w-56').mark('submit-api-base-path')
            upstream = ui.input(_('Upstream (where the gateway forwards to)')).props('outlined').classes('w-full') \
                .mark('submit-api-upstream')
            document = ui.textarea(_('OpenAPI document (JSON or YAML)')) \
                .props('outlined input-class="font-mono text-xs" rows=10').classes('w-full').mark('submit-api-openapi')
            bounded(document, PASTE_LIMIT)
            feedback = Feedback({'name': name, 'base_path': base_path, 'upstream': upstream, 'openapi': document},
                                marker='submit-api-error')
            done = ui.label('').classes('text-positive').mark('submit-api-done')
            done.set_visibility(False)

            async def submit() -> None:
                feedback.clear()
                done.set_visibility(False)
                try:  # reading a document takes up to seconds: off the event loop (issue 11, item 14)
                    refuse_cut_paste(document.value, 'openapi', _('ask the portal administrator to upload it'))
                    api = await run.io_bound(catalog.submit_api, name.value, base_path.value, upstream.value,
                                             document.value, by=session.current_user())
                except DomainError as error:
                    feedback.show(error)
                    return
                for element in (name, base_path, upstream, document):
                    element.value = ''
                message = _('{name} is submitted. A portal admin must approve publishing it; we email you then.',
                            name=api.name)
                done.set_text(message)
                done.set_visibility(True)
                ui.notify(message, type='positive')
                table.refresh()

            ui.button(_('Submit an API'), icon='send', on_click=submit).props('unelevated no-caps') \
                .mark('submit-api-submit')
