"""Apache with mod_auth_openidc verifying Portico's JWT access tokens itself (deploy/apache-jwt.conf) against the same
Apache without any check, both in front of the same upstream (an nginx answering 200). DESIGN.md budget: at least
0.9 times (issue 26).

Makes a fresh SQLite database with a plan issuing OAuth clients and --clients clients, starts Portico, gets one
access token per client at /oauth/token (client_secret_basic), and loads both Apaches with wrk (32 connections,
tokens drawn at random, as Bearer). The checked Apache fetches the keys from /oauth/jwks once; the run fails if
any call was refused. tests/test_jwt_gateway.py shows that the checked Apache asks the portal nothing per call.

    .venv/bin/python bench/jwt_gateway.py [--clients 20] [--seconds 10] [--connections 32] [--rounds 3]
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gateway_load import print_table, tools_missing, warmed_wrk  # noqa: E402

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


def fill(data_dir: Path, clients: int) -> list[tuple[str, str]]:
    """A catalog world whose Free plan issues OAuth clients, and `clients` apps with one each: (client ID, secret)."""
    os.environ['PORTICO_DATA_DIR'] = str(data_dir)
    import config
    cfg = config.load()
    config.use(cfg)
    import listeners
    from db import bootstrap, migrations
    from db.connection import connect
    from db.models import OAuthClient
    from tests.utils import a_catalog_world, a_user, an_admin
    from workflows import access, catalog, oauth_clients
    listeners.install()
    connect(cfg.database_url, pool_size=4)
    migrations.migrate()
    bootstrap.run()
    world = a_catalog_world()
    admin = an_admin()
    free = world['Free']
    catalog.save_plan(free.id, free.name, 1_000_000_000, 1, 0, 'month', False, by=admin,
                      credential_kind=oauth_clients.OAUTH_CLIENT)
    found = []
    for number in range(clients):
        dev = a_user(f'dev{number}@bench.test')
        request = access.request_access(dev, world['Public'].id, free.id, [world['Weather'].id],
                                        new_app_name=f'Bench app {number}')
        client = OAuthClient.get(OAuthClient.access_request == request)
        found.append((client.client_id, oauth_clients.reveal_secret(client, dev)))
    return found


def token(url: str, client_id: str, secret: str) -> str:
    request = urllib.request.Request(url + '/oauth/token', data=b'grant_type=client_credentials', method='POST')
    request.add_header('Content-Type', 'application/x-www-form-urlencoded')
    request.add_header('Authorization', 'Basic ' + base64.b64encode(f'{client_id}:{secret}'.encode()).decode())
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
        if not body.startswith(b'{'):
            raise RuntimeError(f'{response.url}: {body[:300]!r}')
        return json.loads(body)['access_token']


def tokens_script(path: Path, tokens: list[str], target: str) -> Path:
    listed = ', '.join(f'"{value}"' for value in tokens)
    path.write_text(f'tokens = {{{listed}}}\nrequest = function()\n'
                    f'  return wrk.format("GET", "{target}", {{["Authorization"] = "Bearer " .. '
                    'tokens[math.random(#tokens)]})\nend\n')
    return path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument('--clients', type=int, default=20)
    parser.add_argument('--seconds', type=int, default=10)
    parser.add_argument('--connections', type=int, default=32)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--checked', action='append', default=[], metavar='OLD=NEW',
                        help='a change to the checked configuration, to try a variant')
    args = parser.parse_args()
    from tests.servers import APACHE, Apache, NGINX, Portal
    if tools_missing(nginx=True) or APACHE is None:
        if APACHE is None:
            print('bench: needs apache2 and mod_auth_openidc (apt-get install apache2 libapache2-mod-auth-openidc)',
                  file=sys.stderr)
        return 2
    from tests.utils import free_port
    with tempfile.TemporaryDirectory(prefix='portico-bench-') as folder:
        root = Path(folder)
        clients = fill(root / 'data', args.clients)
        portal_port, upstream_port, checked_port, plain_port = free_port(), free_port(), free_port(), free_port()
        portal_url = f'http://127.0.0.1:{portal_port}'
        (root / 'upstream').mkdir()
        (root / 'upstream.conf').write_text(UPSTREAM.replace('PORT', str(upstream_port)))
        upstream = subprocess.Popen([NGINX, '-p', str(root / 'upstream'), '-c', str(root / 'upstream.conf'),
                                     '-g', 'daemon off;'], stderr=subprocess.DEVNULL)
        portal = Portal(portal_port, root / 'portal.log', PORTICO_DATA_DIR=str(root / 'data'),
                        PORTICO_BASE_URL=portal_url)
        ports = {'127.0.0.1:8080': f'127.0.0.1:{portal_port}', '127.0.0.1:9000': f'127.0.0.1:{upstream_port}'}
        variant = dict(change.split('=', 1) for change in args.checked)
        checked = Apache('apache-jwt.conf', root / 'checked', {
            **variant, **ports, '127.0.0.1:8000': f'127.0.0.1:{checked_port}', '127.0.0.1:8443': f'127.0.0.1:{free_port()}'},
            checked_port)
        plain = Apache('apache-jwt.conf', root / 'plain', {**without_checks(), **ports,
                       '127.0.0.1:8000': f'127.0.0.1:{plain_port}', '127.0.0.1:8443': f'127.0.0.1:{free_port()}'},
                       plain_port)
        try:
            tokens = [token(portal_url, client_id, secret) for client_id, secret in clients]
            script = tokens_script(root / 'calls.lua', tokens, '/weather/items/1')
            for port, apache in ((plain_port, plain), (checked_port, checked)):
                answer = subprocess.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-H',
                                         f'Authorization: Bearer {tokens[0]}', f'http://127.0.0.1:{port}/weather/items/1'],
                                        capture_output=True, text=True).stdout
                if answer != '200':
                    raise RuntimeError(f'Apache on {port} answered {answer}: {apache.error_log()}')
            rows, ratios = {}, []
            for number in range(args.rounds):
                bare = warmed_wrk(f'http://127.0.0.1:{plain_port}', args.seconds, args.connections, script)
                verified = warmed_wrk(f'http://127.0.0.1:{checked_port}', args.seconds, args.connections, script)
                rows[f'round {number + 1}: without any check'] = bare
                rows[f'round {number + 1}: JWT verified by mod_auth_openidc'] = verified
                ratios.append(verified[0] / bare[0])
        finally:
            for server in (checked, plain, portal):
                server.stop()
            upstream.terminate()
            upstream.wait()
    print_table(f'{args.clients} clients, one token each, {args.connections} connections, {args.seconds} s each, '
                'wrk -t2', 'Apache (event MPM, 25 threads) in front of the same nginx upstream', rows)
    print(f'ratios: {", ".join(f"{ratio:.2f}" for ratio in ratios)}; median {statistics.median(ratios):.2f} '
          '(budget: at least 0.90)')
    return 0


def without_checks() -> dict[str, str]:
    """Replacements that make deploy/apache-jwt.conf the same Apache without any check: no oauth20, every
    `Require claim` granted (the aud ones dropped)."""
    text = (ROOT / 'deploy' / 'apache-jwt.conf').read_text()
    found = {'AuthType oauth20': 'AuthType None', 'OIDCOAuthAcceptTokenAs header': '', 'OIDCPassClaimsAs headers': ''}
    for line in text.splitlines():
        if 'Require claim aud:' in line:
            found[line + '\n'] = ''
        elif 'Require claim' in line:
            found[line] = line[:len(line) - len(line.lstrip())] + 'Require all granted'
    return found


if __name__ == '__main__':
    sys.exit(main())
