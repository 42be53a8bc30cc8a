"""Admin -> Publish an API (issue 25, item 4): paste or upload an OpenAPI document, check what the portal
proposes (the API, a product, a plan and a catalog), publish it all with one click (workflows/publish.py)."""
from __future__ import annotations

from nicegui import run, ui

import session
from components.forms import Feedback, bounded, refresh_header
from components import pickers
from components.frame import admin_frame, admin_page
from components.openapi_input import OpenApiInput
from db.models import Visibility
from domain.errors import DomainError
from domain.i18n import _
from pages.admin.catalogs import visibility_choices
from pages.admin.plans import quota_periods
from workflows import catalog, publish

NEW = 0  # the selects' choice of a new plan or catalog


@admin_page('/admin/publish')
def publish_page() -> None:
    with admin_frame(_('Publish an API'), intro=_('Paste or upload an OpenAPI document: the portal proposes the '
                                                  'API, a product, a plan and a catalog; check them and publish, all '
                                                  'in one step.')):
        feedback: Feedback | None = None
        with ui.card().classes('w-full p-5 gap-3'):
            ui.label(_('1. The OpenAPI document')).classes('text-lg font-semibold')
            document = OpenApiInput('publish-document', 'publish-upload', 'document',
                                    lambda error: feedback.show(error), rows=10, loaded=_('now Propose'),
                                    kept=_('published as it is'))
            with ui.row().classes('items-center gap-3'):
                ui.button(_('Propose'), icon='auto_fix_high', on_click=lambda: propose()) \
                    .props('unelevated no-caps').mark('publish-propose')
                document.upload_button('publish-upload-button')
                working = ui.spinner(size='sm').mark('publish-working')
                working.set_visibility(False)

        proposal = ui.card().classes('w-full p-5 gap-3').mark('publish-proposal')
        proposal.set_visibility(False)
        with proposal:
            ui.label(_('2. Check what will be created')).classes('text-lg font-semibold')
            ui.label(_('The API')).classes('font-semibold text-grey-9')
            with ui.row().classes('w-full no-wrap gap-3'):
                api_name = ui.input(_('API name')).props('outlined').classes('grow').mark('publish-api-name')
                base_path = ui.input(_('Base path (listen path)')).props('outlined').classes('w-64') \
                    .mark('publish-base-path')
            upstream = ui.input(_('Upstream (where the gateway forwards to)')).props('outlined').classes('w-full') \
                .mark('publish-upstream')
            ui.label(_('The product')).classes('font-semibold text-grey-9')
            product_name = ui.input(_('Product name')).props('outlined').classes('w-full').mark('publish-product-name')
            summary = ui.input(_('Summary')).props('outlined counter maxlength=300').classes('w-full') \
                .mark('publish-summary')
            description = bounded(ui.textarea(_('Description (Markdown)')).props('outlined rows=4').classes('w-full')
                                  .mark('publish-description'), catalog.MAX_DESCRIPTION)
            tags = ui.input(_('Tags (comma-separated)')).props('outlined').classes('w-full').mark('publish-tags')
            with ui.row().classes('w-full gap-6 items-start'):
                with ui.column().classes('grow gap-2'):
                    ui.label(_('The plan')).classes('font-semibold text-grey-9')
                    plan = ui.select({NEW: _('A new plan')}, value=NEW, label=_('Plan')).props('outlined') \
                        .classes('w-full').mark('publish-plan')
                    with ui.column().classes('w-full gap-2').bind_visibility_from(plan, 'value', lambda v: v == NEW):
                        plan_name = ui.input(_('New plan name')).props('outlined').classes('w-full') \
                            .mark('publish-plan-name')
                        with ui.row().classes('w-full no-wrap gap-3 items-start'):
                            rate_limit = ui.number(_('Rate limit (requests)'), min=1, precision=0, format='%d') \
                                .props('outlined').classes('grow').mark('publish-rate-limit')
                            rate_period = ui.number(_('per (seconds)'), min=1, precision=0, format='%d') \
                                .props('outlined').classes('grow').mark('publish-rate-period')
                        with ui.row().classes('w-full no-wrap gap-3 items-start'):
                            quota = ui.number(_('Quota (requests, 0 = unlimited)'), min=0, precision=0, format='%d') \
                                .props('outlined').classes('grow').mark('publish-quota')
                            quota_period = ui.select(quota_periods(), value='month', label=_('Quota period')) \
                                .props('outlined').classes('w-40').mark('publish-quota-period')
                        requires_approval = ui.switch(_('Requires approval (manual)')).mark('publish-requires-approval')
                with ui.column().classes('grow gap-2'):
                    ui.label(_('The catalog')).classes('font-semibold text-grey-9')
                    shelf = ui.select({NEW: _('A new catalog')}, value=NEW, label=_('Catalog')).props('outlined') \
                        .classes('w-full').mark('publish-catalog')
                    with ui.column().classes('w-full gap-2').bind_visibility_from(shelf, 'value', lambda v: v == NEW):
                        catalog_name = ui.input(_('New catalog name')).props('outlined').classes('w-full') \
                            .mark('publish-catalog-name')
                        visibility = ui.select(visibility_choices(), value=Visibility.PUBLIC, label=_('Visibility')) \
                            .props('outlined').classes('w-full').mark('publish-catalog-visibility')
            with ui.row().classes('items-center gap-3'):
                ui.button(_('Publish'), icon='rocket_launch', on_click=lambda: confirm()) \
                    .props('unelevated no-caps').mark('publish-publish')
                publishing = ui.spinner(size='sm').mark('publish-publishing')
                publishing.set_visibility(False)

        done = ui.card().classes('w-full p-5 gap-2').mark('publish-done')
        done.set_visibility(False)

        inputs = {'document': document.document, 'api_name': api_name, 'base_path': base_path, 'upstream': upstream,
                  'product_name': product_name, 'summary': summary, 'description': description, 'tags': tags,
                  'plan_id': plan, 'plan_name': plan_name, 'rate_limit': rate_limit, 'rate_period': rate_period,
                  'quota': quota, 'quota_period': quota_period, 'requires_approval': requires_approval,
                  'catalog_id': shelf, 'catalog_name': catalog_name, 'catalog_visibility': visibility}
        feedback = Feedback({key: field for key, field in inputs.items() if key != 'requires_approval'},
                            marker='publish-error')

        def choices() -> None:
            """The selects' options, read again at each proposal (a plan or catalog may have been added)."""
            plan.set_options({NEW: _('A new plan'), **pickers.plans()})
            shelf.set_options({NEW: _('A new catalog'), **pickers.catalogs()})

        async def propose() -> None:
            feedback.clear()
            done.set_visibility(False)
            working.set_visibility(True)
            try:  # reading a big document takes seconds: off the event loop
                proposed = await run.io_bound(publish.propose, document.text(), by=session.current_user())
            except DomainError as error:
                feedback.show(error)
                return
            finally:
                working.set_visibility(False)
            choices()
            values = proposed.fields()
            values['plan_id'] = values['plan_id'] or NEW
            values['catalog_id'] = values['catalog_id'] or NEW
            for key, field in inputs.items():
                if key != 'document':
                    field.value = values[key]
            proposal.set_visibility(True)
            ui.notify(_('Proposed from the document: check the fields, then Publish.'), type='positive')

        async def confirm() -> None:
            feedback.clear()
            try:
                fields = {key: field.value for key, field in inputs.items()}
                fields['document'] = document.text()
            except DomainError as error:
                feedback.show(error)
                return
            fields['plan_id'] = fields['plan_id'] or None
            fields['catalog_id'] = fields['catalog_id'] or None
            publishing.set_visibility(True)
            try:
                product = await run.io_bound(publish.publish, fields, by=session.current_user())
            except DomainError as error:
                feedback.show(error)
                return
            finally:
                publishing.set_visibility(False)
            proposal.set_visibility(False)
            document.clear()
            done.clear()
            with done:
                ui.label(_('{name} is published.', name=product.name)).classes('text-lg font-semibold text-positive')
                ui.label(_('Developers find it in the catalog and can request access now.')).classes('text-grey-8')
                with ui.row().classes('gap-4'):
                    ui.link(_('Open the product page'), f'/products/{product.slug}').mark('publish-product-link')
                    ui.link(_('Edit it under Products'), '/admin/products')
                    ui.link(_('APIs'), '/admin/apis')
            done.set_visibility(True)
            ui.notify(_('{name} is published.', name=product.name), type='positive')
            refresh_header()
