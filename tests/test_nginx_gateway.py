"""A real nginx with deploy/nginx-gateway.conf in front of a tiny upstream, asking a real Portico process."""
from __future__ import annotations

import pytest

from tests.peers import SECRET, World, calls_and_refusals, decision_endpoints_answer_gateways_only, \
    deprecated_version_headers_then_gone, \
    retired_keys_and_limits
from tests.servers import NGINX, Nginx

pytestmark = pytest.mark.skipif(NGINX is None, reason='nginx is not installed (apt-get install nginx-light)')


@pytest.fixture
def gateway(db, tmp_path):
    world = World(tmp_path)
    nginx = Nginx('nginx-gateway.conf', tmp_path / 'nginx',
                  {**world.addresses(), 'change-me-to-PORTICO_GATEWAY_SECRET': SECRET})
    yield f'http://127.0.0.1:{world.gateway_port}', world
    nginx.stop()
    world.stop()


def test_keys_reach_the_upstream_and_refusals_hold_through_nginx(gateway) -> None:
    url, world = gateway
    calls_and_refusals(url, world)
    decision_endpoints_answer_gateways_only(world.portal.url, world)


def test_retired_keys_and_the_rate_limit_through_nginx(gateway) -> None:
    retired_keys_and_limits(*gateway)


def test_a_deprecated_version_carries_its_headers_then_answers_410_through_nginx(gateway) -> None:
    deprecated_version_headers_then_gone(*gateway)  # issue 26, item 5
