"""A process of its own for the gateway paths (`python main.py --gateway-only`), so that no page build of the
portal can delay a key check.

It serves the gateway paths (gateway/asgi.py) around an app that answers 404 to everything else: no pages, no
sessions, no NiceGUI. It runs only the background loops the gateway needs (the key-change feed, the usage flush,
the rate-limit sync), the same ones the portal starts (`start_loops`), and stops like the portal does
(`stop_loops`): the loops end, then the calls counted since the last flush are written. It shares the portal's
database (and Redis, when set) as a second instance does; it never migrates: it waits for the portal's schema.

With PORTICO_GATEWAY_PORT set, `python main.py` starts it as a child on that port (`spawn`) and stops it when it
stops itself.
"""
from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import background
import config

log = logging.getLogger('portico.gateway')
USAGE_FLUSH_SECONDS = 2
SCHEMA_WAIT_SECONDS = 60
CHILD_STOP_SECONDS = 5
_NOT_FOUND = b'{"error":"not found: this process answers the gateway paths only"}'


def start_loops() -> None:
    """Start the gateway's background loops (on the running event loop): shared by the portal and this process."""
    from gateway import key_feed, limits, usage
    background.start('usage flush', background.repeat('usage flush', usage.flush, USAGE_FLUSH_SECONDS,
                                                      wait_first=True))
    background.start('key changes', key_feed.follow_changes())
    background.start('limits sync', limits.sync_forever())


async def stop_loops() -> None:
    """Stop every background loop, then write the calls counted since the last flush."""
    from gateway import usage
    await background.stop_all()
    await asyncio.to_thread(usage.flush)


class GatewayOnly:
    """The app behind the gateway adapter: 404 for any other path; starts and stops the loops (ASGI lifespan)."""

    async def __call__(self, scope, receive, send) -> None:
        if scope['type'] == 'lifespan':
            await self.lifespan(receive, send)
            return
        if scope['type'] != 'http':  # a websocket: closed
            await send({'type': 'websocket.close', 'code': 1000})
            return
        await send({'type': 'http.response.start', 'status': 404, 'headers': [
            (b'content-type', b'application/json'), (b'x-content-type-options', b'nosniff'),
            (b'content-length', str(len(_NOT_FOUND)).encode())]})
        await send({'type': 'http.response.body', 'body': b'' if scope['method'] == 'HEAD' else _NOT_FOUND})

    async def lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message['type'] == 'lifespan.startup':
                start_loops()
                gc.collect()  # as the portal does: the objects alive after start stay out of full passes
                gc.freeze()
                await send({'type': 'lifespan.startup.complete'})
            elif message['type'] == 'lifespan.shutdown':
                await stop_loops()
                await send({'type': 'lifespan.shutdown.complete'})
                return


def build() -> object:
    from gateway import asgi
    return asgi.GatewayAdapter(GatewayOnly())


def wait_for_schema(cfg: config.Config, seconds: float = SCHEMA_WAIT_SECONDS) -> None:
    """Connect and wait until the portal has created or upgraded the schema (this process never migrates)."""
    from db import migrations
    from db.connection import connect
    connect(cfg.database_url, pool_size=cfg.pool_size)
    deadline, told = time.monotonic() + seconds, False
    while True:
        try:
            version = migrations.current_version()
        except Exception as error:  # noqa: BLE001 - a database still starting: try again until the deadline
            version, problem = None, error
        else:
            problem = None
        if version == migrations.LATEST:
            return
        if time.monotonic() > deadline:
            raise config.ConfigError(f'the database schema is at version {version}, this release needs '
                                     f'{migrations.LATEST}' + (f' ({problem})' if problem else '') +
                                     ': start the portal (or run `python main.py migrate`) first')
        if not told:
            log.info('waiting for the portal to create or upgrade the database schema (at %s, needs %s)',
                     version, migrations.LATEST)
            told = True
        time.sleep(0.5)


def serve(cfg: config.Config, port: int) -> None:
    """Serve the gateway paths only, on `port`, until SIGTERM or SIGINT."""
    import uvicorn
    wait_for_schema(cfg)
    print(f'portico: gateway-only process on http://{cfg.host}:{port} (pid {os.getpid()})', flush=True)
    uvicorn.run(build(), host=cfg.host, port=port, lifespan='on', log_level='warning', access_log=False,
                server_header=False, date_header=False, proxy_headers=False)


def _death_signal():
    """A function for the child, resolved before the fork (the child then only makes one system call): Linux
    sends the child SIGTERM when the portal ends, even killed. None elsewhere."""
    if not sys.platform.startswith('linux'):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(port: int) -> subprocess.Popen:
    """The gateway-only process as a child of the portal (PORTICO_GATEWAY_PORT)."""
    main = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'main.py')
    return subprocess.Popen([sys.executable, main, '--gateway-only', '--port', str(port)], stdin=subprocess.DEVNULL,
                            preexec_fn=_death_signal())


def stop_child(process: subprocess.Popen, seconds: float = CHILD_STOP_SECONDS) -> None:
    """SIGTERM (it flushes its usage and ends), then SIGKILL if it has not ended within `seconds`."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        log.error('the gateway process did not stop within %s s; killed', seconds)
        process.kill()
        process.wait()


class Child:
    """The portal's gateway-only child, watched: when it ends on its own (a crash, a port taken, the schema wait
    running out, the OOM killer) the portal logs it and starts it again, after a pause that doubles up to 30 s,
    so gateways pointed at PORTICO_GATEWAY_PORT are not left refused until someone restarts the portal."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process = spawn(port)
        self.restarts = 0
        self.next_start = 0.0
        self.stopping = False
        self.lock = threading.Lock()  # watch (a worker thread) and stop (shutdown) never overlap

    def watch(self) -> None:
        """Start the child again if it ended (called every second by the portal's background loop)."""
        with self.lock:
            self._watch()

    def _watch(self) -> None:
        if self.stopping or self.process.poll() is None:
            return
        now = time.monotonic()
        if not self.next_start:
            log.error('the gateway process (pid %s) ended with %s; starting it again', self.process.pid,
                      self.process.returncode)
            self.next_start = now + min(30.0, 0.5 * 2 ** min(self.restarts, 6))
        if now < self.next_start:
            return
        self.restarts += 1
        self.next_start = 0.0
        self.process = spawn(self.port)
        print(f'portico: gateway-only process started again on port {self.port} (pid {self.process.pid})', flush=True)

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
        stop_child(self.process)
