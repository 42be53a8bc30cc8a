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

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.big_portal import fill  # noqa: E402
from bench.page_timing import (Counter, StallWatch, dialog, found, last_page, log_in, opening,  # noqa: E402
                               searching, shown, typing)

ADMIN_PAGES = ['/admin', '/admin/users', '/admin/users?status=pending_approval', '/admin/organizations',
               '/admin/teams', '/admin/invite-codes', '/admin/access-requests', '/admin/apps', '/admin/apis',
               '/admin/products', '/admin/plans', '/admin/catalogs', '/admin/outbox', '/admin/audit',
               '/admin/webhooks', '/admin/pages']
DEVELOPER_PAGES = ['/dashboard', '/catalogs', '/products/product-{middle}', '/cart', '/apps', '/apps/1',
                   '/dashboard/users']


SIZES = {name: int(os.environ.get(f'BENCH_{name.upper()}', default))
         for name, default in (('users', 100_000), ('products', 10_000), ('apps', 100_000), ('rounds', 5))}
FOLDER = tempfile.mkdtemp(prefix='portico-bench-pages-')
os.environ.update({'PORTICO_DATA_DIR': FOLDER, 'PORTICO_DATABASE_URL': f'sqlite:///{FOLDER}/portico.db',
                   'PORTICO_MAIL_POLL_SECONDS': '60'})
RESULTS: list[tuple[str, str, float, int, float]] = []  # case, role, median ms, queries, median longest stall ms


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
