"""The browser's side of passkeys: static/passkeys.js on the pages that offer them, one call that hands it the
server's options and brings back the credential, and the "Sign in with a passkey" button of Log in."""
from __future__ import annotations

import asyncio
import hashlib
import json
import os

from nicegui import run, ui

import session
from components.forms import Feedback
from domain.errors import DomainError
from domain.i18n import _
from workflows import passkeys

_STATIC = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'static', 'passkeys.js')
with open(_STATIC, 'rb') as _file:
    SCRIPT = f'/static/passkeys.js?v={hashlib.sha256(_file.read()).hexdigest()[:12]}'
BROWSER_SECONDS = passkeys.TIMEOUT_MS / 1000 + 10  # the browser's own prompt times out first


def load_script() -> None:
    """Put static/passkeys.js in this page (only the pages that use passkeys load it)."""
    ui.add_head_html(f'<script src="{SCRIPT}"></script>')


async def ask_browser(kind: str, options_json: str) -> dict:
    """Run navigator.credentials.create ('create') or .get ('get') with the options; the credential as JSON.
    Raises DomainError with the reason a person can act on (cancelled, another address, no support)."""
    _rp_id, origin = passkeys.relying_party()
    try:
        result = await ui.run_javascript(f'window.porticoPasskeys.{kind}({options_json}, {json.dumps(origin)})',
                                         timeout=BROWSER_SECONDS)
    except (TimeoutError, asyncio.TimeoutError):
        raise DomainError('The passkey request timed out.') from None
    return passkeys.parse(result)


def client_key() -> str:
    request = ui.context.client.request
    return request.client.host if request.client else ''


def sign_in_button(next_path: str, feedback: Feedback) -> ui.button:
    """Sign in with a passkey, without a password: the device offers the passkeys it holds for this portal."""
    async def sign_in() -> None:
        feedback.clear()
        try:
            raw, options = await run.io_bound(passkeys.begin_sign_in, client_key())
            credential = await ask_browser('get', options)
            user = await run.io_bound(passkeys.sign_in, raw, credential)
        except DomainError as error:
            feedback.show(error)
            return
        session.start(user, next_path, method='passkey')

    return ui.button(_('Sign in with a passkey'), icon='key', on_click=sign_in) \
        .props('outline no-caps').classes('w-full').mark('passkey-sign-in')
