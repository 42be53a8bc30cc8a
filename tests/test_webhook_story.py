"""Issue 16, "done when": the whole story with real parts. A developer asks for access to Payments (a plan
that needs approval); the portal process signs an "access request created" webhook to a real HTTP receiver,
which verifies it with the `standardwebhooks` library and, as a CRM would, approves the request through the
REST API with a personal API token; the developer's key then opens the API through nginx."""
from __future__ import annotations

import json
import threading
import urllib.request

import pytest
from standardwebhooks import Webhook

from db.models import AccessRequest, AccessStatus, AuditEvent, Credential, WebhookDelivery
from tests.peers import SECRET, call, eventually
from tests.servers import NGINX, Nginx, Portal, Receiver, Upstream
from tests.utils import a_catalog_world, a_user, an_admin, free_port
from workflows import access, api_tokens, credentials, webhook_endpoints

pytestmark = pytest.mark.skipif(NGINX is None, reason='nginx is not installed (apt-get install nginx-light)')


class Crm:
    """The system outside: verifies each webhook and approves access requests through the REST API."""

    def __init__(self, secret: str, token: str) -> None:
        self.secret, self.token, self.portal_url = secret, token, ''
        self.verified: list[dict] = []
        self.approvals: list[tuple[int, dict]] = []
        self.done = threading.Event()

    def on_post(self, headers: dict, body: bytes) -> None:
        event = Webhook(self.secret).verify(body, headers)  # raises on a forged or altered message
        self.verified.append(event)
        if event['type'] != 'access_request.created':
            return
        request_id = event['data']['access_request']['id']
        approve = urllib.request.Request(f'{self.portal_url}/api/v1/access-requests/{request_id}/approve',
                                         method='POST', headers={'Authorization': f'Bearer {self.token}'})
        with urllib.request.urlopen(approve, timeout=10) as response:
            self.approvals.append((response.status, json.loads(response.read())))
        self.done.set()


def test_a_crm_approves_an_access_request_it_heard_of_and_the_key_opens_the_api(db, tmp_path) -> None:
    world = a_catalog_world()
    admin = an_admin()
    developer = a_user('dev@consumer.test')
    _, token = api_tokens.create(admin, 'CRM integration', read_only=False)
    receiver_port = free_port()
    webhook_endpoints.update_settings(True, 72, by=admin)  # the receiver is on loopback in this test
    _, secret = webhook_endpoints.save_endpoint(None, f'http://127.0.0.1:{receiver_port}/hooks', ['access_request.created'],
                                       True, by=admin)
    crm = Crm(secret, token)
    receiver = Receiver(receiver_port, on_post=crm.on_post)
    portal_port, upstream_port, gateway_port = free_port(), free_port(), free_port()
    portal = Portal(portal_port, tmp_path / 'portal.log', PORTICO_GATEWAY_SECRET=SECRET,
                    PORTICO_KEY_CHANGES_POLL_SECONDS='0.2')
    crm.portal_url = portal.url
    upstream = Upstream(upstream_port)
    nginx = Nginx('nginx-gateway.conf', tmp_path / 'nginx', {
        '127.0.0.1:8080': f'127.0.0.1:{portal_port}', '127.0.0.1:9000': f'127.0.0.1:{upstream_port}',
        '127.0.0.1:8000': f'127.0.0.1:{gateway_port}', 'change-me-to-PORTICO_GATEWAY_SECRET': SECRET})
    try:
        request = access.request_access(developer, world['Partners'].id, world['Gold'].id, [world['Payments'].id],
                                        new_app_name='Checkout')
        assert AccessRequest.get_by_id(request.id).status == AccessStatus.PENDING
        assert crm.done.wait(30), f'no webhook reached the receiver; portal log: {portal.log.name}'

        [event] = crm.verified
        assert event['data']['access_request']['id'] == request.id
        assert event['data']['access_request']['products'] == [{'id': world['Payments'].id, 'name': 'Payments'}]
        [(status, answer)] = crm.approvals
        assert status == 200 and answer['status'] == 'approved'
        assert AccessRequest.get_by_id(request.id).status == AccessStatus.APPROVED
        approval = AuditEvent.get(AuditEvent.action == 'access.approve')
        assert approval.actor_id == admin.id and approval.detail['api_token'].startswith('CRM integration')
        assert eventually(lambda: WebhookDelivery.get().status == 'delivered', 5)

        key = credentials.reveal(Credential.get(Credential.access_request == request.id), developer)
        gateway = f'http://127.0.0.1:{gateway_port}'
        status, _, body = call(gateway + '/payments/charge', key)
        assert status == 200, body
        assert json.loads(body)['app'] == 'Checkout' and upstream.calls[-1]['path'] == '/payments/charge'
        assert call(gateway + '/payments/charge', 'ptc_' + 'A' * 43)[0] == 401  # and nobody else's
    finally:
        nginx.stop()
        upstream.stop()
        portal.stop()
        receiver.stop()
