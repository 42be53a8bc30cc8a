"""Product documentation: sanitised Markdown, and an API's operations rendered from its OpenAPI document.

Everything is built from NiceGUI elements on the server (text is escaped by the browser's text nodes);
Markdown is converted and then cleaned with nh3, so no script or event handler reaches the page, and no
asset comes from the internet.
"""
from __future__ import annotations

import nh3
from nicegui import ui

from db.models import Api, Plan
from workflows import openapi

METHOD_COLOURS = {'GET': 'blue-9', 'POST': 'green-9', 'PUT': 'deep-orange-10', 'PATCH': 'teal-9', 'DELETE': 'red-9'}


MARKDOWN_CSS = """
.portico-markdown h1 { font-size: 1.5rem; font-weight: 600; margin: 0.75rem 0 0.5rem; }
.portico-markdown h2 { font-size: 1.25rem; font-weight: 600; margin: 0.75rem 0 0.5rem; }
.portico-markdown h3 { font-size: 1.1rem; font-weight: 600; margin: 0.5rem 0 0.25rem; }
"""


def markdown(text: str) -> ui.markdown:
    """User-provided Markdown, converted on the server and cleaned by nh3 before it reaches the page."""
    ui.add_css(MARKDOWN_CSS)
    return ui.markdown(text or '', sanitize=nh3.clean).classes('w-full portico-markdown')


def api_reference(api: Api, base_url: str) -> None:
    """One API: where to call it, and each endpoint with its parameters and schemas."""
    with ui.card().classes('w-full p-4 gap-2').mark(f'api-doc-{api.base_path}'):
        with ui.row().classes('items-center gap-3'):
            ui.icon('api', color='primary').classes('text-2xl')
            ui.label(api.name).classes('text-lg font-semibold')
        ui.label(f'Base URL: {base_url.rstrip("/")}{api.base_path}').classes('font-mono text-sm') \
            .mark('api-base-url')
        document = api.openapi
        if document and document.get('info', {}).get('description'):
            markdown(str(document['info']['description']))
        operations = openapi.operations(document)
        if not operations:
            ui.label('No OpenAPI document was published for this API yet.').classes('text-grey-8')
        for operation in operations:
            _operation(operation)


def _operation(operation: openapi.Operation) -> None:
    with ui.expansion().classes('w-full border rounded').mark(f'op-{operation.method}-{operation.path}') as row:
        with row.add_slot('header'):
            with ui.row().classes('items-center gap-3 no-wrap'):
                ui.badge(operation.method, color=METHOD_COLOURS.get(operation.method, 'grey-8')) \
                    .classes('font-mono w-16 justify-center')
                ui.label(operation.path).classes('font-mono')
                ui.label(operation.summary).classes('text-grey-8')
        if operation.description:
            markdown(operation.description)
        if operation.parameters:
            ui.label('Parameters').classes('font-semibold pt-2')
            with ui.element('div').classes('w-full grid gap-x-4 gap-y-1 text-sm') \
                    .style('grid-template-columns: 10rem 6rem 8rem 1fr'):
                for heading in ('Name', 'In', 'Type', 'Description'):
                    ui.label(heading).classes('text-xs uppercase text-grey-8')
                for parameter in operation.parameters:
                    ui.label(parameter.name + (' *' if parameter.required else '')).classes('font-mono')
                    ui.label(parameter.location)
                    ui.label(parameter.schema).classes('font-mono')
                    ui.label(parameter.description)
        if operation.request_body:
            ui.label('Request body').classes('font-semibold pt-2')
            ui.code(operation.request_body, language='json').classes('w-full text-xs')
        if operation.responses:
            ui.label('Responses').classes('font-semibold pt-2')
            for status, description, schema in operation.responses:
                with ui.row().classes('items-center gap-2'):
                    ui.badge(status, color='grey-8').classes('font-mono')
                    ui.label(description)
                if schema:
                    ui.code(schema, language='json').classes('w-full text-xs')


def plan_summary(plan: Plan) -> str:
    """A plan in one line: rate limit, quota, approval."""
    quota = 'no quota' if not plan.quota else f'{plan.quota:,} requests / {plan.quota_period}'
    approval = 'needs approval' if plan.requires_approval else 'instant access'
    return f'{plan.rate_limit:,} requests / {plan.rate_period} s · {quota} · {approval}'
