"""Admin -> Webhooks in a real browser: a loopback URL is refused until the setting allows it, an endpoint
is added (its secret shown), an access request reaches a real receiver signed with that secret, and the
delivery log shows it and redelivers it."""
from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from db.models import WebhookDelivery, WebhookEndpoint
from tests.servers import Receiver
from tests.utils import a_catalog_world, a_user, free_port
from workflows import access

pytestmark = pytest.mark.browser


def add_endpoint(b, url: str, event: str) -> None:
    """Add endpoint, with its URL and one event, and Save."""
    b.click('Add endpoint')
    b.fill('URL', url)
    b.choose('Events', event)
    b.click('Save', within=b.open_dialog())


def test_admin_sets_up_a_webhook_and_redelivers(screen, browser) -> None:
    b = browser
    receiver = Receiver(free_port())
    try:
        screen.open('/login')
        world = a_catalog_world()
        b.admin_opens('/admin/webhooks')
        b.sees('No endpoints yet.')
        add_endpoint(b, receiver.url, 'An access request was made')
        assert 'loopback, link-local or private' in b.field_error('URL')
        assert WebhookEndpoint.select().count() == 0
        b.click('Cancel', within=b.open_dialog())
        b.dialog_closed()

        b.tick('Allow loopback, link-local and private addresses')
        b.click('Save settings')
        b.notified('Webhook settings saved.')
        add_endpoint(b, receiver.url, 'An access request was made')
        b.sees('The new signing secret')
        secret = b.value('Secret')
        assert secret.startswith('whsec_')
        b.click('Done')
        b.dialog_closed()
        b.sees('access_request.created')

        developer = a_user('dev@consumer.test')
        access.request_access(developer, world['Partners'].id, world['Gold'].id, [world['Payments'].id],
                              new_app_name='Shop')
        b.until(lambda: receiver.received, 'the receiver got nothing', timeout=15)
        headers, body = receiver.received[0]
        assert Webhook(secret).verify(body, headers)['type'] == 'access_request.created'
        b.sees('delivered', within=b.row('access_request.created'))
        b.click(f'Redeliver {headers["webhook-id"]}')
        b.notified('The delivery is queued again.')
        b.until(lambda: len(receiver.received) == 2, 'the redelivery did not arrive', timeout=15)
        assert receiver.received[1][0]['webhook-id'] == headers['webhook-id']
        b.until(lambda: WebhookDelivery.get().attempts == 1 and WebhookDelivery.get().status == 'delivered',
                'the redelivery was not logged', timeout=10)
    finally:
        receiver.stop()
