"""Every registered page and JSON route, requested by every kind of actor: the answer each must get.

The routes come from the running app, so a new route without a rule here fails this test, and a route
is private unless the middleware's allow-list names it exactly.
"""
from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from nicegui import app as nicegui_app
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from db.models import Api, App, AppStatus, ContentPage, Guide, Product, Throttle, User
from tests.utils import a_catalog_world, a_user, an_admin, an_org_with
from workflows import api_tokens, content_pages, sessions

ACTORS = ['visitor', 'developer', 'member_a', 'super_a', 'super_b', 'admin']

OK, LOGIN, FORBIDDEN, NOT_FOUND, UNAVAILABLE = 'ok', 'login', 'forbidden', 'not found', 'unavailable'
EXPLAINED = 'explained'  # the page says who may do this there, and shows no data
EXPLANATIONS = ('Only the super admins of an organization can submit APIs.',
                'As a portal administrator you decide in the admin area',
                'The portal administrators approve new apps and access requests')


def everyone(outcome: str) -> dict[str, str]:
    return dict.fromkeys(ACTORS, outcome)


ROOT = Path(__file__).resolve().parent.parent


def registered_routes(routes=None, prefix: str = '', *, methods: bool = False) -> set:
    """Every route's path (with `methods`: every (method, path)), in included routers and mounted apps too."""
    paths = set()
    for route in nicegui_app.routes if routes is None else routes:
        if hasattr(route, 'original_router'):  # a router included with app.include_router
            paths |= registered_routes(route.original_router.routes,
                                       prefix + getattr(route.include_context, 'prefix', ''), methods=methods)
        elif isinstance(route, Mount) and hasattr(route.app, 'routes'):  # the admin API's own application
            paths |= registered_routes(route.app.routes, prefix + route.path, methods=methods)
        elif isinstance(route, (Route, APIRoute)) and not route.path.startswith('/_nicegui'):
            if methods:
                paths |= {(method, prefix + route.path) for method in route.methods or () if method != 'HEAD'}
            else:
                paths.add(prefix + route.path)
    return paths


def admin_routes_declared() -> list[str]:
    """The /admin pages as pages/ declares them (read before the app runs, to name one test per page); the
    route check of the matrix test below fails if the running app has any other /admin route."""
    paths = set()
    for module in (ROOT / 'pages').rglob('*.py'):
        paths |= set(re.findall(r"""@(?:ui\.page|admin_page)\(\s*['"](/admin(?:/[^'"]*)?)['"]""", module.read_text()))
    return sorted(paths)


ADMIN_ROUTES = admin_routes_declared()

PUBLIC = everyone(OK)
SIGNED_IN = {**everyone(OK), 'visitor': LOGIN}
ADMIN = {**everyone(FORBIDDEN), 'visitor': LOGIN, 'admin': OK}

RULES: dict[str, dict[str, str]] = {
    '/': PUBLIC,
    '/login': PUBLIC,  # signed in: on to the Dashboard
    '/register': PUBLIC,
    '/setup': PUBLIC,  # without a valid token it says so
    '/forbidden': everyone(FORBIDDEN),
    '/auth/forgot': PUBLIC,
    '/auth/reset/code': PUBLIC,
    '/auth/verify': PUBLIC,
    '/auth/invite': PUBLIC,
    '/auth/session': everyone(LOGIN),  # without a valid ticket: Log in
    # a sign-in through an unknown identity provider, and a callback without its state: back to Log in
    '/auth/sso/{provider_id}': everyone(LOGIN),
    '/auth/sso/callback': everyone(LOGIN),
    '/auth/sso/link': PUBLIC,  # without a valid link token it says so
    # the provider's server posts logout tokens here (no browser session): without a valid one, 400
    '/auth/sso/backchannel-logout': everyone('400'),
    '/catalogs': PUBLIC,
    '/search': PUBLIC,  # issue 25: each finds only what they may see (tests/test_site_search.py)
    '/products/{slug}': PUBLIC,
    # the API reference of a product in the Public catalog, its prepared document and its download
    '/products/{slug}/reference/{api_id}': PUBLIC,
    '/products/{slug}/apis/{api_id}/reference.json': PUBLIC,
    '/products/{slug}/apis/{api_id}/openapi': PUBLIC,
    # docs for machines: the index of the products each may see, and a Public product's Markdown
    '/llms.txt': PUBLIC,
    '/products/{slug}.md': PUBLIC,
    # a page of Admin -> Pages for organisation A only (its slug is the product's, 'weather'), and its Markdown
    '/pages/{slug}': {**everyone(NOT_FOUND), 'member_a': OK, 'super_a': OK, 'admin': OK},
    '/pages/{slug}.md': {**everyone(NOT_FOUND), 'member_a': OK, 'super_a': OK, 'admin': OK},
    # a published guide of the Public Weather product, its page and its Markdown (issue 25)
    '/products/{slug}/guides/{guide_slug}': PUBLIC,
    '/products/{slug}/guides/{guide_slug}.md': PUBLIC,
    '/healthz': PUBLIC,
    '/readyz': PUBLIC,
    '/metrics': everyone(UNAVAILABLE),  # off until PORTICO_METRICS_TOKEN is set (tests/test_metrics.py)
    '/api/v1/openapi.json': PUBLIC,  # the admin API's description, like any API's documentation
    '/favicon.ico': PUBLIC,
    '/static/{path:path}': PUBLIC,
    '/products/_assets/{path:path}': PUBLIC,  # Swagger UI's files
    '/brand/logo': everyone(NOT_FOUND),  # the brand's logo and favicon (issue 25): public; no logo is set here
    '/brand/favicon': PUBLIC,  # without one of the brand's: the default favicon
    '/dashboard': SIGNED_IN,
    '/profile': SIGNED_IN,
    '/profile/password': SIGNED_IN,
    '/profile/sessions': SIGNED_IN,
    '/profile/security': SIGNED_IN,  # the second factors of one's own account
    # the step after a right password: without one pending in this browser, Log in; signed in, the Dashboard
    '/login/second-factor': SIGNED_IN,
    '/cart': SIGNED_IN,
    '/apps': SIGNED_IN,
    # an app of organisation A: "not found" for everyone outside it
    '/apps/{app_id}': {'visitor': LOGIN, 'developer': NOT_FOUND, 'member_a': OK, 'super_a': OK,
                       'super_b': NOT_FOUND, 'admin': NOT_FOUND},
    '/organization/new': SIGNED_IN,
    '/dashboard/users': SIGNED_IN,  # each sees their own organisation's members
    '/dashboard/requests': {**everyone(EXPLAINED), 'visitor': LOGIN},  # delegation is off in this world
    '/dashboard/apis': {**everyone(EXPLAINED), 'visitor': LOGIN, 'super_a': OK, 'super_b': OK},
    **dict.fromkeys(ADMIN_ROUTES, ADMIN),  # every registered /admin page, for portal admins only
    '/admin/audit.csv': ADMIN,  # the audit log's CSV export (an HTTP route, not a page)
    '/admin/api-reference': ADMIN,  # the admin REST API's reference (its document itself is public)
    # issue 26, the authorisation server: public; a token request proves its client itself (none here: 400,
    # whatever session the caller holds)
    '/oauth/jwks': PUBLIC,
    '/.well-known/oauth-authorization-server': PUBLIC,
    '/oauth/token': everyone('400'),
    '/logout': everyone(LOGIN),  # asked last: it ends the session
}
POST_ONLY: set[str] = {'/auth/sso/backchannel-logout', '/oauth/token'}  # the gateway's paths are answered in front of the app

# The admin REST API (issue 16) ignores the browser session: a personal API token of an active portal
# admin opens it; READ routes take any such token, WRITE routes a read-write one (a read-only token: 403).
READ, WRITE = 'read', 'write'
_API = {
    'users': ['GET ', 'POST ', 'GET /{user_id}', 'PATCH /{user_id}', 'DELETE /{user_id}', 'POST /{user_id}/approve',
              'POST /{user_id}/reject',
              'POST /{user_id}/activate', 'POST /{user_id}/deactivate', 'POST /{user_id}/invite',
              'PUT /{user_id}/teams'],
    'organisations': ['GET ', 'POST ', 'GET /{organisation_id}', 'PATCH /{organisation_id}',
                      'DELETE /{organisation_id}', 'POST /{organisation_id}/approve', 'POST /{organisation_id}/reject',
                      'GET /{organisation_id}/members', 'GET /{organisation_id}/teams', 'POST /{organisation_id}/teams'],
    'invite-codes': ['GET ', 'POST ', 'GET /{code_id}', 'PATCH /{code_id}', 'POST /{code_id}/activate',
                     'POST /{code_id}/deactivate'],
    'teams': ['GET /{team_id}', 'PATCH /{team_id}', 'DELETE /{team_id}'],
    'apps': ['GET ', 'GET /{app_id}', 'POST /{app_id}/approve', 'POST /{app_id}/reject'],
    'access-requests': ['GET ', 'GET /{request_id}', 'POST /{request_id}/approve', 'POST /{request_id}/reject',
                        'POST /{request_id}/revoke', 'POST /{request_id}/change-plan'],
    'credentials': ['GET ', 'GET /{credential_id}', 'POST /{credential_id}/revoke', 'POST /{credential_id}/rotate'],
    'oauth-clients': ['GET ', 'GET /{client_id}', 'POST /{client_id}/revoke'],  # issue 26
    'apis': ['GET ', 'POST ', 'GET /{api_id}', 'GET /{api_id}/openapi', 'PATCH /{api_id}', 'POST /{api_id}/publish',
             'POST /{api_id}/reject', 'DELETE /{api_id}',
             'POST /{api_id}/versions', 'POST /{api_id}/deprecate', 'POST /{api_id}/undo-deprecation'],  # issue 26
    'products': ['GET ', 'POST ', 'GET /{product_id}', 'PATCH /{product_id}', 'DELETE /{product_id}'],
    'plans': ['GET ', 'POST ', 'GET /{plan_id}', 'PATCH /{plan_id}'],
    'catalogs': ['GET ', 'POST ', 'GET /{catalog_id}', 'PATCH /{catalog_id}', 'PUT /{catalog_id}/teams',
                 'DELETE /{catalog_id}'],
    'settings': ['GET ', 'PATCH '],
    'email-templates': ['GET ', 'GET /{key}', 'PUT /{key}', 'DELETE /{key}'],
    'audit-events': ['GET '],
    'identity-providers': ['GET ', 'POST ', 'GET /{provider_id}', 'PATCH /{provider_id}', 'DELETE /{provider_id}',
                           'POST /{provider_id}/deprovision'],
}
API_RULES: dict[tuple[str, str], str] = {
    (method, f'/api/v1/{resource}{rest}'): READ if method == 'GET' else WRITE
    for resource, routes in _API.items() for method, rest in (route.split(' ', 1) for route in routes)}

def world() -> dict[str, User | None]:
    acme = an_org_with('Acme', super_admin='boss@acme.test', members=1)
    an_org_with('Beta', super_admin='boss@beta.test')
    member = User.get(User.email == 'member1@acme.test')
    App.create(name='Shipping bot', name_key='shipping bot', organisation=acme, owner=member, status=AppStatus.ACTIVE)
    weather = a_catalog_world()['Weather']  # the Weather product in the Public catalog, with a published guide
    Guide.create(product=weather, title='Getting started', slug='getting-started', body='Hello', published=True)
    admin = an_admin('admin@provider.test')
    page = content_pages.create('Acme handbook', 'weather', by=admin)
    content_pages.save(page.id, content_pages.PageForm(title='Acme handbook', slug='weather', audience='chosen',
                                                       organisation_ids=[acme.id]), admin, based_on=None, publish=True)
    return {'visitor': None, 'developer': a_user('dev@consumer.test'), 'member_a': member,
            'super_a': User.get(User.email == 'boss@acme.test'), 'super_b': User.get(User.email == 'boss@beta.test'),
            'admin': admin}


def outcome_of(response: httpx.Response) -> str:
    if response.url.path == '/login' and '/login' not in str(response.request.url.path) or \
            any(step.headers.get('location', '').startswith('/login') for step in response.history):
        return LOGIN
    return {200: OK, 403: FORBIDDEN, 404: NOT_FOUND, 503: UNAVAILABLE}.get(response.status_code,
                                                                          str(response.status_code))


def shows_not_found(response: httpx.Response) -> bool:
    return 'was not found' in response.text


async def test_every_route_answers_every_actor_as_its_rule_says(user) -> None:
    routes = registered_routes() - {path for _, path in API_RULES}
    assert {path for path in routes if path == '/admin' or path.startswith('/admin/')} <= set(RULES)
    assert routes - set(RULES) == set(), 'a new route needs a rule in this test (and a decision who may use it)'
    assert set(RULES) - routes == set(), 'a rule for a route that no longer exists'
    actors = world()
    app_id = App.get().id
    api_id = Api.get(Api.name == 'Weather API').id
    page_id = ContentPage.get().id
    product_id = Product.get(Product.slug == 'weather').id
    found: dict[tuple[str, str], str] = {}
    for actor, person in actors.items():
        async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test') as browser:
            if person is not None:
                await browser.get(f'/auth/session?ticket={sessions.issue_ticket(person)}')
            for path in RULES:  # in order: /logout last
                url = path.replace('{app_id}', str(app_id)).replace('{api_id}', str(api_id)).replace('{slug}', 'weather') \
                    .replace('{page_id}', str(page_id)) \
                    .replace('{guide_slug}', 'getting-started').replace('{product_id}', str(product_id)) \
                    .replace('_assets/{path:path}', '_assets/index.css').replace('{path:path}', 'favicon.svg')
                if path in POST_ONLY:
                    response = await browser.post(url, follow_redirects=True)
                else:
                    response = await browser.get(url, follow_redirects=True)
                outcome = outcome_of(response)
                if outcome == OK and shows_not_found(response):
                    outcome = NOT_FOUND
                if outcome == OK and any(text in response.text for text in EXPLANATIONS):
                    outcome = EXPLAINED
                found[(path, actor)] = outcome
    wrong = [f'{path} as {actor}: expected {RULES[path][actor]}, got {outcome}'
             for (path, actor), outcome in found.items() if outcome != RULES[path][actor]]
    assert not wrong, '\n'.join(wrong)


@pytest.mark.parametrize('path', ADMIN_ROUTES)
async def test_a_developer_is_refused_every_admin_page(user, path: str) -> None:
    """Generated from the registered routes: a new admin page is in this test without anyone adding it."""
    assert path in registered_routes()  # as the running app has it
    dev = a_user('dev@consumer.test')
    await user.http_client.get(f'/auth/session?ticket={sessions.issue_ticket(dev)}')
    response = await user.http_client.get(re.sub(r'\{[^}]+\}', '1', path), follow_redirects=True)
    assert response.status_code == 403
    assert 'You do not have access to this page.' in response.text


async def test_a_new_json_route_is_private_until_the_allow_list_names_it(user) -> None:
    @nicegui_app.get('/api/probe')
    def probe() -> dict:
        return {'secret': 'admin data'}

    try:
        response = await user.http_client.get('/api/probe', follow_redirects=False)
        assert response.status_code == 303 and response.headers['location'].startswith('/login')
        response = await user.http_client.get('/oauth/anything', follow_redirects=False)
        assert response.status_code == 303
    finally:
        nicegui_app.router.routes[:] = [route for route in nicegui_app.router.routes
                                        if getattr(route, 'path', '') != '/api/probe']


async def test_every_api_route_answers_by_token_only_as_its_rule_says(user) -> None:
    """No token, a browser session (even an admin's), a demoted admin's token: 401. A read-only token: reads
    answer, changes are 403. A read-write token: past authentication (200, 201, 204, 404, 409 or 422)."""
    api_routes = {(method, path) for method, path in registered_routes(methods=True)
                  if path.startswith('/api/v1/') and path != '/api/v1/openapi.json'}
    assert api_routes == set(API_RULES), 'a new API route needs a rule here: READ or WRITE'
    actors = world()
    admin = actors['admin']
    _, read_only = api_tokens.create(admin, 'reader', read_only=True)
    _, read_write = api_tokens.create(admin, 'writer', read_only=False)
    demoted = an_admin('former@provider.test')
    _, stale = api_tokens.create(demoted, 'stale', read_only=False)
    User.update(is_portal_admin=False).where(User.id == demoted.id).execute()
    wrong = []
    async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test') as browser:
        await browser.get(f'/auth/session?ticket={sessions.issue_ticket(admin)}')  # the cookie must not count
        for (method, path), rule in sorted(API_RULES.items()):
            url = path.replace('{key}', 'created')
            for name in ('user_id', 'organisation_id', 'team_id', 'app_id', 'request_id', 'credential_id', 'api_id',
                         'product_id', 'plan_id', 'catalog_id', 'code_id', 'provider_id', 'client_id'):
                url = url.replace('{' + name + '}', '999999')  # nothing there: changes nothing, whoever asks
            for who, token, expected in (('no token', None, {401}), ('stale token', stale, {401}),
                                         ('read-only', read_only, {200, 404} if rule == READ else {403}),
                                         # PATCH/PUT without If-Match: 428 (tests/test_admin_api.py)
                                         ('read-write', read_write, {200, 404, 422, 428})):
                headers = {'Authorization': f'Bearer {token}'} if token else {}
                response = await browser.request(method, url, headers=headers, json={} if method != 'GET' else None)
                if response.status_code not in expected:
                    wrong.append(f'{method} {path} with {who}: {response.status_code}')
            Throttle.delete().execute()  # this test's wrong tokens are many: they would lock the client out
    assert not wrong, '\n'.join(wrong)
