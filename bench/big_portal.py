"""A portal at the size of the page budgets (DESIGN.md): 100,000 users in 100 organisations, 10,000 products
in a Public catalog, 100,000 apps, a Custom catalog with teams, a developer with a cart and a key, invite codes.
Written in batches of 5,000 rows straight into the tables; bench/page_budget.py opens its pages.
"""
from __future__ import annotations

import time

PASSWORD = 'bench password 1'  # every user's, hashed once


def fill(users: int, products: int, apps: int) -> None:
    """The database named by PORTICO_DATABASE_URL (migrated first), filled to these sizes."""
    import config
    from db import bootstrap, migrations
    from db.connection import connect, database
    from db.models import (AccessRequest, AccessRequestProduct, Api, App, CartItem, Catalog, CatalogPlan,
                           CatalogProduct, CatalogTeam, Membership, Organisation, Plan, Product, ProductApi, Team,
                           User)
    from workflows import passwords
    cfg = config.load()
    config.use(cfg)
    connect(cfg.database_url)
    migrations.migrate()
    default = bootstrap.run()
    password_hash = passwords.hash_password(PASSWORD)
    started = time.monotonic()
    with database.atomic():
        orgs = [Organisation.insert(name=f'Org {i}', name_key=f'org {i}', status='active').execute()
                for i in range(100)]
        for org in orgs:
            Team.insert(organisation=org, name='Default team', is_default=True).execute()
        for first in range(0, users, 5000):
            rows = [{'email': f'user{i}@bench.test', 'first_name': 'User', 'last_name': str(i), 'status': 'active',
                     'role': 'super_admin' if i % 1000 == 0 else 'team_member', 'organisation': orgs[i % 100],
                     'password_hash': password_hash, 'is_portal_admin': i == 0}
                    for i in range(first, min(users, first + 5000))]
            User.insert_many(rows).execute()
        User.update(organisation=default).where(User.email.in_(['user0@bench.test', 'user1@bench.test'])).execute()
        Membership.insert_from(User.select(User.id, Team.id).join(Team, on=(
            (Team.organisation == User.organisation) & Team.is_default)), [Membership.user, Membership.team]).execute()
        api = Api.create(name='Bench API', base_path='/bench/', status='published')
        catalog = Catalog.create(name='Public', visibility='public')
        plan = Plan.create(name='Free', rate_limit=100, rate_period=60)
        CatalogPlan.create(catalog=catalog, plan=plan)
        for first in range(0, products, 5000):
            Product.insert_many([{'name': f'Product {i}', 'slug': f'product-{i}', 'summary': f'Product number {i}',
                                  'tags': 'bench,api'} for i in range(first, min(products, first + 5000))]).execute()
        ProductApi.insert_from(Product.select(Product.id, api.id), [ProductApi.product, ProductApi.api]).execute()
        CatalogProduct.insert_from(Product.select(catalog.id, Product.id),
                                   [CatalogProduct.catalog, CatalogProduct.product]).execute()
        developer = User.get(User.email == 'user1@bench.test')
        for first in range(0, apps, 5000):
            App.insert_many([{'name': f'App {i}', 'name_key': f'app {i}', 'organisation': orgs[i % 100],
                              'status': 'active'} for i in range(first, min(apps, first + 5000))]).execute()
        App.update(organisation=default, owner=developer).where(App.id <= 3).execute()
        partners = Catalog.create(name='Partners', visibility='custom')  # a Custom catalog, for its Teams dialog
        CatalogPlan.create(catalog=partners, plan=plan)
        CatalogTeam.insert_from(Team.select(partners.id, Team.id).where(Team.organisation.in_(orgs[:3])),
                                [CatalogTeam.catalog, CatalogTeam.team]).execute()
        CartItem.insert_many([{'user': developer, 'catalog': catalog, 'product': product}
                              for product in range(1, 3)]).execute()  # 2 items; 18 more before the second cart
        request = AccessRequest.create(app=1, catalog=catalog, plan=plan, status='approved', requested_by=developer)
        AccessRequestProduct.create(request=request, product=1)
        from workflows.credentials import issue
        issue(request)
        _invite_codes(users // 10, orgs)
    print(f'filled {users:,} users, {products:,} products, {apps:,} apps in {time.monotonic() - started:.0f} s',
          flush=True)


def _invite_codes(count: int, orgs: list[int]) -> None:
    """Invite codes for every organisation (a tenth of the users): some used up, some expiring soon."""
    import hashlib
    from datetime import timedelta

    from db import clock
    from db.models import InviteCode, Team
    teams = [team.id for team in Team.select(Team.id).where(Team.organisation.in_(orgs))]
    now = clock.now()
    for first in range(0, count, 5000):
        InviteCode.insert_many([{
            'team': teams[i % len(teams)], 'code_prefix': f'inv_{i:06d}', 'code_encrypted': 'x',
            'code_hash': hashlib.sha256(f'bench{i}'.encode()).hexdigest(), 'quota': 100, 'used': i % 101,
            'expires_at': now + timedelta(days=i % 60), 'note': f'{"Hackathon" if i % 7 == 0 else "Partner"} {i}',
        } for i in range(first, min(count, first + 5000))]).execute()
