"""The web session: who is signed in to this browser, sign-in and sign-out, page guards, the middleware.

The browser keeps a random session token in NiceGUI's per-browser storage; the database keeps its hash
with the user (workflows/sessions.py). The user, role and status are read from the database on every
page load and on every callback, so a deactivation or a role change takes effect at once, also in an
open tab. The rules of who may do what live in permissions.py (re-exported here for the pages).
"""
from __future__ import annotations

import functools
import inspect
import re
import uuid
import weakref
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import Client, app, context, run, ui
from nicegui.storage import request_contextvar
from starlette.middleware.base import BaseHTTPMiddleware

from db.models import User
from permissions import (PermissionDenied, can, ensure, is_portal_admin, is_signed_in,  # noqa: F401 - for pages
                         is_super_admin_of)
from domain import i18n
from domain.errors import DomainError
from domain.i18n import _
from workflows import accounts, languages, second_factor, sessions
from workflows.accounts import SignInError  # noqa: F401 - for pages

SESSION_KEY = 'portico_session'
LANGUAGE_KEY = 'portico_language'  # this browser's choice of language (issue 28), kept across sign-in
SIGN_IN_PATH = '/auth/session'
CHANGE_PASSWORD_PATH = '/profile/password'
SECURITY_PATH = '/profile/security'
SECOND_FACTOR_PATH = '/login/second-factor'

# the middleware lets these through without a signed-in user: exact paths, and templates of exact
# routes; a new route is private until it is named here (tests/test_authorisation_matrix.py checks)
PUBLIC_PATHS = {'/', '/login', '/logout', '/register', '/forbidden', '/healthz', '/readyz', '/metrics', '/setup', '/auth/forgot',
                '/auth/reset/code', '/auth/verify', '/auth/invite', '/catalogs', SIGN_IN_PATH,
                '/api/gateway/ping', '/api/gateway/auth', '/api/gateway/nginx-auth', '/oauth/introspect',
                '/oauth/token', '/oauth/jwks', '/.well-known/oauth-authorization-server',  # issue 26
                '/favicon.ico', '/auth/sso/callback', '/auth/sso/link', '/auth/sso/backchannel-logout',
                SECOND_FACTOR_PATH, '/llms.txt', '/brand/logo', '/brand/favicon',
                '/search'}
# the product page, its API reference and its Markdown (with /llms.txt) check who may see the product themselves
# (Public catalogs: anyone), as the admin's pages do (workflows/content_pages.py: pages for everyone)
PUBLIC_ROUTES = ['/auth/sso/{provider_id}', '/products/{slug}', '/products/{slug}/reference/{api_id}',
                 '/products/{slug}/apis/{api_id}/reference.json', '/products/{slug}/apis/{api_id}/openapi',
                 '/products/{slug}.md', '/pages/{slug}', '/pages/{slug}.md',
                 '/products/{slug}/guides/{guide_slug}',
                 '/products/{slug}/guides/{guide_slug}.md']  # a product's guides (issue 25): the product's rule
PUBLIC_PREFIXES = ('/_nicegui/', '/_nicegui_ws/', '/static/', '/products/_assets/')
# the admin REST API authenticates every request by its bearer token (api/v1/auth.py), never by the cookie
TOKEN_PREFIXES = ('/api/v1/',)
_PUBLIC_ROUTE_RE = re.compile('|'.join(
    ''.join('[^/]+' if part.startswith('{') else re.escape(part) for part in re.split(r'(\{[^/}]+\})', route))
    for route in PUBLIC_ROUTES))


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or bool(_PUBLIC_ROUTE_RE.fullmatch(path))


# --- who is this ----------------------------------------------------------------------------------

def _stored_token() -> str | None:
    try:
        return app.storage.user.get(SESSION_KEY)
    except (RuntimeError, AssertionError):  # no request or client context (e.g. a background task)
        return None


FLASH_KEY = 'flash'


def flash(message: str, kind: str = 'positive') -> None:
    """A message for the next page this browser opens: a notification shown now would go down with the
    page that a navigation or reload replaces (the frame shows it: components.forms.show_flashed)."""
    # as text: the storage is JSON (in Redis with several instances), and a workflow's message may be lazy
    app.storage.user[FLASH_KEY] = [*app.storage.user.get(FLASH_KEY, []), [str(message), kind]]


def current_user() -> User | None:
    """The active user of this browser, fresh from the database; None when signed out or no longer active."""
    return sessions.user_for(_stored_token())


async def sign_in(email: str, password: str, client_key: str = '') -> User:
    """Check the credentials (off the event loop); raises SignInError with a message for the form.
    The page then sends the browser to `sign_in_url(user, next)`, where its session starts."""
    return await run.io_bound(accounts.authenticate, email, password, client_key)


def sign_in_url(user: User, target: str = '/dashboard', method: str = 'password') -> str:
    """Where to send the browser to start its session: a one-time ticket traded over plain HTTP, so that
    the browser's storage id is renewed (a cookie planted or copied earlier never becomes signed in).
    `method`: how the person signed in, kept with the session (Profile -> Sessions)."""
    return ticket_url(sessions.issue_ticket(user, method), target)


def ticket_url(ticket: str, target: str = '/dashboard') -> str:
    """The address where the browser trades a one-time sign-in ticket for its session."""
    return f'{SIGN_IN_PATH}?ticket={quote(ticket)}&next={quote(safe_next(target))}'


def start(user: User, target: str = '/dashboard', method: str = 'password') -> None:
    """Sign this browser in as `user` (after a check the caller made) and go to `target`."""
    ui.navigate.to(sign_in_url(user, target, method))


# the password was right, the second factor is to come: the one-time token lives in this browser's storage only,
# so that a leaked address of the second-factor page is worth nothing
PENDING_KEY = 'portico_second_factor'


def start_or_ask_second_factor(user: User, target: str = '/dashboard') -> None:
    """After a right password: an account with a second factor goes to the second-factor page, any other is
    signed in (a portal admin whom the setting requires to have one is kept on Profile -> Security by the guard)."""
    if second_factor.has_any(user):
        app.storage.user[PENDING_KEY] = second_factor.begin_sign_in(user, safe_next(target))
        ui.navigate.to(SECOND_FACTOR_PATH)
        return
    start(user, SECURITY_PATH if second_factor.missing(user) else target)


def pending_second_factor() -> str | None:
    """This browser's pending second-factor token (None: none)."""
    try:
        return app.storage.user.get(PENDING_KEY)
    except (RuntimeError, AssertionError):
        return None


def finish_second_factor(user: User, target: str, method: str) -> None:
    """The second factor was right (the workflow used the token): sign in, the token forgotten."""
    app.storage.user.pop(PENDING_KEY, None)
    start(user, target, method)


async def _renew_storage(request: Request) -> None:
    """A new storage id for this browser; the old storage forgets its session token."""
    old = request.session.get('id')
    storages = app.storage._users  # noqa: SLF001 - NiceGUI keeps no public way to renew the id
    language = None
    if old in storages:
        storages[old].pop(SESSION_KEY, None)
        language = storages[old].get(LANGUAGE_KEY)
    new = str(uuid.uuid4())
    request.session['id'] = new
    await app.storage._create_user_storage(new)  # noqa: SLF001
    if language:
        storages[new][LANGUAGE_KEY] = language  # the language chosen before signing in stays


async def _redeem(request: Request, ticket: str = '', next: str = '') -> RedirectResponse:  # noqa: A002
    try:
        _user, token = sessions.redeem_ticket(ticket, user_agent=request.headers.get('user-agent', ''),
                                              ip=request.client.host if request.client else '')
    except DomainError:
        return RedirectResponse('/login', status_code=303)
    await _renew_storage(request)
    app.storage.user[SESSION_KEY] = token
    await _shared_now(app.storage.user)
    return RedirectResponse(safe_next(next), status_code=303)


async def _shared_now(storage) -> None:
    """With several instances (NICEGUI_REDIS_URL), write the browser's storage to Redis before answering.
    NiceGUI writes it in a background task, and another instance that reads the storage before that write lands
    and subscribes to its changes after it was published never learns of it: the browser, signed in on one
    instance, stayed signed out on the other (seen in tests/test_scale_out.py under load)."""
    client = getattr(storage, 'redis_client', None)
    if client is not None:
        from nicegui.persistence.serialization import dumps
        await client.set(storage.key, dumps(storage, storage.key), ex=storage.ttl)


def sign_out() -> None:
    """End this browser's session; in an HTTP request the storage id is renewed as well."""
    token = _stored_token()
    sessions.end(token)
    try:
        app.storage.user.pop(SESSION_KEY, None)
    except (RuntimeError, AssertionError):
        pass
    request = request_contextvar.get()
    if request is not None and not request.state.responded:
        request.session['id'] = str(uuid.uuid4())  # the next request creates the new, empty storage


def end_other_sessions(user: User) -> int:
    """Sign the user out everywhere but in this browser (after a password change)."""
    return sessions.end_others(user, _stored_token())


def current_token() -> str | None:
    """This browser's session token (Profile -> Sessions marks "this browser")."""
    return _stored_token()


def end_all_sessions(user: User) -> int:
    return sessions.end_all(user)


# --- page guards ----------------------------------------------------------------------------------

_page_tests: weakref.WeakKeyDictionary[Client, Callable[[User], bool]] = weakref.WeakKeyDictionary()


def refusal(request: Request, test: Callable[[User], bool]) -> RedirectResponse | None:
    """Where a request that fails the guard goes (None: it passes): signed out -> Log in, and back here
    after; a password to change first -> that page; a portal admin without the second factor the setting
    requires -> Profile -> Security; signed in but failing `test` -> the 403 page.
    The page guard below, and plain HTTP routes (a download) that answer to the same people as a page."""
    user = current_user()
    if user is None:
        target = request.url.path + (f'?{request.url.query}' if request.url.query else '')
        return RedirectResponse(f'/login?next={quote(target)}', status_code=303)
    if user.must_change_password and request.url.path != CHANGE_PASSWORD_PATH:
        return RedirectResponse(CHANGE_PASSWORD_PATH, status_code=303)
    if request.url.path != SECURITY_PATH and must_add_second_factor(user):
        return RedirectResponse(SECURITY_PATH, status_code=303)
    if not test(user):
        return RedirectResponse('/forbidden', status_code=303)
    return None


def must_add_second_factor(user: User) -> bool:
    """A portal admin whom the setting requires a second factor and who has none, in a session that did not come
    through an identity provider (there the provider's own multi-factor policy decides)."""
    return second_factor.missing(user) and not sessions.method_of(_stored_token()).startswith('provider:')


def user_passes_test(test: Callable[[User], bool]):
    """Page decorator: signed out -> to Log in; signed in but failing `test` -> the 403 page.
    The test is remembered for the page, and `still_allowed()` repeats it in every callback."""
    def decorator(func):
        @functools.wraps(func)
        async def wrapper(*args, **kwargs):
            refused = refusal(ui.context.client.request, test)
            if refused is not None:
                return refused
            _page_tests[ui.context.client] = test
            result = func(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result
        return wrapper
    return decorator


login_required = user_passes_test(is_signed_in)
admin_required = user_passes_test(is_portal_admin)


def still_allowed() -> bool:
    """Repeat the page's guard for a callback (refresh, paging, search, timer, dialog) at the moment it
    runs. When the user may no longer see the page, the tab leaves it and the callback must stop."""
    try:
        client = ui.context.client
    except RuntimeError:
        return True  # not in a page
    test = _page_tests.get(client)
    if test is None:
        return True  # a public page
    user = current_user()
    if user is not None and client.request.url.path != SECURITY_PATH and must_add_second_factor(user):
        ui.notify(_('Set up a second factor first.'), type='warning')
        ui.navigate.to(SECURITY_PATH)
        return False
    if user is not None and test(user):
        return True
    ui.notify(_('You no longer have access to this page.'), type='warning')
    ui.navigate.to('/login' if user is None else '/dashboard')
    return False


def guarded(callback: Callable) -> Callable:
    """Wrap a page's callback so it runs only while `still_allowed()`."""
    @functools.wraps(callback)
    def wrapper(*args, **kwargs):
        if still_allowed():
            return callback(*args, **kwargs)
        return None
    return wrapper


_UNSAFE = re.compile(r'[\x00-\x20\x7f\\]')


def safe_next(target: str | None) -> str:
    """A redirect target after sign-in: only a path on this site. Browsers drop tabs and line breaks
    from URLs and read a backslash as a slash, so `/\\t/evil.example` would become `//evil.example`:
    any control character, space or backslash is refused, and so is anything with a scheme or host."""
    if not target or not target.startswith('/') or target.startswith('//') or _UNSAFE.search(target):
        return '/dashboard'
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return '/dashboard'
    return target


class DefaultDenyMiddleware(BaseHTTPMiddleware):
    """Every route needs a signed-in user unless it is on the public allow-list."""

    async def dispatch(self, request: Request, call_next):
        path = request.url.path
        if is_public(path) or path.startswith(TOKEN_PREFIXES):
            return await call_next(request)
        if current_user() is None:
            return RedirectResponse(f'/login?next={quote(path)}', status_code=303)
        return await call_next(request)


# --- the reader's language (issue 28) ------------------------------------------------------------------------

def reader_language() -> str | None:
    """The language of the browser tab being served (i18n's resolver): worked out once per page and kept with
    it; outside a page, from the HTTP request; None where there is neither (a worker thread)."""
    try:
        client = context.client
    except (RuntimeError, AssertionError, IndexError):
        client = None
    if client is not None:
        known = getattr(client, 'portico_language', None)
        if known:
            return known
        request = getattr(client, 'request', None)
    else:
        request = request_contextvar.get()
        if request is None:
            return None
    try:
        choice = app.storage.user.get(LANGUAGE_KEY)
    except (RuntimeError, AssertionError):
        choice = None
    header = request.headers.get('accept-language') if request is not None else None
    language = languages.reader(current_user(), choice, header)
    if client is not None:
        client.portico_language = language
    return language


def choose_language(code: str) -> None:
    """The reader picked a language in the header or the profile: kept for this browser and, when signed in,
    for the account (its emails too); the page is shown again in it."""
    language = languages.valid_choice(code)
    if language is None:
        raise DomainError('This language is not offered here.', 'language')
    app.storage.user[LANGUAGE_KEY] = language
    user = current_user()
    if user is not None:
        languages.choose(user, language)
    ui.navigate.reload()


# NiceGUI's language (the html lang attribute, Quasar's own texts such as a table's "Rows per page", the
# reconnecting banner) is one per route; the reader's is one per tab
QUASAR_LANGUAGES = {'en': 'en-US', 'de': 'de', 'fr': 'fr', 'es': 'es'}


def _answer_in_the_readers_language(build_response: Callable) -> Callable:
    @functools.wraps(build_response)
    def wrapper(client: Client, request: Request, status_code: int = 200):
        language = getattr(client, 'portico_language', None)
        page = getattr(client, 'page', None)
        if language not in QUASAR_LANGUAGES or page is None:
            return build_response(client, request, status_code)
        shared = page.language  # the route's Page is shared by its tabs: set and put back without awaiting between
        page.language = QUASAR_LANGUAGES[language]
        try:
            return build_response(client, request, status_code)
        finally:
            page.language = shared
    return wrapper


def follow_browser_language() -> None:
    """The reader chose "Follow my browser" (Profile): no language kept for this browser nor, when signed in, for
    the account; the page is shown again in the browser's language (Accept-Language), or the portal's default."""
    app.storage.user.pop(LANGUAGE_KEY, None)
    user = current_user()
    if user is not None:
        languages.choose(user, None)
    ui.navigate.reload()


def install() -> None:
    """Register the sign-in route and the middleware (main.py calls this once)."""
    i18n.set_resolver(reader_language)
    i18n.set_default(languages.default_language)
    if not getattr(Client.build_response, 'portico_language', False):
        Client.build_response = _answer_in_the_readers_language(Client.build_response)
        Client.build_response.portico_language = True
    app.add_api_route(SIGN_IN_PATH, _redeem, methods=['GET'], include_in_schema=False)
    app.add_middleware(DefaultDenyMiddleware)
