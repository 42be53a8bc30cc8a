"""A real RFC 7662 client: Apache httpd with Debian's mod_auth_openidc (deploy/apache-introspection.conf) as an
OAuth 2.0 resource server in front of a tiny upstream, introspecting keys at a real Portico process."""
from __future__ import annotations

import pytest

from db.models import Credential, UsageDaily
from gateway import usage
from tests.peers import SECRET, World, call, eventually
from tests.servers import APACHE, Apache
from tests.utils import free_port
from workflows import credentials

pytestmark = pytest.mark.skipif(APACHE is None, reason='apache2 is not installed '
                                '(apt-get install apache2 libapache2-mod-auth-openidc)')


@pytest.fixture
def gateway(db, tmp_path):
    world = World(tmp_path)
    tls_port = free_port()
    apache = Apache('apache-introspection.conf', tmp_path / 'apache', {
        **world.addresses(), '127.0.0.1:8443': f'127.0.0.1:{tls_port}', 'change-me-to-PORTICO_GATEWAY_SECRET': SECRET},
        world.gateway_port)
    yield f'http://127.0.0.1:{world.gateway_port}', world, apache
    apache.stop()
    world.stop()


def test_keys_reach_the_upstream_through_an_rfc_7662_gateway(gateway) -> None:
    url, world, apache = gateway
    keys, upstream = world.keys, world.upstream
    status, _, body = call(url + '/weather/forecast?days=2', keys['weather'], bearer=True,
                           headers={'X-Portico-Plan': 'Platinum'})
    assert status == 200, (body, apache.error_log())
    [seen] = upstream.calls
    assert seen['path'] == '/weather/forecast?days=2' and seen['plan'] == 'Free'
    assert seen['headers']['x-portico-username'] == 'Bot' and 'authorization' not in seen['headers']
    assert call(url + '/payments/charge', keys['payments'], bearer=True)[0] == 200

    assert call(url + '/weather/x')[0] == 401
    assert call(url + '/weather/x', 'ptc_' + 'A' * 43, bearer=True)[0] == 401
    assert call(url + '/payments/charge', keys['weather'], bearer=True)[0] == 403
    assert len(upstream.calls) == 2
    assert 'exp' not in apache.error_log()  # no complaint about the answer's members
    # the path Apache checks is its own request's: a header naming another one changes nothing
    assert call(url + '/payments/charge', keys['weather'], bearer=True,
                headers={'X-Original-URI': '/weather/x', 'X-Forwarded-Uri': '/weather/x'})[0] == 403


def test_introspected_calls_count_and_retired_keys_stop(gateway) -> None:
    """Each introspection counts as a call (My apps shows them); with the module's introspection interval 0
    a rotated-out or revoked key is refused as soon as the portal has read the change feed."""
    url, world, _ = gateway
    key = world.keys['payments']
    assert [call(url + '/payments/x', key, bearer=True)[0] for _ in range(3)] == [200] * 3
    payments = Credential.get(Credential.access_request != world.weather.id)
    assert eventually(lambda: UsageDaily.select().where(UsageDaily.credential == payments.id).exists(), 5)
    assert UsageDaily.get(UsageDaily.credential == payments.id).calls == 3
    assert usage.today() == UsageDaily.get(UsageDaily.credential == payments.id).day

    credentials.rotate(payments, by=world.dev)
    assert eventually(lambda: call(url + '/payments/x', key, bearer=True)[0] == 401)
    rotated = credentials.reveal(Credential.get_by_id(payments.id), world.dev)
    assert call(url + '/payments/x', rotated, bearer=True)[0] == 200
    credentials.revoke(Credential.get_by_id(payments.id), by=world.dev)
    assert eventually(lambda: call(url + '/payments/x', rotated, bearer=True)[0] == 401)
