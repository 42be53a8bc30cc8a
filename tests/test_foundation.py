"""Configuration, first run, migrations, health, the CLI and the one-time setup link."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import config
from db import bootstrap, migrations
from db.connection import connect, database
from db.models import Organisation, Setting, Team, Token, User
from tests.utils import fill, opens_as, press, until

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_run_locally(tmp_path) -> None:
    cfg = config.load({'PORTICO_DATA_DIR': str(tmp_path)})
    assert cfg.port == 8080 and cfg.host == '0.0.0.0'
    assert cfg.database_url == f'sqlite:///{tmp_path / "portico.db"}'
    assert cfg.mail_transport == 'console'
    assert cfg.base_url == 'http://localhost:8080'


def test_secret_key_is_generated_once_and_kept_private(tmp_path) -> None:
    first = config.load({'PORTICO_DATA_DIR': str(tmp_path)}).secret_key
    second = config.load({'PORTICO_DATA_DIR': str(tmp_path)}).secret_key
    assert first == second and len(first) > 40
    assert stat.S_IMODE((tmp_path / 'secret_key').stat().st_mode) == 0o600
    assert config.load({'PORTICO_DATA_DIR': str(tmp_path), 'PORTICO_SECRET_KEY': 'given'}).secret_key == 'given'


@pytest.mark.parametrize('name, value, message', [
    ('PORTICO_DATABASE_URL', 'mysql://x/y', 'must start with sqlite:/// or postgresql://'),
    ('PORTICO_DATABASE_URL', 'postgresql://localhost', 'names no PostgreSQL database'),
    ('PORTICO_DATABASE_URL', 'sqlite://', 'names no SQLite file'),
    ('PORTICO_SMTP_URL', 'http://mail', 'must start with smtp://'),
    ('PORTICO_SMTP_URL', 'smtp://mail:abc', 'bad port'),
    ('PORTICO_PORT', 'eighty', 'must be a port number'),
    ('PORTICO_BASE_URL', 'portal.example.com', 'must start with http'),
])
def test_bad_settings_get_one_clear_line(tmp_path, name, value, message) -> None:
    with pytest.raises(config.ConfigError, match=message):
        config.load({'PORTICO_DATA_DIR': str(tmp_path), name: value})


def test_dotenv_file_is_honoured(tmp_path, monkeypatch) -> None:
    (tmp_path / '.env').write_text('PORTICO_PORT=9123\nPORTICO_MAIL_FROM=portal@acme.test\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv('PORTICO_PORT', raising=False)
    monkeypatch.delenv('PORTICO_MAIL_FROM', raising=False)
    cfg = config.load()
    assert cfg.port == 9123 and cfg.mail_from == 'portal@acme.test'
    for name in ('PORTICO_PORT', 'PORTICO_MAIL_FROM'):
        os.environ.pop(name, None)


def test_first_run_creates_the_default_organisation_team_and_settings(db) -> None:
    org = bootstrap.default_organisation()
    assert org.is_default and org.name == 'Default organization'
    assert Team.get(Team.organisation == org).is_default
    assert Setting.get_by_id('auto_approve_users').value is False
    bootstrap.run()  # a second start adds nothing
    assert Organisation.select().count() == 1 and Team.select().count() == 1


def test_an_older_database_is_upgraded_without_losing_data(portico_env) -> None:
    """A database made by schema version 1 (before user.last_login_at), then the instance starts."""
    from tests.test_schema import load_version_1
    from main import open_database
    cfg = config.load()
    config.use(cfg)
    connect(cfg.database_url)
    load_version_1('postgres' if migrations.is_postgres() else 'sqlite')
    open_database(cfg)
    assert User.get(User.email == 'bob@consumer.test').last_login_at is None
    assert migrations.current_version() == migrations.LATEST


def test_a_database_that_cannot_be_opened_gives_a_clear_message(tmp_path) -> None:
    blocker = tmp_path / 'file'
    blocker.write_text('not a folder')
    with pytest.raises(config.ConfigError, match='cannot open the database'):
        connect(f'sqlite:///{blocker}/sub/portico.db')


async def test_healthz_says_alive_and_readyz_checks_the_database_the_mail_queue_and_redis(user, monkeypatch) -> None:
    """Issue 27: liveness and readiness for orchestrators, with the status codes they act on."""
    from datetime import timedelta

    from db import clock
    from db.models import OutboxMessage
    from mail import outbox
    alive = await user.http_client.get('/healthz')
    assert alive.status_code == 200 and alive.json() == {'status': 'alive'}
    ready = await user.http_client.get('/readyz')
    assert ready.status_code == 200 and ready.json()['status'] == 'ready'
    assert ready.json()['checks']['database'] == {'ok': True}
    assert ready.json()['checks']['mail_queue'] == {'ok': True, 'oldest_due_seconds': 0, 'limit_seconds': 900}
    outbox.queue('test', 'someone@example.test', portal_name='Portico')
    OutboxMessage.update(created_at=clock.now() - timedelta(minutes=20),  # retrying for 20 minutes, next in an hour
                         next_attempt_at=clock.now() + timedelta(hours=1)).execute()
    stuck = await user.http_client.get('/readyz')
    assert stuck.status_code == 503 and stuck.json()['status'] == 'not ready'
    assert stuck.json()['checks']['mail_queue']['ok'] is False
    assert stuck.json()['checks']['mail_queue']['oldest_due_seconds'] >= 1200
    assert (await user.http_client.get('/healthz')).status_code == 200  # alive all the same
    OutboxMessage.delete().execute()
    import dataclasses

    import config
    monkeypatch.setattr(config, '_current', dataclasses.replace(config.current(), redis_url='redis://127.0.0.1:1/0'))
    no_redis = await user.http_client.get('/readyz')
    assert no_redis.status_code == 503 and no_redis.json()['checks']['redis'] == {'ok': False}


def _cli(*args: str, env: dict | None = None, tmp_path: Path) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items() if name != 'PORTICO_DATABASE_URL'}
    environment.update({'PORTICO_DATA_DIR': str(tmp_path / 'cli'), **(env or {})})
    return subprocess.run([sys.executable, str(ROOT / 'main.py'), *args], capture_output=True, text=True,
                          env=environment, cwd=tmp_path, timeout=60, stdin=subprocess.DEVNULL)


def test_create_admin_from_the_command_line(tmp_path) -> None:
    result = _cli('create-admin', '--email', 'Root@Provider.test',
                  env={'PORTICO_ADMIN_PASSWORD': 'a long enough secret'}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'portal admin root@provider.test created' in result.stdout
    assert 'a long enough secret' not in result.stdout + result.stderr
    connect(f'sqlite:///{tmp_path / "cli" / "portico.db"}')
    admin = User.get(User.email == 'root@provider.test')
    assert admin.is_portal_admin and admin.password_hash.startswith('$argon2')


def test_create_admin_refuses_a_weak_password_and_a_missing_one(tmp_path) -> None:
    weak = _cli('create-admin', '--email', 'root@provider.test', env={'PORTICO_ADMIN_PASSWORD': 'short'},
                tmp_path=tmp_path)
    assert weak.returncode == 2 and 'at least 10 characters' in weak.stderr
    missing = _cli('create-admin', '--email', 'root@provider.test', tmp_path=tmp_path)
    assert missing.returncode == 2 and 'PORTICO_ADMIN_PASSWORD' in missing.stderr
    connect(f'sqlite:///{tmp_path / "cli" / "portico.db"}')
    assert User.select().count() == 0


def test_a_malformed_database_url_stops_the_start_with_one_line(tmp_path) -> None:
    result = _cli('migrate', env={'PORTICO_DATABASE_URL': 'mongodb://nope'}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "portico: PORTICO_DATABASE_URL must start with sqlite:/// or postgresql://, not 'mongodb'"]


SETUP_FORM = {'setup-first': 'Grace', 'setup-last': 'Hopper', 'setup-email': 'grace@provider.test',
              'setup-password': 'a long enough secret'}


async def test_the_one_time_setup_link_creates_the_first_admin(capsys, user) -> None:
    printed = capsys.readouterr().out
    link = next(word for word in printed.split() if '/setup?token=' in word)
    path = link.removeprefix('http://portal.test')
    await user.open(path)
    fill(user, SETUP_FORM | {'setup-confirm': 'a long enough secret'})
    await press(user, 'setup-submit')
    await user.should_see('Registrations to approve')
    assert User.get(User.email == 'grace@provider.test').is_portal_admin
    await user.open('/logout')
    await user.open(path)  # used: worthless now
    await user.should_see(marker='setup-invalid')
    assert Token.get().used_at is not None


async def test_setup_with_mismatched_passwords_changes_nothing(capsys, user) -> None:
    link = next(word for word in capsys.readouterr().out.split() if '/setup?token=' in word)
    await user.open(link.removeprefix('http://portal.test'))
    fill(user, SETUP_FORM | {'setup-confirm': 'another secret!!'})
    user.find(marker='setup-submit').click()
    await user.should_see('The passwords do not match.')
    assert User.select().count() == 0 and Token.get().used_at is None


async def test_change_password_signs_out_other_sessions(user) -> None:
    from db.models import UserSession
    from tests.utils import a_user
    dev = a_user('dev@consumer.test')
    UserSession.create(token_hash='x' * 64, user=dev)  # the same user signed in elsewhere
    await opens_as(user, 'dev@consumer.test', '/profile/password')
    user.find(marker='pw-current').type('correct horse battery')
    user.find(marker='pw-new').type('an even better secret')
    user.find(marker='pw-confirm').type('an even better secret')
    user.find(marker='pw-submit').click()
    await until(lambda: UserSession.select().where(UserSession.user == dev).count() == 1)
    ok, _ = __import__('workflows.passwords', fromlist=['verify']).verify(
        'an even better secret', User.get_by_id(dev.id).password_hash)
    assert ok


def test_maintenance_removes_expired_tokens_and_old_sessions(db) -> None:
    from datetime import timedelta

    from db import clock
    from db.models import UserSession
    from tests.utils import a_user
    from workflows import maintenance, tokens
    user = a_user('dev@consumer.test')
    tokens.issue(tokens.RESET, user)
    UserSession.create(token_hash='s' * 64, user=user)
    assert maintenance.run_once()['tokens'] == 0
    clock.advance(timedelta(days=31))
    result = maintenance.run_once()
    assert result['tokens'] == 1 and result['sessions'] == 1
    assert Token.select().count() == 0 and UserSession.select().count() == 0


@pytest.fixture
def smtp_down(monkeypatch):
    from tests.utils import free_port
    monkeypatch.setenv('PORTICO_SMTP_URL', f'smtp://127.0.0.1:{free_port()}')


async def test_an_unreachable_smtp_server_at_start_is_one_line_and_mail_stays_queued(smtp_down, capsys, user) -> None:
    from db.models import OutboxMessage
    from mail import outbox
    lines = [line for line in capsys.readouterr().err.splitlines() if 'SMTP' in line]
    assert len(lines) == 1 and 'is unreachable' in lines[0] and 'stay queued' in lines[0]
    with database.atomic():
        outbox.queue('test', 'ops@example.com', sender_name='Ada')
    await until(lambda: OutboxMessage.get().attempts >= 1)
    assert OutboxMessage.get().status == 'queued'


def test_the_log_is_one_json_object_a_line_with_portico_log_format_json(tmp_path) -> None:
    """Issue 27: structured logs for collectors (what the portal prints for people, such as the setup link, stays
    plain text on standard output); a wrong format is said plainly at start."""
    import json as json_module

    from tests.servers import Portal
    from tests.utils import free_port
    portal = Portal(free_port(), tmp_path / 'portal.log', PORTICO_DATA_DIR=str(tmp_path / 'json'),
                    PORTICO_LOG_FORMAT='json', PORTICO_DATABASE_URL=f'sqlite:///{tmp_path / "json.db"}')
    try:
        log = portal.log_text()
    finally:
        portal.stop()
    entries = [json_module.loads(line) for line in log.splitlines() if line.startswith('{')]
    assert any(entry['logger'] == 'portico' and entry['message'].startswith('database created') for entry in entries)
    assert all({'time', 'level', 'logger', 'message'} <= entry.keys() for entry in entries)
    assert ' INFO portico: ' not in log  # no text-format line beside them
    environment = {name: value for name, value in os.environ.items() if not name.startswith('PORTICO_')}
    wrong = subprocess.run([sys.executable, str(ROOT / 'main.py'), 'migrate'], capture_output=True, text=True,
                           env={**environment, 'PORTICO_DATA_DIR': str(tmp_path / 'wrong'), 'PORTICO_LOG_FORMAT': 'yaml'},
                           timeout=60)
    assert wrong.returncode == 2 and 'PORTICO_LOG_FORMAT is text or json' in wrong.stderr
