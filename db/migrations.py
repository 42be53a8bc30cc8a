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
from contextlib import contextmanager

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


# migration 4: the tables whose CHECK constraints (and, for organisation, foreign keys) SQLite can only
# get by rebuilding them; PostgreSQL adds them in place
CHECKED = [(models.Organisation, [models.OrgStatus]), (models.User, [models.UserStatus, models.Role]),
           (models.App, [models.AppStatus]), (models.Api, [models.ApiStatus]),
           (models.AccessRequest, [models.AccessStatus]), (models.Credential, [models.CredentialStatus]),
           (models.OutboxMessage, [models.OutboxStatus])]
DEFERRED_KEYS = [models.Organisation.requested_by, models.Organisation.decided_by]


def _v4_rules_in_the_database(migrator: SchemaMigrator) -> None:
    """Unique names, one default team, status CHECKs and the organisation's foreign keys (issue 14)."""
    if is_postgres():
        apply(migrator.add_column('app', 'individual', models.App.individual))
    else:
        for model, _values in CHECKED:  # app gets its new column here too
            _rebuild(model)
    models.App.update(individual=True).where(models.App.organisation.in_(
        models.Organisation.select(models.Organisation.id).where(models.Organisation.is_default))).execute()
    _deduplicate()
    if is_postgres():
        for model, values in CHECKED:
            table = model._meta.table_name
            for named in values:
                database.execute_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_{named.column}_check" '
                                     f'{models.one_of(named).sql}')
        _add_deferred_keys()
    for model in {model for model, _values in CHECKED} | {models.Team, models.AuditEvent}:
        _create_indexes_of_present_columns(model)


def _create_indexes_of_present_columns(model: type[models.BaseModel]) -> None:
    """The model's indexes over columns the table has now: a later step adds its own columns with their indexes
    (the model is the newest one, also when an old database takes this step)."""
    present = {column.name for column in database.get_columns(model._meta.table_name)}
    for index in model._meta.fields_to_index():
        columns = [getattr(part, 'column_name', None) for part in getattr(index, '_expressions', [])]
        if all(column is None or column in present for column in columns):
            database.execute(model._schema._create_index(index, safe=True))


def _deduplicate() -> None:
    """Names made unique before the unique indexes: a later duplicate gets its ID appended (logged). One
    grouping query per rule finds the duplicates, whatever the size of the tables."""
    Org, Team, App = models.Organisation, models.Team, models.App
    live = Org.status.in_([models.OrgStatus.ACTIVE, models.OrgStatus.PENDING])
    for (key,) in Org.select(Org.name_key).where(live).group_by(Org.name_key).having(pw.fn.COUNT(Org.id) > 1) \
            .tuples():
        _rename_later(Org, Org.select().where(live & (Org.name_key == key)), key_too=True)
    for org_id, name in Team.select(Team.organisation, Team.name).group_by(Team.organisation, Team.name) \
            .having(pw.fn.COUNT(Team.id) > 1).tuples():
        _rename_later(Team, Team.select().where((Team.organisation == org_id) & (Team.name == name)))
    for (org_id,) in Team.select(Team.organisation).where(Team.is_default).group_by(Team.organisation) \
            .having(pw.fn.COUNT(Team.id) > 1).tuples():
        first = Team.select(pw.fn.MIN(Team.id)).where((Team.organisation == org_id) & Team.is_default).scalar()
        Team.update(is_default=False).where((Team.organisation == org_id) & (Team.id != first)).execute()
        log.warning('migration 4: organisation %s keeps team %s as its only default team', org_id, first)
    for scope, individual in ((App.organisation, False), (App.owner, True)):
        for scope_id, key in (App.select(scope, App.name_key)
                              .where((App.individual == individual) & scope.is_null(False))
                              .group_by(scope, App.name_key).having(pw.fn.COUNT(App.id) > 1).tuples()):
            _rename_later(App, App.select().where((App.individual == individual) & (scope == scope_id)
                                                  & (App.name_key == key)), key_too=True)


def _rename_later(model, same, key_too: bool = False) -> None:
    """All but the first (oldest) row of `same` get their ID appended to their name."""
    for row in list(same.order_by(model.id))[1:]:
        name = _suffixed(row.name, row.id)
        changes = {model.name: name, **({model.name_key: name.lower()} if key_too else {})}
        model.update(changes).where(model.id == row.id).execute()
        log.warning('migration 4: %s %s renamed to %r (the name was taken)', model._meta.table_name, row.id, name)


def _suffixed(name: str, row_id: int) -> str:
    suffix = f' ({row_id})'
    return name[:100 - len(suffix)] + suffix


def _add_deferred_keys() -> None:
    """PostgreSQL: the organisation's keys to user, added once both tables exist."""
    for field in DEFERRED_KEYS:
        models.Organisation._schema.create_foreign_key(field)


@contextmanager
def _inline_deferred_keys():
    """SQLite cannot add a foreign key later: the organisation table is created with them inline (SQLite
    accepts a reference to a table that does not exist yet)."""
    for field in DEFERRED_KEYS:
        field.deferred = False
    try:
        yield
    finally:
        for field in DEFERRED_KEYS:
            field.deferred = True


def _rebuild(model: type[models.BaseModel]) -> None:
    """SQLite's way to change a table: a new one from the model, the rows copied, the old one dropped
    (run with foreign keys off and legacy_alter_table on, so other tables' references keep the name)."""
    table = model._meta.table_name
    old = f'{table}__v3'
    for (name,) in database.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                        "AND sql IS NOT NULL", (table,)).fetchall():
        database.execute_sql(f'DROP INDEX "{name}"')
    database.execute_sql(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    with _inline_deferred_keys():
        model._schema.create_table(safe=False)  # its indexes once the rows are in and made unique
    kept = {row[1] for row in database.execute_sql(f'PRAGMA table_info("{old}")').fetchall()}
    fields = model._meta.sorted_fields
    added = [field.db_value(field.default) for field in fields if field.column_name not in kept]  # their defaults
    columns = ', '.join(f'"{field.column_name}"' for field in fields)
    values = ', '.join(f'"{field.column_name}"' if field.column_name in kept else '?' for field in fields)
    database.execute_sql(f'INSERT INTO "{table}" ({columns}) SELECT {values} FROM "{old}"', added)
    database.execute_sql(f'DROP TABLE "{old}"')


def create_schema() -> None:
    """A fresh database: every table from the models, and what migration 4 adds that create_tables cannot."""
    if is_postgres():
        database.create_tables(models.ALL_MODELS)
        _add_deferred_keys()
    else:
        with _inline_deferred_keys():
            database.create_tables(models.ALL_MODELS)
    search.install()


def _v5_search_and_paging(migrator: SchemaMigrator) -> None:
    # issue 14: word-prefix search structures and the indexes that keep deep pages cheap
    # (the names create_tables gives them; IF NOT EXISTS: a step may meet a table rebuilt by an earlier one)
    database.execute_sql('CREATE INDEX IF NOT EXISTS "user_status_created_at" ON "user" ("status", "created_at")')
    database.execute_sql('CREATE INDEX IF NOT EXISTS "product_name" ON "product" ("name")')
    search.install()


def _v6_invite_codes(migrator: SchemaMigrator) -> None:
    database.create_tables([models.InviteCode])  # issue 15; its setting row is added by bootstrap at start


def _v7_api_tokens_and_webhooks(migrator: SchemaMigrator) -> None:
    database.create_tables([models.ApiToken, models.WebhookEndpoint, models.WebhookEvent, models.WebhookDelivery,
                            models.WebhookAttempt])  # issue 16


def _v8_search_prefixes(migrator: SchemaMigrator) -> None:
    # issue 14: FTS5 tables with prefix indexes (a word that starts almost every word read in one list);
    # PostgreSQL's GIN index needs nothing new
    if not is_postgres():
        search.uninstall_sqlite()
    search.install()


def _v9_identity_providers(migrator: SchemaMigrator) -> None:
    database.create_tables([models.IdentityProvider, models.ExternalIdentity])


def _v10_sign_in_factors(migrator: SchemaMigrator) -> None:
    # issue 24: how each session signed in; the provider's team and role mapping; second factors. Step 9 creates
    # identity_provider from the model of the day, so a database that took step 9 later has these columns already.
    wanted = [('user_session', field) for field in (models.UserSession.method, models.UserSession.user_agent,
                                                    models.UserSession.ip, models.UserSession.provider_id,
                                                    models.UserSession.provider_sid)]
    wanted += [('identity_provider', field) for field in (models.IdentityProvider.team_groups,
                                                          models.IdentityProvider.super_admin_group,
                                                          models.IdentityProvider.required)]
    present = {table: {column.name for column in database.get_columns(table)} for table in
               ('user_session', 'identity_provider')}
    apply(*[migrator.add_column(table, field.column_name, field) for table, field in wanted
            if field.column_name not in present[table]])
    database.create_tables([models.TotpFactor, models.RecoveryCode, models.Passkey])


def _v11_brand_assets(migrator: SchemaMigrator) -> None:
    database.create_tables([models.BrandAsset])  # issue 25: the brand's logo and favicon


def _v12_content_pages(migrator: SchemaMigrator) -> None:
    # issue 25, item 2: Admin -> Pages, and the products featured on the default home page
    if 'featured' not in {column.name for column in database.get_columns('product')}:
        apply(migrator.add_column('product', 'featured', models.Product.featured))
    database.create_tables([models.ContentPage, models.PageRevision, models.PageAudienceGrant])


def _v13_guides(migrator: SchemaMigrator) -> None:
    database.create_tables([models.Guide])  # issue 25, item 3: guides per product


def _v14_operations_index(migrator: SchemaMigrator) -> None:
    """Issue 25, item 5: the operations of every API's document, for the portal's search; filled from the documents
    already stored (one API at a time: a document may be megabytes). The search structures come with the final
    `search.install()` of `_migrate`."""
    database.create_tables([models.ApiOperation])
    Api = models.Api
    documented = models.ApiReference.select(models.ApiReference.api)
    for (api_id,) in Api.select(Api.id).where(Api.id.in_(documented)).order_by(Api.id).tuples():
        document = Api.select(Api.openapi).where(Api.id == api_id).scalar()
        rows = search.operation_rows(api_id, document)
        for start in range(0, len(rows), 500):
            models.ApiOperation.insert_many(rows[start:start + 500]).execute()


def _v15_key_ends(migrator: SchemaMigrator) -> None:
    # issue 26: when a key stops (a rotation's overlap, its plan's key lifetime) and when its owners were reminded
    present = {column.name for column in database.get_columns('credential')}
    apply(*[migrator.add_column('credential', field.column_name, field)
            for field in (models.Credential.expires_at, models.Credential.end_reason, models.Credential.reminded_at)
            if field.column_name not in present])
    if 'key_lifetime_days' not in {column.name for column in database.get_columns('plan')}:
        apply(migrator.add_column('plan', 'key_lifetime_days', models.Plan.key_lifetime_days))
    if 'changes_id' not in {column.name for column in database.get_columns('access_request')}:  # plan changes
        apply(migrator.add_column('access_request', 'changes_id', models.AccessRequest.changes))
    database.execute_sql('CREATE INDEX IF NOT EXISTS "credential_expires_at" ON "credential" ("expires_at")')


def _v16_oauth_clients(migrator: SchemaMigrator) -> None:
    # issue 26, item 4: plans issuing OAuth clients, the clients, the authorisation server's signing keys
    if 'credential_kind' not in {column.name for column in database.get_columns('plan')}:
        apply(migrator.add_column('plan', 'credential_kind', models.Plan.credential_kind))
    database.create_tables([models.OAuthClient, models.SigningKey, models.ClientAssertion])


def _v17_api_versions(migrator: SchemaMigrator) -> None:
    # issue 26, item 5: API versions and deprecation
    present = {column.name for column in database.get_columns('api')}
    apply(*[migrator.add_column('api', field.column_name, field)
            for field in (models.Api.version_of, models.Api.version, models.Api.deprecated_at, models.Api.sunset_at,
                          models.Api.successor, models.Api.deprecation_notices_sent)
            if field.column_name not in present])


def _v18_languages(migrator: SchemaMigrator) -> None:
    # issue 28: the user's and the email's language, email templates per language, translations of content
    for table, field in (('user', models.User.locale), ('outbox_message', models.OutboxMessage.locale)):
        if field.column_name not in {column.name for column in database.get_columns(table)}:
            apply(migrator.add_column(table, field.column_name, field))
    database.create_tables([models.EmailTemplate, models.ContentTranslation])
    if 'email_template' in database.get_tables():
        database.execute_sql('INSERT INTO "email_template_text" ("key", "locale", "subject", "body", "updated_by_id", '
                             '"updated_at") SELECT "key", \'en\', "subject", "body", "updated_by_id", "updated_at" '
                             'FROM "email_template"')
        database.execute_sql('DROP TABLE "email_template"')


STEPS: list[tuple[int, str, Callable[[SchemaMigrator], None] | None]] = [
    (1, 'initial schema', None),
    (2, 'user.last_login_at', _v2_user_last_login),
    (3, 'api_reference table', _v3_api_reference),
    (4, 'unique names, status checks, organisation foreign keys', _v4_rules_in_the_database),
    (5, 'search structures and paging indexes', _v5_search_and_paging),
    (6, 'invite_code table', _v6_invite_codes),
    (7, 'api_token and webhook tables (issue 16)', _v7_api_tokens_and_webhooks),
    (8, 'search prefix indexes', _v8_search_prefixes),
    (9, 'identity_provider and external_identity tables (issue 24)', _v9_identity_providers),
    (10, 'session method and device, provider team mapping, TOTP, recovery codes, passkeys (issue 24)',
     _v10_sign_in_factors),
    (11, 'brand_asset table (issue 25)', _v11_brand_assets),
    (12, 'content pages with revisions and audiences, featured products (issue 25)', _v12_content_pages),
    (13, 'guide table: guides per product (issue 25)', _v13_guides),
    (14, 'api_operation table: the operations index of the search (issue 25)', _v14_operations_index),
    (15, 'key ends: credential.expires_at, end_reason, reminded_at; plan.key_lifetime_days; plan changes (issue 26)',
     _v15_key_ends),
    (16, 'plan.credential_kind, oauth_client, signing_key, client_assertion tables (issue 26)', _v16_oauth_clients),
    (17, 'api versions and deprecation: api.version_of, version, deprecated_at, sunset_at, successor (issue 26)',
     _v17_api_versions),
    (18, 'user.locale, outbox_message.locale, email templates per language, content_translation (issue 28)',
     _v18_languages),
]
LATEST = STEPS[-1][0]


def current_version() -> int | None:
    if not models.SchemaVersion.table_exists():
        return None
    return models.SchemaVersion.select(pw.fn.MAX(models.SchemaVersion.version)).scalar()


def check() -> str:
    """What `migrate` would do, changing nothing (`python main.py migrate --check`)."""
    version = current_version()
    if version is None:
        return f'no schema yet: migrate would create it at schema version {LATEST}'
    if version > LATEST:
        return f'the database has schema version {version}, newer than this code knows ({LATEST}): upgrade Portico'
    pending = [(number, description) for number, description, _ in STEPS if number > version]
    if not pending:
        return f'schema version {version} is current: nothing to do'
    steps = '; '.join(f'{number}: {description}' for number, description in pending)
    return f'schema version {version} -> {LATEST}, {len(pending)} step{"s" if len(pending) != 1 else ""}: {steps}'


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
            create_schema()
            models.SchemaVersion.create(version=LATEST)
        return f'database created at schema version {LATEST}'
    pending = [step for step in STEPS if step[0] > version]
    migrator = SchemaMigrator.from_database(database.obj)
    sqlite = not is_postgres()
    if pending and sqlite:  # table rebuilds: pragmas that only take effect outside a transaction
        database.execute_sql('PRAGMA foreign_keys = OFF')
        database.execute_sql('PRAGMA legacy_alter_table = ON')
    try:
        for number, description, step in pending:
            with database.atomic():
                if step is not None:
                    step(migrator)
                if sqlite:
                    broken = database.execute_sql('PRAGMA foreign_key_check').fetchall()
                    if broken:
                        raise RuntimeError(f'migration {number} leaves broken references: {broken[:5]}')
                models.SchemaVersion.create(version=number)
            log.info('applied migration %s: %s', number, description)
    finally:
        if pending and sqlite:
            database.execute_sql('PRAGMA legacy_alter_table = OFF')
            database.execute_sql('PRAGMA foreign_keys = ON')
    if pending:
        # a step that rebuilt a table (SQLite copies it to change a constraint) took its search triggers
        # with it: put them back and fill the index again, whatever the order of the steps
        with database.atomic():
            search.install()
        return f'database upgraded from schema version {version} to {LATEST}'
    return f'database at schema version {version}'
