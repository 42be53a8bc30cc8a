"""The two addresses of a sign-in through an identity provider (workflows/sso.py has the rules):
/auth/sso/{provider_id} sends the browser to the provider, with a secret of this browser in a cookie that only
these paths see; /auth/sso/callback takes the provider's answer and starts the session like a password sign-in
(a one-time ticket, so the browser's storage id is renewed)."""
from __future__ import annotations

from urllib.parse import parse_qs, quote

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

import session
from db.settings import base_url
from domain.errors import DomainError
from domain.i18n import _
from workflows import sessions, sso, sso_logout

COOKIE = 'portico_sso'
START_PATH = '/auth/sso/{provider_id}'
BACKCHANNEL_PATH = '/auth/sso/backchannel-logout'  # ?provider=<id>: register it at the provider
LINK_PATH = '/auth/sso/link'  # pages/sso_link.py: prove the password of an existing account once


def install(app) -> None:
    """Registered by main.py at each start (NiceGUI's test fixtures reset the routes)."""
    app.add_api_route(sso.CALLBACK_PATH, callback, methods=['GET'])
    app.add_api_route(START_PATH, start, methods=['GET'])
    app.add_api_route(BACKCHANNEL_PATH, backchannel_logout, methods=['POST'], include_in_schema=False)


def start_url(provider_id: int, next_path: str = '') -> str:
    return f'/auth/sso/{provider_id}' + (f'?next={quote(session.safe_next(next_path))}' if next_path else '')


async def start(request: Request, provider_id: str, next: str = '') -> RedirectResponse:  # noqa: A002
    if not provider_id.isdigit() or len(provider_id) > 9:
        return _refused(_('This identity provider is not available.'))
    try:
        url, secret = await run_in_threadpool(sso.begin, int(provider_id), session.safe_next(next or '/dashboard'))
    except DomainError as error:
        return _refused(str(error))
    answer = RedirectResponse(url, status_code=303)
    _keep(answer, secret)
    return answer


async def callback(request: Request, state: str = '', code: str = '', error: str = '') -> RedirectResponse:
    secret = request.cookies.get(COOKIE, '')
    try:
        finished = await run_in_threadpool(sso.finish, state[:200], code[:2000], secret, error[:100])
        if finished.waiting:
            session.flash(finished.waiting, 'info')
            answer = RedirectResponse('/login', status_code=303)
            answer.delete_cookie(COOKIE, path='/auth/sso')
            return answer
        if finished.link:  # an account with this address exists: its password first, in this browser
            answer = RedirectResponse(f'{LINK_PATH}?token={quote(finished.link)}', status_code=303)
            _keep(answer, secret)
            return answer
        ticket = await run_in_threadpool(sessions.issue_ticket, finished.user, finished.method,
                                         provider_id=finished.provider.id, provider_sid=finished.sid)
    except DomainError as refusal:
        answer = _refused(str(refusal))
    else:
        answer = RedirectResponse(session.ticket_url(ticket, finished.next), status_code=303)
    answer.delete_cookie(COOKIE, path='/auth/sso')
    return answer


def _keep(answer: RedirectResponse, secret: str) -> None:
    """The browser's secret, for the sign-in's next step in this browser (ten minutes, these paths only)."""
    answer.set_cookie(COOKIE, secret, max_age=600, path='/auth/sso', httponly=True, samesite='lax',
                      secure=base_url().startswith('https://'))


def backchannel_logout_uri(provider_id: int) -> str:
    """What to register at the provider as the client's back-channel logout URI."""
    return f'{base_url()}{BACKCHANNEL_PATH}?provider={provider_id}'


async def backchannel_logout(request: Request, provider: str = '') -> JSONResponse:
    """OpenID Connect Back-Channel Logout 1.0, section 2.8: 200 once the sessions ended, 400 for a token that is
    not valid; never cached. The provider's server calls it (no browser, no cookie)."""
    headers = {'Cache-Control': 'no-store'}
    body = (await request.body())[:40000]
    token = (parse_qs(body.decode('ascii', 'replace')).get('logout_token') or [''])[0]
    if not provider.isdigit() or len(provider) > 9 or not token:
        return JSONResponse({'error': 'invalid_request', 'error_description': 'A logout_token is required.'},
                            status_code=400, headers=headers)
    try:
        await run_in_threadpool(sso_logout.backchannel_logout, int(provider), token)
    except DomainError as error:
        return JSONResponse({'error': 'invalid_request', 'error_description': str(error)}, status_code=400,
                            headers=headers)
    return JSONResponse({}, status_code=200, headers=headers)


def _refused(message: str) -> RedirectResponse:
    """Back to Log in, which says why."""
    session.flash(message, 'negative')
    return RedirectResponse('/login', status_code=303)
