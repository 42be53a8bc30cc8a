"""/metrics (issue 27): the counts move while keys are checked, people sign in and pages are built; the endpoint is
closed without its token; and a real Prometheus (Debian's) scrapes a portal process and sees the calls."""
from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from db.models import Credential
from gateway import limits
from tests.peers import call, eventually
from tests.servers import Portal, wait_for_port
from tests.test_gateway import ask
from tests.utils import PASSWORD, a_catalog_world, a_user, free_port
from workflows import access, accounts, credentials, usage
from mail import outbox

TOKEN = 'metrics-token-for-tests'
PROMETHEUS = shutil.which('prometheus')


@pytest.fixture
def metrics_token(monkeypatch):
    monkeypatch.setenv('PORTICO_METRICS_TOKEN', TOKEN)


def samples(text: str) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def scrape(user) -> dict[tuple, float]:
    response = await user.http_client.get('/metrics', headers={'Authorization': f'Bearer {TOKEN}'})
    assert response.status_code == 200 and response.headers['content-type'].startswith('text/plain')
    return samples(response.text)


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_the_counts_move_while_keys_are_checked_people_sign_in_and_pages_are_built(metrics_token, user) -> None:
    limits.reset()
    usage.reset()
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')
    key = credentials.reveal(Credential.get(Credential.access_request == request), dev)
    before = await scrape(user)
    for _ in range(7):  # Free: 5 a minute, then 429
        await ask(user, key, '/weather/forecast')
    await ask(user, 'ptc_' + 'x' * 43, '/weather/forecast')
    await ask(user, key, '/payments/charge')
    with pytest.raises(accounts.SignInError):
        accounts.authenticate('dev@consumer.test', 'not the password')
    accounts.authenticate('dev@consumer.test', PASSWORD)
    outbox.queue('test', 'someone@example.test', portal_name='Portico')
    await user.open('/catalogs')
    after = await scrape(user)

    def moved(name: str, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved('portico_gateway_decisions_total', result='allowed', product='weather') == 5
    assert moved('portico_gateway_decisions_total', result='rate_limited', product='weather') == 2
    assert moved('portico_gateway_rate_limit_refusals_total', product='weather') == 2
    assert moved('portico_gateway_decisions_total', result='unauthorised', product='-') == 1
    assert moved('portico_gateway_decisions_total', result='forbidden', product='-') == 1  # a path it does not cover
    assert moved('portico_gateway_decision_seconds_count') == 9
    assert moved('portico_gateway_key_cache_total', result='hit') >= 6  # the first look-up of the key was a miss
    assert moved('portico_gateway_key_cache_total', result='miss') >= 1
    assert moved('portico_sign_ins_total', result='refused') == 1
    assert moved('portico_sign_ins_total', result='succeeded') == 1
    assert value(after, 'portico_outbox_queue_length') >= 1
    assert moved('portico_page_build_seconds_count', page='/catalogs') == 1


async def test_metrics_need_their_token(metrics_token, user) -> None:
    assert (await user.http_client.get('/metrics')).status_code == 401
    wrong = await user.http_client.get('/metrics', headers={'Authorization': 'Bearer nope'})
    assert wrong.status_code == 401 and wrong.headers['www-authenticate'].startswith('Bearer')
    assert 'portico_gateway' not in wrong.text
    assert (await scrape(user))  # and with it, the counts


@pytest.mark.skipif(PROMETHEUS is None, reason="Debian's prometheus is not installed (apt-get install prometheus)")
def test_a_real_prometheus_scrapes_a_portal_and_sees_the_calls(db, tmp_path) -> None:
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')
    key = credentials.reveal(Credential.get(Credential.access_request == request), dev)
    portal = Portal(free_port(), tmp_path / 'portal.log', PORTICO_METRICS_TOKEN=TOKEN)
    port = free_port()
    (tmp_path / 'prometheus.yml').write_text(
        'global:\n  scrape_interval: 1s\n'
        'scrape_configs:\n  - job_name: portico\n    metrics_path: /metrics\n'
        f'    authorization:\n      credentials: {TOKEN}\n'
        f'    static_configs:\n      - targets: ["127.0.0.1:{portal.port}"]\n')
    prometheus = subprocess.Popen([PROMETHEUS, f'--config.file={tmp_path / "prometheus.yml"}',
                                   f'--storage.tsdb.path={tmp_path / "tsdb"}', f'--web.listen-address=127.0.0.1:{port}'],
                                  stdout=subprocess.DEVNULL, stderr=(tmp_path / 'prometheus.log').open('w'))
    try:
        wait_for_port(port, prometheus, timeout=30)
        for _ in range(3):
            assert call(f'{portal.url}/api/gateway/auth', key, headers={'X-Forwarded-Uri': '/weather/x'})[0] == 200

        def allowed() -> float:
            query = urllib.parse.urlencode({'query': 'sum(portico_gateway_decisions_total{result="allowed"})'})
            with urllib.request.urlopen(f'http://127.0.0.1:{port}/api/v1/query?{query}', timeout=5) as answer:
                result = json.load(answer)['data']['result']
            return float(result[0]['value'][1]) if result else 0.0

        assert eventually(lambda: allowed() == 3, seconds=20), allowed()
        with urllib.request.urlopen(f'http://127.0.0.1:{port}/api/v1/targets', timeout=5) as answer:
            target = json.load(answer)['data']['activeTargets'][0]
        assert target['health'] == 'up', target
    finally:
        prometheus.terminate()
        prometheus.wait(10)
        portal.stop()


def test_the_grafana_dashboard_asks_for_metrics_the_portal_has(db) -> None:
    """deploy/grafana-dashboard.json: every metric its queries name exists in the registry (no panel stays empty
    after a rename)."""
    import re
    from pathlib import Path

    from domain import metrics
    dashboard = json.loads((Path(__file__).resolve().parent.parent / 'deploy' / 'grafana-dashboard.json').read_text())
    asked = {name for panel in dashboard['panels'] for target in panel['targets']
             for name in re.findall(r'portico_[a-z_]+', target['expr'])}
    known = {sample for family in metrics.REGISTRY.collect() for sample in
             [family.name, f'{family.name}_total', f'{family.name}_bucket', f'{family.name}_count']}
    known |= {'portico_outbox_queue_length', 'portico_outbox_failed'}
    assert asked and asked <= known, asked - known
