"""Portico: `python main.py` serves the portal; subcommands do admin tasks (see --help)."""
from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import hashlib
import logging
import os
import sys
import threading
from pathlib import Path

import background
import config
import logs
from db import backup as db_backup, bootstrap, migrations
from db.connection import connect, redact

log = logging.getLogger('portico')
LIVE_MESSAGE_LIMIT = 24_000_000  # bytes of one message from a browser; see build_app
MAINTENANCE_SECONDS = 600


def open_database(cfg: config.Config, *, migrate: bool | None = None) -> None:
    """Connect; create or upgrade the schema (unless PORTICO_AUTO_MIGRATE=0, for several instances: then
    `python main.py migrate` runs once per upgrade and an instance refuses to start on an old schema)."""
    import listeners
    listeners.install()
    connect(cfg.database_url, pool_size=cfg.pool_size)
    if cfg.auto_migrate if migrate is None else migrate:
        summary = migrations.migrate()
        log.info('%s (%s)', summary, redact(cfg.database_url))
    elif migrations.current_version() != migrations.LATEST:
        raise config.ConfigError(f'the database schema is at version {migrations.current_version()}, this '
                                 f'release needs {migrations.LATEST}: run `python main.py migrate` first')
    bootstrap.run()


STATIC = os.path.join(os.path.dirname(__file__), 'static')


def static_head() -> str:
    """The portal's stylesheets and script for the head of every page: the Tailwind CSS compiled ahead of time
    (`make css`; NiceGUI's runtime, which compiled it in each visitor's browser on every page, is off, see
    run_options), then the portal's own. `?v=` changes with a file's content, so an upgrade is never shown with
    a copy a browser kept from before."""
    def url(name: str) -> str:
        with open(os.path.join(STATIC, name), 'rb') as file:
            return f'/static/{name}?v={hashlib.sha256(file.read()).hexdigest()[:12]}'
    return (f'<link rel="stylesheet" href="{url("tailwind.css")}">'
            f'<link rel="stylesheet" href="{url("portico.css")}">'
            f'<script src="{url("portico.js")}" defer></script>')


def build_app(cfg: config.Config) -> None:
    """Wire pages, API, middleware and the mail worker into NiceGUI's app."""
    from nicegui import app, core, ui

    import pages  # noqa: F401 - registers every page
    import session
    import hardening
    from api import brand as brand_routes, health, machine_docs, metrics as metrics_routes, reference, sso as sso_routes, \
        v1 as api_v1, webhooks as webhooks_worker
    from pages.admin import api_reference
    from gateway import asgi as gateway_asgi, keys as gateway_keys, limits as gateway_limits, standalone
    from mail import transports, worker
    from workflows import accounts, maintenance

    from components import speedups
    speedups.install()
    app.include_router(health.router)
    metrics_routes.install(app)
    api_v1.install(app)
    reference.install(app)
    brand_routes.install(app)
    machine_docs.install(app)
    sso_routes.install(app)
    api_reference.install(app)
    gateway_keys.clear()
    gateway_limits.reset()
    session.install()
    hardening.install(app, cfg)
    app.add_static_files('/static', STATIC)
    ui.add_head_html(static_head(), shared=True)  # every page, NiceGUI's error pages too
    # a field's text travels over the live connection, whose default 1 MB limit silently dropped a pasted
    # OpenAPI document; the largest field (the document) is bounded by its maxlength below this
    core.sio.eio.max_http_buffer_size = LIVE_MESSAGE_LIMIT

    def start_worker() -> None:
        transport = transports.from_config(cfg)
        problem = transport.reachable() if hasattr(transport, 'reachable') else None
        if problem:
            print(f'portico: {problem}; emails stay queued until it answers', file=sys.stderr)
        mail_stopping = threading.Event()  # set on shutdown: the worker finishes its message and stops
        background.start('mail worker', background.repeat(
            'mail worker', lambda: worker.deliver_all_due(mail_stopping), cfg.mail_poll_seconds,
            stopping=mail_stopping, grace=background.STOP_SECONDS))
        background.start('webhooks', background.repeat(
            'webhooks', webhooks_worker.deliver_all_due, cfg.mail_poll_seconds))
        standalone.start_loops()  # the usage flush, the key-change feed, the rate-limit sync
        background.start('maintenance', background.repeat('maintenance', maintenance.run_once, MAINTENANCE_SECONDS))
        link = accounts.issue_setup_link(cfg.base_url)
        if link:
            print(f'portico: no portal admin exists yet. Create one with this one-time link: {link}\n'
                  f'         or run: python main.py create-admin --email you@example.com', flush=True)

    async def stop_background() -> None:
        # before NiceGUI's own teardown: the loops stop (the mail worker after the message it sends), then
        # the calls counted since the last flush are written
        await standalone.stop_loops()

    def freeze_startup_objects() -> None:
        # the objects alive after start (modules, routes, templates) never die: keeping them out of the
        # garbage collector's full passes keeps those passes short (they stall every request, gateway ones too)
        gc.collect()
        gc.freeze()

    app.on_startup(lambda: gateway_asgi.install(app))  # the gateway paths, in front of every middleware
    app.on_startup(start_worker)
    app.on_startup(freeze_startup_objects)
    app.on_shutdown(stop_background)


def serve(cfg: config.Config) -> None:
    from nicegui import ui

    import hardening
    hardening.protect_data_dir(cfg)
    open_database(cfg)
    build_app(cfg)
    if cfg.gateway_port:
        start_gateway_child(cfg.gateway_port)
    ui.run(host=cfg.host, port=cfg.port, favicon=os.path.join(os.path.dirname(__file__), 'static', 'favicon.svg'),
           show_welcome_message=True, server_header=False, log_config=logs.uvicorn_config(cfg.log_format),
           **run_options(cfg))


# How long a page stays on the server after its browser lost the connection (NiceGUI's default is 3 s). A phone
# in a tunnel, a laptop waking up or a loaded small machine that answers a ping late get the page back with what
# was typed into it; after this the browser reloads the page and a half-filled dialog is lost. NiceGUI also
# derives its pings from it (every 8 s, 4 s to answer). The cost: a closed tab's page is kept 10 s.
RECONNECT_SECONDS = 10.0


def run_options(cfg: config.Config) -> dict:
    """What the portal and the test fixtures pass alike to NiceGUI's ui.run."""
    import hardening
    return dict(title='Portico', language='en-US', storage_secret=cfg.secret_key, reload=False, show=False,
                reconnect_timeout=RECONNECT_SECONDS, session_middleware_kwargs=hardening.cookie_settings(cfg),
                tailwind=False)  # compiled ahead of time into static/tailwind.css (see components/frame.py)


def start_gateway_child(port: int) -> None:
    """PORTICO_GATEWAY_PORT: the gateway paths are also served by a process of their own on that port, started
    once the schema is ready and stopped with the portal (see gateway/standalone.py)."""
    from nicegui import app

    from gateway import standalone
    child = standalone.Child(port)
    print(f'portico: gateway-only process started on port {port} (pid {child.process.pid}): point the gateways '
          'there', flush=True)
    app.on_startup(lambda: background.start('gateway process', background.repeat('gateway process', child.watch, 1)))

    async def stop_child() -> None:
        await asyncio.to_thread(child.stop)

    app.on_shutdown(stop_child)


def serve_gateway_only(cfg: config.Config, port: int | None) -> None:
    from gateway import standalone
    standalone.serve(cfg, port or cfg.gateway_port or cfg.port)


def create_admin(cfg: config.Config, email: str) -> int:
    from domain.errors import DomainError
    from workflows import accounts
    open_database(cfg)
    password = os.environ.get('PORTICO_ADMIN_PASSWORD')
    if not password:
        if not sys.stdin.isatty():
            print('portico: set PORTICO_ADMIN_PASSWORD or run this command in a terminal', file=sys.stderr)
            return 2
        password = getpass.getpass('Password for the new admin: ')
        if getpass.getpass('Repeat the password: ') != password:
            print('portico: the passwords do not match', file=sys.stderr)
            return 2
    try:
        user = accounts.create_admin(email, password)
    except DomainError as error:
        print(f'portico: {error}', file=sys.stderr)
        return 2
    print(f'portal admin {user.email} created; log in at {cfg.base_url}/login')
    return 0


def _port(text: str) -> int:
    """--port: a TCP port number, 1 to 65535."""
    if not config.is_port(text):
        raise argparse.ArgumentTypeError(f'a port number from 1 to 65535, not {text!r}')
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python main.py', description='Portico, a self-hosted API developer portal')
    parser.add_argument('--demo', action='store_true', help='fill in demo data before serving')
    parser.add_argument('--gateway-only', action='store_true',
                        help='serve only the gateway paths (key checks), in a process of their own, on the portal\'s '
                             'database (never migrates it)')
    parser.add_argument('--port', type=_port, help='with --gateway-only: the port (default PORTICO_GATEWAY_PORT, '
                                                 'else PORTICO_PORT)')
    commands = parser.add_subparsers(dest='command')
    commands.add_parser('serve', help='serve the portal (the default)')
    admin = commands.add_parser('create-admin', help='create a portal admin (password prompted or PORTICO_ADMIN_PASSWORD)')
    admin.add_argument('--email', required=True)
    migrate = commands.add_parser('migrate', help='create or upgrade the database schema, then exit')
    migrate.add_argument('--check', action='store_true', help='say what would change, change nothing')
    backup = commands.add_parser('backup', help='copy the database to FILE, consistent while the portal runs')
    backup.add_argument('file', type=Path)
    restore = commands.add_parser('restore', help='put the backup FILE in place of the database (stop the portal '
                                                  'first); a file of a newer schema is refused')
    restore.add_argument('file', type=Path)
    commands.add_parser('demo', help='fill in demo data, then exit')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    os.umask(0o077)  # the database, the secret key and NiceGUI's storage (session tokens) are for this user only
    try:
        cfg = config.load()
        config.use(cfg)
        logs.setup(cfg.log_format)
        # NiceGUI reads its storage folder when it is imported, which happens below
        os.environ.setdefault('NICEGUI_STORAGE_PATH', str(cfg.data_dir / 'nicegui'))
        if args.gateway_only:
            if args.command or args.demo:
                parser.error('--gateway-only serves the gateway paths; it takes no command and no --demo')
            serve_gateway_only(cfg, args.port)
            return 0
        if args.port is not None:
            parser.error('--port goes with --gateway-only (the portal reads PORTICO_PORT)')
        if args.command == 'create-admin':
            return create_admin(cfg, args.email)
        if args.command == 'backup':
            print(f'portico: {db_backup.backup(cfg.database_url, args.file)}')
            return 0
        if args.command == 'restore':
            print(f'portico: {db_backup.restore(cfg.database_url, args.file, migrations.LATEST)}')
            return 0
        if args.command == 'migrate' and args.check:
            connect(cfg.database_url, pool_size=cfg.pool_size)
            print(f'portico: {migrations.check()}')
            return 0
        if args.command == 'migrate':
            connect(cfg.database_url, pool_size=cfg.pool_size)
            print(f'portico: {migrations.migrate()}')
            bootstrap.run()
            return 0
        if args.command == 'demo' or args.demo:
            from tools import demo
            open_database(cfg)
            print(f'portico: {demo.fill()}')
            if args.command == 'demo':
                return 0
        serve(cfg)
    except config.ConfigError as error:
        print(f'portico: {error}', file=sys.stderr)
        return 2
    return 0


if os.environ.get('NICEGUI_USER_SIMULATION') or os.environ.get('NICEGUI_SCREEN_TEST_PORT'):
    # the NiceGUI test fixtures run this file once per test: serve what the test configured
    _cfg = config.load()
    config.use(_cfg)
    open_database(_cfg)
    build_app(_cfg)
    from nicegui import ui
    ui.run(**run_options(_cfg))
elif __name__ in {'__main__', '__mp_main__'}:
    sys.exit(main())
