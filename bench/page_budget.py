"""Page build time and SQL queries per page with 100,000 users, 10,000 products and 100,000 apps.

Fills a fresh SQLite database, then opens each page through NiceGUI's user simulation (the server-side
build a browser would trigger, without the network) as a portal admin and as a developer, and prints the
median build time and the number of SQL statements per page. The budget (DESIGN.md): under 150 ms, and a
number of queries that does not grow with the data.

Besides opening pages (issue 14) it searches every list (a word that matches thousands of rows, a word that
starts a word of every row, such as the e-mail domain all users share, and one that matches nothing), goes to the last page, opens a 2-item and a 20-item cart, opens every admin dialog and
types into the dialogs that search as you type; a search or a page change counts from the event to the new
rows shown (they are read in a worker thread, so the time includes the hop there and back).

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
               '/admin/teams', '/admin/invite-codes', '/admin/access-requests', '/admin/apps', '/admin/apis',
               '/admin/products', '/admin/plans', '/admin/catalogs', '/admin/outbox', '/admin/audit',
               '/admin/webhooks']
DEVELOPER_PAGES = ['/dashboard', '/catalogs', '/products/product-{middle}', '/cart', '/apps', '/apps/1',
                   '/dashboard/users']


def fill(users: int, products: int, apps: int) -> None:
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


SIZES = {name: int(os.environ.get(f'BENCH_{name.upper()}', default))
         for name, default in (('users', 100_000), ('products', 10_000), ('apps', 100_000), ('rounds', 5))}
FOLDER = tempfile.mkdtemp(prefix='portico-bench-pages-')
os.environ.update({'PORTICO_DATA_DIR': FOLDER, 'PORTICO_DATABASE_URL': f'sqlite:///{FOLDER}/portico.db',
                   'PORTICO_MAIL_POLL_SECONDS': '60'})
RESULTS: list[tuple[str, str, float, int, float]] = []  # case, role, median ms, queries, median longest stall ms


class Counter:
    """SQL statements of every thread (list reads run in worker threads); the mail worker polls once a minute."""

    def __init__(self) -> None:
        from db.connection import database
        self.n = 0
        self.database = database.obj
        self.original = database.obj.execute_sql

    def __enter__(self) -> Counter:
        def counting(sql, params=None, *args, **kwargs):
            self.n += 1
            return self.original(sql, params, *args, **kwargs)

        self.database.execute_sql = counting
        return self

    def __exit__(self, *_) -> None:
        self.database.execute_sql = self.original


def found(user, marker: str) -> set:
    try:
        return set(user.find(marker=marker).elements)
    except AssertionError:
        return set()


async def shown(user, markers: list[str], before: set, timeout: float = 10.0) -> None:
    """Until an element with one of these markers that was not there `before` appears (the new rows)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for marker in markers:
            if found(user, marker) - before:
                return
        await asyncio.sleep(0.0005)
    raise AssertionError(f'{markers} did not appear')


async def log_in(user, email: str) -> None:
    await user.open('/login')
    user.find(marker='login-email').type(email)
    user.find(marker='login-password').type(PASSWORD)
    user.find(marker='login-submit').click()
    deadline = time.perf_counter() + 60  # argon2 at its production cost on a busy machine
    while found(user, 'login-card') and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)


class StallWatch:
    """The longest time the event loop went without running a task that asks to run every millisecond: how long
    the longest single piece of work (a page build, a handler) held the loop that every page, websocket and
    gateway call of the instance shares (DESIGN.md: no request blocks it for more than 50 ms)."""

    async def __aenter__(self) -> StallWatch:
        self.longest = 0.0
        self.task = asyncio.create_task(self._watch())
        await asyncio.sleep(0)
        return self

    async def _watch(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            self.longest = max(self.longest, (time.perf_counter() - before - 0.001) * 1000)

    async def __aexit__(self, *_) -> None:
        await asyncio.sleep(0.002)  # the watcher's last wake-up sees the end of the last piece of work
        self.task.cancel()


async def measure(label: str, role: str, prepare, act) -> None:
    """`prepare()` untimed (open the page), then `act()` timed with its queries counted and the event loop's
    longest stall; the median of rounds."""
    timings, stalls, queries = [], [], 0
    for _ in range(SIZES['rounds']):
        if prepare is not None:
            await prepare()
        with Counter() as counter:
            async with StallWatch() as watch:
                started = time.perf_counter()
                await act()
                timings.append((time.perf_counter() - started) * 1000)
        stalls.append(watch.longest)
        queries = counter.n
    RESULTS.append((label, role, statistics.median(timings), queries, statistics.median(stalls)))


def opening(user, path: str):
    async def act() -> None:
        await user.open(path)
    return act


def searching(user, path: str, marker: str, text: str, markers: list[str] | None = None):
    """Open `path` (untimed), then type `text` in the table's search and wait for its new rows."""
    async def prepare() -> None:
        await user.open(path)

    async def act() -> None:
        watched = markers or [f'{marker}-count', f'{marker}-empty']
        before = set().union(*(found(user, m) for m in watched))
        user.find(marker=f'{marker}-search').type(text)
        await shown(user, watched, before)
    return prepare, act


def last_page(user, path: str, marker: str, count_marker: str | None = None):
    """Open `path` (untimed), then click the last page number and wait for its rows."""
    async def prepare() -> None:
        await user.open(path)

    async def act() -> None:
        watched = [count_marker or f'{marker}-count']
        before = set().union(*(found(user, m) for m in watched))
        [pages] = found(user, f'{marker}-pages')
        with user.client:
            pages.value = pages.props['max']
        await shown(user, watched, before)
    return prepare, act


def dialog(user, path: str, button: str, inside: str):
    """Open `path` (untimed), then click `button` and wait for the dialog's field `inside`."""
    async def prepare() -> None:
        await user.open(path)

    async def act() -> None:
        before = found(user, inside)
        user.find(marker=button).click()
        await shown(user, [inside], before)
    return prepare, act


def typing(user, path: str, button: str, picker: str, text: str):
    """Open `path` and the dialog (untimed), then type `text` into the picker and wait for its new options."""
    async def prepare() -> None:
        await user.open(path)
        user.find(marker=button).click()
        await shown(user, [picker], set())

    async def act() -> None:
        [select] = found(user, picker)
        options = select.options
        user.find(marker=picker).trigger('inputValue', text)  # what the browser sends as one types
        deadline = time.perf_counter() + 10
        while select.options is options and time.perf_counter() < deadline:
            await asyncio.sleep(0.0005)
    return prepare, act


def test_fill() -> None:
    fill(SIZES['users'], SIZES['products'], SIZES['apps'])


async def test_admin_pages(user) -> None:
    await log_in(user, 'user0@bench.test')
    for path in ADMIN_PAGES:
        await measure(path, 'admin', None, opening(user, path))


async def test_admin_searches_and_last_pages(user) -> None:
    await log_in(user, 'user0@bench.test')
    cases = [('users', '/admin/users', 'user5'), ('users', '/admin/users', 'zzzz'),
             ('users', '/admin/users', 'user'), ('users', '/admin/users', 'bench'),  # every row: a name, the domain
             ('apps', '/admin/apps', 'app'), ('products', '/admin/products', 'product'),  # every app, every product
             ('orgs', '/admin/organizations', 'org 5'), ('orgs', '/admin/organizations', 'zzzz'),
             ('teams', '/admin/teams', 'org 5'), ('teams', '/admin/teams', 'zzzz'),
             ('apps', '/admin/apps', 'app 5'), ('apps', '/admin/apps', 'zzzz'),
             ('products', '/admin/products', 'product 5'), ('products', '/admin/products', 'zzzz'),
             ('access', '/admin/access-requests?status=all', 'user1'),
             ('access', '/admin/access-requests?status=all', 'zzzz'),
             ('apis', '/admin/apis', 'bench'), ('outbox', '/admin/outbox', 'zzzz')]
    for marker, path, text in cases:
        await measure(f'{path} search "{text}"', 'admin', *searching(user, path, marker, text))
    for marker, path in (('users', '/admin/users'), ('users', '/admin/users?status=active'),
                         ('orgs', '/admin/organizations'), ('teams', '/admin/teams'), ('apps', '/admin/apps'),
                         ('products', '/admin/products')):
        await measure(f'{path} last page', 'admin', *last_page(user, path, marker))


async def test_admin_dialogs(user) -> None:
    await log_in(user, 'user0@bench.test')
    cases = [('/admin/users', 'users-add', 'new-organisation'),
             ('/admin/organizations', 'members-org-Org 1', 'org-members-count'),
             ('/admin/teams', 'teams-add', 'team-org'),
             ('/admin/teams', 'team-members-Org 1-Default team', 'team-members-count'),
             ('/admin/products', 'products-add', 'product-apis'),
             ('/admin/products', 'product-edit-product-0', 'product-apis'),
             ('/admin/catalogs', 'catalogs-add', 'catalog-products'),
             ('/admin/catalogs', 'catalog-edit-Public', 'catalog-products'),
             ('/admin/catalogs', 'catalog-teams-Partners', 'catalog-team-select'),
             ('/admin/plans', 'plans-add', 'plan-name'), ('/admin/apis', 'apis-add', 'api-name')]
    for path, button, inside in cases:
        await measure(f'{path} dialog {button}', 'admin', *dialog(user, path, button, inside))
    for path, button, picker, text in (
            ('/admin/catalogs', 'catalog-edit-Public', 'catalog-products', 'product 5'),
            ('/admin/catalogs', 'catalog-edit-Public', 'catalog-products', 'zzzz'),
            ('/admin/catalogs', 'catalog-teams-Partners', 'catalog-team-select', 'org 5'),
            ('/admin/catalogs', 'catalog-teams-Partners', 'catalog-grant-org', 'org 5'),
            ('/admin/users', 'users-add', 'new-organisation', 'org 5')):
        await measure(f'{path} {button}: type "{text}" in {picker}', 'admin', *typing(user, path, button, picker, text))
    await measure('/admin/teams team members: search "user1"', 'admin',
                  *_team_members_search(user))


def _team_members_search(user):
    async def prepare() -> None:
        await user.open('/admin/teams')
        user.find(marker='team-members-Org 1-Default team').click()
        await shown(user, ['team-members-count'], set())

    async def act() -> None:
        before = found(user, 'team-members-count')
        user.find(marker='team-members-search').type('user1')
        await shown(user, ['team-members-count', 'team-members-empty'], before)
    return prepare, act


async def test_developer_pages(user) -> None:
    await log_in(user, 'user1@bench.test')
    for page in DEVELOPER_PAGES:
        path = page.format(middle=SIZES['products'] // 2)
        await measure(path + (' (2 items)' if path == '/cart' else ''), 'developer', None, opening(user, path))
    for marker, text in (('catalog', 'product 5'), ('catalog', 'zzzz')):
        await measure(f'/catalogs search "{text}"', 'developer',
                      *searching(user, '/catalogs', marker, text, ['catalog-count', 'catalog-empty']))
    await measure('/catalogs last page', 'developer', *last_page(user, '/catalogs', 'catalog', 'catalog-count'))
    await measure('/apps search "app"', 'developer', *searching(user, '/apps', 'apps', 'app'))
    from db.models import CartItem, Catalog, User
    developer = User.get(User.email == 'user1@bench.test')
    public = Catalog.get(Catalog.name == 'Public')
    CartItem.insert_many([{'user': developer, 'catalog': public, 'product': product}
                          for product in range(3, 21)]).execute()
    await measure('/cart (20 items)', 'developer', None, opening(user, '/cart'))


# a word that starts a word of (almost) every row of each list: the name 'User' and the shared domain
EVERY_ROW = {'users': 'user', 'apps': 'app', 'products': 'product', 'organisations': 'org',
             'members of an organisation': 'bench'}
READS: list[tuple[str, float, float]] = []  # the list reads alone (what runs in the worker thread): median ms, CPU


def test_reads_alone() -> None:
    """Each list's read without building the page: the SQL part of a search or a page change."""
    from pages.admin import apps, organisations, products, users
    from db.models import User
    from workflows import teammates
    boss = User.get(User.email == 'user1000@bench.test')
    cases = [('users', lambda s, o: users.fetch_users(s, '', o, 20)),
             ('apps', lambda s, o: apps.fetch(s, '', o, 20)),
             ('products', lambda s, o: products.fetch(s, o, 20)),
             ('organisations', lambda s, o: organisations.fetch(s, '', o, 20)),
             ('members of an organisation', lambda s, o: teammates.members_page(boss.organisation, boss, s, o, 10))]
    for name, read in cases:
        size = read('', 0)[1]
        for label, text, offset in (('first page', '', 0), ('middle page', '', size // 2),
                                    ('last page', '', max(0, size - 10)),
                                    ('search, many matches', {'users': 'user5', 'apps': 'app 5'}.get(name, '5'), 0),
                                    ('search, a word of every row', EVERY_ROW[name], 0),
                                    ('search, a word of every row, page 100', EVERY_ROW[name], 1_980),
                                    ('search, no match', 'zzzz', 0)):
            timings, cpu = [], []
            for _ in range(SIZES['rounds']):
                started, used = time.perf_counter(), time.thread_time()
                read(text, offset)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.thread_time() - used) * 1000)
            READS.append((f'{name}: {label}' + (f' "{text}"' if text else ''), statistics.median(timings),
                          statistics.median(cpu)))


def test_report() -> None:
    print(f'\n\n{SIZES["users"]:,} users, {SIZES["products"]:,} products, {SIZES["apps"]:,} apps (SQLite); '
          f'median of {SIZES["rounds"]} runs; load average {" ".join(Path("/proc/loadavg").read_text().split()[:3])}')
    print('| case | as | time (ms) | SQL queries | longest event-loop stall (ms) |\n| --- | --- | --- | --- | --- |')
    for label, role, ms, queries, stall in RESULTS:
        print(f'| {label} | {role} | {ms:.0f} | {queries} | {stall:.0f} |')
    print('\n| list read alone (worker thread) | time (ms) | CPU of the thread (ms) |\n| --- | --- | --- |')
    for label, ms, cpu in READS:
        print(f'| {label} | {ms:.1f} | {cpu:.1f} |')
    if RESULTS:
        worst = max(RESULTS, key=lambda row: row[2])
        print(f'slowest: {worst[0]} at {worst[2]:.0f} ms (budget: 150 ms)')
        stalled = max(RESULTS, key=lambda row: row[4])
        print(f'longest event-loop stall: {stalled[0]} at {stalled[4]:.0f} ms (budget: 50 ms); over 50 ms: '
              + (', '.join(f'{row[0]} ({row[4]:.0f} ms)' for row in RESULTS if row[4] > 50) or 'none'))


if __name__ == '__main__':
    import pytest
    sys.exit(pytest.main([__file__, '-s', '-q', '-p', 'no:cacheprovider', '-o', 'testpaths=bench',
                          '-W', 'ignore', '--rootdir', str(ROOT), '-c', str(ROOT / 'pytest.ini')]))
