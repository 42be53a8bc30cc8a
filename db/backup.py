"""Backups (issue 27): `python main.py backup FILE` and `python main.py restore FILE`.

SQLite: SQLite's online backup API copies the database page by page under one read transaction, so the copy is
consistent while the portal runs and writes (WAL mode lets the writers go on). A restore reads the file first
(integrity, a Portico schema no newer than this code's) and then copies it into the live database with the same
API in one write transaction: the current database stays as it was until the copy is complete.

PostgreSQL: `pg_dump --format=custom` (a consistent snapshot while the portal runs), and `pg_restore` into a new
database that takes the old one's name only once it is complete and checked; the old one is kept under
`<name>_before_restore_<time>` until you drop it.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from config import ConfigError

SQLITE_MAGIC = b'SQLite format 3\x00'
PG_MAGIC = b'PGDMP'


def sqlite_path(url: str) -> Path:
    return Path(urlparse(url).path[1:])


def backup(url: str, target: Path) -> str:
    target = Path(target)
    if target.exists():
        raise ConfigError(f'{target} exists already; name a new file (a backup never overwrites one)')
    if not target.parent.is_dir():
        raise ConfigError(f'the folder {target.parent} does not exist')
    if urlparse(url).scheme == 'sqlite':
        return _backup_sqlite(sqlite_path(url), target)
    return _backup_postgres(url, target)


def restore(url: str, source: Path, latest: int) -> str:
    """Put the backup `source` in place of the database at `url`; refused (nothing changed) for a file that is no
    Portico backup or whose schema is newer than `latest`. Stop the portal first."""
    source = Path(source)
    if not source.is_file():
        raise ConfigError(f'{source} is not a file')
    head = source.read_bytes()[:16] if source.stat().st_size else b''
    if urlparse(url).scheme == 'sqlite':
        if not head.startswith(SQLITE_MAGIC):
            raise ConfigError(f'{source} is not a SQLite backup of Portico')
        return _restore_sqlite(sqlite_path(url), source, latest)
    if not head.startswith(PG_MAGIC):
        raise ConfigError(f'{source} is not a pg_dump custom-format backup (python main.py backup makes one)')
    return _restore_postgres(url, source, latest)


# --- SQLite ---------------------------------------------------------------------------------------------------

def _backup_sqlite(path: Path, target: Path) -> str:
    if not path.is_file():
        raise ConfigError(f'there is no database at {path}')
    partial = target.with_name(f'.{target.name}.partial')
    source = sqlite3.connect(f'file:{path}?mode=ro', uri=True, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # all pages in one step: one read transaction, a consistent snapshot
        copy.execute('PRAGMA journal_mode=DELETE')  # one self-contained file, no -wal beside it
        version = _version_of(copy)
    finally:
        copy.close()
        source.close()
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    return f'backed up schema version {version} to {target} ({target.stat().st_size:,} bytes)'


def _version_of(connection: sqlite3.Connection) -> int | None:
    try:
        return connection.execute('SELECT MAX(version) FROM schema_version').fetchone()[0]
    except sqlite3.DatabaseError:
        return None


def _restore_sqlite(path: Path, source: Path, latest: int) -> str:
    backup_file = sqlite3.connect(f'file:{source}?mode=ro', uri=True)
    try:
        try:
            checked = backup_file.execute('PRAGMA integrity_check').fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise ConfigError(f'{source} cannot be read as a database: {error}') from None
        if checked != 'ok':
            raise ConfigError(f'{source} is damaged: {checked}')
        version = _version_of(backup_file)
        _check_version(source, version, latest)
        path.parent.mkdir(parents=True, exist_ok=True)
        live = sqlite3.connect(path, timeout=30)
        try:
            backup_file.backup(live)  # one write transaction on the live database: all of it, or nothing
        finally:
            live.close()
    finally:
        backup_file.close()
    return _restored(version, latest, path)


def _check_version(source: Path, version: int | None, latest: int) -> None:
    if version is None:
        raise ConfigError(f'{source} holds no Portico schema (no schema_version table)')
    if version > latest:
        raise ConfigError(f'{source} has schema version {version}, newer than this Portico knows ({latest}): '
                          'upgrade Portico first, then restore')


def _restored(version: int, latest: int, where) -> str:
    upgrade = f'; the next start (or python main.py migrate) upgrades it to {latest}' if version < latest else ''
    return f'restored schema version {version} into {where}{upgrade}'


# --- PostgreSQL -----------------------------------------------------------------------------------------------

def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ConfigError(f'{name} is not installed (Debian: apt-get install postgresql-client)')
    return found


def _with_database(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f'/{name}'))


def _backup_postgres(url: str, target: Path) -> str:
    partial = target.with_name(f'.{target.name}.partial')
    done = subprocess.run([_tool('pg_dump'), '--format=custom', '--no-owner', f'--file={partial}', f'--dbname={url}'],
                          capture_output=True, text=True)
    if done.returncode:
        partial.unlink(missing_ok=True)
        raise ConfigError(f'pg_dump failed: {done.stderr.strip()[-500:]}')
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    return f'backed up to {target} ({target.stat().st_size:,} bytes) with pg_dump'


def _restore_postgres(url: str, source: Path, latest: int) -> str:
    import psycopg2
    from psycopg2 import sql

    name = urlparse(url).path.lstrip('/')
    stamp = datetime.now(timezone.utc).strftime('%Y%m%d%H%M%S')
    fresh, kept = f'{name}_restoring_{stamp}', f'{name}_before_restore_{stamp}'
    admin = psycopg2.connect(_with_database(url, 'postgres'))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL('CREATE DATABASE {}').format(sql.Identifier(fresh)))
        try:
            done = subprocess.run([_tool('pg_restore'), '--no-owner', '--exit-on-error',
                                   f'--dbname={_with_database(url, fresh)}', str(source)], capture_output=True, text=True)
            if done.returncode:
                raise ConfigError(f'pg_restore failed: {done.stderr.strip()[-500:]}')
            check = psycopg2.connect(_with_database(url, fresh))
            try:
                with check.cursor() as cursor:
                    try:
                        cursor.execute('SELECT MAX(version) FROM schema_version')
                        version = cursor.fetchone()[0]
                    except psycopg2.Error:
                        version = None
            finally:
                check.close()
            _check_version(source, version, latest)
            with admin.cursor() as cursor:  # the swap: two renames, once nobody is connected to the old one
                cursor.execute('SELECT 1 FROM pg_database WHERE datname = %s', (name,))
                if cursor.fetchone() is None:
                    kept = ''
                else:
                    cursor.execute('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s '
                                   'AND pid <> pg_backend_pid()', (name,))
                    cursor.execute(sql.SQL('ALTER DATABASE {} RENAME TO {}').format(sql.Identifier(name),
                                                                                    sql.Identifier(kept)))
                cursor.execute(sql.SQL('ALTER DATABASE {} RENAME TO {}').format(sql.Identifier(fresh),
                                                                                sql.Identifier(name)))
        except BaseException:
            with admin.cursor() as cursor:
                cursor.execute(sql.SQL('DROP DATABASE IF EXISTS {}').format(sql.Identifier(fresh)))
            raise
    finally:
        admin.close()
    return _restored(version, latest, f'{name} (the previous database is kept as {kept}: drop it when done)'
                     if kept else name)
