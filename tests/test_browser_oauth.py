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


def test_try_it_in_the_api_reference_gets_a_token_for_the_developers_client(db, tmp_path, nicegui_driver) -> None:
    """The reference's Try it, for an app with an OAuth client: the page gets a token at /oauth/token and sends
    it as Bearer; Apache verifies it and the upstream answers."""
    from urllib.parse import urlsplit

    from tests.browser import Browser
    from tests.servers import Portal
    from tests.test_first_call import _Screen
    from tests.utils import set_settings
    world = a_catalog_world()
    Plan.update(credential_kind='oauth_client').where(Plan.id == world['Free'].id).execute()
    dev = a_user('dev@consumer.test')
    access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id], new_app_name='Bot')
    portal_port, upstream_port, gateway_port, tls_port = free_port(), free_port(), free_port(), free_port()
    portal_url, gateway_url = f'http://127.0.0.1:{portal_port}', f'http://127.0.0.1:{gateway_port}'
    set_settings(base_url=portal_url)
    upstream = Upstream(upstream_port)
    apache = Apache('apache-jwt.conf', tmp_path / 'apache', {
        'aud:http://127.0.0.1:8080': 'aud:' + gateway_url, '127.0.0.1:8080': f'127.0.0.1:{portal_port}',
        '127.0.0.1:9000': f'127.0.0.1:{upstream_port}', '127.0.0.1:8000': f'127.0.0.1:{gateway_port}',
        '127.0.0.1:8443': f'127.0.0.1:{tls_port}'}, gateway_port)
    portal = Portal(portal_port, tmp_path / 'portal.log', PORTICO_GATEWAY_URL=gateway_url, PORTICO_BASE_URL=portal_url)
    driver = nicegui_driver
    driver.implicitly_wait(0)
    b = Browser(_Screen(driver, portal_url))
    try:
        driver.get(portal_url + '/login')
        b.log_in('dev@consumer.test')
        driver.get(portal_url + f'/products/weather/reference/{world["Weather API"].id}')
        choice = b.until(lambda: driver.find_elements(By.ID, 'portico-app'), 'no Try it choice', 20)[0]
        assert 'Bot (OAuth client pcl_' in choice.text
        b.until(lambda: driver.find_elements(By.CSS_SELECTOR, '.opblock-get .opblock-summary-control'),
                'no operation', 20)[0].click()
        field = b.until(lambda: [f for f in driver.find_elements(By.CSS_SELECTOR, 'input[placeholder="city"]')
                                 if f.is_displayed()], 'the operation did not open', 20)[0]
        field.send_keys('paris')
        b.click('Execute')
        status = b.until(lambda: driver.find_elements(
            By.CSS_SELECTOR, '.live-responses-table tr.response .response-col_status'), 'no response shown', 20)[0].text
        body = driver.find_element(By.CSS_SELECTOR, '.live-responses-table .microlight').text
        assert status.strip().startswith('200'), (status, body, apache.error_log())
        assert upstream.calls[-1]['path'] == '/weather/forecast/paris' and upstream.calls[-1]['app'] == 'Bot'
        assert upstream.calls[-1]['headers']['x-portico-client_id'].startswith('pcl_')
        assert urlsplit(driver.current_url).netloc == f'127.0.0.1:{portal_port}'
    finally:
        portal.stop()
        apache.stop()
        upstream.stop()
