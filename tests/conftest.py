"""Fixtures: a fresh database per test (SQLite under tmp_path, or PostgreSQL when
PORTICO_TEST_DATABASE_URL is set), a loopback SMTP server, and the helpers in tests/utils."""
from __future__ import annotations

import gc
import os
import shutil
import sys
import pytest

# cheap argon2 for tests only (the production cost is the default in workflows/passwords.py)
os.environ.setdefault('PORTICO_TEST_ARGON2_MEMORY_KIB', '1024')
os.environ.setdefault('PORTICO_TEST_ARGON2_ROUNDS', '1')

import config
import listeners
from db import clock
from tests.utils import Mailbox, free_port, reset_postgres, worker_database

listeners.install()  # the audit trail and webhooks react to what workflows announce, as in the portal

# with pytest-xdist (`make test` runs two workers) each worker has a PostgreSQL database of its own
if os.environ.get('PORTICO_TEST_DATABASE_URL') and os.environ.get('PYTEST_XDIST_WORKER'):
    os.environ['PORTICO_TEST_DATABASE_URL'] = worker_database(os.environ['PORTICO_TEST_DATABASE_URL'],
                                                              os.environ['PYTEST_XDIST_WORKER'])

# the modules whose tests empty the shared Redis database run on one worker, one after the other
# (test_invite_codes too: it takes test_attacks' counters fixture, which empties Redis for its Redis case)
REDIS_MODULES = {'test_attacks', 'test_gateway', 'test_invite_codes', 'test_scale_out'}


def _order(item) -> int:
    """0: schemathesis's run against a portal process (52 s at rest); 1: a test in a real browser (5 to 22 s,
    mostly waiting for the browser); 2: the rest (mostly well under a second)."""
    if item.module.__name__.endswith('_schemathesis'):
        return 0
    return 1 if 'screen' in getattr(item, 'fixturenames', ()) else 2


def pytest_collection_modifyitems(config, items):
    if os.environ.get('PORTICO_TEST_REDIS_URL'):
        for item in items:
            if item.module.__name__.rpartition('.')[2] in REDIS_MODULES:
                item.add_marker(pytest.mark.xdist_group('redis'))
    # the long tests first (a stable sort: otherwise in the order collected), so that pytest-xdist, which hands
    # each worker the next test as it finishes one, never ends with one worker alone on a long test while the
    # others have nothing left to do
    items.sort(key=_order)


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    """After NiceGUI's own: the browser tests' server gets a port no other process of the run is given."""
    from nicegui.testing.screen import Screen
    Screen.PORT = free_port()  # the first of this worker's ports (tests.utils.ports_of_this_worker)


def pytest_collection_finish(session):
    """Every module the tests use is imported by now: the objects they hold are moved out of the garbage
    collector's sight (gc.freeze), so the full collections NiceGUI's fixtures run twice per test walk only what
    the test made, not every loaded module again."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope='session')
def sqlite_template(tmp_path_factory):
    """A fresh SQLite database made once per run by the same code as a first start (create the schema,
    then bootstrap); each test starts from a copy, which is about ten times quicker than creating it."""
    if os.environ.get('PORTICO_TEST_DATABASE_URL'):
        return None
    from db import bootstrap, migrations
    from db.connection import connect, database
    path = tmp_path_factory.mktemp('template') / 'portico.db'
    connect(f'sqlite:///{path}')
    migrations.migrate()
    bootstrap.run()
    database.execute_sql('PRAGMA wal_checkpoint(TRUNCATE)')
    database.close()
    database.initialize(None)
    os.chmod(path, 0o600)
    return path


@pytest.fixture(autouse=True)
def portico_env(tmp_path, monkeypatch):
    """Every test gets its own data folder and an empty database; main.py reads these variables."""
    data_dir = tmp_path / 'data'
    pg_url = os.environ.get('PORTICO_TEST_DATABASE_URL', '')
    if pg_url:
        reset_postgres(pg_url)
        url = pg_url
    else:
        url = f'sqlite:///{data_dir / "portico.db"}'
    for name in [n for n in os.environ if n.startswith('PORTICO_') and not n.startswith('PORTICO_TEST_')]:
        monkeypatch.delenv(name)
    monkeypatch.setenv('PORTICO_DATA_DIR', str(data_dir))
    monkeypatch.setenv('PORTICO_DATABASE_URL', url)
    monkeypatch.setenv('PORTICO_BASE_URL', 'http://portal.test')
    monkeypatch.setenv('PORTICO_MAIL_POLL_SECONDS', '0.2')
    monkeypatch.setenv('PORTICO_ADMIN_EMAIL', 'api-admin@provider.test')
    monkeypatch.chdir(tmp_path)  # no .env of the developer's leaks into a test
    clock.reset()
    yield
    clock.reset()
    config.use(None)


@pytest.fixture
def fresh_database(portico_env, sqlite_template, tmp_path):
    """The test's SQLite database as a first start leaves it, copied from the template (the fixtures that open
    the database ask for it; a test that starts from an empty data folder does not get it)."""
    if sqlite_template is not None:
        data_dir = tmp_path / 'data'
        data_dir.mkdir(mode=0o700, exist_ok=True)
        if not (data_dir / 'portico.db').exists():
            shutil.copy2(sqlite_template, data_dir / 'portico.db')


@pytest.fixture
def db(fresh_database):
    """The database without the web app, for workflow tests."""
    from main import open_database
    cfg = config.load()
    config.use(cfg)
    open_database(cfg)
    yield


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""
    mailbox = Mailbox()
    mailbox.start()
    yield mailbox
    mailbox.stop()


@pytest.fixture
def mailbox(smtp_server, monkeypatch):
    """The portal sends through the loopback SMTP server: tests read the real emails."""
    monkeypatch.setenv('PORTICO_SMTP_URL', smtp_server.url)
    return smtp_server


@pytest.fixture(scope='session')
def nicegui_chrome_options(nicegui_chrome_options):
    """Debian's chromium, headless, without the background traffic a closed network refuses."""
    if shutil.which('chromium') is None or shutil.which('chromedriver') is None:
        pytest.skip('browser tests need Debian\'s chromium and chromium-driver (apt-get install chromium chromium-driver)')
    os.environ.setdefault('SE_OFFLINE', 'true')  # no driver downloads: use Debian's chromedriver
    nicegui_chrome_options.binary_location = shutil.which('chromium')
    for flag in ('--disable-gpu', '--disable-background-networking', '--disable-component-update',
                 '--disable-sync', '--no-first-run', '--disable-quic', 'window-size=1280,900'):
        nicegui_chrome_options.add_argument(flag)
    return nicegui_chrome_options


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):  # another user's process, or not a pid: not ours to remove
        pass
    return True


@pytest.fixture(scope='session')
def nicegui_remove_all_screenshots() -> None:
    """NiceGUI's (keep this worker's screenshot folder locked, remove the folders of runs that ended and this
    worker's old screenshots), safe when workers start together. NiceGUI's own removes any folder whose lock it
    can take, and a worker that had made its folder but not yet locked it lost the folder, and with it every
    browser test (FileNotFoundError on its lock, seen on a clean start); it also failed every browser test of a
    worker with FileExistsError when another worker removed the folder it was probing. Only the folder of a
    process that is gone is removed now (the folder's name is the worker's pid), and only if unlocked."""
    from nicegui.testing.filelock import FileLock
    from nicegui.testing.screen import Screen
    for _ in range(50):
        try:
            assert FileLock(Screen.SCREENSHOT_DIR / '.lock').acquire(), 'should be able to lock own screenshot dir'
            break
        except FileNotFoundError:  # removed between its mkdir and the lock by an older NiceGUI run's clean-up
            continue
    if Screen.SCREENSHOT_DIR.parent.exists():
        for path in Screen.SCREENSHOT_DIR.parent.iterdir():
            if path == Screen.SCREENSHOT_DIR or not path.name.isdigit() or _alive(path.name):
                continue
            try:
                if path.is_dir() and (probe := FileLock(path / '.lock')).acquire():
                    probe.release()
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                continue  # another worker is removing it
    for path in Screen.SCREENSHOT_DIR.glob('*.png'):
        path.unlink()


@pytest.fixture
def screen(fresh_database, screen):
    """NiceGUI's screen (a real browser at the app served in a thread), on the test's fresh database; the first
    page waits up to 30 s for the server to start (NiceGUI's 3 s ran out at load average 5 on 2 cores); a
    screenshot is kept of a test that failed only."""
    first_open = screen.open
    screen.open = lambda path, timeout=30.0: first_open(path, timeout)
    # NiceGUI photographs the page after every test; a test that failed (or logged an error) is the one worth a
    # picture (a screenshot costs the browser about as much as a page load)
    shoot = screen.shot
    screen.shot = lambda name, *, failed: shoot(name, failed=True) if failed else None
    return screen


@pytest.fixture
async def user(fresh_database, user):
    """NiceGUI's simulated user, whose notifications start empty on each page a test opens, so that
    `should_see` cannot match a message left over from an earlier page (a reload by the app keeps them)."""
    original_open = user.open

    async def open_fresh(path: str, **kwargs):
        if sys._getframe(1).f_globals.get('__name__', '').startswith('tests'):
            user.notify.messages.clear()
        return await original_open(path, **kwargs)

    user.open = open_fresh
    # NiceGUI looks three times, 0.1 s apart (0.3 s), before `should_see` fails: a page that a loaded 2-core
    # machine (4 workers, other processes) builds in more than that failed the test. Both keep looking for up to
    # 5 s now, and still return as soon as the page shows (or no longer shows) what is asked.
    for name in ('should_see', 'should_not_see'):
        original = getattr(user, name)

        async def looks_longer(*args, _original=original, retries: int = 50, **kwargs):
            return await _original(*args, retries=retries, **kwargs)
        setattr(user, name, looks_longer)
    return user


@pytest.fixture
def browser(screen):
    """A person at the real browser (tests/browser.py); it waits for outcomes itself, so Selenium's implicit
    wait, which makes every look for an absent element take seconds, is off while it acts."""
    from tests.browser import Browser
    screen.selenium.implicitly_wait(0)
    yield Browser(screen)
    screen.selenium.implicitly_wait(screen.IMPLICIT_WAIT)


@pytest.fixture
def nginx_gateway(tmp_path):
    """The shipped deploy/nginx-gateway.conf in front of an upstream, asking this test's own portal (the browser
    tests' server, whose clock the test may move): yields the gateway's address."""
    from nicegui.testing.screen import Screen

    from tests.servers import NGINX, Nginx, Upstream
    if NGINX is None:
        pytest.skip('nginx is not installed (apt-get install nginx-light)')
    upstream_port, nginx_port = free_port(), free_port()
    upstream = Upstream(upstream_port)
    try:
        nginx = Nginx('nginx-gateway.conf', tmp_path / 'nginx', {
            '127.0.0.1:8080': f'127.0.0.1:{Screen.PORT}', '127.0.0.1:9000': f'127.0.0.1:{upstream_port}',
            '127.0.0.1:8000': f'127.0.0.1:{nginx_port}'})
    except BaseException:
        upstream.stop()
        raise
    yield f'http://127.0.0.1:{nginx_port}'
    nginx.stop()
    upstream.stop()
