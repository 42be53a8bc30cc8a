"""The attacks of issue 11, each made against the running code; each test fails if its defence is removed."""
from __future__ import annotations

import os
import re
import shutil
import stat
import urllib.error
import urllib.request

import httpx
import pytest

from db.models import OutboxMessage, User, UserSession, UserStatus
from tests.utils import PASSWORD, a_user, admin_opens, fill, in_parallel, log_in, press, settle
from domain.errors import DomainError
from workflows import accounts, password_reset, registration, throttle

REDIS = os.environ.get('PORTICO_TEST_REDIS_URL', '')


# --- 1, 2: guessing passwords -----------------------------------------------------------------------

def _guess_in_parallel(email: str, tries: int, client: str) -> list[str]:
    """`tries` threads submit a wrong password at the same moment; what each was told."""
    return in_parallel(tries, lambda: accounts.authenticate(email, 'wrong password, again', client))


@pytest.fixture(params=['database', pytest.param('redis', marks=pytest.mark.skipif(
    not REDIS, reason='needs PORTICO_TEST_REDIS_URL'))])
def counters(request, db, monkeypatch):
    """The throttle's counters in the database, or in Redis as with several instances."""
    if request.param == 'redis':
        import config
        import redis
        redis.Redis.from_url(REDIS).flushdb()
        monkeypatch.setenv('NICEGUI_REDIS_URL', REDIS)
        config.use(config.load())
    return request.param


def test_parallel_guesses_are_counted_like_sequential_ones(counters) -> None:
    a_user('victim@consumer.test')
    answers = _guess_in_parallel('victim@consumer.test', 16, '198.51.100.7')
    assert answers.count('Wrong email or password.') == throttle.LIMITS['login'].attempts
    assert answers.count(accounts.TOO_MANY) == 16 - throttle.LIMITS['login'].attempts
    if counters == 'redis':
        import redis
        assert redis.Redis.from_url(REDIS).keys('portico:throttle:login:victim@consumer.test*')


def test_a_flood_from_one_client_does_not_lock_the_owner_out_elsewhere(db) -> None:
    a_user('victim@consumer.test')
    for _ in range(40):
        with pytest.raises((accounts.SignInError, throttle.TooManyAttempts)):  # wrong, then locked out
            accounts.authenticate('victim@consumer.test', 'guess guess guess', '198.51.100.7')
    with pytest.raises(DomainError, match='Too many failed sign-in attempts'):
        accounts.authenticate('victim@consumer.test', PASSWORD, '198.51.100.7')  # the attacker is locked out
    assert accounts.authenticate('victim@consumer.test', PASSWORD, '203.0.113.9').email == 'victim@consumer.test'


def test_guesses_per_address_stay_bounded_across_many_clients(db) -> None:
    a_user('victim@consumer.test')
    budget = throttle.LIMITS['login-address'].attempts
    wrong = 0
    for client in range(budget):  # a botnet: a few guesses from each of many addresses
        for _ in range(throttle.LIMITS['login'].attempts):
            try:
                accounts.authenticate('victim@consumer.test', 'guess guess guess', f'10.0.{client}.1')
            except DomainError as error:
                wrong += str(error) == 'Wrong email or password.'
    assert wrong == budget
    # the owner proves the address with a reset link: guessing starts anew, and so can the owner
    with pytest.raises(DomainError, match='Too many'):
        accounts.authenticate('victim@consumer.test', PASSWORD, '203.0.113.9')
    password_reset.request_reset('victim@consumer.test', '203.0.113.9')
    from mail import outbox
    link = outbox.unseal(OutboxMessage.get(OutboxMessage.template_key == 'reset').secret_context)['link']
    password_reset.reset_password(link.split('token=')[1], 'a brand new passphrase')
    assert accounts.authenticate('victim@consumer.test', 'a brand new passphrase', '203.0.113.9')


async def test_the_real_user_signs_in_through_the_page_after_a_flood(user) -> None:
    a_user('victim@consumer.test', first='Vic')
    for _ in range(30):
        with pytest.raises((accounts.SignInError, throttle.TooManyAttempts)):  # wrong, then locked out
            accounts.authenticate('victim@consumer.test', 'guess guess guess', '198.51.100.7')
    await log_in(user, 'victim@consumer.test')
    await settle()
    await user.should_see('Welcome, Vic!')


# --- 3: open redirect after sign-in -------------------------------------------------------------------

@pytest.mark.parametrize('next_path', ['/%09/evil.example/x', '/%0a/evil.example/x', '/%0d/evil.example/x',
                                       '/%5C/evil.example/x', '//evil.example/x', 'https://evil.example/x'])
async def test_next_after_sign_in_never_leaves_the_site(user, next_path) -> None:
    a_user('dev@consumer.test')
    await user.open(f'/login?next={next_path}')
    user.find(marker='login-email').type('dev@consumer.test')
    user.find(marker='login-password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await settle()
    await user.should_see(marker='dashboard-welcome')
    assert UserSession.select().count() == 1
    # and the redirect itself: the one-time ticket's answer points at a local path
    from workflows import sessions
    ticket = sessions.issue_ticket(User.get(User.email == 'dev@consumer.test'))
    response = await user.http_client.get(f'/auth/session?ticket={ticket}&next={next_path}', follow_redirects=False)
    assert response.status_code == 303 and response.headers['location'] == '/dashboard'


# --- 4: a copy of the database while mail is down ------------------------------------------------------

def _database_files(tmp_path) -> bytes:
    folder = tmp_path / 'data'
    return b''.join(path.read_bytes() for path in folder.glob('portico.db*'))


def test_a_copy_of_the_database_holds_no_usable_link(db, smtp_server, tmp_path, monkeypatch) -> None:
    if os.environ.get('PORTICO_TEST_DATABASE_URL'):
        pytest.skip('the files on disk are SQLite\'s')
    import config
    from mail import transports, worker
    a_user('victim@consumer.test')
    password_reset.request_reset('victim@consumer.test')  # mail is down: the message waits in the outbox
    copy = _database_files(tmp_path)
    # a link's token, not the words of the schema ("api_token" beside "=CREATE ..." in sqlite_master)
    assert not re.search(rb'token=[A-Za-z0-9_-]{20}', copy) and b'/auth/reset/code' not in copy
    sealed = OutboxMessage.get(OutboxMessage.template_key == 'reset').secret_context['link']

    monkeypatch.setenv('PORTICO_SMTP_URL', smtp_server.url)
    config.use(config.load())
    assert worker.deliver_due(transports.from_config(config.current())) == 1
    link = smtp_server.to('victim@consumer.test', 'Reset')[0].link('/auth/reset/code')
    token = link.split('token=')[1]
    assert token.encode() not in copy  # the copy never held the token the email brought
    after = _database_files(tmp_path)
    assert token.encode() not in after and sealed.encode() not in after  # wiped for real, WAL included


# --- 5: session fixation -----------------------------------------------------------------------------

def _other_browser(user, cookies: dict) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=user.http_client._transport, base_url=str(user.http_client.base_url),
                             cookies=cookies)


async def test_a_planted_cookie_is_not_signed_in_by_the_victims_sign_in(user) -> None:
    a_user('victim@consumer.test')
    await user.http_client.get('/login')  # the attacker's `curl /login`, planted in the victim's browser
    planted = dict(user.http_client.cookies)
    await log_in(user, 'victim@consumer.test')
    await settle()
    assert dict(user.http_client.cookies) != planted  # the browser's storage id was renewed at sign-in
    async with _other_browser(user, planted) as attacker:
        response = await attacker.get('/dashboard', follow_redirects=False)
    assert response.status_code == 303 and response.headers['location'].startswith('/login')
    assert (await user.http_client.get('/dashboard', follow_redirects=False)).status_code == 200


async def test_a_cookie_copied_earlier_stays_signed_out_after_the_next_sign_in(user) -> None:
    a_user('victim@consumer.test')
    await log_in(user, 'victim@consumer.test')
    await settle()
    copied = dict(user.http_client.cookies)
    await user.open('/logout')
    await log_in(user, 'victim@consumer.test')
    await settle()
    async with _other_browser(user, copied) as attacker:
        response = await attacker.get('/dashboard', follow_redirects=False)
    assert response.status_code == 303 and response.headers['location'].startswith('/login')


# --- 6: a demoted admin's open tab ------------------------------------------------------------------

def _drop_logged(caplog, text: str) -> None:
    """Drop the expected error log lines containing `text` (NiceGUI's fixture fails on any other)."""
    records = caplog.get_records('call')
    records[:] = [record for record in records if text not in record.getMessage()]


async def test_a_demoted_admins_open_tab_reads_no_more_admin_data(user, caplog) -> None:
    admin = await admin_opens(user, '/admin/users')
    await user.should_see('admin@provider.test')
    User.update(is_portal_admin=False).where(User.id == admin.id).execute()
    a_user('secret-customer@consumer.test')
    user.find(marker='users-search').type('secret')  # the search runs on the server
    await settle()
    await user.should_see(marker='dashboard-welcome')  # the tab left the admin page
    await user.should_not_see('secret-customer@consumer.test')
    # the frame's watcher also reloads the old admin tab, which now answers 403: a real browser shows
    # that page, the simulated one logs that it expected 200
    _drop_logged(caplog, 'Expected status code 200, got 403')


async def test_a_deactivated_admins_outbox_refresh_stops(user) -> None:
    admin = await admin_opens(user, '/admin/outbox')
    User.update(status=UserStatus.INACTIVE).where(User.id == admin.id).execute()
    from mail import outbox
    outbox.queue('test', 'leak@consumer.test')
    for _ in range(80):  # the page refreshes every 5 s
        await settle()
        if 'leak@consumer.test' in str(user.current_layout) or 'login-card' in str(user.current_layout):
            break
    await user.should_see(marker='login-card')  # the tab left the outbox for Log in
    await user.should_not_see('leak@consumer.test')


# --- 7: headers and the cookie ------------------------------------------------------------------------

async def test_pages_cannot_be_framed_and_carry_the_security_headers(user) -> None:
    response = await user.http_client.get('/login')
    headers = response.headers
    assert "frame-ancestors 'none'" in headers['content-security-policy']
    assert "default-src 'self'" in headers['content-security-policy']
    assert headers['x-frame-options'] == 'DENY'
    assert headers['x-content-type-options'] == 'nosniff'
    assert headers['referrer-policy'] == 'no-referrer'
    assert 'server' not in headers


@pytest.fixture
def behind_https(portico_env, monkeypatch):
    monkeypatch.setenv('PORTICO_BASE_URL', 'https://portal.test')


async def test_behind_https_the_cookie_is_secure(behind_https, user) -> None:
    response = await user.http_client.get('/login', headers={'X-Forwarded-Proto': 'https'})
    cookie = response.headers['set-cookie'].lower()
    assert 'secure' in cookie and 'samesite=lax' in cookie and 'httponly' in cookie
    assert response.headers['strict-transport-security'].startswith('max-age=')


# --- 8: registration ----------------------------------------------------------------------------------

def test_registrations_are_limited_per_client(db) -> None:
    limit = throttle.LIMITS['register-client'].attempts
    for number in range(limit):
        registration.register('Rob', 'Ot', f'victim{number}@consumer.test', PASSWORD, client='198.51.100.7')
    with pytest.raises(DomainError, match='Too many registrations'):
        registration.register('Rob', 'Ot', 'one-more@consumer.test', PASSWORD, client='198.51.100.7')
    assert OutboxMessage.select().where(OutboxMessage.template_key == 'verify').count() == limit
    registration.register('Nora', 'Newman', 'nora@consumer.test', PASSWORD, client='203.0.113.9')


def test_one_address_gets_few_registration_emails(db) -> None:
    a_user('owner@consumer.test')
    for number in range(throttle.LIMITS['register'].attempts):
        registration.register('Rob', 'Ot', 'owner@consumer.test', PASSWORD, client=f'10.0.0.{number}')
    with pytest.raises(DomainError, match='Too many registrations'):
        registration.register('Rob', 'Ot', 'owner@consumer.test', PASSWORD, client='10.0.1.1')
    assert OutboxMessage.select().where(OutboxMessage.recipient == 'owner@consumer.test').count() == 3


def test_registration_answers_the_same_for_an_existing_address(db) -> None:
    a_user('owner@consumer.test')
    assert registration.register('Mal', 'Lory', 'owner@consumer.test', PASSWORD) == \
        ('owner@consumer.test', registration.register('Mal', 'Lory', 'fresh@consumer.test', PASSWORD)[1])
    notice = OutboxMessage.get(OutboxMessage.recipient == 'owner@consumer.test')
    assert notice.template_key == 'registration_exists' and notice.context['reset_link'].endswith('/auth/forgot')
    assert User.get(User.email == 'owner@consumer.test').first_name == 'Dana'


# --- 9: common passwords ------------------------------------------------------------------------------

@pytest.mark.parametrize('password', ['password123', '1234567890', 'qwertyuiop'])
async def test_common_passwords_are_refused_with_the_reason(user, password) -> None:
    await user.open('/register')
    fill(user, {'register-first': 'Nora', 'register-last': 'Newman', 'register-email': 'nora@consumer.test',
                'register-password': password, 'register-confirm': password})
    await press(user, 'register-submit')
    await user.should_see('This password is too easy to guess. This is a')
    assert not User.select().where(User.email == 'nora@consumer.test').exists()


def test_a_password_made_of_the_users_own_name_is_refused(db) -> None:
    user = a_user('dana.developer@consumer.test', first='Dana', last='Developer')
    with pytest.raises(DomainError, match='too easy to guess'):
        accounts.change_password(user, PASSWORD, 'danadeveloper', 'danadeveloper')
    accounts.change_password(user, PASSWORD, 'tulip orbit canyon', 'tulip orbit canyon')


# --- 11: line breaks in names -------------------------------------------------------------------------

def test_a_carriage_return_in_a_name_is_refused(db) -> None:
    with pytest.raises(DomainError, match='not allowed'):
        registration.register('Eve\rBcc: everyone@example.com', 'Smith', 'eve@consumer.test', PASSWORD)
    assert not User.select().where(User.email == 'eve@consumer.test').exists()


def test_a_name_stored_earlier_with_a_carriage_return_does_not_stop_the_admin_notice(db, smtp_server) -> None:
    from mail import outbox, transports, worker
    user = a_user('eve@consumer.test', first='Eve\r', status=UserStatus.PENDING_VERIFICATION)
    outbox.queue('registration_admin_notice', 'api-admin@provider.test', registrant_name=f'{user.first_name} Smith',
                 registrant_email=user.email, review_link='http://portal.test/admin/users', organisation_part='')
    transport = transports.SmtpTransport(smtp_server.url, 'portico@localhost')
    assert worker.deliver_due(transport) == 1
    assert smtp_server.to('api-admin@provider.test')


# --- 12: internal errors ------------------------------------------------------------------------------

async def test_internal_errors_show_no_exception_text(user) -> None:
    a_user('dev@consumer.test')
    await log_in(user, 'dev@consumer.test')
    await settle()
    response = await user.http_client.get('/apps/99999999999999999999999')
    assert response.status_code == 404 and 'This app was not found.' in response.text
    assert 'OverflowError' not in response.text and 'Python int too large' not in response.text


async def test_a_failing_page_shows_a_plain_error_page(user, caplog) -> None:
    from nicegui import ui

    @ui.page('/test-broken-page')
    def broken() -> None:
        raise RuntimeError('secret internals: password=hunter2')

    import session
    session.PUBLIC_PATHS.add('/test-broken-page')
    try:
        response = await user.http_client.get('/test-broken-page')
    finally:
        session.PUBLIC_PATHS.discard('/test-broken-page')
    assert response.status_code == 500
    assert 'hunter2' not in response.text and 'RuntimeError' not in response.text
    assert 'Something went wrong on our side.' in response.text
    _drop_logged(caplog, 'hunter2')  # the log keeps the details, for the operator


# --- 10, 15, `server`: a real server process -----------------------------------------------------------

def test_a_real_server_hides_its_name_refuses_other_origins_and_keeps_files_private(tmp_path) -> None:
    from tests.servers import Portal
    from tests.utils import free_port
    data = tmp_path / 'data'
    data.mkdir(mode=0o755)
    (data / 'portico.db').touch(mode=0o644)
    os.chmod(data / 'portico.db', 0o644)  # as an older release left it
    portal = Portal(free_port(), tmp_path / 'portal.log', PORTICO_DATA_DIR=str(data),
                    PORTICO_DATABASE_URL=f'sqlite:///{data / "portico.db"}')
    try:
        with urllib.request.urlopen(f'{portal.url}/login') as response:
            assert response.headers['server'] is None
            assert response.headers['x-frame-options'] == 'DENY'
        socket_path = '/_nicegui_ws/socket.io/?EIO=4&transport=polling'
        request = urllib.request.Request(portal.url + socket_path, headers={'Origin': 'https://evil.example'})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)
        assert refused.value.code == 400
        request = urllib.request.Request(portal.url + socket_path, headers={'Origin': portal.url})
        with urllib.request.urlopen(request) as response:
            assert response.status == 200
    finally:
        portal.stop()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = [path for path in data.rglob('*') if path.is_file()]
    assert {path.name for path in files} >= {'portico.db', 'secret_key'}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f'{path} is readable by others'
    shutil.rmtree(data, ignore_errors=True)


# --- the secret key kept apart from the data ------------------------------------------------------------

def test_the_secret_key_can_come_from_a_file_outside_the_data_folder(tmp_path) -> None:
    import config
    secret = tmp_path / 'secret'
    secret.write_text('k' * 48 + '\n')
    cfg = config.load({'PORTICO_DATA_DIR': str(tmp_path / 'data'), 'PORTICO_SECRET_KEY_FILE': str(secret)})
    assert cfg.secret_key == 'k' * 48
    assert not (tmp_path / 'data' / 'secret_key').exists()
    with pytest.raises(config.ConfigError, match='PORTICO_SECRET_KEY_FILE'):
        config.load({'PORTICO_DATA_DIR': str(tmp_path / 'data'), 'PORTICO_SECRET_KEY_FILE': str(tmp_path / 'none')})
