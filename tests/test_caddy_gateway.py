"""Debian's caddy with deploy/Caddyfile (forward_auth as it comes) in front of a tiny upstream, asking a real
Portico process with the default PORTICO_GATEWAY_PATH_HEADER."""
from __future__ import annotations

import pytest

from tests.peers import SECRET, World, call, calls_and_refusals, deprecated_version_headers_then_gone, \
    retired_keys_and_limits
from tests.servers import CADDY, Caddy

pytestmark = pytest.mark.skipif(CADDY is None, reason='caddy is not installed (apt-get install caddy)')


@pytest.fixture
def gateway(db, tmp_path):
    world = World(tmp_path)
    caddy = Caddy('Caddyfile', tmp_path / 'caddy', world.addresses(), world.gateway_port, PORTICO_GATEWAY_SECRET=SECRET)
    yield f'http://127.0.0.1:{world.gateway_port}', world
    caddy.stop()
    world.stop()


def test_keys_reach_the_upstream_and_refusals_hold_through_caddy(gateway) -> None:
    calls_and_refusals(*gateway)


def test_retired_keys_and_the_rate_limit_through_caddy(gateway) -> None:
    retired_keys_and_limits(*gateway)


def test_caddy_forward_auth_as_it_comes_lets_no_client_choose_the_checked_path(db, tmp_path) -> None:
    """The spoofing attack of the issue: forward_auth without any header of ours passes the client's
    X-Original-URI on; Portico reads X-Forwarded-Uri, which Caddy always sets itself."""
    world = World(tmp_path)
    as_it_comes = {line: '' for line in ('header_up X-Original-URI {uri}', 'header_up X-Original-Method {method}')}
    caddy = Caddy('Caddyfile', tmp_path / 'caddy', {**as_it_comes, **world.addresses()}, world.gateway_port,
                  PORTICO_GATEWAY_SECRET=SECRET)
    try:
        url, key = f'http://127.0.0.1:{world.gateway_port}', world.keys['weather']
        assert 'X-Original-URI' not in caddy.config.read_text()
        assert call(url + '/payments/charge', key, headers={'X-Original-URI': '/weather/v1/x'})[0] == 403
        assert call(url + '/weather/v1/x', key, headers={'X-Original-URI': '/payments/charge'})[0] == 200
        assert [seen['path'] for seen in world.upstream.calls] == ['/weather/v1/x']
    finally:
        caddy.stop()
        world.stop()


def test_a_deprecated_version_carries_its_headers_then_answers_410_through_caddy(gateway) -> None:
    deprecated_version_headers_then_gone(*gateway)  # issue 26, item 5
