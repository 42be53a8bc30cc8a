"""Search across every API (issue 25, item 5) at DESIGN.md's size: 10,000 products, each with one API of 300
operations (3,000,000 rows in the operations index), in Public, Private and Custom catalogs.

Fills a fresh SQLite database in a temporary folder (bulk inserts in big transactions, the search index built
once at the end), then times `workflows.search.search` for a visitor and for a signed-in developer whose team
sees one of the two Custom catalogs, with a rare word, common words (found in about a million operations), an
exact operationId, a path, two words, a product's name, and a word nobody may see. Prints how long generation
took, then p50 / p95 / max in ms per query and role. The budget (DESIGN.md): every search under 150 ms.

    .venv/bin/python bench/search.py      (sizes: BENCH_PRODUCTS, BENCH_OPERATIONS, BENCH_ROUNDS)

`BENCH_FOLDER=<a folder a run left>` times the searches again on its database without filling one.
`BENCH_DATABASE_URL=postgresql://...` does the same on PostgreSQL (**its public schema is dropped first**).
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

SIZES = {name: int(os.environ.get(f'BENCH_{name.upper()}', default))
         for name, default in (('products', 10_000), ('operations', 300), ('rounds', 20))}
FOLDER = os.environ.get('BENCH_FOLDER') or tempfile.mkdtemp(prefix='portico-bench-search-')
REUSE = bool(os.environ.get('BENCH_FOLDER'))
POSTGRES = os.environ.get('BENCH_DATABASE_URL', '')
os.environ.update({'PORTICO_DATA_DIR': FOLDER, 'PORTICO_DATABASE_URL': POSTGRES or f'sqlite:///{FOLDER}/portico.db'})

NOUNS = ('invoice account customer forecast payment order shipment refund subscription coupon product price '
         'report alert device sensor reading station message channel thread ticket agent queue webhook event '
         'token session user group role policy secret key certificate domain record zone bucket object file '
         'folder share comment review rating booking flight hotel route vehicle driver trip fare quote claim '
         'policyholder premium ledger entry transfer').split()
VERBS = (('list', 'get', 's'), ('get', 'get', ''), ('create', 'post', 's'), ('update', 'put', ''),
         ('delete', 'delete', ''))
# who may see a product, by its number modulo 10: Public, Private, or one of two Custom catalogs
AUDIENCE = ['Public'] * 5 + ['Private'] * 3 + ['Custom A', 'Custom B']


def operations_of(number: int, api_id: int, count: int):
    """The operations of product `number`'s API: groups of five (list, get, create, update, delete) per resource;
    one word, zeta<number>, in one summary only."""
    for j in range(count):
        group, (verb, method, plural) = j // 5, VERBS[j % 5]
        noun = NOUNS[(number + group) % len(NOUNS)]
        item = '' if plural else '/{id}'
        path = f'/v{1 + number % 3}/{noun}s/{group}{item}'
        operation_id = f'{verb}{noun.title()}{plural.upper() if plural else ""}{group}'
        summary = f'{verb.title()} {"the" if not plural else "all"} {noun}{plural} of group {group}'
        if j == 0:
            summary += f' (zeta{number})'
        yield (api_id, method, path, summary, operation_id, operation_id.lower(), noun.title())


def fill() -> float:
    import config
    from db import bootstrap, migrations, search
    from db.connection import connect, database
    from db.models import (Catalog, CatalogTeam, Membership, Organisation, Role, Team, User)
    cfg = config.load()
    config.use(cfg)
    connect(cfg.database_url)
    if POSTGRES:
        database.execute_sql('DROP SCHEMA public CASCADE')
        database.execute_sql('CREATE SCHEMA public')
    migrations.migrate()
    bootstrap.run()
    started = time.monotonic()
    products, count = SIZES['products'], SIZES['operations']
    mark = '%s' if POSTGRES else '?'
    if POSTGRES:  # the index is built once, after the rows (search.install)
        database.execute_sql('DROP INDEX "api_operation_search"')
    for suffix in ('insert', 'delete', 'update') if not POSTGRES else ():
        database.execute_sql(f'DROP TRIGGER "api_operation_search_{suffix}"')
    with database.atomic():
        catalogs = {name: Catalog.create(name=name, visibility=name.split()[0].lower()).id for name in set(AUDIENCE)}
        org = Organisation.create(name='Bench Partners', name_key='bench partners', status='active')
        team = Team.create(organisation=org, name='Default team', is_default=True)
        developer = User.create(email='dev@bench.test', first_name='Dana', last_name='Developer', organisation=org,
                                role=Role.TEAM_MEMBER, status='active')
        Membership.create(user=developer, team=team)
        CatalogTeam.create(catalog=catalogs['Custom A'], team=team)
        cursor = database.cursor()
        cursor.executemany('INSERT INTO product (id, name, slug, summary, description, tags, featured, created_at) '
                           f"VALUES ({mark}, {mark}, {mark}, {mark}, '', {mark}, false, '2026-12-01')",
                           ((i + 1, f'{NOUNS[i % len(NOUNS)].title()} API {i}', f'product-{i}',
                             f'The {NOUNS[i % len(NOUNS)]} service number {i}', 'bench')
                            for i in range(products)))
        cursor.executemany("INSERT INTO api (id, name, base_path, upstream, openapi_text, status, created_at) "
                           f"VALUES ({mark}, {mark}, {mark}, '', '', 'published', '2026-12-01')",
                           ((i + 1, f'Bench API {i}', f'/bench/{i}/') for i in range(products)))
        cursor.executemany(f'INSERT INTO product_api (product_id, api_id) VALUES ({mark}, {mark})',
                           ((i + 1, i + 1) for i in range(products)))
        cursor.executemany(f'INSERT INTO catalog_product (catalog_id, product_id) VALUES ({mark}, {mark})',
                           ((catalogs[AUDIENCE[i % 10]], i + 1) for i in range(products)))
    for first in range(0, products, 1000):  # a transaction per 300,000 operations
        rows = (row for i in range(first, min(products, first + 1000)) for row in operations_of(i, i + 1, count))
        with database.atomic():
            if POSTGRES:  # COPY: executemany sends one statement per row
                copy(database.cursor(), rows)
            else:
                database.cursor().executemany(
                    'INSERT INTO api_operation (api_id, method, path, summary, operation_id, operation_key, tag) '
                    'VALUES (?, ?, ?, ?, ?, ?, ?)', rows)
    if POSTGRES:
        for table in ('product', 'api'):  # the ids were given: the sequences move past them
            database.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    inserted = time.monotonic() - started
    with database.atomic():
        search.install()  # the triggers again, and every search index rebuilt once
    database.execute_sql('ANALYZE')
    total = time.monotonic() - started
    rows = database.execute_sql('SELECT COUNT(*) FROM api_operation').fetchone()[0]
    size = (database.execute_sql('SELECT pg_database_size(current_database())').fetchone()[0] if POSTGRES
            else os.path.getsize(f'{FOLDER}/portico.db'))
    print(f'generated {products:,} products, {rows:,} operations in {total:.0f} s '
          f'(rows {inserted:.0f} s, search index {total - inserted:.0f} s); {size / 1e9:.2f} GB '
          f'({"PostgreSQL" if POSTGRES else "SQLite"})')
    return total


def copy(cursor, rows) -> None:
    """PostgreSQL's COPY of operation rows, from a text buffer (tabs and newlines never occur in them)."""
    import io
    buffer = io.StringIO(''.join('\t'.join(str(value) for value in row) + '\n' for row in rows))
    cursor.copy_expert('COPY api_operation (api_id, method, path, summary, operation_id, operation_key, tag) '
                       'FROM STDIN', buffer)


QUERIES = [
    ('rare word (one operation)', 'zeta4242'),
    ('common word: get', 'get'),
    ('common word: list', 'list'),
    ('exact operationId', 'listInvoiceS12'),
    ('operationId prefix', 'createForec'),
    ('path fragment', '/v2/payments'),
    ('two words', 'refund group'),
    ('product name', f'{NOUNS[4240 % len(NOUNS)].title()} API 4240'),
    ('a Custom B word', 'zeta9999'),  # product 9999 is in Custom B: nobody here sees its operation
    ('no match', 'qwertyuiop'),
]


def measure() -> None:
    from db.models import User
    from workflows import search
    developer = User.get(User.email == 'dev@bench.test')
    print(f'load average {" ".join(f"{x:.2f}" for x in os.getloadavg())}; {SIZES["rounds"]} rounds, limit 10')
    print(f'{"query":32} {"text":20} {"role":10} {"p50 ms":>7} {"p95 ms":>7} {"max ms":>7} {"results":>8}')
    worst = 0.0
    for label, text in QUERIES:
        for role, who in (('visitor', None), ('developer', developer)):
            search.search(who, text, 10)  # warm
            timings = []
            for _ in range(SIZES['rounds']):
                started = time.perf_counter()
                results = search.search(who, text, 10)
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
            worst = max(worst, timings[-1])
            print(f'{label:32} {text:20} {role:10} {statistics.median(timings):7.1f} {p95:7.1f} {timings[-1]:7.1f} '
                  f'{len(results):8}')
    print(f'slowest search {worst:.1f} ms (budget 150 ms); load average {" ".join(f"{x:.2f}" for x in os.getloadavg())}')


if __name__ == '__main__':
    if REUSE or os.environ.get('BENCH_MEASURE_ONLY'):
        import config
        from db.connection import connect
        config.use(config.load())
        connect(config.current().database_url)
    else:
        fill()
    print(f'database in {FOLDER}')
    measure()
