"""Issue 14: searches on indexed words, deep pages, a cart in a constant number of queries, bounded dialogs."""
from __future__ import annotations

import threading

import peewee as pw

from db import migrations, paging, search
from db.connection import database, is_postgres
from db.models import (CartItem, CatalogProduct, Organisation, OutboxMessage, OutboxStatus, Product, SchemaVersion,
                       User, UserStatus)
from tests.utils import a_catalog_world, a_user, admin_opens, an_admin, an_org_with, log_in, opens_as, settle, until
from workflows import cart


class Statements:
    """The SQL statements run by this thread (the page's), not by the mail worker or other loops."""

    def __init__(self, monkeypatch) -> None:
        self.sql: list[str] = []
        self.thread = threading.get_ident()
        original = database.obj.execute_sql

        def counting(sql, *args, **kwargs):
            if threading.get_ident() == self.thread:
                self.sql.append(sql)
            return original(sql, *args, **kwargs)

        monkeypatch.setattr(database.obj, 'execute_sql', counting)

    def __len__(self) -> int:
        return len(self.sql)

    def of_the_page(self) -> list[str]:
        """Without the session look-ups: a timer of the tab opened before may check its session meanwhile."""
        return [sql for sql in self.sql if 'FROM "user_session"' not in sql]


def products_in_public(world: dict, count: int) -> list[Product]:
    made = []
    for number in range(count):
        product = Product.create(name=f'Extra {number:02d}', slug=f'extra-{number:02d}', summary='More')
        CatalogProduct.create(catalog=world['Public'], product=product)
        made.append(product)
    return made


# --- the cart --------------------------------------------------------------------------------------

def test_reading_a_cart_takes_three_queries_for_2_or_20_items(db, monkeypatch) -> None:
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    extra = products_in_public(world, 18)
    cart.add(dev, world['Weather'].id, world['Public'].id)
    cart.add(dev, world['Payments'].id, world['Partners'].id)
    statements = Statements(monkeypatch)
    two = cart.contents(dev)
    few = len(statements)
    for product in extra:
        cart.add(dev, product.id, world['Public'].id)
    statements.sql.clear()
    twenty = cart.contents(dev)
    assert sum(len(group.items) for group in two.groups) == 2
    assert sum(len(group.items) for group in twenty.groups) == 20
    assert few == len(statements) == 3
    assert CartItem.select().count() == 20


async def test_the_cart_page_does_the_same_number_of_queries_for_2_and_20_items(user, monkeypatch) -> None:
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    extra = products_in_public(world, 18)
    cart.add(dev, world['Weather'].id, world['Public'].id)
    cart.add(dev, world['Payments'].id, world['Partners'].id)
    await log_in(user, 'dev@consumer.test')
    await settle()
    statements = Statements(monkeypatch)
    await user.open('/cart')
    await user.should_see(marker='cart-group-Partners')
    few = len(statements.of_the_page())
    for product in extra:
        cart.add(dev, product.id, world['Public'].id)
    statements.sql.clear()
    await user.open('/cart')
    await user.should_see(marker='cart-remove-Public-extra-17')
    assert few > 3 and len(statements.of_the_page()) == few, '\n'.join(s[:150] for s in statements.sql)
    assert not any(sql.lstrip().upper().startswith('DELETE') for sql in statements.sql)


# --- search -----------------------------------------------------------------------------------------

def test_search_finds_words_by_their_start_and_follows_every_change(db) -> None:
    acme = an_org_with('Acme Rockets', super_admin='boss@acme.test')
    alice = a_user('alice.smith@example.test', first='Alice', last='Smith-Jones')
    a_user('bob@example.test', first='Bob', last='Stone')

    def found(text: str, model=User) -> set[str]:
        column = model.email if model is User else model.name
        return {row[0] for row in model.select(column).where(search.matches(model, text)).tuples()}

    assert found('ali') == {'alice.smith@example.test'}
    assert found('JONES') == {'alice.smith@example.test'}  # a word after a hyphen, any case
    assert found('smith ali') == {'alice.smith@example.test'}  # every word, in any order
    assert found('example') == {'alice.smith@example.test', 'bob@example.test'}
    assert found('lice') == set()  # the start of a word, not its middle
    assert found('nobody-here') == set() and found('%') == set() and found('') == set()
    assert found("'; DROP TABLE user; --") == set()  # words only: no syntax of the search engine
    assert found('alice OR NOT bob AND NEAR(x) "*" ^ :* & | !') == set()  # FTS5 and tsquery operators are words
    assert found('ali ' * 5_000) == {'alice.smith@example.test'}  # a huge search: its first words only
    assert found('rock', Organisation) == {'Acme Rockets'} and acme.name == 'Acme Rockets'
    User.update(first_name='Alicia', email='alicia@example.test').where(User.id == alice.id).execute()
    assert found('alicia') == {'alicia@example.test'} and found('alice') == set()
    User.delete().where(User.id == alice.id).execute()
    assert found('alicia') == set() and found('bob') == {'bob@example.test'}


async def test_admin_searches_users_by_name_email_and_organisation(user) -> None:
    an_admin('admin@provider.test')
    an_org_with('Globex', super_admin='hank@globex.test')
    a_user('alice@example.test', first='Alice', last='Smith')
    await opens_as(user, 'admin@provider.test', '/admin/users')
    for text, shown, hidden in (('smi', 'alice@example.test', 'hank@globex.test'),
                                ('globex', 'hank@globex.test', 'alice@example.test'),
                                ('zzz no such person', None, 'alice@example.test')):
        user.find(marker='users-search').clear().type(text)
        if shown:
            await user.should_see(shown, retries=30)
        else:
            await user.should_see(marker='users-empty', retries=30)
        await user.should_not_see(hidden, retries=30)


# --- paging -----------------------------------------------------------------------------------------

def many_users(count: int) -> None:
    org = Organisation.get(Organisation.is_default == True)  # noqa: E712 - peewee's column comparison
    with database.atomic():
        for first in range(0, count, 500):
            User.insert_many([{'email': f'user{i:05d}@scale.test', 'first_name': 'User', 'last_name': f'{i:05d}',
                               'status': UserStatus.ACTIVE if i % 7 else UserStatus.INACTIVE, 'organisation': org}
                              for i in range(first, min(count, first + 500))]).execute()


def test_every_page_read_from_either_end_is_the_page_offset_would_give(db) -> None:
    many_users(2_005)
    for where in (User.id > 0, User.status == UserStatus.INACTIVE):
        query = User.select(User.id).where(where)
        total = paging.count(query)
        order = [(User.created_at, True), (User.id, True)]
        for offset in (0, 20, 980, 1_000, 1_020, total - 40, total - 20, total - total % 20, total - 1, total):
            expected = [row[0] for row in query.order_by(User.created_at.desc(), User.id.desc())
                        .offset(offset).limit(20).tuples()]
            assert paging.page_ids(query, order, offset, 20, total) == expected, (where, offset)


async def test_admin_pages_to_the_last_page_of_many_users(user) -> None:
    many_users(2_005)
    await admin_opens(user, '/admin/users')
    await user.should_see('1–20 of 2006')
    [pages] = user.find(marker='users-pages').elements
    pages.value = 101  # the last page: what a click on its number does
    await user.should_see('2001–2006 of 2006', retries=30)
    await user.should_see('user00000@scale.test')  # the oldest comes last
    await user.should_not_see('user00006@scale.test')
    user.find(marker='users-search').type('00003')
    await user.should_see('1–1 of 1', retries=30)
    await user.should_see('user00003@scale.test')


# --- dialogs ----------------------------------------------------------------------------------------

async def test_the_catalog_dialog_finds_products_as_the_admin_types_and_keeps_the_chosen_ones(user) -> None:
    world = a_catalog_world()
    products_in_public(world, 30)  # 32 products in Public: more than the picker shows
    await admin_opens(user, '/admin/catalogs')
    user.find(marker='catalog-edit-Public').click()
    await user.should_see('32 chosen (the first 20 are shown; type to find the others)')
    [select] = user.find(marker='catalog-products').elements
    assert len(select.options) <= 40 and world['Payments'].id not in select.options
    user.find(marker='catalog-products').trigger('inputValue', 'pay')  # what the browser sends while the admin types
    await until(lambda: world['Payments'].id in select.options)
    with user.client:
        select.value = [*select.value, world['Payments'].id]  # a click on "Payments"
    await user.should_see('33 chosen')
    user.find(marker='catalog-save').click()
    await user.should_see('Catalog Public saved.')
    assert CatalogProduct.select().where(CatalogProduct.catalog == world['Public']).count() == 33


# --- migration 5 -----------------------------------------------------------------------------------

def schema() -> list:
    if is_postgres():
        return database.execute_sql("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                                    'ORDER BY indexname').fetchall()
    return database.execute_sql('SELECT type, name, sql FROM sqlite_master ORDER BY name').fetchall()


def test_a_database_upgraded_from_version_4_searches_like_a_fresh_one(db) -> None:
    fresh = schema()
    a_user('olga@consumer.test', first='Olga')
    for table in search.SEARCHED:  # back to version 4: no search structures, no paging indexes
        if is_postgres():
            database.execute_sql(f'DROP INDEX "{table}_search"')
        else:
            for suffix in ('insert', 'delete', 'update'):
                database.execute_sql(f'DROP TRIGGER "{table}_search_{suffix}"')
            database.execute_sql(f'DROP TABLE "{table}_search"')
    database.execute_sql('DROP INDEX "user_status_created_at"')
    database.execute_sql('DROP INDEX "product_name"')
    SchemaVersion.delete().execute()
    SchemaVersion.create(version=4)
    a_user('peter@consumer.test', first='Peter')  # written while version 4 had no search index
    assert migrations.migrate() == f'database upgraded from schema version 4 to {migrations.LATEST}'
    assert schema() == fresh
    found = {row[0] for row in User.select(User.email).where(search.matches(User, 'olga')).tuples()}
    assert found == {'olga@consumer.test'}
    assert User.select().where(search.matches(User, 'pet')).count() == 1


def test_the_outbox_is_counted_again_only_when_a_message_comes_or_goes(db, monkeypatch) -> None:
    for number in range(3):
        OutboxMessage.create(template_key='test', recipient=f'r{number}@consumer.test')
    statements = Statements(monkeypatch)
    counted = paging.CountWhenChanged(OutboxMessage)

    def counts() -> int:
        return sum('COUNT(' in sql.upper() for sql in statements.sql)

    assert counted() == 3 and counts() == 1
    assert counted() == 3 and counts() == 1  # the 5 s refresh: both ends read, nothing counted
    OutboxMessage.update(status=OutboxStatus.SENT).execute()
    assert counted() == 3 and counts() == 1
    OutboxMessage.create(template_key='test', recipient='new@consumer.test')
    assert counted() == 4 and counts() == 2
    OutboxMessage.delete().where(OutboxMessage.id == OutboxMessage.select(pw.fn.MIN(OutboxMessage.id))).execute()
    assert counted() == 3 and counts() == 3
