"""Two Portico instances on one PostgreSQL and one Redis, behind nginx (deploy/nginx-lb.conf).

Runs when PORTICO_TEST_DATABASE_URL (PostgreSQL) and PORTICO_TEST_REDIS_URL are set; `.ci/run` sets both
where the services answer. Drives a real browser across the instances, and the mail workers of both.
"""
from __future__ import annotations

import os
import signal
import time
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from db.connection import database
from db.models import Credential, OutboxMessage, OutboxStatus, User, UserStatus
from mail import outbox
from tests.servers import NGINX, Nginx, Portal
from tests.utils import PASSWORD, a_catalog_world, a_user, an_admin, free_port
from workflows import access, credentials

PG = os.environ.get('PORTICO_TEST_DATABASE_URL', '')
REDIS = os.environ.get('PORTICO_TEST_REDIS_URL', '')
pytestmark = pytest.mark.skipif(not (PG.startswith('postgres') and REDIS),
                                reason='needs PORTICO_TEST_DATABASE_URL (PostgreSQL) and PORTICO_TEST_REDIS_URL')


@pytest.fixture
def cluster(db, tmp_path, smtp_server):
    import redis
    redis.Redis.from_url(REDIS).flushdb()
    ports = [free_port(), free_port()]
    common = {'PORTICO_DATABASE_URL': PG, 'NICEGUI_REDIS_URL': REDIS, 'PORTICO_SECRET_KEY': 'shared-secret-' * 4,
              'PORTICO_SMTP_URL': smtp_server.url, 'PORTICO_MAIL_POLL_SECONDS': '0.2',
              'PORTICO_MAIL_CLAIM_SECONDS': '3', 'PORTICO_KEY_CHANGES_POLL_SECONDS': '0.5',
              'NICEGUI_REDIS_KEY_PREFIX': f'portico-test-{os.getpid()}:'}
    instances = [Portal(port, tmp_path / f'portal-{name}.log', PORTICO_DATA_DIR=str(tmp_path / name),
                        PORTICO_INSTANCE_NAME=name, **common)
                 for name, port in zip('ab', ports)]
    balancer = None
    if NGINX:
        lb_port = free_port()
        balancer = Nginx('nginx-lb.conf', tmp_path / 'nginx', {
            '127.0.0.1:8081': f'127.0.0.1:{ports[0]}', '127.0.0.1:8082': f'127.0.0.1:{ports[1]}',
            '127.0.0.1:8080': f'127.0.0.1:{lb_port}'})
    yield {'a': instances[0], 'b': instances[1], 'smtp': smtp_server,
           'lb': f'http://127.0.0.1:{lb_port}' if balancer else None}
    if balancer:
        balancer.stop()
    for instance in instances:
        instance.stop()


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    for flag in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                 '--disable-background-networking', '--window-size=1280,900'):
        options.add_argument(flag)
    options.binary_location = '/usr/bin/chromium'
    os.environ.setdefault('SE_OFFLINE', 'true')
    try:
        driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=options)
    except Exception as error:  # noqa: BLE001
        pytest.skip(f'no browser: {error}')
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def body_text(driver) -> str:
    """The page's text, read in the page itself: a body element looked up first and read after could belong to a
    page that a navigation had replaced meanwhile (chromedriver then answers "Node with given id does not belong
    to the document", not a stale element; a CI run failed so)."""
    return driver.execute_script('return document.body ? document.body.innerText : ""') or ''


def page_text(driver, url: str, expect: str, timeout: float = 10) -> str:
    """Open `url` until it shows `expect`: what one instance wrote (a session, a decision) reaches the other
    through Redis and the database, which under load can take longer than one page build (opened again every
    2 s: a page already built with the old state does not change by itself)."""
    driver.get(url)
    deadline = time.monotonic() + timeout
    reopen = time.monotonic() + 2
    while time.monotonic() < deadline:
        if time.monotonic() > reopen:
            driver.get(url)
            reopen = time.monotonic() + 2
        text = body_text(driver)
        if expect in text:
            return text
        time.sleep(0.2)
    raise AssertionError(f'{expect!r} not on {url}: {body_text(driver)[:500]}')


def log_in(driver, base: str, email: str) -> None:
    page_text(driver, f'{base}/login', 'Forgot Password?')
    fields = driver.find_elements(By.CSS_SELECTOR, '.nicegui-content input')
    fields[0].send_keys(email)
    fields[1].send_keys(PASSWORD + Keys.ENTER)
    # the page itself goes on to the Dashboard (through the one-time sign-in ticket): wait for it there
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if 'Welcome' in body_text(driver):
            break
        time.sleep(0.2)
    page_text(driver, f'{base}/dashboard', 'Welcome')


def test_sign_in_on_a_holds_on_b_and_sign_out_everywhere(cluster, browser) -> None:
    a_user('dev@consumer.test', first='Dana')
    a, b = cluster['a'].url, cluster['b'].url
    log_in(browser, a, 'dev@consumer.test')
    assert 'Welcome, Dana!' in page_text(browser, f'{b}/dashboard', 'Welcome, Dana!')  # same cookie, other instance
    browser.get(f'{b}/logout')
    page_text(browser, f'{a}/dashboard', 'Forgot Password?')  # signed out on A too


def test_a_session_started_on_a_is_known_to_b_the_moment_a_answers(cluster) -> None:
    """The sign-in answer of one instance comes only once the session is in the shared storage: the very next
    request, on the other instance, is signed in (no waiting, no retries)."""
    from workflows import sessions
    dev = a_user('dev@consumer.test', first='Dana')
    opener = urllib.request.build_opener(NoRedirect)
    for attempt in range(30):  # a race lost only some of the time before: try it more than once
        ticket = sessions.issue_ticket(dev)
        try:
            opener.open(f'{cluster["a"].url}/auth/session?ticket={ticket}&next=/dashboard', timeout=10)
        except urllib.error.HTTPError as redirect:
            assert redirect.code == 303 and redirect.headers['Location'] == '/dashboard'
            cookie = redirect.headers['Set-Cookie'].split(';')[0]
        else:
            raise AssertionError('the ticket was not traded for a session')
        call = urllib.request.Request(f'{cluster["b"].url}/dashboard', headers={'Cookie': cookie})
        try:
            with opener.open(call, timeout=10) as page:
                assert page.status == 200 and 'Welcome, Dana!' in page.read().decode(), attempt
        except urllib.error.HTTPError as refused:
            raise AssertionError(f'B did not know the session (try {attempt}): {refused.code} '
                                 f'{refused.headers.get("Location")}') from None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_an_approval_on_a_is_seen_on_b(cluster, browser) -> None:
    an_admin('admin@provider.test')
    pending = a_user('new@consumer.test', status=UserStatus.PENDING_APPROVAL)
    a, b = cluster['a'].url, cluster['b'].url
    log_in(browser, a, 'admin@provider.test')
    page_text(browser, f'{a}/admin/users?status=pending_approval', 'new@consumer.test')
    browser.find_element(By.XPATH, '//button[.//span[normalize-space()="Approve"]]').click()
    deadline = time.monotonic() + 10
    while User.get_by_id(pending.id).status != UserStatus.ACTIVE and time.monotonic() < deadline:
        time.sleep(0.1)
    text = page_text(browser, f'{b}/admin/users?status=active', 'new@consumer.test')
    assert 'new@consumer.test' in text


def test_a_role_change_and_a_revoked_key_reach_the_other_instance(cluster, browser) -> None:
    world = a_catalog_world()
    admin = an_admin('admin@provider.test')
    dev = a_user('dev@consumer.test')
    request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')
    key = credentials.reveal(Credential.get(Credential.access_request == request), dev)

    def status_on(instance) -> int:
        call = urllib.request.Request(f'{instance.url}/api/gateway/auth',
                                      headers={'X-API-Key': key, 'X-Forwarded-Uri': '/weather/x'})
        try:
            with urllib.request.urlopen(call, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert status_on(cluster['b']) == 200  # cached on B now
    credentials.revoke(Credential.get(Credential.access_request == request), by=dev)  # "on A"
    deadline = time.monotonic() + 5  # the change feed is polled every 0.5 s here
    while status_on(cluster['b']) != 401 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status_on(cluster['b']) == 401

    log_in(browser, cluster['b'].url, 'admin@provider.test')
    User.update(is_portal_admin=False).where(User.id == admin.id).execute()  # decided elsewhere
    page_text(browser, f'{cluster["b"].url}/admin', 'You do not have access to this page.')


def _queue(count: int, prefix: str) -> set[str]:
    with database.atomic():
        for number in range(count):
            outbox.queue('test', f'{prefix}{number}@example.com', sender_name='Load test')
    return {f'{prefix}{number}@example.com' for number in range(count)}


def _wait_for(smtp, expected: set[str], timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = [m.to for m in smtp.messages if m.to in expected]
        if set(got) == expected:
            return got
        time.sleep(0.2)
    return [m.to for m in smtp.messages if m.to in expected]


def test_200_emails_are_delivered_exactly_once_by_two_workers_and_none_lost_when_one_dies(cluster) -> None:
    smtp = cluster['smtp']
    expected = _queue(200, 'first')
    got = _wait_for(smtp, expected, 60)
    assert set(got) == expected and len(got) == 200  # every message, none twice
    workers = {m.claimed_by for m in OutboxMessage.select().where(OutboxMessage.recipient.in_(list(expected)))}
    assert workers == {'a', 'b'}

    second = _queue(200, 'second')
    deadline = time.monotonic() + 30
    while len([m for m in smtp.messages if m.to in second]) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(cluster['b'].process.pid, signal.SIGKILL)  # mid-way, with messages claimed
    got = _wait_for(smtp, second, 60)
    assert set(got) == second  # nothing lost: A took over what B had claimed
    # a message B handed to the server but never marked is sent again by A once B's claim times out (3 s)
    deadline = time.monotonic() + 30
    while OutboxMessage.select().where(OutboxMessage.status != OutboxStatus.SENT).exists() \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert OutboxMessage.select().where(OutboxMessage.status != OutboxStatus.SENT).count() == 0
    got = [m.to for m in smtp.messages if m.to in second]
    assert len(got) - len(set(got)) <= 1  # at most the one message B was sending when it died


def test_the_load_balancer_serves_pages_and_gateway_calls(cluster) -> None:
    if cluster['lb'] is None:
        pytest.skip('nginx is not installed')
    with urllib.request.urlopen(f'{cluster["lb"]}/healthz', timeout=5) as response:
        assert response.status == 200
    with urllib.request.urlopen(f'{cluster["lb"]}/login', timeout=5) as response:
        assert 'Forgot Password?' in response.read().decode()
    codes = set()
    for _ in range(4):
        try:
            urllib.request.urlopen(urllib.request.Request(f'{cluster["lb"]}/api/gateway/auth'), timeout=5)
        except urllib.error.HTTPError as error:
            codes.add(error.code)
    assert codes == {401}
