"""The admin REST API checked against its own description (issue 16, point 4): schemathesis reads the live
/api/v1/openapi.json of a real portal process and exercises every operation, with valid and invalid input,
and checks every answer: no server error, every status, header, content type and body as documented."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import Portal
from tests.utils import a_catalog_world, a_user, an_admin, an_org_with, free_port
from workflows import access, api_tokens

pytest.importorskip('schemathesis')
ST = Path(sys.executable).parent / 'st'
EXAMPLES = 15  # per operation and phase; more finds more, at about a second per operation
# Schema-valid data that a rule refuses with 422 although JSON Schema cannot say it (schemathesis's documented way,
# `st explain ST202`: the operation's own expected statuses); every other operation's 422 is a finding
REFUSED_BY_WHAT_JSON_SCHEMA_CANNOT_SAY = (
    'POST /invite-codes', 'PATCH /invite-codes/{code_id}',  # an expiry in the past: "today or later"
    'POST /apis/{api_id}/deprecate',  # a sunset in the future, and at most five years away
    'POST /users',  # a password strong enough (zxcvbn); a password or an invite, not both
    'POST /identity-providers', 'PATCH /identity-providers/{provider_id}',  # the issuer's discovery document
    'POST /apis', 'POST /apis/{api_id}/versions',  # a string that must hold an OpenAPI document
    'POST /products',  # api_ids must name APIs that exist and are published
)
BEYOND_JSON_SCHEMA = ('[[operations]]\ninclude-name = "{}"\n'
                      'checks.positive_data_acceptance.expected-statuses = '
                      '["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429"]\n')


def a_world_to_explore() -> str:
    """Something of every kind for the generated requests to find, and a read-write token."""
    admin = an_admin()
    world = a_catalog_world()
    an_org_with('Acme', members=2)
    developer = a_user('dev@consumer.test')
    request = access.request_access(developer, world['Partners'].id, world['Gold'].id, [world['Payments'].id],
                                    new_app_name='Shop')
    access.approve(request, by=admin)
    access.request_access(developer, world['Partners'].id, world['Gold'].id, [world['Payments'].id],
                          app_id=request.app_id)
    return api_tokens.create(admin, 'schemathesis', read_only=False)[1]


def test_every_operation_conforms_to_the_description(db, tmp_path) -> None:
    token = a_world_to_explore()
    # the fuzzer sends wrong and missing tokens on purpose, thousands of them, from the address of the good one:
    # wrong tokens are throttled, the good one always works (issue 27), so nothing is forgiven behind its back
    portal = Portal(free_port(), tmp_path / 'portal.log')
    config = tmp_path / 'schemathesis.toml'
    # a PATCH/PUT without its required If-Match is refused with 428 Precondition Required (RFC 6585), as the
    # description documents; the check for a missing required header knows only the generic refusals
    config.write_text('[checks.missing_required_header]\n'
                      'expected-statuses = ["400", "401", "403", "406", "415", "422", "428"]\n'
                      # valid data is accepted, or refused by the state of things (409: a name taken, the last super
                      # admin) or by an item changed since it was read (412: the If-Match of a made-up ETag)
                      '[checks.positive_data_acceptance]\n'
                      'expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "429"]\n'
                      # a made-up ETag is refused before the content is processed (RFC 9110, 13.2.2), whatever it holds
                      '[checks.negative_data_rejection]\n'
                      'expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", '
                      '"429"]\n'
                      + ''.join(BEYOND_JSON_SCHEMA.format(operation) for operation in REFUSED_BY_WHAT_JSON_SCHEMA_CANNOT_SAY))
    try:
        result = subprocess.run(
            [str(ST), '--config-file', str(config), 'run', f'{portal.url}/api/v1/openapi.json', '--header', f'Authorization: Bearer {token}',
             '--checks', 'all',
             '--max-examples', str(EXAMPLES), '--workers', '1', '--seed', '16', '--no-color',
             '--report', 'junit', '--report-dir', str(tmp_path / 'report')],
            capture_output=True, text=True, timeout=900, cwd=tmp_path)
    finally:
        portal.stop()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert 'Rate limited' not in output, output[-3000:]  # wrong tokens never lock out the valid one (issue 27)
    selected = re.search(r'Selected: (\d+)/(\d+)', output)
    tested = re.search(r'Tested: (\d+)', output)
    assert selected and tested and int(tested.group(1)) == int(selected.group(2)) >= 60, output[-3000:]
    log = (tmp_path / 'portal.log').read_text()
    assert 'Traceback' not in log, log[-4000:]
