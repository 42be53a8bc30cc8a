"""A flood of random unknown keys beside a valid-key load (DESIGN.md: nothing blocks the event loop).

Fills a fresh SQLite database with --keys keys and starts Portico. Then, at the same time: wrk with 32
connections sending well-formed random keys (each one a miss, loaded in a worker thread), wrk with 8
connections sending valid keys, and one client building the Log in page again and again. Prints the
valid-key p99 (budget: under 10 ms) and the page times (budget: under 150 ms).

    .venv/bin/python bench/flood.py [--keys 100000] [--seconds 10]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RANDOM_KEYS = '''local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
request = function()
  local t = {}
  for i = 1, 43 do local n = math.random(64); t[i] = chars:sub(n, n) end
  return wrk.format("GET", "/api/gateway/auth", {["X-API-Key"] = "ptc_" .. table.concat(t),
                    ["X-Forwarded-Uri"] = "/bench/items/1"})
end
'''


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument('--keys', type=int, default=100_000)
    parser.add_argument('--seconds', type=int, default=10)
    args = parser.parse_args()
    if shutil.which('wrk') is None:
        print('bench: wrk is not installed (apt-get install wrk)', file=sys.stderr)
        return 2
    from bench.introspection import fill, warm_up, wrk
    from tests.servers import Portal
    from tests.utils import free_port
    with tempfile.TemporaryDirectory(prefix='portico-bench-') as folder:
        root = Path(folder)
        sample = fill(root / 'data', args.keys)
        keys = ', '.join(f'"{key}"' for key in sample)
        valid = root / 'valid.lua'
        valid.write_text(f'keys = {{{keys}}}\nrequest = function()\n'
                         '  return wrk.format("GET", "/api/gateway/auth", {["X-API-Key"] = keys[math.random(#keys)],'
                         ' ["X-Forwarded-Uri"] = "/bench/items/1"})\nend\n')
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
    print(f'\n{args.keys:,} keys stored (SQLite); {args.seconds} s of valid keys (8 connections) during a flood of '
          'random unknown keys (32 connections)')
    print('| load | requests/s | p99 (ms) |\n| --- | --- | --- |')
    print(f'| random unknown keys (401) | {results["flood"][0]:,.0f} | {results["flood"][1]:.2f} |')
    print(f'| valid keys (200) | {results["valid"][0]:,.0f} | {results["valid"][1]:.2f} |')
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
