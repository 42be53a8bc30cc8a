"""Believable demo data (`python main.py --demo`): an admin, developers, a consumer organisation.

Idempotent: running it twice changes nothing the second time.
"""
from __future__ import annotations

from db import bootstrap
from db.connection import database
from db.models import Membership, Organisation, OrgStatus, Role, Team, User, UserStatus
from workflows import passwords

DEMO_PASSWORD = 'portico-demo-2024'
ADMIN_EMAIL = 'admin@portico.example'


def fill() -> str:
    if User.select().where(User.email == ADMIN_EMAIL).exists():
        return f'demo data is already there; log in as {ADMIN_EMAIL} / {DEMO_PASSWORD}'
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    with database.atomic():
        default = bootstrap.default_organisation()
        default_team = bootstrap.default_team(default)

        def person(email, first, last, org, team, **fields):
            user = User.create(email=email, first_name=first, last_name=last, password_hash=password_hash,
                               organisation=org, **{'status': UserStatus.ACTIVE, **fields})
            Membership.create(user=user, team=team)
            return user

        person(ADMIN_EMAIL, 'Grace', 'Hopper', default, default_team, is_portal_admin=True)
        person('dev@portico.example', 'Ada', 'Lovelace', default, default_team)
        person('linus@portico.example', 'Linus', 'Pauling', default, default_team, status=UserStatus.PENDING_APPROVAL)
        acme = Organisation.create(name='Acme Logistics', name_key='acme logistics', status=OrgStatus.ACTIVE,
                                   contact_email='api-team@acme.example')
        acme_team = Team.create(organisation=acme, name='Default team', is_default=True)
        person('maria@acme.example', 'Maria', 'Garcia', acme, acme_team, role=Role.SUPER_ADMIN)
        person('tom@acme.example', 'Tom', 'Becker', acme, acme_team)
        priya = person('priya@globex.example', 'Priya', 'Natarajan', default, default_team)
        Organisation.create(name='Globex Payments', name_key='globex payments', status=OrgStatus.PENDING,
                            contact_email='priya@globex.example', requested_by=priya)
    return f'demo data created; log in as {ADMIN_EMAIL} (admin) or dev@portico.example, password {DEMO_PASSWORD}'
