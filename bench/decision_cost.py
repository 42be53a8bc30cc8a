"""The gateway adapter's own CPU time per call, in this process, without a server or a network: what
bench/introspection.py's "CPU per call" is made of, less uvicorn's share. Fills a small SQLite database (the
same rows as the other gateway benchmarks), caches its keys, then calls the adapter (gateway/asgi.py) the way
uvicorn does, with a `send` that does nothing: /api/gateway/ping, then /api/gateway/auth with keys drawn from the
sample, in alternating rounds. With --profile, prints cProfile's top functions of the decision.

    .venv/bin/python bench/decision_cost.py [--keys 2000] [--calls 200000] [--rounds 3] [--deprecated]
                                            [--overlap] [--profile]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gateway_load import FORWARDED, stored_keys  # noqa: E402


def scope_for(path: str, key: str) -> dict:
    """The scope uvicorn (httptools) builds for a wrk request of bench/gateway_load.py's scripts."""
    headers = [(b'host', b'127.0.0.1:8080'), (b'x-api-key', key.encode()),
               *((name.lower().encode(), value.encode()) for name, value in {**FORWARDED,
                                                                             'X-Forwarded-Method': 'GET'}.items())]
    return {'type': 'http', 'asgi': {'version': '3.0', 'spec_version': '2.3'}, 'http_version': '1.1',
            'server': ('127.0.0.1', 8080), 'client': ('127.0.0.1', 50000), 'scheme': 'http', 'method': 'GET',
            'root_path': '', 'path': path, 'raw_path': path.encode(), 'query_string': b'', 'headers': headers,
            'state': {}}


async def run(adapter, scopes: list[dict], calls: int) -> float:
    """CPU seconds per call of `calls` calls cycling through `scopes`."""
    sent = []

    async def send(message) -> None:
        if message['type'] == 'http.response.start':
            sent.append(message['status'])

    async def receive():
        return {'type': 'http.request', 'body': b''}

    count = len(scopes)
    started = time.process_time()
    for number in range(calls):
        await adapter(scopes[number % count], receive, send)
    spent = time.process_time() - started
    if any(status >= 300 for status in sent):
        raise RuntimeError(f'answers other than 2xx: {sorted(set(sent))}')
    return spent / calls


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument('--keys', type=int, default=2000)
    parser.add_argument('--calls', type=int, default=200_000)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--deprecated', action='store_true', help='the keys\' API is a deprecated version')
    parser.add_argument('--overlap', action='store_true', help='every key was rotated with a 7-day overlap: the '
                                                               'old and the new key are both called')
    parser.add_argument('--profile', action='store_true')
    args = parser.parse_args()
    from bench.introspection import deprecate_the_bench_api, overlap_every_key
    with stored_keys(args.keys) as (root, sample):
        if args.deprecated:
            deprecate_the_bench_api()
        if args.overlap:
            sample = overlap_every_key(sample)
        import config
        from db.connection import connect
        from domain.at_rest import digest
        from gateway import asgi, keys
        connect(config.current().database_url)
        for key in sample:
            if keys.lookup_blocking(digest(key)) is None:
                raise RuntimeError('a sampled key has no access')

        async def fallback(scope, receive, send) -> None:
            raise RuntimeError(f'{scope["path"]} reached the web app')

        adapter = asgi.GatewayAdapter(fallback)
        random.seed(1)
        auth = [scope_for(asgi.AUTH, random.choice(sample)) for _ in range(4096)]
        ping = [scope_for(asgi.PING, random.choice(sample)) for _ in range(4096)]
        loop = asyncio.new_event_loop()
        loop.run_until_complete(run(adapter, auth, 10_000))  # warm: every key's digest memo filled
        if args.profile:
            import cProfile
            import pstats
            profiler = cProfile.Profile()
            profiler.enable()
            loop.run_until_complete(run(adapter, auth, args.calls // 4))
            profiler.disable()
            pstats.Stats(profiler).sort_stats('tottime').print_stats(25)
        rounds = []
        for _ in range(args.rounds):
            rounds.append((loop.run_until_complete(run(adapter, ping, args.calls)),
                           loop.run_until_complete(run(adapter, auth, args.calls))))
        loop.close()
    load = Path('/proc/loadavg').read_text().split()[0]
    print(f'\nthe adapter in this process, {len(sample):,} keys called, {args.calls:,} calls a run, load {load}'
          + (', deprecated API' if args.deprecated else '') + (', keys in overlap' if args.overlap else ''))
    for number, (empty, decision) in enumerate(rounds, 1):
        print(f'round {number}: ping {empty * 1e6:.2f} us, decision {decision * 1e6:.2f} us a call')
    print(f'median decision {statistics.median(d for _, d in rounds) * 1e6:.2f} us, '
          f'ping {statistics.median(e for e, _ in rounds) * 1e6:.2f} us')
    return 0


if __name__ == '__main__':
    sys.exit(main())
