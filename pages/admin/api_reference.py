"""Admin -> API reference: the admin REST API's own OpenAPI 3.1 document (/api/v1/openapi.json) in the
portal's reference page (Swagger UI from the swagger-ui-bundle-v2 package, as for the products' APIs)."""
from __future__ import annotations

import json

from fastapi.responses import HTMLResponse, RedirectResponse, Response

import session
from pages.product import ASSETS, REFERENCE_HTML

PATH = '/admin/api-reference'


def install(app) -> None:
    """Registered by main.py at each start (not at import: NiceGUI's test fixtures reset the routes)."""
    app.add_api_route(PATH, admin_api_reference, methods=['GET'], include_in_schema=False)


def admin_api_reference() -> Response:
    if not session.is_portal_admin(session.current_user()):
        return RedirectResponse('/forbidden', status_code=303)
    settings = {'url': '/api/v1/openapi.json', 'keys': [], 'operations': 0, 'scheme': 'token', 'header': 'Authorization',
                'signedIn': True, 'productUrl': '/profile', 'loginUrl': f'/login?next={PATH}'}
    page = REFERENCE_HTML.format(
        title='Portico admin API', api='Portico admin API (/api/v1)', product='Profile: API tokens',
        product_url='/profile', download='/api/v1/openapi.json', assets=ASSETS,
        settings=json.dumps(settings).replace('<', '\\u003c'))
    csp = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
           "font-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
    return HTMLResponse(page, headers={'Content-Security-Policy': csp, 'Cache-Control': 'no-store',
                                       'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff'})
