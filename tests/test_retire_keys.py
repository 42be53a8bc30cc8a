"""Issue 12, point 4: every path that takes access away retires the keys through one function
(workflows.credentials.retire), so the old key is refused at once on this instance and within 2 s on
another one (a second portal process following the change feed)."""
from __future__ import annotations

import pytest

from db.models import Credential, User
from gateway import keys as gateway_keys
from tests.peers import SECRET, call, eventually
from tests.servers import Portal
from tests.utils import a_user, an_admin, an_org_with, free_port
from workflows import access, activation, apps, catalog, credentials, organisations


def a_key(name: str, admin: User, individual: bool = False) -> dict:
    """An API /<name>/ in a product of its own, in a Public catalog of its own with a plan of its own,
    requested by a super admin of an organisation of its own (or an individual developer of the default
    organisation): a key that one path can take away alone."""
    api = catalog.save_api(None, f'{name} API', f'/{name}/', '', '', by=admin)
    product = catalog.save_product(None, name.title(), name, '', '', [api.id], '', [], by=admin)
    plan = catalog.save_plan(None, f'{name} plan', 1000, 60, 0, 'day', False, by=admin)
    shop = catalog.save_catalog(None, f'{name} catalog', 'public', [product.id], [plan.id], by=admin)
    org = an_org_with(f'{name} org', super_admin=f'boss@{name}.test')
    dev = a_user(f'dev@{name}.test') if individual else User.get(User.email == f'boss@{name}.test')
    request = access.request_access(dev, shop.id, plan.id, [product.id], new_app_name=f'{name} app')
    credential = Credential.get(Credential.access_request == request)
    return dict(name=name, api=api, product=product, plan=plan, catalog=shop, org=org, dev=dev, request=request,
                credential=credential, key=credentials.reveal(credential, dev), path=f'/{name}/call')


def rotate(o, admin):
    credentials.rotate(o['credential'], by=o['dev'])


def revoke_key(o, admin):
    credentials.revoke(o['credential'], by=o['dev'])


def revoke_access(o, admin):
    access.revoke(o['request'], by=admin)


def delete_app(o, admin):
    apps.delete_app(o['request'].app, by=o['dev'])


def delete_organisation(o, admin):
    organisations.delete_organisation(o['org'], by=admin)


def delete_api(o, admin):
    catalog.delete_api(o['api'], by=admin)


def move_api(o, admin):
    catalog.save_api(o['api'].id, o['api'].name, f'/{o["name"]}-moved/', '', '', by=admin)


def delete_product(o, admin):
    catalog.delete_product(o['product'], by=admin)


def take_the_api_out_of_the_product(o, admin):
    catalog.save_product(o['product'].id, o['product'].name, o['product'].slug, '', '', [], '',
                         [o['catalog'].id], by=admin)


def take_the_product_out_of_the_catalog(o, admin):
    catalog.save_catalog(o['catalog'].id, o['catalog'].name, 'public', [], [o['plan'].id], by=admin)


def take_the_plan_out_of_the_catalog(o, admin):
    catalog.save_catalog(o['catalog'].id, o['catalog'].name, 'public', [o['product'].id], [], by=admin)


def deactivate_the_developer(o, admin):
    activation.deactivate(o['dev'], by=admin)


deactivate_the_developer.individual = True

PATHS = [deactivate_the_developer, rotate, revoke_key, revoke_access, delete_app, delete_organisation, delete_api, move_api, delete_product,
         take_the_api_out_of_the_product, take_the_product_out_of_the_catalog, take_the_plan_out_of_the_catalog]


async def ask(user, key: str, path: str) -> int:
    return (await user.http_client.get('/api/gateway/auth', headers={'X-API-Key': key, 'X-Forwarded-Uri': path})).status_code


@pytest.mark.parametrize('take_away', PATHS, ids=[path.__name__ for path in PATHS])
async def test_the_old_key_is_refused_at_once_on_this_instance(user, take_away) -> None:
    admin = an_admin()
    o = a_key('orders', admin, getattr(take_away, 'individual', False))
    assert await ask(user, o['key'], o['path']) == 200  # cached now
    take_away(o, admin)
    assert await ask(user, o['key'], o['path']) in (401, 403)


async def test_a_reactivated_developer_gets_their_keys_back(user) -> None:
    admin = an_admin()
    o = a_key('orders', admin, individual=True)
    activation.deactivate(o['dev'], by=admin)
    assert await ask(user, o['key'], o['path']) == 401
    activation.activate(User.get_by_id(o['dev'].id), by=admin)
    assert await ask(user, o['key'], o['path']) == 200


def test_every_path_retires_through_the_one_function(db) -> None:
    """Each path calls credentials.retire (which writes the change feed): the KeyChange rows prove it."""
    from db.models import KeyChange
    admin = an_admin()
    for take_away in PATHS:
        o = a_key(take_away.__name__.replace('_', '-'), admin, getattr(take_away, 'individual', False))
        before = KeyChange.select().count()
        take_away(o, admin)
        assert KeyChange.select().where(KeyChange.key_hash == gateway_keys.digest(o['key'])).count() >= 1, \
            take_away.__name__
        assert KeyChange.select().count() > before


def test_the_old_key_is_refused_within_2_s_on_a_second_instance(db, tmp_path) -> None:
    admin = an_admin()
    setups = [(take_away, a_key(take_away.__name__.replace('_', '-'), admin, getattr(take_away, 'individual', False)))
              for take_away in PATHS]
    port = free_port()
    other = Portal(port, tmp_path / 'other.log', PORTICO_GATEWAY_SECRET=SECRET,
                   PORTICO_KEY_CHANGES_POLL_SECONDS='0.5')
    try:
        def status(o) -> int:
            return call(other.url + '/api/gateway/auth', o['key'],
                        headers={'X-Forwarded-Uri': o['path'], 'X-Portico-Gateway-Secret': SECRET})[0]
        assert [status(o) for _, o in setups] == [200] * len(setups)  # each answer cached by the other instance
        for take_away, o in setups:
            take_away(o, admin)
        assert eventually(lambda: all(status(o) in (401, 403) for _, o in setups), 2.0), \
            [(take_away.__name__, status(o)) for take_away, o in setups]
    finally:
        other.stop()
