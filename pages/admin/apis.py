"""API Provider -> APIs: add or edit an API with its OpenAPI document, publish or reject submitted ones, delete."""
from __future__ import annotations

import peewee as pw
from nicegui import run, ui

import session
from components import dialogs
from components.chips import status_chip
from components.decisions import APIS, decision_buttons
from components.forms import Feedback, refresh_header
from components.frame import admin_frame, admin_page
from components.openapi_input import SHOW_LIMIT, OpenApiInput
from components.tables import Column, PagedTable, status_filter, toolbar
from db import paging
from db.models import Api, ApiReference, ApiStatus, User
from domain.errors import DomainError
from workflows import catalog

FILTERS = {'': 'All', ApiStatus.PENDING: 'Pending', ApiStatus.PUBLISHED: 'Published', ApiStatus.REJECTED: 'Rejected'}
LISTED = (Api.id, Api.name, Api.base_path, Api.upstream, Api.status, Api.submitted_by, ApiReference.operations)


def fetch(search: str, status: str, offset: int, limit: int) -> tuple[list[Api], int]:
    query = (Api.select(*LISTED, User).join(User, pw.JOIN.LEFT_OUTER, on=Api.submitted_by)
             .switch(Api).join(ApiReference, pw.JOIN.LEFT_OUTER, on=(ApiReference.api == Api.id), attr='reference'))
    if status:
        query = query.where(Api.status == status)
    if search:
        needle = search.lower()
        query = query.where(pw.fn.LOWER(Api.name).contains(needle) | Api.base_path.contains(needle))
    rows = list(query.order_by(Api.status != ApiStatus.PENDING, Api.name, Api.id).offset(offset).limit(limit))
    return rows, paging.count(query)


@admin_page('/admin/apis')
def apis_page(status: str = '') -> None:
    state = {'status': status if status in FILTERS else ''}
    with admin_frame('APIs'):
        with toolbar('Add API', lambda: edit_dialog(None, table), 'apis-add'):
            status_filter(FILTERS, state, lambda: table.refresh(), 'apis-filter')

        def actions(api: Api) -> None:
            with ui.row().classes('gap-1 no-wrap'):
                if api.status == ApiStatus.PENDING:
                    decision_buttons(APIS, api.id, approved=f'{api.name} is published.',
                                     rejected=f'{api.name} rejected.', question=f'Reject publishing {api.name}?',
                                     marker='api-reject', buttons=(f'api-approve-{api.name}', f'api-reject-{api.name}'),
                                     done=lambda: table.refresh())
                ui.button('Edit', on_click=lambda a=api: edit_dialog(a.id, table)) \
                    .props('flat dense no-caps').mark(f'api-edit-{api.name}')
                ui.button('Delete', on_click=lambda a=api: delete_dialog(a, table)) \
                    .props('flat dense no-caps color=negative').mark(f'api-delete-{api.name}')

        def name_cell(api: Api) -> None:
            ui.label(api.name).classes('font-medium')
            if api.upstream:
                ui.label(api.upstream).classes('text-xs text-grey-8 truncate')

        table = PagedTable([
            Column('Name', name_cell, '1.5fr'),
            Column('Base path', lambda a: ui.label(a.base_path).classes('font-mono text-sm'), '1fr'),
            Column('Status', lambda a: status_chip(a.status), '7rem'),
            Column('Submitted by', lambda a: ui.label(a.submitted_by.full_name if a.submitted_by else '—'), '1fr'),
            Column('Operations', lambda a: ui.label(str(getattr(a.reference, 'operations', None) or 0)), '6rem'),
            Column('', actions, '15rem'),
        ], lambda search, offset, limit: fetch(search, state['status'], offset, limit),
            empty='No APIs here. Add one with its OpenAPI document to document it in the catalog.',
            search_label='Search by name or base path', marker='apis')


def edit_dialog(api_id: int | None, table: PagedTable) -> None:
    api = table.row_again(Api, api_id, 'This API') if api_id else None
    if api_id and api is None:
        return
    with dialogs.dialog() as dialog, ui.card().classes('w-[44rem] max-w-full'):
        ui.label('Add an API' if api is None else f'Edit {api.name}').classes('text-lg font-semibold')
        with ui.row().classes('w-full no-wrap gap-3'):
            name = ui.input('Name', value=api.name if api else '').props('outlined').classes('grow') \
                .mark('api-name')
            base_path = ui.input('Base path (listen path)', value=api.base_path if api else '',
                                 placeholder='/weather/').props('outlined').classes('w-56').mark('api-base-path')
        upstream = ui.input('Upstream (where the gateway forwards to)', value=api.upstream if api else '',
                            placeholder='https://weather.internal:8443').props('outlined').classes('w-full') \
            .mark('api-upstream')
        current = api.openapi_text if api else ''
        feedback: Feedback | None = None
        document = OpenApiInput('api-openapi', 'api-upload', 'openapi', lambda error: feedback.show(error),
                                value=current if len(current) <= SHOW_LIMIT else '')
        if len(current) > SHOW_LIMIT:
            document.say(f'The current document ({len(current) / 1e6:.1f} MB) is kept unless you paste or upload '
                         'another one.')
        document.upload_button('api-upload-button')
        feedback = Feedback({'name': name, 'base_path': base_path, 'upstream': upstream, 'openapi': document.document},
                            marker='api-error')

        async def save() -> None:
            feedback.clear()
            try:
                text = document.text()
            except DomainError as error:
                feedback.show(error)
                return
            if api is not None and not text and len(current) > SHOW_LIMIT:
                text = catalog.KEEP_DOCUMENT
            saving.set_visibility(True)
            try:  # reading a big document takes seconds: off the event loop
                saved = await run.io_bound(catalog.save_api, api.id if api else None, name.value, base_path.value,
                                           upstream.value, text, by=session.current_user())
            except DomainError as error:
                feedback.show(error)
                return
            finally:
                saving.set_visibility(False)
            dialog.close()
            ui.notify(f'{saved.name} saved.', type='positive')
            table.show_new(saved.id)
            table.refresh()
            refresh_header()

        saving = ui.label('Checking the document…').classes('text-sm text-grey-8').mark('api-saving')
        saving.set_visibility(False)
        dialogs.actions(dialog, 'Save', save, 'api-save')
    dialog.open()


def delete_dialog(api: Api, table: PagedTable) -> None:
    dialogs.confirm_delete(api.name, 'It is removed from every product that includes it; its documentation '
                           'disappears from the catalog.', 'api-delete',
                           lambda: catalog.delete_api(catalog.find(Api, api.id, 'This API'), by=session.current_user()),
                           table.refresh)
