"""The admin REST API for OAuth clients (issue 26, item 6): a plan's credential kind, the clients' metadata (never
their secrets) and revoking them, audited as the page's actions are."""
from __future__ import annotations

import httpx

from db.models import AuditEvent, OAuthClient, Plan
from tests.utils import a_catalog_world, a_user, an_admin
from workflows import access, api_tokens


async def test_plans_issue_oauth_clients_and_clients_are_listed_and_revoked(user) -> None:
    admin = an_admin()
    writer = api_tokens.create(admin, 'CRM', read_only=False)[1]
    world = a_catalog_world()
    async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test/api/v1',
                                 headers={'Authorization': f'Bearer {writer}'}) as api:
        read = await api.get(f'/plans/{world["Free"].id}')
        assert read.json()['credential_kind'] == 'api_key'
        changed = await api.patch(f'/plans/{world["Free"].id}', json={'credential_kind': 'oauth_client'},
                                  headers={'If-Match': read.headers['etag']})
        assert changed.status_code == 200 and changed.json()['credential_kind'] == 'oauth_client'
        wrong = await api.post('/plans', json={'name': 'Odd', 'credential_kind': 'password'})
        assert wrong.status_code == 422 and not Plan.select().where(Plan.name == 'Odd').exists()
        assert Plan.get_by_id(world['Free'].id).credential_kind == 'oauth_client'

        dev = a_user('dev@consumer.test')
        request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                        new_app_name='Bot')
        client = OAuthClient.get(OAuthClient.access_request == request)
        listed = (await api.get('/oauth-clients')).json()
        [item] = listed['items'] if 'items' in listed else listed['data']
        assert item['client_id'] == client.client_id and item['status'] == 'active'
        assert 'secret' not in str(listed).replace('secret_prefix', '') and client.secret_hash not in str(listed)
        assert (await api.get('/oauth-clients/999999')).status_code == 404
        revoked = await api.post(f'/oauth-clients/{client.id}/revoke')
        assert revoked.status_code == 200 and revoked.json()['status'] == 'revoked'
        assert (await api.post(f'/oauth-clients/{client.id}/revoke')).status_code in (409, 422)
    assert OAuthClient.get_by_id(client.id).status == 'revoked'
    event = AuditEvent.select().where(AuditEvent.action == 'oauth_client.revoke').get()
    assert event.actor_id == admin.id and event.detail['api_token']
