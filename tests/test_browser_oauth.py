"""OAuth clients in a real browser (issue 26, item 4): an admin makes a plan issue OAuth clients in Admin -> Plans;
a developer on it sees the client in My apps, copies the client ID and shows the secret, registers a public key
for private_key_jwt (a private one is refused next to the field); the test gets a token with Authlib with what
the page showed and calls through Apache with mod_auth_openidc (deploy/apache-jwt.conf)."""
from __future__ import annotations

import json

import pytest
from authlib.integrations.requests_client import OAuth2Session
from joserfc.jwk import RSAKey
from nicegui.testing.screen import Screen
from selenium.webdriver.common.by import By

from db.models import OAuthClient, Plan
from tests.peers import call
from tests.servers import APACHE, Apache, Upstream
from tests.utils import a_catalog_world, a_user, free_port
from workflows import access, oauth_clients

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(APACHE is None, reason='apache2 is not installed '
                                 '(apt-get install apache2 libapache2-mod-auth-openidc)')]


def test_a_developer_on_an_oauth_plan_gets_a_token_for_the_client_my_apps_shows(screen, browser, tmp_path) -> None:
    b = browser
    screen.open('/login')
    world = a_catalog_world()
    b.admin_opens('/admin/plans')
    b.sees('API keys', within=b.row('Free'))
    b.click('Edit', within=b.row('Free'))
    dialog = b.open_dialog()
    b.choose('Access gives', 'OAuth clients (client credentials)', within=dialog)
    b.click('Save', within=dialog)
    b.notified('Plan Free saved.')
    b.sees('OAuth clients', within=b.row('Free'))
    assert Plan.get_by_id(world['Free'].id).credential_kind == 'oauth_client'

    dev = a_user('dev@consumer.test')
    request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')
    client = OAuthClient.get(OAuthClient.access_request == request)
    screen.open('/logout')
    b.opens_as('dev@consumer.test', f'/apps/{request.app_id}')
    b.sees('Get an access token (client credentials grant')
    b.sees(client.client_id)
    id_row = screen.selenium.find_element(
        By.XPATH, "//div[contains(@class, 'nicegui-row')][./*[normalize-space(text())='Client ID']]")
    b.click('Copy', within=id_row)
    b.notified('Client ID copied.')
    b.sees(f'{client.secret_prefix}••••')
    b.click('Show / hide')
    secret = oauth_clients.reveal_secret(client, dev)
    b.sees(secret)
    b.sees(oauth_clients.token_endpoint())
    client_id = screen.find(client.client_id).text  # what the developer copies from the page
    shown_secret = screen.find(secret).text

    # private_key_jwt: a private key is refused next to the field; the public one is kept
    screen.click('Sign in with a private key (private_key_jwt)')
    b.sees('Paste the public key of your client as a JWK')
    mine = RSAKey.generate_key(2048, parameters={'kid': 'laptop'}, private=True)
    b.paste('Public JWK', json.dumps(mine.as_dict(private=True)))
    b.click('Save public key')
    assert 'paste the public key only' in b.field_error('Public JWK')
    assert OAuthClient.get_by_id(client.id).jwks is None
    b.paste('Public JWK', json.dumps(mine.as_dict(private=False)))
    b.click('Save public key')
    b.notified('The public key was saved.')
    assert OAuthClient.get_by_id(client.id).jwks['keys'][0]['kid'] == 'laptop'

    upstream_port, gateway_port, tls_port = free_port(), free_port(), free_port()
    upstream = Upstream(upstream_port)
    portal = f'127.0.0.1:{Screen.PORT}'
    apache = Apache('apache-jwt.conf', tmp_path / 'apache', {
        'aud:http://127.0.0.1:8080': 'aud:' + oauth_clients.audience(), '127.0.0.1:8080': portal,
        '127.0.0.1:9000': f'127.0.0.1:{upstream_port}', '127.0.0.1:8000': f'127.0.0.1:{gateway_port}',
        '127.0.0.1:8443': f'127.0.0.1:{tls_port}'}, gateway_port)
    try:
        session = OAuth2Session(client_id, shown_secret, token_endpoint_auth_method='client_secret_basic')
        token = session.fetch_token(f'http://{portal}/oauth/token', grant_type='client_credentials')
        assert token['scope'] == 'weather'
        status, _, body = call(f'http://127.0.0.1:{gateway_port}/weather/forecast', token['access_token'],
                               bearer=True)
        assert status == 200, (body, apache.error_log())
        assert upstream.calls[0]['app'] == 'Bot' and upstream.calls[0]['plan'] == 'Free'

        b.click('Revoke')
        dialog = b.open_dialog()
        b.sees('Revoke this OAuth client?', within=dialog)
        b.click('Revoke', within=dialog)
        b.sees('Revoked: it gets no tokens any more.')
        assert OAuthClient.get_by_id(client.id).status == 'revoked'
        with pytest.raises(Exception, match='invalid_client'):
            session.fetch_token(f'http://{portal}/oauth/token', grant_type='client_credentials')
    finally:
        apache.stop()
        upstream.stop()
