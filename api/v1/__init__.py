"""The admin REST API under /api/v1 (issue 16): a FastAPI application of its own, mounted on NiceGUI's,
so that it has its own OpenAPI 3.1 document (/api/v1/openapi.json), its own error format (RFC 9457) and
its own authentication (personal API tokens, api/v1/auth.py) instead of the browser session."""
from __future__ import annotations

import re

from fastapi import FastAPI

from api.v1 import problems
from api.v1.common import BAD, NAMED

PREFIX = '/api/v1'
DESCRIPTION = '''The admin API of this Portico portal. Authenticate with a personal API token from your
Profile page: `Authorization: Bearer ptk_...`. Read-only tokens may only read.

Every change goes through the same rules as the admin pages: the same checks, emails and audit events
(the audit names the token). Lists are paged with `limit` and `cursor` (the `next_cursor` of the previous
page). Errors are RFC 9457 problem details (`application/problem+json`) naming the field at fault. What
does not exist, or what the token may not see, is 404; what the state of things refuses (a name taken, the last
super admin, a key revoked already) is 409. Single items carry an `ETag`; every PATCH and PUT
must send it back in `If-Match` (428 without it; `*` for whatever the version), and the update fails with
412 when someone changed the item in between.'''


MAX_BODY = 11 * 1024 * 1024  # an OpenAPI document may be 10 MB; its JSON string a little more


class BodyLimit:
    """Refuse a request body over MAX_BODY with 413 before it is read into memory (declared or streamed)."""

    def __init__(self, app) -> None:
        self.app = app

    @property
    def routes(self):  # the API's routes, for whoever lists the application's routes
        return self.app.routes

    async def __call__(self, scope, receive, send):
        if scope['type'] != 'http':
            return await self.app(scope, receive, send)
        declared = dict(scope.get('headers') or []).get(b'content-length', b'0')
        if not declared.isdigit() or int(declared) > MAX_BODY:
            return await self._too_large(scope, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get('body', b''))
            if seen > MAX_BODY:
                raise problems.Problem(413, 'The request body is too large (11 MB at most).')
            return message
        return await self.app(scope, counted, send)

    async def _too_large(self, scope, send):
        from starlette.requests import Request
        response = problems.response(Request(scope), 413, 'The request body is too large (11 MB at most).')
        await response(scope, None, send)


def build() -> FastAPI:
    from api.v1 import (access, apis, apps, audit_events, catalog, credentials, identity_providers, invite_codes,
                        oauth_clients, organisations, settings, templates, users)
    api = FastAPI(title='Portico admin API', version='1.0.0', description=DESCRIPTION, openapi_url='/openapi.json',
                  docs_url=None, redoc_url=None, servers=[{'url': PREFIX}])
    problems.install(api)
    for module in (users, organisations, invite_codes, apps, access, credentials, apis, catalog, settings, templates,
                   audit_events, identity_providers, oauth_clients):
        api.include_router(module.router)
    described = api.openapi

    def openapi() -> dict:
        if api.openapi_schema is None:
            api.openapi_schema = says_what_is_accepted(described())
        return api.openapi_schema

    api.openapi = openapi
    return api


# Issue 27: the description says what the server accepts, so that a client (or schemathesis) that keeps to it is
# never refused for a reason the description hid. Every text a client sends is free of control characters other
# than tab and line breaks (workflows.is_clean_text); a name is not blank.
CLEAN_TEXT = rf'^[^{BAD}]*$'
NOT_BLANK = rf'^[^{BAD}]*[^\s{BAD}][^{BAD}]*$'  # and at least one character that is not a space
ONE_LINE = rf'^[^{BAD}\u000a]*$'  # a filter in the query: one line (api.v1.common.clean_filter)


def says_what_is_accepted(document: dict) -> dict:
    """Patterns on the strings of every request (bodies and query parameters) that have no format of their own."""
    schemas = document.get('components', {}).get('schemas', {})
    sent: set[str] = set()
    for path in document.get('paths', {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get('parameters', []):
                if parameter.get('in') == 'query':
                    _constrain(parameter.get('schema', {}), parameter.get('name', ''), ONE_LINE)
            body = operation.get('requestBody', {}).get('content', {}).get('application/json', {}).get('schema', {})
            sent |= _refs(body)
    unread = set(sent)
    while unread:  # and the models inside them (an identity provider's team_groups)
        found = _refs(schemas.get(unread.pop(), {})) - sent
        sent |= found
        unread |= found
    for name in sent:
        for field, schema in schemas.get(name, {}).get('properties', {}).items():
            _constrain(schema, field)
    return document


def _refs(schema) -> set[str]:
    found = set()
    if isinstance(schema, dict):
        ref = schema.get('$ref', '')
        if ref.startswith('#/components/schemas/'):
            found.add(ref.rsplit('/', 1)[1])
        for value in schema.values():
            found |= _refs(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= _refs(value)
    return found


def _constrain(schema: dict, field: str, text: str = CLEAN_TEXT) -> None:
    """`text`: CLEAN_TEXT for a body's strings (a name also not blank), ONE_LINE for a query's filters (which may
    be empty: no filter)."""
    for option in schema.get('anyOf', [schema]):
        if option.get('type') == 'string' and not ({'pattern', 'format', 'enum', 'const'} & option.keys()):
            named = field in NAMED and text is CLEAN_TEXT
            option['pattern'] = NOT_BLANK if named else text
        elif option.get('type') == 'array' and isinstance(option.get('items'), dict):
            _constrain(option['items'], '', text)


def install(app) -> None:
    """Mount the API (again, after NiceGUI's test fixtures reset the app: a mount is not a route they remove)."""
    from starlette.routing import Mount
    app.router.routes[:] = [route for route in app.router.routes
                            if not (isinstance(route, Mount) and route.path == PREFIX)]
    app.mount(PREFIX, BodyLimit(build()))
    mount = app.router.routes[-1]
    # a path with a line break in it (%0A) must reach the API too, for its 422 or 404: Starlette's pattern
    # ends at a line break, and NiceGUI's HTML "not found" page would answer instead
    mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
