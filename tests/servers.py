"""Real processes for integration tests and benchmarks: the portal, a tiny upstream API, nginx."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which('nginx') or ('/usr/sbin/nginx' if Path('/usr/sbin/nginx').exists() else None)
CADDY = shutil.which('caddy')
APACHE = shutil.which('apache2') or ('/usr/sbin/apache2' if Path('/usr/sbin/apache2').exists() else None)


def wait_for(url: str, timeout: float = 30, ok=(200, 204, 401, 403, 404)) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status in ok:
                    return
        except urllib.error.HTTPError as error:
            if error.code in ok:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f'{url} did not answer within {timeout} s')


def stop_process(process: subprocess.Popen) -> float:
    """Ask a server process to stop (SIGTERM), and kill it if it has not within 10 s; the seconds it took."""
    started = time.monotonic()
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return time.monotonic() - started


class Portal:
    """`python main.py` in a subprocess, with the test's PORTICO_* environment and a port of its own
    (`ARGS`: more of its command line; `READY`: the path that answers once it serves)."""
    ARGS: tuple[str, ...] = ()
    READY = '/healthz'

    def __init__(self, port: int, log_path: Path, **env: str) -> None:
        self.port = port
        self.url = f'http://127.0.0.1:{port}'
        environment = {**os.environ, 'PORTICO_HOST': '127.0.0.1', 'PORTICO_PORT': str(port), **env}
        environment.pop('NICEGUI_USER_SIMULATION', None)
        environment.pop('NICEGUI_SCREEN_TEST_PORT', None)
        for name in [n for n in environment if n.startswith('PYTEST')]:
            environment.pop(name)  # NiceGUI's ui.run takes a test port when it sees pytest
        self.log = open(log_path, 'w')  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([sys.executable, str(ROOT / 'main.py'), *self.ARGS], env=environment,
                                        cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_for(self.url + self.READY)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f'{" ".join(["main.py", *self.ARGS])} did not start; its log: '
                               f'{Path(log_path).read_text()[-3000:]}') from None

    def stop(self) -> float:
        """SIGTERM, as a service manager stops it; the seconds until the process ended."""
        seconds = stop_process(self.process)
        self.log.close()
        return seconds

    def log_text(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()


def _serve(port: int, handler) -> ThreadingHTTPServer:
    """A plain HTTP server on loopback, answering in a thread of its own."""
    server = ThreadingHTTPServer(('127.0.0.1', port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _shut(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


class _Quiet(BaseHTTPRequestHandler):
    """Speaks HTTP/1.1 and writes no line to stderr for each request."""
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass


class _Loopback:
    """A server started with `self.server = _serve(port, Handler)`, shut by stop()."""
    server: ThreadingHTTPServer

    def stop(self) -> None:
        _shut(self.server)


class Upstream(_Loopback):
    """A tiny API that answers every call with what it received (path and the Portico headers)."""

    def __init__(self, port: int) -> None:
        self.calls: list[dict] = []
        calls = self.calls

        class Handler(_Quiet):
            def do_GET(self):  # noqa: N802 - http.server's hook name
                seen = {'path': self.path, 'app': self.headers.get('X-Portico-App'),
                        'plan': self.headers.get('X-Portico-Plan'), 'key': self.headers.get('X-API-Key'),
                        'headers': {name.lower(): value for name, value in self.headers.items()}}
                calls.append(seen)
                body = json.dumps(seen).encode()
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = _serve(port, Handler)


class Nginx:
    """nginx with a configuration from deploy/, its ports replaced, in a prefix folder of its own."""

    def __init__(self, config_name: str, prefix: Path, replacements: dict[str, str]) -> None:
        text = (ROOT / 'deploy' / config_name).read_text()
        for old, new in replacements.items():
            text = text.replace(old, new)
        (prefix / 'tmp').mkdir(parents=True, exist_ok=True)
        self.config = prefix / 'nginx.conf'
        self.config.write_text(text)
        self.prefix = prefix
        self.process = subprocess.Popen([NGINX, '-p', str(prefix), '-c', str(self.config), '-g', 'daemon off;'],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:  # ready when every port it listens on answers
            for port in re.findall(r'^\s*listen\s+(?:[\d.]+:)?(\d+)', text, re.MULTILINE):
                wait_for_port(int(port), self.process)
        except (RuntimeError, TimeoutError):
            self.process.kill()
            raise RuntimeError(f'nginx did not start: {self.process.communicate()[1].decode()}') from None

    def stop(self) -> None:
        stop_process(self.process)



def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 10) -> None:
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError('the process ended')
        with socket.socket() as sock:
            if sock.connect_ex(('127.0.0.1', port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f'nothing listens on {port}')


def _listening(server, port: int, name: str, log) -> None:
    """Wait for `server` (its process started) to listen on `port`; else stop it and fail with the end of `log()`."""
    try:
        wait_for_port(port, server.process)
    except (RuntimeError, TimeoutError):
        server.stop()
        raise RuntimeError(f'{name} did not start: {log()}') from None


class Caddy:
    """Debian's caddy with a Caddyfile from deploy/, its ports replaced, its state in a folder of its own."""

    def __init__(self, config_name: str, folder: Path, replacements: dict[str, str], port: int, **env: str) -> None:
        text = (ROOT / 'deploy' / config_name).read_text()
        for old, new in replacements.items():
            text = text.replace(old, new)
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / 'Caddyfile'
        self.config.write_text(text)
        environment = {'PATH': os.environ.get('PATH', ''), 'HOME': str(folder), 'XDG_DATA_HOME': str(folder / 'data'),
                       'XDG_CONFIG_HOME': str(folder / 'config'), **env}
        self.log = open(folder / 'caddy.log', 'w')  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([CADDY, 'run', '--adapter', 'caddyfile', '--config', str(self.config)],
                                        env=environment, stdout=subprocess.DEVNULL, stderr=self.log)
        _listening(self, port, 'caddy', lambda: (folder / 'caddy.log').read_text()[-3000:])

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


class Apache:
    """Debian's apache2 with a configuration from deploy/, in a server root of its own with a self-signed
    certificate (portico-tls.crt/.key) for its TLS virtual host."""

    def __init__(self, config_name: str, root: Path, replacements: dict[str, str], port: int) -> None:
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', str(root / 'portico-tls.key'),
                        '-out', str(root / 'portico-tls.crt'), '-days', '2', '-subj', '/CN=127.0.0.1'],
                       check=True, capture_output=True)
        text = (ROOT / 'deploy' / config_name).read_text()
        for old, new in {'/var/lib/portico-apache': str(root), **replacements}.items():
            text = text.replace(old, new)
        self.config = root / 'apache.conf'
        self.config.write_text(text)
        self.root = root
        self.process = subprocess.Popen([APACHE, '-d', str(root), '-f', str(self.config), '-DFOREGROUND'],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _listening(self, port, 'apache', self.error_log)

    def error_log(self) -> str:
        path = self.root / 'error.log'
        return path.read_text()[-3000:] if path.exists() else ''

    def stop(self) -> None:
        stop_process(self.process)


class Receiver(_Loopback):
    """A webhook receiver: keeps every POST (headers and body) and answers with `status` (settable), or
    calls `on_post(headers, body)` in its own thread first, as a real integration would."""

    def __init__(self, port: int, status: int = 204, on_post=None) -> None:
        self.port = port
        self.url = f'http://127.0.0.1:{port}/hooks'
        self.status = status
        self.received: list[tuple[dict, bytes]] = []
        self.on_post = on_post
        receiver = self

        class Handler(_Quiet):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.received.append((headers, body))
                if receiver.on_post is not None:
                    receiver.on_post(headers, body)
                answer = b'' if receiver.status in (204, 304) else \
                    b'{"ok": true}' if receiver.status < 300 else b'receiver is down'
                self.send_response(receiver.status)
                if receiver.status != 204:
                    self.send_header('Content-Length', str(len(answer)))
                if receiver.status in (301, 302, 307, 308):
                    self.send_header('Location', 'http://169.254.169.254/latest/meta-data')
                self.end_headers()
                self.wfile.write(answer)

        self.server = _serve(port, Handler)
