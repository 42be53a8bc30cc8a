"""Introspection throughput with one instance, and with two behind nginx (deploy/nginx-lb.conf).

Needs PostgreSQL and Redis (the development machines have both) and Debian's nginx and wrk:

    PORTICO_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
    PORTICO_BENCH_REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/scale_out.py

Fills the database (schema dropped first!) with --keys keys, then loads /api/gateway/auth with wrk:
first one instance directly, then nginx balancing two. Both instances count rate limits in Redis.
On a 2-core machine the two instances, nginx and wrk share the same cores: the figures show the cost of
the extra hop as much as the gain; on separate machines the second instance adds its own cores.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gateway_load import (FORWARDED, arguments, keys_script, print_table, stored_keys, tools_missing,  # noqa: E402
                                warmed_wrk)


def main() -> int:
    args = arguments().parse_args()
    database_url = os.environ.get('PORTICO_BENCH_DATABASE_URL', '')
    redis_url = os.environ.get('PORTICO_BENCH_REDIS_URL', '')
    if not database_url.startswith('postgres') or not redis_url:
        print('bench: set PORTICO_BENCH_DATABASE_URL (PostgreSQL) and PORTICO_BENCH_REDIS_URL', file=sys.stderr)
        return 2
    if tools_missing(nginx=True):
        return 2
    os.environ['PORTICO_DATABASE_URL'] = database_url
    from tests.servers import Nginx, Portal
    from tests.utils import free_port, reset_postgres
    reset_postgres(database_url)
    with stored_keys(args.keys) as (root, sample):
        script = keys_script(root / 'auth.lua', sample, '/api/gateway/auth', FORWARDED)
        common = {'PORTICO_DATABASE_URL': database_url, 'NICEGUI_REDIS_URL': redis_url,
                  'PORTICO_SECRET_KEY': (root / 'data' / 'secret_key').read_text()}
        ports = [free_port(), free_port()]
        instances = [Portal(port, root / f'{name}.log', PORTICO_DATA_DIR=str(root / name),
                            PORTICO_INSTANCE_NAME=name, **common) for name, port in zip('ab', ports)]
        lb_port = free_port()
        balancer = Nginx('nginx-lb.conf', root / 'nginx', {
            '127.0.0.1:8081': f'127.0.0.1:{ports[0]}', '127.0.0.1:8082': f'127.0.0.1:{ports[1]}',
            '127.0.0.1:8080': f'127.0.0.1:{lb_port}'})
        try:
            one = warmed_wrk(instances[0].url, args.seconds, args.connections, script)
            two = warmed_wrk(f'http://127.0.0.1:{lb_port}', args.seconds, args.connections, script)
        finally:
            balancer.stop()
            for instance in instances:
                instance.stop()
    print_table(f'{args.keys:,} keys on PostgreSQL, rate limits in Redis, {args.connections} connections, '
                f'{args.seconds} s, wrk -t2', 'setup', {'one instance, direct': one, 'two instances behind nginx': two})
    print(f'ratio two / one: {two[0] / one[0]:.2f}')
    return 0

if __name__ == '__main__':
    sys.exit(main())
