"""Backups and upgrades (issue 27): `python main.py backup FILE` while the portal writes, `restore FILE` into a fresh
folder (every row back, every key working at the gateway), a newer schema refused with nothing changed, and
`migrate --check`."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from db import migrations
from db.models import App, AuditEvent, Credential
from tests.peers import call
from tests.servers import Portal
from tests.utils import a_catalog_world, a_user, free_port
from workflows import access, apps, credentials

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get('PORTICO_TEST_DATABASE_URL', '')


def cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**{name: value for name, value in os.environ.items() if not name.startswith('PYTEST')}, **env}
    return subprocess.run([sys.executable, str(ROOT / 'main.py'), *args], capture_output=True, text=True,
                          env=environment, timeout=300, cwd=ROOT)


def a_world_with_a_key() -> tuple[str, object]:
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')
    return credentials.reveal(Credential.get(Credential.access_request == request), dev), dev


def rows_of(path: Path) -> dict[str, list]:
    connection = sqlite3.connect(path)
    try:
        tables = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '%_search%'")]
        return {table: sorted(map(repr, connection.execute(f'SELECT * FROM "{table}"'))) for table in tables}
    finally:
        connection.close()


def key_works(data_dir: Path, database_url: str, key: str, secret_key_file: Path, tmp_path: Path) -> int:
    """A portal on the restored database answers the gateway for the key (the same secret key: kept apart)."""
    portal = Portal(free_port(), tmp_path / f'portal-{data_dir.name}.log', PORTICO_DATA_DIR=str(data_dir),
                    PORTICO_DATABASE_URL=database_url, PORTICO_SECRET_KEY_FILE=str(secret_key_file))
    try:
        return call(f'{portal.url}/api/gateway/auth', key, headers={'X-Forwarded-Uri': '/weather/forecast'})[0]
    finally:
        portal.stop()


@pytest.mark.skipif(bool(PG), reason='the SQLite round trip; PostgreSQL has its own below')
def test_a_backup_taken_while_the_portal_writes_restores_every_row_and_key(db, tmp_path) -> None:
    key, dev = a_world_with_a_key()
    data_dir = Path(os.environ['PORTICO_DATA_DIR'])
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:  # the portal at work: apps and their audit rows, one transaction each
        from db.connection import database
        try:
            while not stop.is_set():
                written.append(apps.create_app(f'Load {len(written)}', '', by=dev).id)
        finally:
            database.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        done = cli('backup', str(tmp_path / 'portico.backup'))
    finally:
        stop.set()
        writer.join()
    assert done.returncode == 0, done.stderr
    assert f'backed up schema version {migrations.LATEST}' in done.stdout
    backup_file = tmp_path / 'portico.backup'
    assert oct(backup_file.stat().st_mode & 0o777) == '0o600'
    assert sqlite3.connect(backup_file).execute('PRAGMA integrity_check').fetchone()[0] == 'ok'
    in_backup = rows_of(backup_file)
    apps_in_backup = len(in_backup['app'])
    assert 20 <= apps_in_backup - 1 <= len(written)  # a moment of the writing: Bot and the apps made by then
    assert App.select().count() == len(written) + 1  # the portal went on writing during the backup

    fresh = tmp_path / 'fresh'
    restored = cli('restore', str(backup_file), PORTICO_DATA_DIR=str(fresh),
                   PORTICO_DATABASE_URL=f'sqlite:///{fresh / "portico.db"}')
    assert restored.returncode == 0, restored.stderr
    assert rows_of(fresh / 'portico.db') == in_backup  # every row
    assert key_works(fresh, f'sqlite:///{fresh / "portico.db"}', key, data_dir / 'secret_key', tmp_path) == 200


def test_a_backup_of_a_newer_schema_or_of_something_else_is_refused_and_nothing_changes(db, tmp_path) -> None:
    if PG:
        pytest.skip('the refusals are the same code on PostgreSQL; this one reads SQLite files')
    a_world_with_a_key()
    live = Path(os.environ['PORTICO_DATA_DIR']) / 'portico.db'
    assert cli('backup', str(tmp_path / 'b.db')).returncode == 0
    again = cli('backup', str(tmp_path / 'b.db'))
    assert again.returncode == 2 and 'exists already' in again.stderr  # a backup never overwrites one
    newer = sqlite3.connect(tmp_path / 'b.db')
    newer.execute('INSERT INTO schema_version (version, applied_at) VALUES (?, CURRENT_TIMESTAMP)',
                  (migrations.LATEST + 1,))
    newer.commit()
    newer.close()
    before = rows_of(live)
    refused = cli('restore', str(tmp_path / 'b.db'))
    assert refused.returncode == 2 and f'newer than this Portico knows ({migrations.LATEST})' in refused.stderr
    (tmp_path / 'notes.txt').write_text('not a database')
    assert 'is not a SQLite backup' in cli('restore', str(tmp_path / 'notes.txt')).stderr
    damaged = bytearray((tmp_path / 'b.db').read_bytes())
    damaged[4096:8192] = b'\xff' * 4096
    (tmp_path / 'damaged.db').write_bytes(bytes(damaged))
    broken = cli('restore', str(tmp_path / 'damaged.db'))
    assert broken.returncode == 2, broken.stdout
    assert rows_of(live) == before  # nothing changed by any of them


def test_migrate_check_says_what_would_change_and_changes_nothing(db, tmp_path) -> None:
    if PG:
        pytest.skip('an old SQLite file stands in for an old database here; PostgreSQL: tests/test_schema.py')
    current = cli('migrate', '--check')
    assert current.returncode == 0 and f'schema version {migrations.LATEST} is current' in current.stdout
    old = tmp_path / 'old'
    old.mkdir()
    connection = sqlite3.connect(old / 'portico.db')
    connection.executescript((ROOT / 'tests' / 'schema_v1.sqlite.sql').read_text())
    connection.execute('INSERT INTO schema_version (version, applied_at) VALUES (1, CURRENT_TIMESTAMP)')
    connection.commit()
    connection.close()
    url = f'sqlite:///{old / "portico.db"}'
    def schema() -> list:
        connection = sqlite3.connect(old / 'portico.db')
        try:
            return sorted(connection.execute('SELECT type, name, sql FROM sqlite_master'))
        finally:
            connection.close()

    before = (schema(), rows_of(old / 'portico.db'))
    checked = cli('migrate', '--check', PORTICO_DATABASE_URL=url, PORTICO_DATA_DIR=str(old))
    assert checked.returncode == 0, checked.stderr
    assert f'schema version 1 -> {migrations.LATEST}' in checked.stdout and '4: unique names' in checked.stdout
    assert (schema(), rows_of(old / 'portico.db')) == before  # (opening it turns on WAL mode; nothing else)
    assert 'schema version' in cli('migrate', PORTICO_DATABASE_URL=url, PORTICO_DATA_DIR=str(old)).stdout
    assert 'is current' in cli('migrate', '--check', PORTICO_DATABASE_URL=url, PORTICO_DATA_DIR=str(old)).stdout


@pytest.mark.skipif(not PG, reason='needs PORTICO_TEST_DATABASE_URL (PostgreSQL)')
def test_a_postgres_backup_restores_into_a_new_database_with_every_key(db, tmp_path) -> None:
    import psycopg2
    from urllib.parse import urlsplit, urlunsplit
    key, _ = a_world_with_a_key()
    AuditEvent.select().count()
    done = cli('backup', str(tmp_path / 'portico.dump'))
    assert done.returncode == 0, done.stderr
    parts = urlsplit(PG)
    target_name = f'{parts.path.lstrip("/")}_restored'
    target = urlunsplit(parts._replace(path=f'/{target_name}'))
    admin = psycopg2.connect(urlunsplit(parts._replace(path='/postgres')))
    admin.autocommit = True

    def drop_all() -> None:
        with admin.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (f'{target_name}%',))
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

    drop_all()
    try:
        restored = cli('restore', str(tmp_path / 'portico.dump'), PORTICO_DATABASE_URL=target)
        assert restored.returncode == 0, restored.stderr
        again = cli('restore', str(tmp_path / 'portico.dump'), PORTICO_DATABASE_URL=target)  # over an existing one
        assert again.returncode == 0 and 'kept as' in again.stdout, again.stderr

        def counts(url: str) -> dict[str, int]:
            connection = psycopg2.connect(url)
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                    tables = [name for (name,) in cursor.fetchall()]
                    found = {}
                    for table in tables:
                        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
                        found[table] = cursor.fetchone()[0]
                    return found
            finally:
                connection.close()

        assert counts(target) == counts(PG)
        data_dir = Path(os.environ['PORTICO_DATA_DIR'])
        assert key_works(tmp_path / 'restored', target, key, data_dir / 'secret_key', tmp_path) == 200
    finally:
        drop_all()
        admin.close()


@pytest.mark.skipif(not PG, reason='needs PORTICO_TEST_DATABASE_URL (PostgreSQL)')
def test_two_instances_starting_together_on_an_old_database_migrate_it_once(tmp_path) -> None:
    """Issue 27: a newer version started twice at the same moment on an old PostgreSQL database: the advisory lock
    lets one migrate; the other waits, finds the schema current, and serves."""
    from db.connection import connect, database
    from tests.test_schema import load_version_1
    from tests.utils import reset_postgres
    reset_postgres(PG)
    connect(PG)
    load_version_1('postgres')
    database.close()
    portals: list[Portal] = []
    errors: list[BaseException] = []

    def start(number: int) -> None:
        try:
            portals.append(Portal(free_port(), tmp_path / f'portal-{number}.log', PORTICO_DATABASE_URL=PG,
                                  PORTICO_DATA_DIR=str(tmp_path / f'data-{number}')))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=start, args=(number,)) for number in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors, errors
        logs = [portal.log_text() for portal in portals]
        for portal in portals:
            assert call(f'{portal.url}/readyz')[0] == 200
    finally:
        for portal in portals:
            portal.stop()
    connect(PG)
    versions = [row[0] for row in database.execute_sql('SELECT version FROM schema_version ORDER BY version')]
    assert versions == [1] + [number for number, _, _ in migrations.STEPS if number > 1]  # each step once
    assert sum(log.count('organisation 3 renamed') for log in logs) == 1  # migration 4 ran in one of them
