"""Gateway key introspection against an empty endpoint of the same server (DESIGN.md budgets).

Fills a fresh SQLite database with 100,000 apps, approved requests and keys, starts Portico as a real
process, and loads it with wrk (Debian's `wrk`), 32 connections: first GET /api/gateway/ping (an empty
endpoint), then /api/gateway/auth with keys drawn at random from 2,000 of the stored ones, in --rounds
alternating rounds (on a shared machine the load changes from one run to the next: each round's ratio
compares two runs seconds apart). Prints the requests per second and the p99 latency of both, their ratio,
and the portal process's CPU time per call (user + system, from /proc), which depends far less on what
else runs on the machine. With --redis URL the rate limits and quotas are counted in Redis (synced every
PORTICO_LIMITS_SYNC_SECONDS), as with several instances. With --gateway-process the portal starts its
gateway-only process (PORTICO_GATEWAY_PORT) and that process is measured instead: the deployment the
README recommends when gateway latency matters.

    .venv/bin/python bench/introspection.py [--keys 100000] [--seconds 10] [--connections 32] [--rounds 3]
                                            [--redis URL] [--gateway-process]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fill(data_dir: Path, count: int) -> list[str]:
    """`count` keys, each of its own app and approved request; returns a sample of the plain keys."""
    os.environ['PORTICO_DATA_DIR'] = str(data_dir)
    import config
    cfg = config.load()
    config.use(cfg)
    from db import bootstrap, migrations
    from db.connection import connect, database
    from db.models import (AccessRequest, AccessRequestProduct, Api, App, Catalog, CatalogPlan, CatalogProduct,
                           Credential, Plan, Product, ProductApi, User)
    from workflows.credentials import PREFIX, _fernet
    connect(cfg.database_url)
    migrations.migrate()
    org = bootstrap.run()
    # apps of the default organisation belong to their developer: their keys work while the owner is active
    owner = User.create(email='bench@portico.example', first_name='Bench', last_name='Developer', organisation=org)
    api = Api.create(name='Bench API', base_path='/bench/', status='published')
    product = Product.create(name='Bench', slug='bench')
    ProductApi.create(product=product, api=api)
    catalog = Catalog.create(name='Public', visibility='public')
    plan = Plan.create(name='Unlimited', rate_limit=1_000_000_000, rate_period=1, quota=1_000_000_000,
                       quota_period='month')  # counted like any plan, never reached
    CatalogProduct.create(catalog=catalog, product=product)
    CatalogPlan.create(catalog=catalog, plan=plan)
    fernet = _fernet()
    sample, batch = [], 5000
    started = time.monotonic()
    for first in range(0, count, batch):
        size = min(batch, count - first)
        with database.atomic():
            app_ids = [App.insert(name=f'app {first + i}', name_key=f'app {first + i}', organisation=org,
                                  owner=owner, status='active').execute() for i in range(size)]
            request_ids = [AccessRequest.insert(app=app_id, catalog=catalog, plan=plan, status='approved').execute()
                           for app_id in app_ids]
            AccessRequestProduct.insert_many([{'request': rid, 'product': product.id} for rid in request_ids]).execute()
            rows = []
            for request_id, app_id in zip(request_ids, app_ids):
                key = PREFIX + secrets.token_urlsafe(32)
                if len(sample) < 2000 and random.random() < 0.05:
                    sample.append(key)
                rows.append({'access_request': request_id, 'app': app_id, 'key_prefix': key[:10],
                             'key_hash': hashlib.sha256(key.encode()).hexdigest(),
                             'key_encrypted': fernet.encrypt(key.encode()).decode()})
            Credential.insert_many(rows).execute()
    print(f'filled {count:,} keys in {time.monotonic() - started:.0f} s', flush=True)
    database.close()
    return sample


def wrk(url: str, seconds: int, connections: int, script: Path | None, threads: int = 2,
        expect_2xx: bool = True) -> tuple[float, float]:
    """Requests per second and p99 latency (ms); a run meant to be allowed fails on any refused call."""
    command = ['wrk', f'-t{threads}', f'-c{connections}', f'-d{seconds}s', '--latency', url]
    if script:
        command[1:1] = ['-s', str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r'Requests/sec:\s+([\d.]+)', output).group(1))
    p99 = re.search(r'99%\s+([\d.]+)(us|ms|s)', output)
    factor = {'us': 0.001, 'ms': 1, 's': 1000}[p99.group(2)]
    non_2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', output)
    if non_2xx and expect_2xx:
        raise RuntimeError(f'{non_2xx.group(1)} answers were not 2xx: the figures would not measure allowed calls')
    return rps, float(p99.group(1)) * factor


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def measured(url: str, seconds: int, connections: int, script: Path, pid: int) -> tuple[float, float, float]:
    """wrk's requests/s and p99 (ms), and the portal's CPU microseconds per call during the run."""
    before = cpu_seconds(pid)
    rps, p99 = wrk(url, seconds, connections, script)
    return rps, p99, (cpu_seconds(pid) - before) / (rps * seconds) * 1e6


def warm_up(url: str, sample: list[str], path: str = '/api/gateway/auth', **headers: str) -> None:
    """Ask for every key once, so that the measured run answers from the cache."""
    import http.client
    from urllib.parse import urlparse
    target = urlparse(url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    for key in sample:
        connection.request('GET', path, headers={'X-API-Key': key, 'X-Forwarded-Uri': '/bench/items/1', **headers})
        connection.getresponse().read()
    connection.close()


def gateway_child(portal, port: int) -> tuple[str, int]:
    """The URL and pid of the gateway-only process the portal started (PORTICO_GATEWAY_PORT), once it answers."""
    import urllib.request
    url = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + '/api/gateway/ping', timeout=2).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    tasks = Path(f'/proc/{portal.process.pid}/task')
    for child in [pid for task in tasks.iterdir() for pid in (task / 'children').read_text().split()]:
        if '--gateway-only' in Path(f'/proc/{child}/cmdline').read_text():
            return url, int(child)
    raise RuntimeError('the portal started no gateway-only process')


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument('--keys', type=int, default=100_000)
    parser.add_argument('--seconds', type=int, default=10)
    parser.add_argument('--connections', type=int, default=32)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--redis', default='', help='count limits in this Redis (e.g. redis://127.0.0.1:6379/14)')
    parser.add_argument('--gateway-process', action='store_true',
                        help='measure the gateway-only process the portal starts with PORTICO_GATEWAY_PORT')
    args = parser.parse_args()
    if shutil.which('wrk') is None:
        print('bench: wrk is not installed (apt-get install wrk)', file=sys.stderr)
        return 2
    from tests.servers import Portal
    from tests.utils import free_port
    with tempfile.TemporaryDirectory(prefix='portico-bench-') as folder:
        data_dir = Path(folder) / 'data'
        sample = fill(data_dir, args.keys)
        # both runs build the same requests in Lua, so wrk's own cost is the same on both sides
        keys = ', '.join(f'"{key}"' for key in sample)
        scripts = {}
        for name, path in (('empty', '/api/gateway/ping'), ('auth', '/api/gateway/auth')):
            scripts[name] = Path(folder) / f'{name}.lua'
            scripts[name].write_text(
                f'keys = {{{keys}}}\n'
                'request = function()\n'
                f'  return wrk.format("GET", "{path}", {{["X-API-Key"] = keys[math.random(#keys)],'
                ' ["X-Forwarded-Uri"] = "/bench/items/1", ["X-Forwarded-Method"] = "GET"})\n'
                'end\n')
        port = free_port()
        extra = {'NICEGUI_REDIS_URL': args.redis} if args.redis else {}
        if args.gateway_process:
            extra['PORTICO_GATEWAY_PORT'] = str(free_port())
        if args.redis:
            import redis
            redis.Redis.from_url(args.redis).flushdb()
        portal = Portal(port, Path(folder) / 'portal.log', PORTICO_DATA_DIR=str(data_dir), **extra)
        rounds = []
        try:
            url, pid = portal.url, portal.process.pid
            if args.gateway_process:
                url, pid = gateway_child(portal, int(extra['PORTICO_GATEWAY_PORT']))
            wrk(url, 2, args.connections, scripts['empty'])  # warm up
            warm_up(url, sample)  # every sampled key answered once: the key cache is full
            wrk(url, 2, args.connections, scripts['auth'])
            for _ in range(args.rounds):
                load = float(Path('/proc/loadavg').read_text().split()[0])
                empty = measured(url, args.seconds, args.connections, scripts['empty'], pid)
                auth = measured(url, args.seconds, args.connections, scripts['auth'], pid)
                rounds.append((load, empty, auth))
        finally:
            portal.stop()
    counters = f'limits in Redis ({args.redis})' if args.redis else 'limits counted in the process'
    server = 'the gateway-only process' if args.gateway_process else 'the portal process'
    print(f'\n{args.keys:,} keys stored (SQLite), {counters}, {server}, {args.connections} connections, '
          f'{args.seconds} s per run, wrk -t2, {args.rounds} rounds')
    print('| round (load average) | empty (/api/gateway/ping) | decision (/api/gateway/auth) | ratio | '
          'CPU per call of that process, empty / decision |\n| --- | --- | --- | --- | --- |')
    for number, (load, empty, auth) in enumerate(rounds, 1):
        print(f'| {number} ({load:.1f}) | {empty[0]:,.0f} req/s, p99 {empty[1]:.2f} ms | {auth[0]:,.0f} req/s, '
              f'p99 {auth[1]:.2f} ms | {auth[0] / empty[0]:.2f} | {empty[2]:.0f} / {auth[2]:.0f} us |')
    ratio = statistics.median(auth[0] / empty[0] for _, empty, auth in rounds)
    cpu_ratio = statistics.median(empty[2] / auth[2] for _, empty, auth in rounds)
    best_p99 = min(auth[1] for _, _, auth in rounds)
    print(f'median ratio decision / empty: {ratio:.2f} (budget: at least 0.50); from CPU per call: {cpu_ratio:.2f}; '
          f'decision p99 {best_p99:.2f} ms in the best round (budget: under 10 ms)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
