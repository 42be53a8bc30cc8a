"""A flood of random unknown keys beside a valid-key load (DESIGN.md: nothing blocks the event loop).

Fills a fresh SQLite database with --keys keys and starts Portico. Then, at the same time: wrk with 32
connections sending well-formed random keys (each one a miss, loaded in a worker thread), wrk with 8
connections sending valid keys, and one client building the Log in page again and again. Prints the
valid-key p99 (budget: under 10 ms) and the page times (budget: under 150 ms).

    .venv/bin/python bench/flood.py [--keys 100000] [--seconds 10]
"""
from __future__ import annotations

import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gateway_load import (FORWARDED, arguments, keys_script, print_table, stored_keys,  # noqa: E402
                                tools_missing, warm_up, wrk)

RANDOM_KEYS = '''local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
request = function()
  local t = {}
  for i = 1, 43 do local n = math.random(64); t[i] = chars:sub(n, n) end
  return wrk.format("GET", "/api/gateway/auth", {["X-API-Key"] = "ptc_" .. table.concat(t),
                    ["X-Forwarded-Uri"] = "/bench/items/1"})
end
'''


def main() -> int:
    args = arguments(connections=False).parse_args()
    if tools_missing():
        return 2
    from tests.servers import Portal
    from tests.utils import free_port
    with stored_keys(args.keys) as (root, sample):
        valid = keys_script(root / 'valid.lua', sample, '/api/gateway/auth', FORWARDED)
        flood = root / 'flood.lua'
        flood.write_text(RANDOM_KEYS)
        portal = Portal(free_port(), root / 'portal.log', PORTICO_DATA_DIR=str(root / 'data'))
        results: dict = {}
        pages: list[float] = []
        try:
            warm_up(portal.url, sample)
            quiet_pages = build_pages(portal.url, 20)
            stop = threading.Event()

            def flooding() -> None:
                results['flood'] = wrk(portal.url, args.seconds + 2, 32, flood, threads=1, expect_2xx=False)

            def building() -> None:
                time.sleep(1)  # the flood is on
                while not stop.is_set():
                    pages.extend(build_pages(portal.url, 1))
                    time.sleep(0.1)

            threads = [threading.Thread(target=flooding), threading.Thread(target=building)]
            for thread in threads:
                thread.start()
            time.sleep(1)
            results['valid'] = wrk(portal.url, args.seconds, 8, valid, threads=1)
            stop.set()
            for thread in threads:
                thread.join()
        finally:
            portal.stop()
    print_table(f'{args.keys:,} keys stored (SQLite); {args.seconds} s of valid keys (8 connections) during a flood of '
                'random unknown keys (32 connections)', 'load',
                {'random unknown keys (401)': results['flood'], 'valid keys (200)': results['valid']})
    print(f'Log in page: median {statistics.median(quiet_pages):.0f} ms without the flood; during it median '
          f'{statistics.median(pages):.0f} ms, slowest {max(pages):.0f} ms over {len(pages)} builds '
          '(budget: under 150 ms); valid-key p99 budget: under 10 ms')
    return 0


def build_pages(url: str, count: int) -> list[float]:
    """Milliseconds to fetch the Log in page (built on the server for each request), `count` times."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        with urllib.request.urlopen(url + '/login', timeout=30) as response:
            response.read()
        times.append((time.perf_counter() - started) * 1000)
    return times


if __name__ == '__main__':
    sys.exit(main())
