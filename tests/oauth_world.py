"""The world of the OAuth tests (issue 26): a plan issuing OAuth clients (Free, Weather and Maps), a developer's
app with its client, a portal process at its own base URL."""
from __future__ import annotations

from pathlib import Path

from db.models import OAuthClient, Plan
from tests.peers import SECRET
from tests.servers import Portal
from tests.utils import a_catalog_world, a_user, an_admin, free_port, set_settings
from workflows import access, catalog, oauth_clients


class OAuthWorld:
    def __init__(self, tmp_path: Path, portal: bool = True, **portal_env: str) -> None:
        self.world = world = a_catalog_world()
        self.admin = an_admin()
        free = world['Free']
        catalog.save_plan(free.id, free.name, free.rate_limit, free.rate_period, free.quota, free.quota_period,
                          free.requires_approval, by=self.admin, credential_kind=oauth_clients.OAUTH_CLIENT)
        assert Plan.get_by_id(free.id).credential_kind == 'oauth_client'
        self.dev = a_user('dev@consumer.test')
        self.request = access.request_access(self.dev, world['Public'].id, free.id,
                                             [world['Weather'].id, world['Maps'].id], new_app_name='Bot')
        self.client = OAuthClient.get(OAuthClient.access_request == self.request)
        self.client_id = self.client.client_id
        self.secret = oauth_clients.reveal_secret(self.client, self.dev)
        self.portal = None
        if portal:
            self.port = free_port()
            self.url = f'http://127.0.0.1:{self.port}'
            set_settings(base_url=self.url)
            self.portal = Portal(self.port, tmp_path / 'portal.log', PORTICO_GATEWAY_SECRET=SECRET,
                                 PORTICO_BASE_URL=self.url, **portal_env)
        self.token_url = (self.url if portal else '') + '/oauth/token'

    def stop(self) -> None:
        if self.portal is not None:
            self.portal.stop()
