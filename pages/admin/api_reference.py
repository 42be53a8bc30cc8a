"""Admin -> API reference: the admin REST API's own OpenAPI 3.1 document (/api/v1/openapi.json) in the
portal's reference page (Swagger UI from the swagger-ui-bundle-v2 package, as for the products' APIs)."""
from __future__ import annotations

from fastapi.responses import RedirectResponse, Response

import session
from api.reference import swagger_page
from domain.i18n import _

PATH = '/admin/api-reference'


def install(app) -> None:
    """Registered by main.py at each start (not at import: NiceGUI's test fixtures reset the routes)."""
    app.add_api_route(PATH, admin_api_reference, methods=['GET'], include_in_schema=False)


def admin_api_reference() -> Response:
    if not session.is_portal_admin(session.current_user()):
        return RedirectResponse('/forbidden', status_code=303)
    settings = {'url': '/api/v1/openapi.json', 'keys': [], 'operations': 0, 'scheme': 'token', 'header': 'Authorization',
                'signedIn': True, 'productUrl': '/profile', 'loginUrl': f'/login?next={PATH}'}
    return swagger_page(title='Portico admin API', api='Portico admin API (/api/v1)', product=_('Profile: API tokens'),
                        product_url='/profile', download='/api/v1/openapi.json', settings=settings)
