"""What the web server does against an attacker beyond the rules: response headers, the cookie's flags,
the origins the live connection accepts, error pages without internals, and private data files."""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders

import config

log = logging.getLogger('portico')

# NiceGUI builds pages with inline scripts and Vue templates compiled in the browser, hence 'unsafe-inline'
# and 'unsafe-eval' for scripts; everything else comes from this site only, and no other site may frame it
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
                           "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
                           "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
                           "frame-ancestors 'none'")


def response_headers(cfg: config.Config) -> list[tuple[bytes, bytes]]:
    headers = {
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',  # reset and invite links carry their token in the URL
        'cross-origin-opener-policy': 'same-origin',
        'permissions-policy': 'camera=(), microphone=(), geolocation=()',
    }
    if cfg.base_url.startswith('https://'):
        headers['strict-transport-security'] = 'max-age=31536000'
    return [(name.encode(), value.encode()) for name, value in headers.items()]


class SecurityHeaders:
    """Pure ASGI middleware: adds the headers to every HTTP response and drops `server`."""

    def __init__(self, app, cfg: config.Config) -> None:
        self.app = app
        self.headers = response_headers(cfg)

    async def __call__(self, scope, receive, send):
        if scope['type'] != 'http':
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message['type'] == 'http.response.start':
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    if name.decode() not in headers:
                        headers.append(name.decode(), value.decode())
                if 'server' in headers:
                    del headers['server']
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def cookie_settings(cfg: config.Config) -> dict:
    """The browser-storage cookie: Secure behind HTTPS, never sent along by other sites' subrequests."""
    return {'https_only': cfg.base_url.startswith('https://'), 'same_site': 'lax'}


def allowed_origin(cfg: config.Config):
    """The live connection (socket.io) accepts this site only: the base URL's origin, or the origin the
    browser addressed (its Host header), never another site's page."""
    base = urlsplit(cfg.base_url)
    base_origin = f'{base.scheme}://{base.netloc}'

    def check(origin: str | None, environ: dict | None = None) -> bool:
        if not origin:
            return True  # not a browser page (no Origin header): nothing to ride on
        if origin == base_origin:
            return True
        host = (environ or {}).get('HTTP_HOST', '')
        return bool(host) and urlsplit(origin).netloc == host
    return check


def install(app, cfg: config.Config) -> None:
    from nicegui import core, ui

    core.sio.eio.cors_allowed_origins = allowed_origin(cfg)
    app.add_middleware(SecurityHeaders, cfg=cfg)

    @app.on_page_exception
    def error_page(exception: Exception) -> None:
        # the exception goes to the log; the visitor sees no internals
        with ui.column().classes('w-full items-center p-20 gap-2').mark('error-page'):
            ui.label('500').classes('text-6xl')
            ui.label('Something went wrong on our side.').classes('text-xl')
            ui.label('The error was logged. Please try again, or go back to the start page.').classes('text-grey-7')
            ui.link('Start page', '/')


def protect_data_dir(cfg: config.Config) -> None:
    """The data folder holds the database, the secret key and NiceGUI's storage (raw session tokens):
    readable by this user only, also for files an older release created with 0644."""
    folder = cfg.data_dir
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    database = urlsplit(cfg.database_url)
    elsewhere = []
    if database.scheme == 'sqlite':  # a database file outside the data folder
        path = Path(database.path[1:])
        elsewhere = [candidate for candidate in path.parent.glob(path.name + '*') if candidate.is_file()]
    for path in [folder, *folder.rglob('*'), *elsewhere]:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            private = 0o700 if path.is_dir() else 0o600
            if mode & 0o077:
                os.chmod(path, mode & private)
        except OSError as error:
            log.warning('cannot restrict %s: %s', path, error)
