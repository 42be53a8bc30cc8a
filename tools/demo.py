"""Believable demo data (`python main.py demo`, `--demo`): an admin, developers, a consumer organisation, a
catalog with apps and keys, invite codes. A tool, outside the layers: it calls the workflows as an admin would;
only the few users are written directly, with one password hash for all.

Idempotent: running it twice changes nothing the second time.
"""
from __future__ import annotations

from datetime import timedelta

from db import bootstrap, clock
from db.connection import database
from db.models import (AccessRequest, App, InviteCode, Membership, Organisation, OrgStatus, Product, Role, Team, User,
                       UserStatus)
from workflows import access, apps, catalog, content_pages, invite_codes, passwords

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
        maria = person('maria@acme.example', 'Maria', 'Garcia', acme, acme_team, role=Role.SUPER_ADMIN)
        person('tom@acme.example', 'Tom', 'Becker', acme, acme_team)
        priya = person('priya@globex.example', 'Priya', 'Natarajan', default, default_team)
        Organisation.create(name='Globex Payments', name_key='globex payments', status=OrgStatus.PENDING,
                            contact_email='priya@globex.example', requested_by=priya)
    _catalog()
    _invite_codes(maria)
    _pages()
    return f'demo data created; log in as {ADMIN_EMAIL} (admin) or dev@portico.example, password {DEMO_PASSWORD}'


def _invite_codes(super_admin: User) -> None:
    """Two codes: Acme's partner developers (a month), and a hackathon with few places left."""
    admin = User.get(User.email == ADMIN_EMAIL)
    acme_team = Team.get(Team.organisation == super_admin.organisation_id)
    today = clock.now().date()
    invite_codes.create(acme_team.id, 20, today + timedelta(days=30), 'active', 'Acme partner developers', by=admin)
    hackathon, _ = invite_codes.create(bootstrap.default_team(bootstrap.default_organisation()).id, 50,
                                       today + timedelta(days=2), 'active', 'Hackathon weekend', by=admin)
    InviteCode.update(used=47).where(InviteCode.id == hackathon.id).execute()


def _openapi(title: str, resource: str, fields: dict[str, str]) -> str:
    properties = '\n'.join(f'        {name}: {{type: {kind}}}' for name, kind in fields.items())
    return f"""openapi: 3.0.3
info:
  title: {title}
  version: 1.0.0
  description: The {title} of the demo provider.
paths:
  /{resource}:
    get:
      summary: List {resource}
      parameters:
        - {{name: limit, in: query, schema: {{type: integer}}, description: At most this many items}}
      responses:
        '200':
          description: The {resource}
          content:
            application/json:
              schema: {{type: array, items: {{$ref: '#/components/schemas/Item'}}}}
  /{resource}/{{id}}:
    get:
      summary: One item of {resource}
      parameters:
        - {{name: id, in: path, required: true, schema: {{type: string}}}}
      responses:
        '200':
          description: The item
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Item'}}
        '404': {{description: Not found}}
components:
  schemas:
    Item:
      type: object
      properties:
{properties}
"""


def _catalog() -> None:
    """APIs, products, plans and catalogs, and apps with credentials, so every page has something to show."""
    admin = User.get(User.email == ADMIN_EMAIL)
    weather = catalog.save_api(None, 'Weather API', '/weather/', 'https://weather.internal:8443',
                               _openapi('Weather API', 'forecasts', {'city': 'string', 'temperature': 'number'}),
                               by=admin)
    maps = catalog.save_api(None, 'Maps API', '/maps/', 'https://maps.internal:8443',
                            _openapi('Maps API', 'places', {'name': 'string', 'lat': 'number', 'lon': 'number'}),
                            by=admin)
    payments = catalog.save_api(None, 'Payments API', '/payments/', 'https://payments.internal:8443',
                                _openapi('Payments API', 'payments', {'amount': 'number', 'currency': 'string'}),
                                by=admin)
    free = catalog.save_plan(None, 'Free', 10, 60, 10000, 'month', False, by=admin)
    gold = catalog.save_plan(None, 'Gold', 1000, 60, 0, 'month', True, by=admin)
    public = catalog.save_catalog(None, 'Public', 'public', [], [free.id], by=admin)
    partners = catalog.save_catalog(None, 'Partners', 'private', [], [gold.id], by=admin)
    acme_only = catalog.save_catalog(None, 'Acme logistics', 'custom', [], [gold.id, free.id], by=admin)
    catalog.grant_organisation(acme_only, Organisation.get(Organisation.name == 'Acme Logistics'), by=admin)
    for name, summary, api, tags, catalogs in (
            ('Weather', 'Forecasts for any city, hourly.', weather, 'forecast, climate', [public, acme_only]),
            ('Maps', 'Places, geocoding and routes.', maps, 'geo, places', [public]),
            ('Payments', 'Take card payments in 40 currencies.', payments, 'money, cards', [partners])):
        catalog.save_product(None, name, '', summary,
                             f'## {name}\n\n{summary}\n\n* JSON over HTTPS\n* API key in the `X-API-Key` header',
                             [api.id], tags, [c.id for c in catalogs], by=admin, featured=name != 'Payments')
    products = {p.name: p for p in Product.select()}
    dev = User.get(User.email == 'dev@portico.example')
    access.request_access(dev, public.id, free.id, [products['Weather'].id, products['Maps'].id],
                          new_app_name='Travel planner', new_app_description='Weekend trips with good weather')
    planner = App.get(App.name == 'Travel planner')
    access.request_access(dev, partners.id, gold.id, [products['Payments'].id], app_id=planner.id)
    maria = User.get(User.email == 'maria@acme.example')
    access.request_access(maria, acme_only.id, gold.id, [products['Weather'].id], new_app_name='Fleet tracker',
                          new_app_description='Shared by everyone at Acme')
    access.approve(AccessRequest.get(AccessRequest.app == App.get(App.name == 'Fleet tracker')), by=admin)
    apps.create_app('Route optimiser', 'Draft app of Tom', by=User.get(User.email == 'tom@acme.example'))


def _pages() -> None:
    """Admin -> Pages: a guide in the header for everyone, terms in the footer, notes for Acme only."""
    admin = User.get(User.email == ADMIN_EMAIL)
    acme = Organisation.get(Organisation.name == 'Acme Logistics')
    for title, menu, audience, body in (
            ('Getting started', 'header', 'everyone', '## Your first call\n\n1. Create an account.\n2. Open a '
             'product in the Catalogs and use **Get access**.\n3. Send your key in the `X-API-Key` header.'),
            ('Terms of use', 'footer', 'everyone', 'Use the APIs fairly; the plans set the limits.'),
            ('Acme partner notes', 'header', 'chosen', 'The Acme logistics catalog has the Gold plan for your '
             'fleet; ask Maria for access.')):
        page = content_pages.create(title, '', by=admin)
        content_pages.save(page.id, content_pages.PageForm(title=title, slug=page.slug, body=body, menu=menu,
                                                           audience=audience,
                                                           organisation_ids=[acme.id] if audience == 'chosen' else []),
                           admin, based_on=None, publish=True)
