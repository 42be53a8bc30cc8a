"""Database URL -> a peewee database bound to the models' proxy.

SQLite (the default) runs in WAL mode with foreign keys on; PostgreSQL uses a bounded connection pool.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import peewee
from playhouse import db_url
from playhouse.pool import PooledPostgresqlDatabase

from config import ConfigError, check_database_url

database = peewee.DatabaseProxy()

# secure_delete: deleted and overwritten content (e.g. a delivered email's link) is zeroed, not left in free pages
SQLITE_PRAGMAS = {'journal_mode': 'wal', 'foreign_keys': 1, 'busy_timeout': 10000, 'synchronous': 'normal',
                  'secure_delete': 1}


def connect(url: str, *, pool_size: int = 10) -> peewee.Database:
    """Open the database named by `url` and bind it to the models; raises ConfigError on a bad URL."""
    check_database_url(url)
    parsed = urlparse(url)
    if parsed.scheme == 'sqlite':
        path = Path(parsed.path[1:])  # sqlite:///relative.db, sqlite:////absolute.db, as in playhouse.db_url
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(f'cannot open the database {url}: {error.strerror}') from None
        # BEGIN IMMEDIATE: a transaction that reads first and writes later cannot upgrade its lock while
        # another connection writes, and SQLite answers that with an immediate 'database is locked' that no
        # busy timeout retries; taking the write lock at BEGIN makes it wait its turn instead
        db = peewee.SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, timeout=10, lock_type='IMMEDIATE')
    else:
        params = db_url.parse(url)
        db = PooledPostgresqlDatabase(params.pop('database'), max_connections=pool_size,
                                      stale_timeout=300, timeout=10, **params)
    old = database.obj
    if old is not None and not old.is_closed():
        old.close()
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
    except peewee.OperationalError as error:
        raise ConfigError(f'cannot open the database {redact(url)}: {str(error).strip().splitlines()[0]}') from None
    return db


def redact(url: str) -> str:
    """The URL without its password, fit for a log line."""
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f':{parsed.password}@', ':***@')
    return url


def is_postgres() -> bool:
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def reachable() -> bool:
    try:
        database.execute_sql('SELECT 1').fetchone()
        return True
    except Exception:  # noqa: BLE001 - the health check reports any failure as unreachable
        return False
