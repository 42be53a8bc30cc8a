"""Schema versions: a fresh database is created from the models and stamped with the latest version;
an existing one is brought forward by the numbered steps below, each in one transaction.

To change the schema later: change the model in db/models.py, then append a step here that does the
same to an existing database (add a column, create a new table, back-fill data). Never edit a step
that has shipped. `python main.py migrate` runs the pending steps once; on PostgreSQL an advisory lock
makes instances that start together wait for each other instead of racing.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import peewee as pw
from playhouse.migrate import SchemaMigrator, migrate as apply

from db import models, search
from db.connection import database, is_postgres

log = logging.getLogger('portico.migrations')

ADVISORY_LOCK_KEY = 7_270_400_001


def _v2_user_last_login(migrator: SchemaMigrator) -> None:
    apply(migrator.add_column('user', 'last_login_at', models.User.last_login_at))


def _v3_api_reference(migrator: SchemaMigrator) -> None:
    database.create_tables([models.ApiReference])  # filled when an API is saved again (issue 13)


def _v5_search_and_paging(migrator: SchemaMigrator) -> None:
    # issue 14: word-prefix search structures and the indexes that keep deep pages cheap
    # (the names create_tables gives them; IF NOT EXISTS: a step may meet a table rebuilt by an earlier one)
    database.execute_sql('CREATE INDEX IF NOT EXISTS "user_status_created_at" ON "user" ("status", "created_at")')
    database.execute_sql('CREATE INDEX IF NOT EXISTS "product_name" ON "product" ("name")')
    search.install()


STEPS: list[tuple[int, str, Callable[[SchemaMigrator], None] | None]] = [
    (1, 'initial schema', None),
    (2, 'user.last_login_at', _v2_user_last_login),
    (3, 'api_reference table', _v3_api_reference),
    (5, 'search structures and paging indexes', _v5_search_and_paging),
]
LATEST = STEPS[-1][0]


def current_version() -> int | None:
    if not models.SchemaVersion.table_exists():
        return None
    return models.SchemaVersion.select(pw.fn.MAX(models.SchemaVersion.version)).scalar()


def migrate() -> str:
    """Create or upgrade the schema; returns a one-line summary for the console."""
    if is_postgres():
        database.execute_sql('SELECT pg_advisory_lock(%s)', (ADVISORY_LOCK_KEY,))
    try:
        return _migrate()
    finally:
        if is_postgres():
            database.execute_sql('SELECT pg_advisory_unlock(%s)', (ADVISORY_LOCK_KEY,))


def _migrate() -> str:
    version = current_version()
    if version is None:
        with database.atomic():
            database.create_tables(models.ALL_MODELS)
            search.install()
            models.SchemaVersion.create(version=LATEST)
        return f'database created at schema version {LATEST}'
    pending = [step for step in STEPS if step[0] > version]
    migrator = SchemaMigrator.from_database(database.obj)
    for number, description, step in pending:
        with database.atomic():
            if step is not None:
                step(migrator)
            models.SchemaVersion.create(version=number)
        log.info('applied migration %s: %s', number, description)
    if pending:
        # a step that rebuilt a table (SQLite copies it to change a constraint) took its search triggers
        # with it: put them back and fill the index again, whatever the order of the steps
        with database.atomic():
            search.install()
        return f'database upgraded from schema version {version} to {LATEST}'
    return f'database at schema version {version}'
