"""What a fresh install needs: the default organisation with its default team, and the settings rows."""
from __future__ import annotations

from db.connection import database, is_postgres
from db.models import Organisation, OrgStatus, Setting, Team, User
from db.settings import DEFAULTS


BOOTSTRAP_LOCK_KEY = 7_270_400_003


def run() -> Organisation:
    """The default organisation and team and a row per setting, once: instances that start together take turns
    (on PostgreSQL a transaction's advisory lock; SQLite's write lock does the same), so the second finds what the
    first made instead of making it twice."""
    with database.atomic():
        if is_postgres():
            database.execute_sql('SELECT pg_advisory_xact_lock(%s)', (BOOTSTRAP_LOCK_KEY,))
        org = default_organisation()
        if org is None:
            org = Organisation.create(name='Default organization', name_key='default organization',
                                      status=OrgStatus.ACTIVE, is_default=True)
        if not Team.select().where(Team.organisation == org, Team.is_default).exists():
            Team.create(organisation=org, name='Default team', is_default=True)
        existing = {row.key for row in Setting.select(Setting.key)}
        for key, value in DEFAULTS.items():
            if key not in existing:
                Setting.create(key=key, value=value)
    return org


def default_organisation() -> Organisation | None:
    return Organisation.get_or_none(Organisation.is_default)


def default_team(org: Organisation) -> Team:
    return Team.get((Team.organisation == org) & Team.is_default)


def admin_exists() -> bool:
    return User.select().where(User.is_portal_admin).exists()
