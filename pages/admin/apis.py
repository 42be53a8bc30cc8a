"""API Provider -> APIs: add or edit an API with its OpenAPI document, publish or reject submitted ones, delete;
add a version of an API, deprecate a version with a sunset and a successor, undo that (issue 26, item 5)."""
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
from domain import i18n
from domain.i18n import N_, _
from workflows import api_versions, catalog

FILTERS = {'': N_('All'), ApiStatus.PENDING: N_('Pending'), ApiStatus.PUBLISHED: N_('Published'),
           ApiStatus.REJECTED: N_('Rejected')}
LISTED = (Api.id, Api.name, Api.base_path, Api.upstream, Api.status, Api.submitted_by, ApiReference.operations,
          Api.version_of, Api.version, Api.deprecated_at, Api.sunset_at, Api.successor)


def fetch(search: str, status: str, offset: int, limit: int) -> tuple[list[Api], int]:
    query = (Api.select(*LISTED, User).join(User, pw.JOIN.LEFT_OUTER, on=Api.submitted_by)
             .switch(Api).join(ApiReference, pw.JOIN.LEFT_OUTER, on=(ApiReference.api == Api.id), attr='reference'))
    if status:
        query = query.where(Api.status == status)
    if search:
        needle = search.lower()
        query = query.where(pw.fn.LOWER(Api.name).contains(needle) | Api.base_path.contains(needle))
    rows = list(query.order_by(Api.status != ApiStatus.PENDING, Api.name, Api.version, Api.id).offset(offset)
                .limit(limit))
    return rows, paging.count(query)


@admin_page('/admin/apis')
def apis_page(status: str = '') -> None:
    state = {'status': status if status in FILTERS else ''}
    with admin_frame(_('APIs')):
        with toolbar(_('Add API'), lambda: edit_dialog(None, table), 'apis-add'):
            status_filter({key: _(label) for key, label in FILTERS.items()}, state, lambda: table.refresh(), 'apis-filter')

        def actions(api: Api) -> None:
            with ui.row().classes('gap-1 no-wrap'):
                if api.status == ApiStatus.PENDING:
                    decision_buttons(APIS, api.id, approved=_('{name} is published.', name=api.name),
                                     rejected=_('{name} rejected.', name=api.name),
                                     question=_('Reject publishing {name}?', name=api.name),
                                     marker='api-reject', buttons=(f'api-approve-{api.name}', f'api-reject-{api.name}'),
                                     done=lambda: table.refresh())
                named = api_versions.label(api)
                ui.button(_('Edit'), on_click=lambda a=api: edit_dialog(a.id, table)) \
                    .props('flat dense no-caps').mark(f'api-edit-{named}')
                if api.status == ApiStatus.PUBLISHED:  # issue 26, item 5: versions and deprecation
                    versions = _('Versions')
                    with ui.button(icon='more_vert').props('flat dense round') \
                            .props(f'aria-label="{versions}"') \
                            .mark(f'api-more-{named}') \
                            .tooltip(versions):
                        with ui.menu():
                            ui.menu_item(_('Add a version'), lambda a=api: version_dialog(a.id, table)) \
                                .mark(f'api-add-version-{named}')
                            if api.deprecated_at is None:
                                ui.menu_item(_('Deprecate'), lambda a=api: deprecate_dialog(a.id, table)) \
                                    .mark(f'api-deprecate-{named}')
                            else:
                                ui.menu_item(_('Undo deprecation'), lambda a=api: undo_dialog(a, table)) \
                                    .mark(f'api-undeprecate-{named}')
                ui.button(_('Delete'), on_click=lambda a=api: delete_dialog(a, table)) \
                    .props('flat dense no-caps color=negative').mark(f'api-delete-{named}')

        def name_cell(api: Api) -> None:
            with ui.row().classes('items-center gap-2 no-wrap'):
                ui.label(api.name).classes('font-medium')
                if api.version:
                    ui.chip(api.version).props('dense square').classes('text-xs').mark(f'api-version-{api.id}')
            if api.deprecated_at is not None:
                ui.label(_('Deprecated: stops on {day}', day=api_versions.shown_date(api.sunset_at))) \
                    .classes('text-xs text-negative').mark(f'api-deprecated-{api.id}')
            if api.upstream:
                ui.label(api.upstream).classes('text-xs text-grey-8 truncate')

        table = PagedTable([
            Column(_('Name'), name_cell, '1.5fr'),
            Column(_('Base path'), lambda a: ui.label(a.base_path).classes('font-mono text-sm'), '1fr'),
            Column(_('Status'), lambda a: status_chip(a.status), '7rem'),
            Column(_('Submitted by'), lambda a: ui.label(a.submitted_by.full_name if a.submitted_by else '—'), '1fr'),
            Column(_('Operations'), lambda a: ui.label(i18n.number(getattr(a.reference, 'operations', None) or 0)),
                   '6rem'),
            Column('', actions, '17rem'),
        ], lambda search, offset, limit: fetch(search, state['status'], offset, limit),
            empty=_('No APIs here. Add one with its OpenAPI document to document it in the catalog.'),
            search_label=_('Search by name or base path'), marker='apis')


def edit_dialog(api_id: int | None, table: PagedTable) -> None:
    api = table.row_again(Api, api_id, N_('This API')) if api_id else None
    if api_id and api is None:
        return
    with dialogs.dialog() as dialog, ui.card().classes('w-[44rem] max-w-full'):
        ui.label(_('Add an API') if api is None else _('Edit {name}', name=api.name)).classes('text-lg font-semibold')
        with ui.row().classes('w-full no-wrap gap-3'):
            name = ui.input(_('Name'), value=api.name if api else '').props('outlined').classes('grow') \
                .mark('api-name')
            base_path = ui.input(_('Base path (listen path)'), value=api.base_path if api else '',
                                 placeholder='/weather/').props('outlined').classes('w-56').mark('api-base-path')
        upstream = ui.input(_('Upstream (where the gateway forwards to)'), value=api.upstream if api else '',
                            placeholder='https://weather.internal:8443').props('outlined').classes('w-full') \
            .mark('api-upstream')
        current = api.openapi_text if api else ''
        feedback: Feedback | None = None
        document = OpenApiInput('api-openapi', 'api-upload', 'openapi', lambda error: feedback.show(error),
                                value=current if len(current) <= SHOW_LIMIT else '')
        if len(current) > SHOW_LIMIT:
            document.say(_('The current document ({size} MB) is kept unless you paste or upload another one.',
                           size=i18n.number(round(len(current) / 1e6, 1))))
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
            ui.notify(_('{name} saved.', name=saved.name), type='positive')
            table.show_new(saved.id)
            table.refresh()
            refresh_header()

        saving = ui.label(_('Checking the document…')).classes('text-sm text-grey-8').mark('api-saving')
        saving.set_visibility(False)
        dialogs.actions(dialog, _('Save'), save, 'api-save')
    dialog.open()


def delete_dialog(api: Api, table: PagedTable) -> None:
    dialogs.confirm_delete(api.name, _('It is removed from every product that includes it; its documentation '
                                     'disappears from the catalog.'), 'api-delete',
                           lambda: catalog.delete_api(catalog.find(Api, api.id, N_('This API')), by=session.current_user()),
                           table.refresh)


# --- issue 26, item 5: versions and deprecation -------------------------------------------------------

def version_dialog(api_id: int, table: PagedTable) -> None:
    """A new version of an API: its label, its own base path and document, in the same products by default."""
    api = table.row_again(Api, api_id, N_('This API'))
    if api is None:
        return
    labels = [version.version for version in api_versions.versions_of(api) if version.version]
    with dialogs.dialog() as dialog, ui.card().classes('w-[44rem] max-w-full'):
        ui.label(_('Add a version of {name}', name=api.name)).classes('text-lg font-semibold')
        ui.label(_('Versions so far: {labels}.', labels=', '.join(labels)) if labels else
                 _('This API has no version label yet: name the current one too.')).classes('text-sm text-grey-8')
        with ui.row().classes('w-full no-wrap gap-3'):
            current = ui.input(_('Label of the current version'), value='v1').props('outlined').classes('w-48') \
                .mark('version-current')
            current.set_visibility(api.version_of_id is None)
            version = ui.input(_('Label of the new version'), placeholder='v2').props('outlined').classes('w-48') \
                .mark('version-label')
            base_path = ui.input(_('Base path (listen path)'), placeholder=f'{api.base_path}v2/').props('outlined') \
                .classes('grow').mark('version-base-path')
        upstream = ui.input(_('Upstream (where the gateway forwards to)'), value=api.upstream).props('outlined') \
            .classes('w-full').mark('version-upstream')
        feedback: Feedback | None = None
        document = OpenApiInput('version-openapi', 'version-upload', 'openapi', lambda error: feedback.show(error))
        document.upload_button('version-upload-button')
        same = ui.checkbox(_('Add it to the products of this API (their keys then cover it too)'), value=True) \
            .mark('version-in-products')
        feedback = Feedback({'version': version, 'current_version': current, 'base_path': base_path,
                             'upstream': upstream, 'openapi': document.document}, marker='version-error')

        async def save() -> None:
            feedback.clear()
            try:
                text = document.text()
            except DomainError as error:
                feedback.show(error)
                return
            try:
                saved = await run.io_bound(api_versions.add_version, api.id, version.value, base_path.value, text,
                                           session.current_user(), upstream=upstream.value,
                                           current_version=current.value, in_same_products=same.value)
            except DomainError as error:
                feedback.show(error)
                return
            dialog.close()
            ui.notify(_('{name} added.', name=api_versions.label(saved)), type='positive')
            table.show_new(saved.id)
            table.refresh()

        dialogs.actions(dialog, _('Add the version'), save, 'version-save')
    dialog.open()


def deprecate_dialog(api_id: int, table: PagedTable) -> None:
    """Deprecate a version: the sunset (calls stop then, 410) and the version to move to."""
    api = table.row_again(Api, api_id, N_('This API'))
    if api is None:
        return
    others = [other for other in api_versions.versions_of(api)
              if other.id != api.id and other.deprecated_at is None and other.status == ApiStatus.PUBLISHED]
    choices = {0: _('No successor'), **{other.id: api_versions.label(other) for other in others}}
    with dialogs.dialog() as dialog, ui.card().classes('w-[32rem] max-w-full'):
        ui.label(_('Deprecate {name}', name=api_versions.label(api))).classes('text-lg font-semibold')
        ui.label(_('Calls keep working until the sunset, with Deprecation and Sunset headers; then they are refused '
                   '(410 Gone) with a link to the successor. The owners of every app that uses it are emailed now, '
                   'and 30 and 7 days before the sunset.')).classes('text-sm text-grey-8')
        sunset = ui.input(_('Sunset date (UTC)'), placeholder='2027-03-31').props('outlined').classes('w-full') \
            .mark('deprecate-sunset')
        successor = ui.select(choices, value=others[-1].id if others else 0, label=_('Successor version')) \
            .props('outlined').classes('w-full').mark('deprecate-successor')
        feedback = Feedback({'sunset': sunset, 'successor': successor}, marker='deprecate-error')

        def act() -> str:
            done = api_versions.deprecate(api.id, sunset.value, successor.value or None, by=session.current_user())
            return _('{name} is deprecated: it stops on {day}.', name=api_versions.label(done), day=api_versions.shown_date(done.sunset_at))

        dialogs.actions(dialog, _('Deprecate'), lambda: dialogs.submit(dialog, feedback, act, table.refresh),
                        'deprecate-confirm', negative=True)
    dialog.open()


def undo_dialog(api: Api, table: PagedTable) -> None:
    named = api_versions.label(api)

    def act() -> str:
        api_versions.undo_deprecation(api.id, by=session.current_user())
        return _('{name} is no longer deprecated.', name=named)

    dialogs.confirm(_('Undo the deprecation of {name}?', name=named),
                    _('Its calls go on without Deprecation and Sunset headers, and no sunset stops them.'),
                    _('Undo deprecation'), 'undeprecate', act, table.refresh)
