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
                                            [--redis URL] [--gateway-process] [--deprecated] [--overlap]
                                            [--overlap-and-deprecation]

--deprecated makes the keys' API a deprecated version (every allowed answer carries Deprecation, Sunset and Link);
--overlap rotates every sampled key with a 7-day overlap, so each app has two valid keys and the calls use both
(issue 26's budget: at least 0.5 of an empty endpoint with both, p99 under 10 ms).
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gateway_load import FORWARDED, arguments, keys_script, stored_keys, tools_missing, warm_up, wrk  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def measured(url: str, seconds: int, connections: int, script: Path, pid: int) -> tuple[float, float, float]:
    """wrk's requests/s and p99 (ms), and the portal's CPU microseconds per call during the run."""
    before = cpu_seconds(pid)
    rps, p99 = wrk(url, seconds, connections, script)
    return rps, p99, (cpu_seconds(pid) - before) / (rps * seconds) * 1e6


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


def deprecate_the_bench_api() -> None:
    """Make the stored keys' API version v1 of two, deprecated with a sunset in a year and v2 as successor."""
    from datetime import timedelta

    import config
    from db import clock
    from db.connection import connect, database
    from db.models import Api
    connect(config.current().database_url)
    v1 = Api.get(Api.base_path == '/bench/')
    v2 = Api.create(name=v1.name, base_path='/bench/v2/', status='published', version_of=v1.id, version='v2')
    Api.update(version_of=v1.id, version='v1', deprecated_at=clock.now(), sunset_at=clock.now() + timedelta(days=365),
               successor=v2.id).where(Api.id == v1.id).execute()
    database.close()


def overlap_every_key(sample: list[str], seconds: int = 7 * 86400) -> list[str]:
    """Rotate every sampled key as an admin would (Rotate, "old key stops: in 7 days"): each app then has two valid
    keys, the old one with an end (decided on with the clock on every call). Returns the old and the new keys."""
    import config
    from db.connection import connect, database
    from db.models import Credential
    from domain.at_rest import digest
    from tests.utils import an_admin
    from workflows import credentials
    connect(config.current().database_url)
    admin = an_admin('bench-admin@portico.example')
    both = []
    for key in sample:
        new = credentials.rotate_by_admin(Credential.get(Credential.key_hash == digest(key)), admin, seconds)
        both += [key, credentials.SEAL.open(new.key_encrypted)]
    database.close()
    return both


def main() -> int:
    parser = arguments()
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--redis', default='', help='count limits in this Redis (e.g. redis://127.0.0.1:6379/14)')
    parser.add_argument('--deprecated', action='store_true',
                        help='the keys\' API is a deprecated version with a sunset and a successor: every allowed '
                             'answer carries Deprecation, Sunset and Link (issue 26)')
    parser.add_argument('--overlap', action='store_true',
                        help='every sampled key was rotated with a 7-day overlap: calls use the old and the new keys, '
                             'two valid keys per app (issue 26)')
    parser.add_argument('--overlap-and-deprecation', action='store_true',
                        help='--overlap and --deprecated together: issue 26\'s case')
    parser.add_argument('--gateway-process', action='store_true',
                        help='measure the gateway-only process the portal starts with PORTICO_GATEWAY_PORT')
    args = parser.parse_args()
    if args.overlap_and_deprecation:
        args.overlap = args.deprecated = True
    if tools_missing():
        return 2
    from tests.servers import Portal
    from tests.utils import free_port
    with stored_keys(args.keys) as (root, sample):
        if args.deprecated:
            deprecate_the_bench_api()
        if args.overlap:
            sample = overlap_every_key(sample)
        scripts = {name: keys_script(root / f'{name}.lua', sample, path, {**FORWARDED, 'X-Forwarded-Method': 'GET'})
                   for name, path in (('empty', '/api/gateway/ping'), ('auth', '/api/gateway/auth'))}
        port = free_port()
        extra = {'NICEGUI_REDIS_URL': args.redis} if args.redis else {}
        if args.gateway_process:
            extra['PORTICO_GATEWAY_PORT'] = str(free_port())
        if args.redis:
            import redis
            redis.Redis.from_url(args.redis).flushdb()
        portal = Portal(port, root / 'portal.log', PORTICO_DATA_DIR=str(root / 'data'), **extra)
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
    if args.deprecated:
        server += ', a deprecated API version (Deprecation, Sunset, Link on every answer)'
    if args.overlap:
        server += f', keys in a rotation\'s overlap ({len(sample):,} keys called, two per app)'
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
    print(f'median ratio decision / empty: {ratio:.2f} (budget: at least 0.60; with --overlap-and-deprecation 0.50); '
          f'from CPU per call: {cpu_ratio:.2f}; decision p99 {best_p99:.2f} ms in the best round (budget: under 10 ms)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
