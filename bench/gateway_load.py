"""What the gateway benchmarks share (introspection, flood, nginx_gateway, scale_out): a fresh database with many
keys, wrk scripts that draw those keys at random, wrk runs read into requests per second and p99, a results table.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FORWARDED = {'X-Forwarded-Uri': '/bench/items/1'}  # what a gateway sends beside the key: the call it asks about


def arguments(*, connections: bool = True) -> argparse.ArgumentParser:
    """--keys and --seconds (and --connections) as every gateway benchmark takes them; a script adds its own."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--keys', type=int, default=100_000)
    parser.add_argument('--seconds', type=int, default=10)
    if connections:
        parser.add_argument('--connections', type=int, default=32)
    return parser


def tools_missing(*, nginx: bool = False) -> bool:
    """True, said on stderr, when wrk (and nginx) are not installed."""
    from tests.servers import NGINX
    if shutil.which('wrk') is None or nginx and NGINX is None:
        print('bench: needs wrk and nginx (apt-get install wrk nginx-light)' if nginx else
              'bench: wrk is not installed (apt-get install wrk)', file=sys.stderr)
        return True
    return False


@contextmanager
def stored_keys(count: int) -> Iterator[tuple[Path, list[str]]]:
    """A temporary folder whose data/ holds a fresh SQLite database with `count` keys (see fill); yields the folder
    and a sample of the plain keys, and removes the folder afterwards."""
    with tempfile.TemporaryDirectory(prefix='portico-bench-') as folder:
        root = Path(folder)
        yield root, fill(root / 'data', count)


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
    from domain.at_rest import digest
    from workflows.credentials import PREFIX, SEAL
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
                             'key_hash': digest(key), 'key_encrypted': SEAL.close(key)})
            Credential.insert_many(rows).execute()
    print(f'filled {count:,} keys in {time.monotonic() - started:.0f} s', flush=True)
    database.close()
    return sample


def keys_script(path: Path, keys: list[str], target: str, headers: dict[str, str] | None = None) -> Path:
    """A wrk script (Lua) that GETs `target` with one of `keys`, drawn at random, in X-API-Key, and `headers`:
    the runs compared all build their requests so, and wrk's own cost is the same on each side."""
    listed = ', '.join(f'"{key}"' for key in keys)
    more = ''.join(f', ["{name}"] = "{value}"' for name, value in (headers or {}).items())
    path.write_text(f'keys = {{{listed}}}\nrequest = function()\n'
                    f'  return wrk.format("GET", "{target}", {{["X-API-Key"] = keys[math.random(#keys)]{more}}})\n'
                    'end\n')
    return path


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


def warmed_wrk(url: str, seconds: int, connections: int, script: Path) -> tuple[float, float]:
    """wrk after 2 unmeasured seconds of the same load (connections opened, caches and pools filled)."""
    wrk(url, 2, connections, script)
    return wrk(url, seconds, connections, script)


def warm_up(url: str, sample: list[str], path: str = '/api/gateway/auth', **headers: str) -> None:
    """Ask for every key once, so that the measured run answers from the cache."""
    import http.client
    from urllib.parse import urlparse
    target = urlparse(url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    for key in sample:
        connection.request('GET', path, headers={'X-API-Key': key, **FORWARDED, **headers})
        connection.getresponse().read()
    connection.close()


def print_table(heading: str, first_column: str, rows: dict[str, tuple[float, float]]) -> None:
    """`heading`, then a Markdown table of requests/s and p99 (ms), one row per label."""
    print(f'\n{heading}')
    print(f'| {first_column} | requests/s | p99 (ms) |\n| --- | --- | --- |')
    for label, (rps, p99) in rows.items():
        print(f'| {label} | {rps:,.0f} | {p99:.2f} |')
