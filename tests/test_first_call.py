"""Time to first call (issue 13, point 8): a brand-new developer, from the front page to a successful Try it
call through the shipped nginx example, in a real browser with the real verification email. Every page
action is counted (a click, a form sent, a link followed from the email; typing into a field is not)."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By

from db.models import Credential, User, UserSession, UserStatus
from tests.browser import Browser
from tests.servers import NGINX, Nginx, Portal, Upstream
from tests.utils import PASSWORD, a_catalog_world, free_port, set_settings

pytestmark = pytest.mark.browser
GOAL = 8  # the README states the count


class _Screen:
    """What tests/browser.py needs of NiceGUI's screen, for a portal that runs in a process of its own."""

    def __init__(self, driver, base: str) -> None:
        self.selenium = driver
        self.base = base

    def open(self, path: str, timeout: float = 30.0) -> None:
        self.selenium.get(self.base + path)

    @property
    def current_path(self) -> str:
        return urlsplit(self.selenium.current_url).path


@pytest.mark.skipif(NGINX is None, reason='nginx is not installed (apt-get install nginx-light)')
def test_a_new_developer_makes_a_first_call_in_at_most_eight_actions(db, tmp_path, mailbox, nicegui_driver) -> None:
    world = a_catalog_world()
    set_settings(auto_approve_users=True)  # an instant-access plan (Free) on a portal that approves at once
    portal_port, upstream_port, nginx_port = free_port(), free_port(), free_port()
    upstream = Upstream(upstream_port)
    nginx = Nginx('nginx-gateway.conf', tmp_path / 'nginx', {
        '127.0.0.1:8080': f'127.0.0.1:{portal_port}', '127.0.0.1:9000': f'127.0.0.1:{upstream_port}',
        '127.0.0.1:8000': f'127.0.0.1:{nginx_port}'})
    log = tmp_path / 'portal.log'
    portal = Portal(portal_port, log, PORTICO_GATEWAY_URL=f'http://127.0.0.1:{nginx_port}',
                    PORTICO_BASE_URL=f'http://127.0.0.1:{portal_port}')
    driver = nicegui_driver
    driver.implicitly_wait(0)
    b = Browser(_Screen(driver, portal.url))
    actions: list[str] = []

    def click(name: str, within=None) -> None:
        actions.append(name)
        b.click(name, within)

    try:
        driver.get(portal.url + '/')
        b.sees('APIs for your next integration')
        click('Create an Account')
        b.at('/register')
        b.fill('First name', 'Fay')
        b.fill('Last name', 'First')
        b.fill('Email', 'fay@example.test')
        b.fill('Password', PASSWORD)
        b.fill('Confirm password', PASSWORD)
        click('Register to developer portal')
        b.sees('Check your inbox')

        link = mailbox.expect('fay@example.test', 'Confirm your email', timeout=30).link('/auth/verify')
        assert link.startswith(portal.url)
        actions.append('the link in the email')
        driver.get(link)
        cookie_before = driver.get_cookie('session')
        click('Confirm my email address')
        b.at('/catalogs')  # signed in: no Log in
        assert driver.get_cookie('session')['value'] != cookie_before['value']  # a new storage id
        fay = User.get(User.email == 'fay@example.test')
        assert fay.status == UserStatus.ACTIVE and UserSession.select().where(UserSession.user == fay).count() == 1
        b.sees('Fay')  # the header names the signed-in developer

        click('More info', b.card('Weather for your apps'))
        b.at('/products/weather')
        click('Get access')
        b.sees('Get access to Weather')
        click('Get access')  # the dialog's: the Free plan (instant access) and a new app, as offered
        b.until(lambda: driver.current_url.split('?')[0].endswith(f'/products/weather/reference/{world["Weather API"].id}'),
                'Get access did not lead to the API reference', timeout=20)
        b.until(lambda: driver.find_elements(By.ID, 'portico-ready'), 'the reference did not say the key is ready', 20)
        assert "Fay's Weather app" in driver.find_element(By.ID, 'portico-ready').text
        field = b.until(lambda: [f for f in driver.find_elements(By.CSS_SELECTOR, 'input[placeholder="city"]')
                                 if f.is_displayed()], 'the first operation did not open, ready to try', 20)[0]
        field.send_keys('paris')
        click('Execute')
        status = b.until(lambda: driver.find_elements(
            By.CSS_SELECTOR, '.live-responses-table tr.response .response-col_status'), 'no response shown', 20)[0].text
        body = driver.find_element(By.CSS_SELECTOR, '.live-responses-table .microlight').text
        assert status.strip().startswith('200'), (status, body)
        assert '"app": "Fay\'s Weather app"' in body and '/weather/forecast/paris' in body
        assert upstream.calls[-1]['path'] == '/weather/forecast/paris' and upstream.calls[-1]['plan'] == 'Free'
        assert upstream.calls[-1]['app'] == "Fay's Weather app" and Credential.select().count() == 1

        assert len(actions) <= GOAL, actions
        assert actions == ['Create an Account', 'Register to developer portal', 'the link in the email',
                           'Confirm my email address', 'More info', 'Get access', 'Get access', 'Execute']
        readme = ' '.join((Path(__file__).resolve().parent.parent / 'README.md').read_text().replace('**', '').split())
        assert f'{len(actions)} page actions' in readme  # the README states the count this test measures
        errors = [line for line in log.read_text().splitlines() if re.search(r'\bERROR\b|Traceback', line)]
        assert not errors, errors
    finally:
        portal.stop()
        nginx.stop()
        upstream.stop()
