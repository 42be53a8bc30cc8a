"""Page build time and SQL queries per page with 100,000 users, 10,000 products and 100,000 apps.

Fills a fresh SQLite database, then opens each page through NiceGUI's user simulation (the server-side
build a browser would trigger, without the network) as a portal admin and as a developer, and prints the
median build time and the number of SQL statements per page. The budget (DESIGN.md): under 150 ms, and a
number of queries that does not grow with the data.

    .venv/bin/python bench/page_budget.py      (sizes: BENCH_USERS, BENCH_PRODUCTS, BENCH_APPS, BENCH_ROUNDS)

It runs as a pytest module (NiceGUI's simulated user comes from its pytest plugin); `make test` does
not collect it.
"""
from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = 'bench password 1'

ADMIN_PAGES = ['/admin', '/admin/users', '/admin/users?status=pending_approval', '/admin/organizations',
               '/admin/teams', '/admin/access-requests', '/admin/apps', '/admin/apis', '/admin/products',
               '/admin/plans', '/admin/catalogs', '/admin/outbox', '/admin/audit', '/admin/webhooks']
DEVELOPER_PAGES = ['/dashboard', '/catalogs', '/products/product-{middle}', '/cart', '/apps', '/apps/1',
                   '/dashboard/users']


def fill(users: int, products: int, apps: int) -> None:
    import config
    from db import bootstrap, migrations
    from db.connection import connect, database
    from db.models import (AccessRequest, AccessRequestProduct, Api, App, Catalog, CatalogPlan, CatalogProduct,
                           Membership, Organisation, Plan, Product, ProductApi, Team, User)
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
        request = AccessRequest.create(app=1, catalog=catalog, plan=plan, status='approved', requested_by=developer)
        AccessRequestProduct.create(request=request, product=1)
        from workflows.credentials import issue
        issue(request)
    print(f'filled {users:,} users, {products:,} products, {apps:,} apps in {time.monotonic() - started:.0f} s',
          flush=True)


SIZES = {name: int(os.environ.get(f'BENCH_{name.upper()}', default))
         for name, default in (('users', 100_000), ('products', 10_000), ('apps', 100_000), ('rounds', 5))}
FOLDER = tempfile.mkdtemp(prefix='portico-bench-pages-')
os.environ.update({'PORTICO_DATA_DIR': FOLDER, 'PORTICO_DATABASE_URL': f'sqlite:///{FOLDER}/portico.db',
                   'PORTICO_MAIL_POLL_SECONDS': '60'})
RESULTS: list[tuple[str, str, float, int]] = []


async def _measure(user, email: str, pages: list[str]) -> None:
    from db.connection import database
    counter = {'n': 0}
    original = database.obj.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        counter['n'] += 1
        return original(sql, params, *args, **kwargs)

    await user.open('/login')
    user.find(marker='login-email').type(email)
    user.find(marker='login-password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await asyncio.sleep(1.5)
    database.obj.execute_sql = counting
    try:
        for path in pages:
            timings, queries = [], 0
            for _ in range(SIZES['rounds']):
                counter['n'] = 0
                started = time.perf_counter()
                await user.open(path)
                timings.append((time.perf_counter() - started) * 1000)
                queries = counter['n']
            RESULTS.append((email, path, statistics.median(timings), queries))
    finally:
        database.obj.execute_sql = original


def test_fill() -> None:
    fill(SIZES['users'], SIZES['products'], SIZES['apps'])


async def test_admin_pages(user) -> None:
    await _measure(user, 'user0@bench.test', ADMIN_PAGES)


async def test_developer_pages(user) -> None:
    pages = [page.format(middle=SIZES['products'] // 2) for page in DEVELOPER_PAGES]
    await _measure(user, 'user1@bench.test', pages)


def test_report() -> None:
    print(f'\n\n{SIZES["users"]:,} users, {SIZES["products"]:,} products, {SIZES["apps"]:,} apps (SQLite); '
          f'median of {SIZES["rounds"]} builds')
    print('| page | as | build (ms) | SQL queries |\n| --- | --- | --- | --- |')
    for email, path, ms, queries in RESULTS:
        role = 'admin' if email.startswith('user0') else 'developer'
        print(f'| {path} | {role} | {ms:.0f} | {queries} |')
    worst = max(RESULTS, key=lambda row: row[2])
    print(f'slowest: {worst[1]} at {worst[2]:.0f} ms (budget: 150 ms)')


if __name__ == '__main__':
    import pytest
    sys.exit(pytest.main([__file__, '-s', '-q', '-p', 'no:cacheprovider', '-o', 'testpaths=bench',
                          '-W', 'ignore', '--rootdir', str(ROOT), '-c', str(ROOT / 'pytest.ini')]))
