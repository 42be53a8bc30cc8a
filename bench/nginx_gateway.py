"""nginx with auth_request to Portico (deploy/nginx-gateway.conf) against the same nginx proxying to the same
upstream without auth (DESIGN.md budget: at least 0.3 times).

Fills a fresh SQLite database with --keys keys, starts Portico (with a gateway secret, sent by the
configuration), an upstream (a second nginx answering 200), the gateway configuration as shipped, and the
same configuration with `auth_request off`; loads both with wrk, 32 connections, keys drawn at random
from 2,000 stored ones.

    .venv/bin/python bench/nginx_gateway.py [--keys 100000] [--seconds 10] [--connections 32]
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gateway_load import (arguments, keys_script, print_table, stored_keys, tools_missing, warm_up,  # noqa: E402
                                warmed_wrk)

UPSTREAM = '''worker_processes 1;
pid upstream.pid;
error_log error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    server {
        listen 127.0.0.1:PORT;
        location / { return 200 'ok'; }
    }
}
'''


def main() -> int:
    args = arguments().parse_args()
    if tools_missing(nginx=True):
        return 2
    from tests.servers import NGINX, Nginx, Portal
    from tests.utils import free_port
    secret = 'bench-gateway-secret'
    with stored_keys(args.keys) as (root, sample):
        script = keys_script(root / 'calls.lua', sample, '/bench/items/1')
        portal_port, upstream_port, with_auth, without_auth = free_port(), free_port(), free_port(), free_port()
        (root / 'upstream').mkdir()
        (root / 'upstream.conf').write_text(UPSTREAM.replace('PORT', str(upstream_port)))
        upstream = subprocess.Popen([NGINX, '-p', str(root / 'upstream'), '-c', str(root / 'upstream.conf'),
                                     '-g', 'daemon off;'], stderr=subprocess.DEVNULL)
        portal = Portal(portal_port, root / 'portal.log', PORTICO_DATA_DIR=str(root / 'data'),
                        PORTICO_GATEWAY_SECRET=secret)
        ports = {'127.0.0.1:8080': f'127.0.0.1:{portal_port}', '127.0.0.1:9000': f'127.0.0.1:{upstream_port}',
                 'change-me-to-PORTICO_GATEWAY_SECRET': secret}
        gateway = Nginx('nginx-gateway.conf', root / 'with', {**ports, '127.0.0.1:8000': f'127.0.0.1:{with_auth}'})
        plain = Nginx('nginx-gateway.conf', root / 'without', {
            **ports, '127.0.0.1:8000': f'127.0.0.1:{without_auth}', 'auth_request /_portico_auth;': 'auth_request off;'})
        try:
            warm_up(portal.url, sample, **{'X-Portico-Gateway-Secret': secret})
            bare = warmed_wrk(f'http://127.0.0.1:{without_auth}', args.seconds, args.connections, script)
            checked = warmed_wrk(f'http://127.0.0.1:{with_auth}', args.seconds, args.connections, script)
        finally:
            for server in (gateway, plain, portal):
                server.stop()
            upstream.terminate()
            upstream.wait()
    print_table(f'{args.keys:,} keys stored (SQLite), {args.connections} connections, {args.seconds} s each, wrk -t2',
                'nginx in front of the same upstream', {'without auth': bare, 'auth_request to Portico': checked})
    print(f'ratio with / without auth: {checked[0] / bare[0]:.2f} (budget: at least 0.30)')
    return 0

if __name__ == '__main__':
    sys.exit(main())
