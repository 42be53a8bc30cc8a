"""The API reference of a product's API (issue 13): a page of its own, the prepared document it loads, and the
document as the provider wrote it; the admin API's reference uses the same page (pages/admin/api_reference.py).

The reference is Swagger UI, served from the `swagger-ui-bundle-v2` package (never a CDN): the document was
validated and prepared when it was saved (workflows/openapi.py), so a view reads one row and sends it; searching,
grouping and rendering happen in the browser. The page has its own strict Content-Security-Policy: scripts and
images from this portal only, requests to the portal and the gateway. Raw routes, not NiceGUI pages: they send a
document and build no element.
"""
from __future__ import annotations

import gzip
import hashlib
import html
import json
from collections import OrderedDict
from threading import Lock
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from swagger_ui_bundle import swagger_ui_path

import config
import session
from db import settings as stored_settings
from db.models import Api, ApiReference, App, Product, ProductApi
from domain.brand import Look
from workflows import access, api_versions, browse, guides, oauth_clients, openapi, visibility

ASSETS = '/products/_assets'  # under /products/ so that the default-deny middleware lets visitors read them
NOT_FOUND = 'This API was not found, or you cannot see it.'


def install(app) -> None:
    """Registered by main.py at each start (not at import: NiceGUI's test fixtures reset the routes)."""
    with _served_lock:
        _served.clear()
    app.add_static_files(ASSETS, swagger_ui_path)
    app.add_api_route('/products/{slug}/reference/{api_id}', reference_page, methods=['GET'])
    app.add_api_route('/products/{slug}/apis/{api_id}/reference.json', reference_document, methods=['GET'])
    app.add_api_route('/products/{slug}/apis/{api_id}/openapi', download_document, methods=['GET'])


def reference_url(slug: str, api_id: int) -> str:
    return f'/products/{slug}/reference/{api_id}'


def document_url(slug: str, api_id: int) -> str:
    return f'/products/{slug}/apis/{api_id}/openapi'


def _visible_api(slug: str, api_id: int) -> tuple[Product, Api] | None:
    """The product and API when the current user may see the product (the product page's own check)."""
    product = browse.products_visible_to(session.current_user()).where(Product.slug == slug[:100]).first()
    if product is None:
        return None
    api = (Api.select(Api.id, Api.name, Api.base_path, Api.version, Api.deprecated_at, Api.sunset_at, Api.successor)
           .join(ProductApi)
           .where((ProductApi.product == product) & (Api.id == api_id)).first())
    return (product, api) if api is not None else None


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
    # issue 26: an app with an OAuth client tries with a token the page gets for it at /oauth/token
    keys += [{'app': name, 'key': client_id, 'oauth': {'clientId': client_id, 'secret': secret,
                                                       'tokenUrl': '/oauth/token'}}
             for name, client_id, secret in oauth_clients.clients_for_product(me, product)]
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
    # issue 25 (guides): the product's guides, linked from the bar
    guide_links = [(guide.title, guides.url(product.slug, guide.slug)) for guide in guides.guides_visible_to(me, product)]
    return swagger_page(title=f'{api.name} · {product.name}', api=api.name, product=product.name,
                        product_url=settings['productUrl'], download=document_url(product.slug, api.id),
                        settings=settings, connect=f'{gateway.scheme}://{gateway.netloc}', guide_links=guide_links,
                        deprecation=_deprecation(product, api))  # issue 26, item 5


def _deprecation(product: Product, api: Api) -> str:
    """issue 26, item 5: the bar's note on a deprecated version, with a link to its successor's reference."""
    if api.deprecated_at is None:
        return ''
    text = f'Version {api.version or api.name} is deprecated: it stops on {api_versions.shown_date(api.sunset_at)}.'
    successor = Api.select(Api.id, Api.version, Api.base_path).where(Api.id == api.successor_id).first() \
        if api.successor_id else None
    link = ''
    if successor is not None and ProductApi.select().where((ProductApi.product == product)
                                                           & (ProductApi.api == successor.id)).exists():
        link = (f' <a href="{html.escape(reference_url(product.slug, successor.id))}" style="color: inherit">'
                f'Move to {html.escape(successor.version or "its successor")}.</a>')
    elif successor is not None:
        link = html.escape(f' Move to {successor.version or "its successor"}: {api_versions.gateway_url(successor)}')
    return (f'<span class="portico-deprecated" role="status" style="background: #fdecea; color: #b71c1c; '
            f'padding: 2px 8px; border-radius: 4px">{html.escape(text)}{link}</span>')


def swagger_page(*, title: str, api: str, product: str, product_url: str, download: str, settings: dict,
                 connect: str = '', guide_links: list[tuple[str, str]] = (), deprecation: str = '') -> HTMLResponse:
    """The reference page around Swagger UI: `settings` for static/reference.js, `product_url` for the way back,
    `connect` the one origin besides the portal the page may call (the gateway, for Try it), `guide_links`
    the product's guides (title, address) for the bar. The bar wears the brand: its name and logo, its header
    colours (custom properties in a style attribute, which the policy allows)."""
    look = Look.of(stored_settings.load())
    portal = html.escape(look.portal_name)
    logo = f'<img class="portico-logo" src="{look.logo_url}" alt="{portal}">' if look.logo else ''
    page = REFERENCE_HTML.format(
        portal=portal, logo=logo, favicon=html.escape(look.favicon_url),
        brand=f'--portico-bar-bg: {look.header}; --portico-bar-text: {look.header_text}; '
              f'--portico-primary: {look.primary}',
        title=html.escape(title), api=html.escape(api), product=html.escape(product),
        product_url=html.escape(product_url), download=html.escape(download), assets=ASSETS,
        settings=json.dumps(settings).replace('<', '\\u003c'), guides=_guide_links(guide_links),
        deprecation=deprecation)
    csp = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
           f"font-src 'self' data:; connect-src 'self'{' ' + connect if connect else ''}; "
           "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
    return HTMLResponse(page, headers={'Content-Security-Policy': csp, 'Cache-Control': 'no-store',
                                       'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff'})


def _guide_links(guide_links: list[tuple[str, str]]) -> str:
    """issue 25 (guides): the bar's links to the product's guides."""
    if not guide_links:
        return ''
    links = ' '.join(f'<a href="{html.escape(address)}">{html.escape(title)}</a>' for title, address in guide_links)
    return f'<nav class="portico-guides" aria-label="Guides">{links}</nav>'


_served: OrderedDict[tuple, tuple[bytes, bytes, str]] = OrderedDict()  # a few recent documents, gzipped once
_served_lock = Lock()


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
<title>{title} · API reference · {portal}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css"><link rel="stylesheet" href="/static/reference.css">
<link rel="icon" href="{favicon}">
</head><body>
<header class="portico-bar" style="{brand}">
  <a class="portico-brand" href="/">{logo}<span>{portal}</span></a>
  <a class="portico-back" href="{product_url}">&larr; {product}</a>
  <span class="portico-title">{api}</span>
  {deprecation}<!-- issue 26, item 5: a deprecated version's sunset and successor -->
  {guides}<!-- issue 25: the product's guides -->
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
