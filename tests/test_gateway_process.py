"""Issue 13 point 6 (gateway p99 unchanged while visitors load pages): the gateway paths in a process of their
own, `python main.py --gateway-only`, on the portal's database, so that no page build delays a key check.
Real processes: the portal (tests/servers.Portal) and the gateway-only one, on the test's SQLite file."""
from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import peewee as pw
import pytest

import config

from db.models import Credential, UsageDaily
from tests.peers import SECRET, World, call, eventually
from tests.servers import ROOT, Portal, wait_for
from tests.utils import free_port
from workflows import api_tokens

ASKED = {'X-Portico-Gateway-Secret': SECRET}


class GatewayOnly(Portal):
    """`python main.py --gateway-only --port N` in a subprocess, with the test's PORTICO_* environment."""
    READY = '/api/gateway/ping'

    def __init__(self, port: int, log_path: Path, **env: str) -> None:
        self.ARGS = ('--gateway-only', '--port', str(port))
        super().__init__(port, log_path, **env)


def ask(url: str, key: str, path: str) -> tuple[int, dict, str]:
    return call(url + '/api/gateway/auth', key, headers={**ASKED, 'X-Forwarded-Uri': path})


def counted(credential_id: int) -> tuple[int, int]:
    """The calls and refusals the database holds for a key (every day)."""
    row = (UsageDaily.select(pw.fn.COALESCE(pw.fn.SUM(UsageDaily.calls), 0),
                             pw.fn.COALESCE(pw.fn.SUM(UsageDaily.refused), 0))
           .where(UsageDaily.credential == credential_id).tuples().get())
    return int(row[0]), int(row[1])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (ended, not yet reaped) counts as gone
    try:
        return Path(f'/proc/{pid}/stat').read_text().split(')')[-1].split()[0] != 'Z'
    except OSError:
        return False


def test_the_portals_gateway_process_decides_counts_and_follows_revocations(db, tmp_path) -> None:
    gateway_port = free_port()
    world = World(tmp_path, PORTICO_GATEWAY_PORT=str(gateway_port))
    gateway = f'http://127.0.0.1:{gateway_port}'
    child = None
    try:
        wait_for(gateway + '/api/gateway/ping')
        child = int(re.search(r'gateway-only process started on port \d+ \(pid (\d+)\)', world.portal.log_text())[1])
        assert alive(child)

        # a key from an approved request: allowed, with the identity headers for the upstream
        status, headers, _ = ask(gateway, world.keys['weather'], '/weather/forecast')
        headers = {name.lower(): value for name, value in headers.items()}
        assert status == 200
        assert (headers['x-portico-app'], headers['x-portico-plan'], headers['x-portico-product']) == \
            ('Bot', 'Free', 'weather')
        assert ask(gateway, world.keys['weather'], '/payments/charge')[0] == 403  # a refusal, counted as one
        assert ask(gateway, 'ptc_' + 'A' * 43, '/weather/x')[0] == 401

        # no page of the portal leaks through the gateway process
        for path in ('/login', '/admin', '/', '/api/v1/credentials', '/healthz'):
            status, _, body = call(gateway + path)
            assert status == 404 and 'gateway paths only' in body, path
        assert call(world.portal.url + '/login')[0] == 200

        # its calls reach the database at its usage flush
        weather = Credential.get(Credential.access_request == world.weather.id)
        assert eventually(lambda: counted(weather.id) == (1, 1), 10.0), counted(weather.id)

        # a key revoked through the portal (its REST API) is refused by the gateway process within 2 s
        payments = Credential.get(Credential.access_request != world.weather.id)
        assert ask(gateway, world.keys['payments'], '/payments/charge')[0] == 200  # cached by the gateway process
        _, token = api_tokens.create(world.admin, 'revoker', read_only=False)
        assert call(f'{world.portal.url}/api/v1/credentials/{payments.id}/revoke', method='POST',
                    headers={'Authorization': f'Bearer {token}'})[0] == 200
        assert eventually(lambda: ask(gateway, world.keys['payments'], '/payments/charge')[0] == 401, 2.0)

        # a child that dies (a crash, the OOM killer) is started again by the portal, and the new one answers
        os.kill(child, signal.SIGKILL)
        assert eventually(lambda: 'gateway-only process started again' in world.portal.log_text(), 10.0)
        child = int(re.search(r'started again on port \d+ \(pid (\d+)\)', world.portal.log_text())[1])
        wait_for(gateway + '/api/gateway/ping')
        assert ask(gateway, world.keys['weather'], '/weather/forecast')[0] == 200
        assert 'the gateway process (pid' in world.portal.log_text()  # and says so in its log
    finally:
        world.stop()
    # the child goes with the portal
    assert child is not None and eventually(lambda: not alive(child), 5.0)
    try:
        call(gateway + '/api/gateway/ping')
        raise AssertionError('the gateway process still answers after the portal stopped')
    except OSError:
        pass


def test_a_gateway_only_process_stops_on_sigterm_within_5_s_and_writes_its_counts(db, tmp_path) -> None:
    world = World(tmp_path)  # the portal, which has created the schema; the gateway process starts on its own
    gateway = GatewayOnly(free_port(), tmp_path / 'gateway.log', PORTICO_KEY_CHANGES_POLL_SECONDS='0.2')
    try:
        weather = Credential.get(Credential.access_request == world.weather.id)
        assert [ask(gateway.url, world.keys['weather'], '/weather/x')[0] for _ in range(3)] == [200] * 3
        assert call(gateway.url + '/admin')[0] == 404
        # stopped at once (a periodic flush may not have run yet): the counts are written on the way out
        seconds = gateway.stop()
        log = Path(tmp_path / 'gateway.log').read_text()
        # uvicorn ends by the signal it was stopped with, after its graceful shutdown (which flushed)
        assert gateway.process.returncode in (0, -signal.SIGTERM) and 'Traceback' not in log, log[-2000:]
        assert seconds < 5, seconds
        assert counted(weather.id) == (3, 0)
    finally:
        gateway.stop()
        world.stop()


@pytest.mark.parametrize('value, message', [('nope', 'PORTICO_GATEWAY_PORT must be a port number'),
                                            ('70000', 'PORTICO_GATEWAY_PORT must be a port number'),
                                            ('²', 'PORTICO_GATEWAY_PORT must be a port number'),  # a digit, not ASCII
                                            ('8080', 'must differ from PORTICO_PORT')])
def test_a_bad_gateway_port_stops_the_start_with_one_line(tmp_path, value, message) -> None:
    with pytest.raises(config.ConfigError, match=message):
        config.load({'PORTICO_DATA_DIR': str(tmp_path), 'PORTICO_GATEWAY_PORT': value})
    assert config.load({'PORTICO_DATA_DIR': str(tmp_path)}).gateway_port == 0  # unset: the portal answers itself


@pytest.mark.parametrize('port', ['70000', '0', '-1', '²'])
def test_a_bad_port_option_is_refused_with_one_line(port) -> None:
    run = subprocess.run([sys.executable, str(ROOT / 'main.py'), '--gateway-only', '--port', port], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert run.returncode == 2 and 'a port number from 1 to 65535' in run.stderr and 'Traceback' not in run.stderr


def test_a_gateway_only_process_waits_for_the_schema_and_says_so(tmp_path) -> None:
    """It never migrates: on an empty database it waits, then stops with one line naming the command."""
    env = {**os.environ, 'PORTICO_DATA_DIR': str(tmp_path), 'PORTICO_DATABASE_URL': f'sqlite:///{tmp_path}/empty.db'}
    for name in [n for n in env if n.startswith(('PYTEST', 'NICEGUI_'))]:
        env.pop(name)
    probe = ('import sys, config; from gateway import standalone; cfg = config.load(); '
             'standalone.wait_for_schema(cfg, seconds=0.5)')
    done = subprocess.run([sys.executable, '-c', probe], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and 'python main.py migrate' in done.stderr, done.stderr[-2000:]
    with sqlite3.connect(tmp_path / 'empty.db') as connection:  # nothing created
        assert connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone() == (0,)
