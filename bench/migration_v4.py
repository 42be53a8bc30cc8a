"""How long migration 4 (unique indexes, status CHECKs, the organisation's foreign keys) takes on a big
database: a version-1 database with BENCH_USERS users (100,000), BENCH_APPS apps (100,000), BENCH_ORGS
organisations (1,000) and as many teams, upgraded to the latest version. On SQLite the migration rebuilds
seven tables; on PostgreSQL (BENCH_DATABASE_URL, an empty database: its public schema is dropped) it adds
the constraints in place.

    .venv/bin/python bench/migration_v4.py
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from db import migrations
    from db.connection import connect, database, is_postgres
    from tests.test_schema import load_version_1
    from tests.utils import reset_postgres

    users, apps, orgs = (int(os.environ.get(name, default)) for name, default in
                         (('BENCH_USERS', 100_000), ('BENCH_APPS', 100_000), ('BENCH_ORGS', 1_000)))
    url = os.environ.get('BENCH_DATABASE_URL', '')
    if url:
        reset_postgres(url)
    else:
        url = f'sqlite:///{tempfile.mkdtemp()}/bench.db'
    connect(url)
    kind = 'postgres' if is_postgres() else 'sqlite'
    load_version_1(kind)  # the default organisation (1), three "acme" (2-4) and two users
    true, false = ('TRUE', 'FALSE') if is_postgres() else ('1', '0')
    started = time.perf_counter()
    with database.atomic():
        database.execute_sql(f"INSERT INTO organisation (name, name_key, status, contact_email, is_default, created_at) "
                             f"SELECT 'Org ' || n, 'org ' || n, 'active', '', {false}, CURRENT_TIMESTAMP "
                             f"FROM ({_numbers(orgs)}) AS numbers")
        database.execute_sql(f"INSERT INTO team (organisation_id, name, is_default, created_at) "
                             f"SELECT id, 'Default team', {true}, CURRENT_TIMESTAMP FROM organisation WHERE id > 4")
        database.execute_sql(f"INSERT INTO \"user\" (email, first_name, last_name, status, role, is_portal_admin, "
                             f"must_change_password, organisation_id, created_at) SELECT 'user' || n || '@bench.test', "
                             f"'U', 'B', 'active', 'team_member', {false}, {false}, 5 + {_mod('n', orgs)}, CURRENT_TIMESTAMP "
                             f"FROM ({_numbers(users)}) AS numbers")
        database.execute_sql(f"INSERT INTO app (name, name_key, description, organisation_id, owner_id, status, "
                             f"created_at) SELECT 'App ' || n, 'app ' || n, '', 1 + {_mod('n', orgs)}, 1 + {_mod('n', users)}, "
                             f"'active', CURRENT_TIMESTAMP FROM ({_numbers(apps)}) AS numbers")
    print(f'{kind}: filled a version-1 database in {time.perf_counter() - started:.1f} s '
          f'({users:,} users, {apps:,} apps, {orgs:,} organisations)')
    started = time.perf_counter()
    summary = migrations.migrate()
    print(f'{kind}: {summary} in {time.perf_counter() - started:.1f} s; load average {_load()}')


def _mod(column: str, divisor: int) -> str:
    return f'({column} - ({column} / {divisor}) * {divisor})'  # integer division in both databases


def _numbers(count: int) -> str:
    """1..count as rows of a column n, in SQL both databases understand."""
    return (f'WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count}) '
            'SELECT n FROM seq')


def _load() -> str:
    return Path('/proc/loadavg').read_text().split()[0] if Path('/proc/loadavg').exists() else '?'


if __name__ == '__main__':
    main()
