"""The admin REST API for identity providers (issue 24): the same rules as Admin -> Sign-in, the client secret
write-only, a mapping of groups to teams only of the provider's own organisation, If-Match on every change."""
from __future__ import annotations

import httpx
import pytest

from db.models import AuditEvent, IdentityProvider, Team
from tests.identity_provider import CLIENT_ID, CLIENT_SECRET, MISSING, OpenIdProvider
from tests.utils import an_admin, an_org_with
from workflows import api_tokens, sso

pytestmark = pytest.mark.skipif(bool(MISSING), reason=MISSING or 'ok')


@pytest.fixture
def op(db):
    provider = OpenIdProvider({}, ['http://portal.test/auth/sso/callback'])
    yield provider
    provider.stop()


async def test_an_admin_adds_changes_and_deletes_a_provider_through_the_api(op, user) -> None:
    admin = an_admin()
    partner = an_org_with('Partner', super_admin='boss@partner.example')
    backend = Team.create(organisation=partner, name='Backend')
    foreign = Team.create(organisation=an_org_with('Other', super_admin='boss@other.example'), name='Secret')
    _, token = api_tokens.create(admin, 'setup', read_only=False)
    async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test/api/v1',
                                 headers={'Authorization': f'Bearer {token}'}) as api:
        body = {'name': 'Partner SSO', 'issuer': op.issuer, 'client_id': CLIENT_ID, 'client_secret': CLIENT_SECRET,
                'organisation_id': partner.id, 'email_domains': ['partner.example'],
                'team_groups': [{'group': 'Secret', 'team_id': foreign.id}]}
        refused = await api.post('/identity-providers', json=body)
        assert refused.status_code == 422 and refused.json()['field'] == 'team_groups'
        assert not IdentityProvider.select().exists()

        body['team_groups'] = [{'group': 'Backend', 'team_id': backend.id}]
        made = await api.post('/identity-providers', json=body)
        assert made.status_code == 201, made.text
        shown = made.json()
        assert 'client_secret' not in made.text and CLIENT_SECRET not in made.text
        assert shown['team_groups'] == [{'group': 'Backend', 'team_id': backend.id}]
        assert shown['backchannel_logout_uri'] == f'http://portal.test/auth/sso/backchannel-logout?provider={shown["id"]}'
        assert made.headers['location'] == f'/api/v1/identity-providers/{shown["id"]}'

        read = await api.get(f'/identity-providers/{shown["id"]}')
        without = await api.patch(f'/identity-providers/{shown["id"]}', json={'required': True})
        assert without.status_code == 428
        changed = await api.patch(f'/identity-providers/{shown["id"]}', json={'required': True,
                                                                            'super_admin_group': 'partner-admins'},
                                  headers={'If-Match': read.headers['etag']})
        assert changed.status_code == 200, changed.text
        assert changed.json()['required'] and changed.json()['team_groups'] == shown['team_groups']
        stale = await api.patch(f'/identity-providers/{shown["id"]}', json={'required': False},
                                headers={'If-Match': read.headers['etag']})
        assert stale.status_code == 412
        provider = IdentityProvider.get_by_id(shown['id'])
        assert provider.required and sso.SEAL.open(provider.client_secret_sealed) == CLIENT_SECRET  # kept
        wrong = await api.patch(f'/identity-providers/{shown["id"]}', json={'issuer': op.issuer + '/nope'},
                                headers={'If-Match': '*'})
        assert wrong.status_code == 422 and wrong.json()['field'] == 'issuer'
        listed = await api.get('/identity-providers', params={'organisation_id': partner.id})
        assert [item['name'] for item in listed.json()['items']] == ['Partner SSO']
        assert (await api.delete(f'/identity-providers/{shown["id"]}')).status_code == 204
        assert (await api.get(f'/identity-providers/{shown["id"]}')).status_code == 404
    assert [event.action for event in AuditEvent.select().where(AuditEvent.action.startswith('identity_provider.'))
            .order_by(AuditEvent.id)] == ['identity_provider.create', 'identity_provider.update',
                                          'identity_provider.delete']
    assert all(event.detail.get('api_token') for event in
               AuditEvent.select().where(AuditEvent.action.startswith('identity_provider.')))
