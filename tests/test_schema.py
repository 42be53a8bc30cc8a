"""The rules the database keeps itself (migration 4): a database upgraded from version 1 ends with the same
schema as a fresh one, on SQLite and (with PORTICO_TEST_DATABASE_URL) on PostgreSQL; unique names, one
default team, status values and the organisation's references hold even for writes that skip the workflows."""
from __future__ import annotations

import os
from pathlib import Path

import peewee as pw
import pytest

from db import bootstrap, migrations
from db.connection import connect, database, is_postgres
from db.models import App, Organisation, OrgStatus, Team, User
from tests.utils import a_user, reset_postgres

PG = os.environ.get('PORTICO_TEST_DATABASE_URL', '')
HERE = Path(__file__).parent


def describe() -> dict[str, set]:
    """What the schema is made of, in a form that does not depend on the order things were added in."""
    if not is_postgres():
        rows = database.execute_sql("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                    "WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL").fetchall()
        return {'objects': {tuple(row) for row in rows}}
    return {
        'columns': set(database.execute_sql(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, character_maximum_length "
            "FROM information_schema.columns WHERE table_schema = 'public'").fetchall()),
        'constraints': set(database.execute_sql(
            "SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid) FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public'").fetchall()),
        'indexes': set(database.execute_sql(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'").fetchall()),
    }


def load_version_1(kind: str) -> None:
    """A database as version 1 made it, with rows the new rules have to deal with."""
    for statement in (HERE / f'schema_v1.{kind}.sql').read_text().split(';\n'):
        lines = [line for line in statement.splitlines() if not line.startswith('--')]
        if ''.join(lines).strip():
            database.execute_sql('\n'.join(lines))
    database.execute_sql('INSERT INTO schema_version (version, applied_at) VALUES (1, CURRENT_TIMESTAMP)')
    now = 'CURRENT_TIMESTAMP'
    default_org = database.execute_sql(
        f"INSERT INTO organisation (name, name_key, status, contact_email, is_default, created_at) "
        f"VALUES ('Default organization', 'default organization', 'active', '', {_true()}, {now})")
    for name in ('Acme', 'ACME', 'acme'):  # taken twice more, before names were unique
        database.execute_sql(f"INSERT INTO organisation (name, name_key, status, contact_email, is_default, "
                             f"created_at) VALUES ('{name}', 'acme', 'active', '', {_false()}, {now})")
    del default_org
    for number, email in enumerate(('ann@consumer.test', 'bob@consumer.test'), start=1):
        database.execute_sql(f"INSERT INTO \"user\" (email, first_name, last_name, status, role, is_portal_admin, "
                             f"must_change_password, organisation_id, created_at) VALUES ('{email}', 'A', 'B', "
                             f"'active', 'team_member', {_false()}, {_false()}, 1, {now})")
        # two individual developers may both call their app "Weather"; one organisation may not
        database.execute_sql(f"INSERT INTO app (name, name_key, description, organisation_id, owner_id, status, "
                             f"created_at) VALUES ('Weather', 'weather', '', 1, {number}, 'active', {now})")
        database.execute_sql(f"INSERT INTO app (name, name_key, description, organisation_id, owner_id, status, "
                             f"created_at) VALUES ('Shared', 'shared', '', 2, {number}, 'active', {now})")
    for _ in range(2):
        database.execute_sql(f"INSERT INTO team (organisation_id, name, is_default, created_at) "
                             f"VALUES (2, 'Default team', {_true()}, {now})")


def _true() -> str:
    return 'TRUE' if is_postgres() else '1'


def _false() -> str:
    return 'FALSE' if is_postgres() else '0'


def _fresh_and_upgraded(open_fresh, open_old) -> tuple[dict, dict]:
    open_fresh()
    assert migrations.migrate() == f'database created at schema version {migrations.LATEST}'
    fresh = describe()
    open_old()
    load_version_1('postgres' if is_postgres() else 'sqlite')
    assert migrations.migrate() == f'database upgraded from schema version 1 to {migrations.LATEST}'
    return fresh, describe()


def _check_upgraded_rows() -> None:
    """The rows survived; names that broke the new rules got their ID appended, nothing was lost."""
    assert sorted(org.name for org in Organisation.select().where(~Organisation.is_default)) == \
        ['ACME (3)', 'Acme', 'acme (4)']
    assert sorted((app.owner_id, app.name, app.individual) for app in App.select()) == [
        (1, 'Shared', False), (1, 'Weather', True), (2, 'Shared (4)', False), (2, 'Weather', True)]
    assert [team.is_default for team in Team.select().order_by(Team.id)] == [True, False]
    assert [team.name for team in Team.select().order_by(Team.id)] == ['Default team', 'Default team (2)']
    assert User.select().count() == 2


def test_an_upgraded_sqlite_database_has_the_schema_of_a_fresh_one(tmp_path) -> None:
    fresh, upgraded = _fresh_and_upgraded(lambda: connect(f'sqlite:///{tmp_path / "fresh.db"}'),
                                          lambda: connect(f'sqlite:///{tmp_path / "old.db"}'))
    assert upgraded == fresh
    _check_upgraded_rows()
    assert database.execute_sql('PRAGMA foreign_keys').fetchone()[0] == 1  # back on after the rebuild


@pytest.mark.skipif(not PG, reason='needs PORTICO_TEST_DATABASE_URL (PostgreSQL)')
def test_an_upgraded_postgres_database_has_the_schema_of_a_fresh_one() -> None:
    def reset() -> None:
        database.close() if database.obj is not None else None
        reset_postgres(PG)
        connect(PG)
    fresh, upgraded = _fresh_and_upgraded(reset, reset)
    for part in fresh:
        assert upgraded[part] == fresh[part], (part, upgraded[part] ^ fresh[part])
    _check_upgraded_rows()


# --- the rules hold for any write, also one that skips the workflows' checks -------------------------

def test_a_live_organisation_name_is_unique_whatever_the_case(db) -> None:
    Organisation.create(name='Acme', name_key='acme', status=OrgStatus.PENDING)
    with pytest.raises(pw.IntegrityError), database.atomic():
        Organisation.create(name='ACME', name_key='acme', status=OrgStatus.ACTIVE)
    Organisation.create(name='acme', name_key='acme', status=OrgStatus.REJECTED)  # a rejected name is free
    Organisation.create(name='acme', name_key='acme', status=OrgStatus.REJECTED)


def test_an_organisation_has_one_default_team_and_unique_team_names(db) -> None:
    org = bootstrap.default_organisation()
    with pytest.raises(pw.IntegrityError), database.atomic():
        Team.create(organisation=org, name='Second default', is_default=True)
    Team.create(organisation=org, name='Ops')
    with pytest.raises(pw.IntegrityError), database.atomic():
        Team.create(organisation=org, name='Ops')
    other = Organisation.create(name='Other', name_key='other')
    Team.create(organisation=other, name='Ops', is_default=True)  # another organisation's names are its own


def test_app_names_are_unique_per_organisation_or_per_owner_in_the_default_one(db) -> None:
    default = bootstrap.default_organisation()
    ann, bob = a_user('ann@consumer.test'), a_user('bob@consumer.test')
    App.create(name='Weather', name_key='weather', organisation=default, owner=ann, individual=True)
    App.create(name='Weather', name_key='weather', organisation=default, owner=bob, individual=True)
    with pytest.raises(pw.IntegrityError), database.atomic():
        App.create(name='WEATHER', name_key='weather', organisation=default, owner=ann, individual=True)
    acme = Organisation.create(name='Acme', name_key='acme')
    App.create(name='Weather', name_key='weather', organisation=acme, owner=ann)
    with pytest.raises(pw.IntegrityError), database.atomic():
        App.create(name='Weather', name_key='weather', organisation=acme, owner=bob)


@pytest.mark.parametrize('table, column', [('organisation', 'status'), ('user', 'status'), ('user', 'role'),
                                           ('app', 'status'), ('api', 'status'), ('access_request', 'status'),
                                           ('credential', 'status'), ('outbox_message', 'status')])
def test_a_status_column_refuses_an_unknown_value(db, table, column) -> None:
    a_user('ann@consumer.test')
    with pytest.raises(pw.IntegrityError, match='(?i)check'), database.atomic():
        database.execute_sql(f'UPDATE "{table}" SET "{column}" = \'activ\'')
        if database.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] == 0:
            _insert_one(table, column)


def _insert_one(table: str, column: str) -> None:
    """An empty table: the unknown value in a new row (the other columns from a valid model row)."""
    from db import models
    model = {m._meta.table_name: m for m in models.ALL_MODELS}[table]
    model.insert(**_minimal_row(model), **{column: 'activ'}).execute()


def _minimal_row(model) -> dict:
    from db.models import AccessRequest, Api, App, Catalog, Credential, OutboxMessage, Plan
    default = bootstrap.default_organisation()
    user = User.get()
    if model is Api:
        return {'name': 'A', 'base_path': '/a/'}
    if model is OutboxMessage:
        return {'template_key': 'created', 'recipient': 'x@y.test'}
    app = App.create(name='X', name_key='x', organisation=default, owner=user, individual=True)
    if model is App:
        return {'name': 'Y', 'name_key': 'y', 'organisation': default}
    request = AccessRequest.create(app=app, catalog=Catalog.create(name='C'), plan=Plan.create(name='P'))
    if model is AccessRequest:
        return {'app': app, 'catalog': request.catalog, 'plan': request.plan}
    assert model is Credential
    return {'access_request': request, 'app': app, 'key_prefix': 'k', 'key_hash': 'h', 'key_encrypted': 'e'}


def test_an_organisation_keeps_no_reference_to_a_deleted_user(db) -> None:
    """Organisation.requested_by and decided_by are foreign keys now: a deleted user leaves NULL, and a
    reference to a user who never existed is refused."""
    ann = a_user('ann@consumer.test')
    org = Organisation.create(name='Acme', name_key='acme', status=OrgStatus.PENDING, requested_by=ann,
                              decided_by=ann)
    User.delete().where(User.id == ann.id).execute()
    org = Organisation.get_by_id(org.id)
    assert org.requested_by_id is None and org.decided_by_id is None
    with pytest.raises(pw.IntegrityError), database.atomic():
        Organisation.create(name='Ghost', name_key='ghost', requested_by=987654)


def test_an_upgrade_that_meets_an_unknown_status_stops_and_changes_nothing(tmp_path) -> None:
    """A row no release wrote (status "archived"): migration 4 fails whole (steps 2 and 3, each its own
    transaction, stay done), the rows are as they were, and SQLite's foreign keys are on again."""
    if PG:
        database.close() if database.obj is not None else None
        reset_postgres(PG)
        connect(PG)
    else:
        connect(f'sqlite:///{tmp_path / "old.db"}')
    load_version_1('postgres' if is_postgres() else 'sqlite')
    database.execute_sql("UPDATE organisation SET status = 'archived' WHERE name = 'ACME'")
    with pytest.raises(pw.IntegrityError):
        migrations.migrate()
    assert migrations.current_version() == 3
    names = [row[0] for row in database.execute_sql('SELECT name FROM organisation ORDER BY id').fetchall()]
    assert names == ['Default organization', 'Acme', 'ACME', 'acme']
    if not is_postgres():
        assert database.execute_sql('PRAGMA foreign_keys').fetchone()[0] == 1
        assert not database.execute_sql("SELECT name FROM sqlite_master WHERE name LIKE '%__v3'").fetchall()
