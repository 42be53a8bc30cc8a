"""The product page ("More info") and its API reference (issue 13).

The reference is Swagger UI, served from the `swagger-ui-bundle-v2` package (never a CDN), on a page of its
own: the document was validated and prepared when it was saved (workflows/openapi.py), so a view reads one
row and sends it; searching, grouping and rendering happen in the browser. The page has its own strict
Content-Security-Policy: scripts and images from this portal only, requests to the portal and the gateway.
"""
from __future__ import annotations

import gzip
import hashlib
import html
import json
from collections import OrderedDict
from threading import Lock
from urllib.parse import urlsplit

import peewee as pw
from fastapi import Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from nicegui import app, run, ui
from swagger_ui_bundle import swagger_ui_path

import config
import session
from components import dialogs, docs
from components.forms import Feedback, refresh_header, reload_with
from components.frame import frame
from db.models import AccessRequest, AccessStatus, Api, ApiReference, App, Plan, Product, ProductApi
from domain.errors import DomainError
from workflows import access, browse, cart, openapi, settings, visibility

ASSETS = '/products/_assets'  # under /products/ so that the default-deny middleware lets visitors read them
app.add_static_files(ASSETS, swagger_ui_path)


def _product_and_parts(me, slug: str) -> tuple[Product | None, list, list, dict]:
    """What the product page shows, read in a worker thread (the page is built on the event loop, which
    also answers the gateway: it only lays out what was read here, the frame's settings included)."""
    values = settings.load()
    product = browse.products_visible_to(me).where(Product.slug == slug[:100]).first()
    if product is None:
        return None, [], [], values
    offers = browse.catalogs_of_product(me, product)
    apis = list(Api.select(Api.id, Api.name, Api.base_path, ApiReference.version, ApiReference.operations,
                           ApiReference.size)
                .join(ProductApi).switch(Api)
                .join(ApiReference, on=(ApiReference.api == Api.id), join_type=pw.JOIN.LEFT_OUTER, attr='reference')
                .where(ProductApi.product == product).order_by(Api.name))
    return product, offers, apis, values


@ui.page('/products/{slug}')
async def product_page(slug: str) -> None:
    me = session.current_user()
    product, offers, apis, values = await run.io_bound(_product_and_parts, me, slug)
    with frame(product.name if product else 'Not found', me, values=values):
        if product is None:
            ui.status_code(404)
            ui.label('This product was not found, or you cannot see it.').mark('product-not-found')
            ui.link('Back to the Catalogs', '/catalogs')
            return
        ui.label(product.summary).classes('text-lg text-grey-8')
        docs.markdown(product.description)
        if any(plans for _, plans in offers):
            ui.button('Get access', icon='key', on_click=lambda: _get_access(product, offers)) \
                .props('unelevated no-caps color=primary').mark('get-access')
        ui.label('Catalogs and plans').classes('text-xl font-semibold pt-2')
        ui.label('Each catalog offers its own plans; choose the catalog whose plan you want.').classes('text-grey-8')
        with ui.row().classes('w-full gap-4 items-stretch'):
            for catalog, plans in offers:
                _offer(me, product, catalog, plans)
        ui.label('Documentation').classes('text-xl font-semibold pt-2')
        for api in apis:
            _api_card(product, api)


def _api_card(product: Product, api: Api) -> None:
    reference = getattr(api, 'reference', None)
    with ui.card().classes('w-full p-4 gap-2').mark(f'api-doc-{api.base_path}'):
        with ui.row().classes('items-center gap-3'):
            ui.icon('api', color='primary').classes('text-2xl')
            ui.label(api.name).classes('text-lg font-semibold')
        ui.label(f'Base URL: {config.current().gateway_url.rstrip("/")}{api.base_path}') \
            .classes('font-mono text-sm').mark('api-base-url')
        if reference is None or reference.version is None:
            ui.label('No OpenAPI document was published for this API yet.').classes('text-grey-8')
            return
        version = f'Swagger {reference.version}' if reference.version == '2.0' else f'OpenAPI {reference.version}'
        ui.label(f'{version} · {reference.operations} operation{"" if reference.operations == 1 else "s"} · '
                 f'{reference.size / 1e3:,.0f} kB') \
            .classes('text-sm text-grey-8').mark('api-doc-summary')
        with ui.row().classes('gap-2'):
            reference = ui.button('Open the API reference', icon='menu_book').props('unelevated no-caps') \
                .mark(f'api-reference-{api.base_path}')
            reference.props['href'] = reference_url(product.slug, api.id)  # set, not parsed from a props string
            ui.link('Download the OpenAPI document', document_url(product.slug, api.id)) \
                .props('download').classes('self-center').mark(f'api-download-{api.base_path}')


def _get_access(product: Product, offers: list) -> None:
    """Plan and app in one dialog, for this one product (the cart stays for several products)."""
    me = session.current_user()
    if me is None:
        ui.navigate.to(f'/login?next=/products/{product.slug}')
        return
    choices = {f'{catalog.id}:{plan.id}': f'{plan.name} ({catalog.name}) — {docs.plan_summary(plan)}'
               for catalog, plans in offers for plan in plans}
    my_apps = {app.id: app.name for app in visibility.apps_visible_to(me).order_by(App.name).limit(100)}
    with dialogs.dialog() as dialog, ui.card().classes('w-[36rem] max-w-full'):
        ui.label(f'Get access to {product.name}').classes('text-lg font-semibold')
        plan = ui.select(choices, value=next(iter(choices)), label='Plan').props('outlined') \
            .classes('w-full').mark('get-access-plan')
        app_choice = ui.select({0: 'A new app', **my_apps}, value=0, label='App').props('outlined') \
            .classes('w-full').mark('get-access-app')
        new_name = ui.input('Name of the new app', value=f'{me.first_name}\'s {product.name} app'[:100]) \
            .props('outlined').classes('w-full').mark('get-access-app-name')
        new_name.bind_visibility_from(app_choice, 'value', backward=lambda value: not value)
        feedback = Feedback({'plan': plan, 'app': app_choice, 'name': new_name}, marker='get-access-error')

        def confirm() -> None:
            catalog_id, plan_id = (int(part) for part in str(plan.value).split(':'))
            ready: list[int] = []

            def act() -> str:
                request = access.request_access(session.current_user(), catalog_id, plan_id, [product.id],
                                                app_id=app_choice.value or None, new_app_name=new_name.value)
                if AccessRequest.get_by_id(request.id).status == AccessStatus.APPROVED:
                    ready.append(request.app_id)
                    return 'Your key is ready: open the API reference to try it, or see it under My apps.'
                return 'Your request is sent; we email you when it is approved.'

            def then(message: str) -> None:
                # a key at once, and one API to try it on: straight to its reference, the key chosen for Try it
                target = _only_reference(product) if ready else None
                if target is None:
                    reload_with(message)
                else:
                    ui.navigate.to(f'{target}?ready={ready[0]}')

            dialogs.submit(dialog, feedback, act, then=then)

        dialogs.actions(dialog, 'Get access', confirm, 'get-access-confirm')
    dialog.open()


def _only_reference(product: Product) -> str | None:
    """The reference page of the product's API when it has exactly one API with a published document."""
    documented = list(ApiReference.select(ApiReference.api).join(ProductApi, on=(ProductApi.api == ApiReference.api))
                      .where((ProductApi.product == product) & ApiReference.version.is_null(False)).limit(2))
    return reference_url(product.slug, documented[0].api_id) if len(documented) == 1 else None


def _offer(me, product: Product, catalog, plans: list[Plan]) -> None:
    with ui.card().classes('p-4 gap-2 min-w-72').mark(f'offer-{catalog.name}'):
        ui.label(catalog.name).classes('text-lg font-semibold')
        for plan in plans:
            with ui.column().classes('gap-0'):
                ui.label(plan.name).classes('font-medium')
                ui.label(docs.plan_summary(plan)).classes('text-xs text-grey-8')
        if not plans:
            ui.label('No plans are offered in this catalog yet.').classes('text-grey-8 text-sm')

        def add() -> None:
            user = session.current_user()
            if user is None:
                ui.navigate.to(f'/login?next=/products/{product.slug}')
                return
            try:
                cart.add(user, product.id, catalog.id)
            except DomainError as error:
                ui.notify(str(error), type='negative')
                return
            ui.notify(f'{product.name} ({catalog.name}) is in your cart.', type='positive')
            refresh_header()

        ui.button('Add to cart', icon='add_shopping_cart', on_click=add).props('unelevated no-caps') \
            .mark(f'add-to-cart-{catalog.name}')


# --- the reference: a page of its own, the prepared document, the document as written -----------------

def reference_url(slug: str, api_id: int) -> str:
    return f'/products/{slug}/reference/{api_id}'


def document_url(slug: str, api_id: int) -> str:
    return f'/products/{slug}/apis/{api_id}/openapi'


def _visible_api(slug: str, api_id: int) -> tuple[Product, Api] | None:
    """The product and API when the current user may see the product (the product page's own check)."""
    product = browse.products_visible_to(session.current_user()).where(Product.slug == slug[:100]).first()
    if product is None:
        return None
    api = (Api.select(Api.id, Api.name, Api.base_path).join(ProductApi)
           .where((ProductApi.product == product) & (Api.id == api_id)).first())
    return (product, api) if api is not None else None


NOT_FOUND = 'This API was not found, or you cannot see it.'


@app.get('/products/{slug}/reference/{api_id}')
def reference_page(slug: str, api_id: int, ready: int = 0) -> Response:
    """`ready`: the app that just got its key (after Get access): its key is chosen for Try it, and the page
    opens the first operation to try."""
    found = _visible_api(slug, api_id)
    if found is None:
        return PlainTextResponse(NOT_FOUND, status_code=404)
    product, api = found
    me = session.current_user()
    operations = ApiReference.select(ApiReference.operations).where(ApiReference.api == api.id).scalar() or 0
    keys = [{'app': name, 'key': key} for name, key in access.keys_for_product(me, product)]
    ready_app = None
    if ready and me is not None and 0 < ready < 2 ** 63:
        ready_app = (visibility.apps_visible_to(me).select(App.name).where(App.id == ready).scalar())
        if ready_app is not None and any(entry['app'] == ready_app for entry in keys):
            keys.sort(key=lambda entry: entry['app'] != ready_app)  # stable: that app's keys first
        else:
            ready_app = None
    settings = {
        'url': f'/products/{product.slug}/apis/{api.id}/reference.json',
        'keys': keys, 'operations': operations, 'scheme': openapi.KEY_SCHEME, 'header': openapi.KEY_HEADER, 'signedIn': me is not None,
        'productUrl': f'/products/{product.slug}', 'loginUrl': f'/login?next={reference_url(product.slug, api.id)}',
        'ready': ready_app,
    }
    gateway = urlsplit(config.current().gateway_url)
    page = REFERENCE_HTML.format(
        title=html.escape(f'{api.name} · {product.name}'), api=html.escape(api.name),
        product=html.escape(product.name), product_url=html.escape(settings['productUrl']),
        download=html.escape(document_url(product.slug, api.id)), assets=ASSETS,
        settings=json.dumps(settings).replace('<', '\\u003c'))
    csp = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
           f"font-src 'self' data:; connect-src 'self' {gateway.scheme}://{gateway.netloc}; "
           "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
    return HTMLResponse(page, headers={'Content-Security-Policy': csp, 'Cache-Control': 'no-store',
                                       'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff'})


_served: OrderedDict[tuple, tuple[bytes, bytes, str]] = OrderedDict()  # a few recent documents, gzipped once
_served_lock = Lock()


@app.get('/products/{slug}/apis/{api_id}/reference.json')
def reference_document(slug: str, api_id: int, request: Request) -> Response:
    """The prepared document with the gateway as its server. A plain `def`: FastAPI runs it in a thread, so
    reading and compressing a big document never holds the event loop."""
    found = _visible_api(slug, api_id)
    if found is None:
        return PlainTextResponse(NOT_FOUND, status_code=404)
    _, api = found
    stamp = ApiReference.select(ApiReference.id, ApiReference.updated_at).where(ApiReference.api == api.id).first()
    if stamp is None:
        return PlainTextResponse('This API has no OpenAPI document yet.', status_code=404)
    gateway = config.current().gateway_url
    cache_key = (api.id, stamp.id, stamp.updated_at, gateway, api.base_path)
    with _served_lock:
        cached = _served.get(cache_key)
    if cached is None:
        row = ApiReference.get_by_id(stamp.id)
        body = openapi.with_servers(row.prepared, gateway, api.base_path, row.version).encode('utf-8', 'surrogatepass')
        cached = (body, gzip.compress(body, compresslevel=6), hashlib.sha256(body).hexdigest()[:32])
        with _served_lock:
            _served[cache_key] = cached
            while len(_served) > 8:
                _served.popitem(last=False)
    body, packed, etag = cached
    headers = {'ETag': f'"{etag}"', 'Cache-Control': 'private, no-cache', 'X-Content-Type-Options': 'nosniff'}
    if request.headers.get('if-none-match') == f'"{etag}"':
        return Response(status_code=304, headers=headers)
    if 'gzip' in request.headers.get('accept-encoding', ''):
        return Response(packed, media_type='application/json', headers={**headers, 'Content-Encoding': 'gzip'})
    return Response(body, media_type='application/json', headers=headers)


@app.get('/products/{slug}/apis/{api_id}/openapi')
def download_document(slug: str, api_id: int) -> Response:
    """The document as the provider wrote it, for whoever may see the product."""
    found = _visible_api(slug, api_id)
    if found is None:
        return PlainTextResponse(NOT_FOUND, status_code=404)
    _, api = found
    text = Api.select(Api.openapi_text).where(Api.id == api.id).scalar() or ''
    if not text:
        return PlainTextResponse('This API has no OpenAPI document yet.', status_code=404)
    extension = 'json' if text.lstrip().startswith('{') else 'yaml'
    name = ''.join(ch if ch.isalnum() else '-' for ch in api.name.lower()).strip('-') or 'openapi'
    return Response(text.encode('utf-8', 'surrogatepass'),
                    media_type='application/json' if extension == 'json' else 'application/yaml',
                    headers={'Content-Disposition': f'attachment; filename="{name}.{extension}"',
                             'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'private, no-cache'})


REFERENCE_HTML = '''<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · API reference</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css"><link rel="stylesheet" href="/static/reference.css">
<link rel="icon" href="/static/favicon.svg">
</head><body>
<header class="portico-bar">
  <a class="portico-back" href="{product_url}">&larr; {product}</a>
  <span class="portico-title">{api}</span>
  <input id="portico-search" type="search" placeholder="Search path, summary, operationId, description"
         aria-label="Search operations" autocomplete="off">
  <span id="portico-try" class="portico-try"></span>
  <a class="portico-download" href="{download}" download>Download the document</a>
</header>
<div id="portico-loading" class="portico-loading">Loading the reference…</div>
<div id="swagger-ui"></div>
<script id="portico-settings" type="application/json">{settings}</script>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/reference.js"></script>
</body></html>
'''
