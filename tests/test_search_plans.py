"""Issue 14: a search whose word starts a word of almost every row. Its count stops at a limit (the table says
"of more than N" and pages on), and its page is read along the list's index with each row tested; both plans
give the same rows in the same order as the look-up of the matches (on SQLite and on PostgreSQL)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from db import paging, search
from db.connection import database, is_postgres
from db.models import App, Organisation, Product, User, UserStatus
from tests.utils import an_admin, opens_as

PEOPLE = 130


def people() -> None:
    """130 people at shared.test in two organisations; creation times out of id order, some equal (the id breaks
    the tie); 'Rare Bird' once; 130 apps and 60 products named alike."""
    north = Organisation.create(name='North Shared', name_key='north shared', status='active')
    south = Organisation.create(name='South Works', name_key='south works', status='active')
    start = datetime(2026, 1, 1)
    with database.atomic():
        User.insert_many([{
            'email': f'person{i:03d}@shared.test', 'first_name': 'Rare' if i == 77 else 'Common',
            'last_name': 'Bird' if i == 77 else f'Person{i % 7}', 'status': UserStatus.ACTIVE,
            'organisation': north if i % 3 == 0 else south,
            'created_at': start + timedelta(minutes=(i * 37) % 50)} for i in range(PEOPLE)]).execute()
        App.insert_many([{'name': f'App {i}', 'name_key': f'app {i}', 'organisation': north if i % 2 else south,
                          'status': 'active'} for i in range(PEOPLE)]).execute()
        Product.insert_many([{'name': f'Product {i % 9}', 'slug': f'product-{i}', 'summary': f'Common {i}',
                              'tags': 'shared'} for i in range(60)]).execute()


def user_query(text: str):
    """What Admin -> Users searches: the person's words or their organisation's name."""
    return User.select(User.id).where(search.matches(User, text)
                                      | search.within(User.organisation, Organisation, text))


USER_ORDER = [(User.created_at, True), (User.id, True)]


@pytest.mark.parametrize('text', ['shared', 'common', 'person', 'pers', 'p', 'north', 'person1', 'person07',
                                  'rare', 'bird rare', 'nobody', 'common north',
                                  # what an attacker types: FTS5 and tsquery syntax, other scripts, a long word
                                  'person OR NOT "*" NEAR(x) :* & | ! (', 'ßhared 中文 ü', 'p' * 300])
def test_the_walk_along_the_index_gives_the_rows_and_order_of_the_look_up(db, text) -> None:
    people()
    query = user_query(text)
    total = paging.count(query)
    everything = paging.page_ids(query, USER_ORDER, 0, PEOPLE + 10, total, walk=False)
    assert len(everything) == total
    expected = sorted(everything, key=lambda row_id: (User.get_by_id(row_id).created_at, row_id), reverse=True)
    assert everything == expected  # the look-up's order is the list's order
    for offset in (0, 20, 40, total - 25, total - 20, total - 1):
        if offset < 0:
            continue
        looked_up = paging.page_ids(query, USER_ORDER, offset, 20, total, walk=False)
        walked = paging.page_ids(query, USER_ORDER, offset, 20, total, walk=True)
        assert looked_up == walked == everything[offset:offset + 20], (text, offset)


@pytest.mark.parametrize('text', ['app', 'app 1', 'shared', 'south', 'zzz'])
def test_apps_and_products_give_the_same_pages_in_both_plans(db, text) -> None:
    people()
    apps = App.select(App.id).where(search.matches(App, text) | search.within(App.organisation, Organisation, text))
    products = Product.select(Product.id).where(search.matches(Product, text))
    for query, order in ((apps, [(App.id, True)]), (products, [(Product.name, False), (Product.id, False)])):
        total = paging.count(query)
        for offset in (0, 20, max(0, total - 20)):
            assert paging.page_ids(query, order, offset, 20, total, walk=False) \
                == paging.page_ids(query, order, offset, 20, total, walk=True), (text, offset)


async def test_a_search_counts_up_to_its_limit_and_the_pages_past_it_still_read(user, monkeypatch) -> None:
    # the reads of the lists' pages (their modules imported once the app has started: they register routes)
    from pages.admin import apps as admin_apps, products as admin_products, users as admin_users
    people()
    monkeypatch.setattr(paging, 'COUNT_LIMIT', 50)
    monkeypatch.setattr(paging, 'WALK_ABOVE', 10)
    first_rows, first_total = admin_users.fetch_users('shared', '', 0, 20)
    assert isinstance(first_total, paging.MoreThan) and first_total == 50
    deep_rows, deep_total = admin_users.fetch_users('shared', '', 60, 20)  # past the first count: counted further
    assert isinstance(deep_total, paging.MoreThan) and deep_total == 110
    last_rows, last_total = admin_users.fetch_users('shared', '', 120, 20)
    assert last_total == PEOPLE and not isinstance(last_total, paging.MoreThan)  # 130 < 120 + 50: exact
    full = paging.page_ids(user_query('shared'), USER_ORDER, 0, PEOPLE, PEOPLE, walk=False)
    assert [row.id for row in first_rows] == full[:20]
    assert [row.id for row in deep_rows] == full[60:80]
    assert [row.id for row in last_rows] == full[120:]
    rare_rows, rare_total = admin_users.fetch_users('rare', '', 0, 20)
    assert rare_total == 1 and not isinstance(rare_total, paging.MoreThan)
    assert [row.email for row in rare_rows] == ['person077@shared.test']
    apps, apps_total = admin_apps.fetch('app', '', 0, 20)
    assert apps_total == 50 and isinstance(apps_total, paging.MoreThan)
    assert [app.name for app in apps] == [f'App {i}' for i in range(PEOPLE - 1, PEOPLE - 21, -1)]
    products, products_total = admin_products.fetch('product', 0, 20)
    assert products_total == 50 and isinstance(products_total, paging.MoreThan)
    assert [(p.name, p.slug) for p in products][:3] == [('Product 0', 'product-0'), ('Product 0', 'product-9'),
                                                        ('Product 0', 'product-18')]


async def test_the_admin_sees_more_than_n_and_pages_on_past_the_count(user, monkeypatch) -> None:
    people()
    an_admin('admin@provider.test')
    monkeypatch.setattr(paging, 'COUNT_LIMIT', 50)
    monkeypatch.setattr(paging, 'WALK_ABOVE', 10)
    newest = paging.page_ids(user_query('shared'), USER_ORDER, 0, PEOPLE, PEOPLE, walk=False)
    emails = {row.id: row.email for row in User.select(User.id, User.email)}
    await opens_as(user, 'admin@provider.test', '/admin/users')
    user.find(marker='users-search').type('shared')
    await user.should_see('1–20 of more than 50', retries=30)
    await user.should_see(emails[newest[0]])
    [pages] = user.find(marker='users-pages').elements
    assert pages.props['max'] == 4  # the counted pages and the next one; not a last page that is unknown
    pages.value = 4
    await user.should_see('61–80 of more than 110', retries=30)
    await user.should_see(emails[newest[60]])
    await user.should_not_see(emails[newest[0]])
    [pages] = user.find(marker='users-pages').elements
    assert pages.props['max'] == 7  # 110 counted: 6 pages, and the next
    pages.value = 7
    await user.should_see('121–130 of 130', retries=30)  # counted to the end: exact again
    await user.should_see(emails[newest[129]])
    user.find(marker='users-search').clear().type('rare bird')
    await user.should_see('1–1 of 1', retries=30)
    await user.should_see('person077@shared.test')


def test_short_words_read_the_prefix_index(db) -> None:
    """FTS5 keeps lists for the first 1-4 characters of each word (migration 8), 1-8 for the operations of the APIs
    (migration 14); PostgreSQL's GIN needs none."""
    people()
    if not is_postgres():
        for table in search.SEARCHED:
            [sql] = database.execute_sql('SELECT sql FROM sqlite_master WHERE name = ?', (f'{table}_search',)).fetchone()
            assert f"prefix='{search.TABLE_PREFIXES.get(table, '1 2 3 4')}'" in sql
    for text, count in (('p', PEOPLE), ('pe', PEOPLE), ('per', PEOPLE), ('pers', PEOPLE), ('perso', PEOPLE),
                        ('person07', 10), ('person077', 1), ('c', PEOPLE - 1), ('sha', PEOPLE)):
        assert User.select().where(search.matches(User, text)).count() == count, text
