"""The catalog, cart and access workflows without a browser: the rules, the emails, the isolation."""
from __future__ import annotations

import pytest

from db.models import (AccessRequest, AccessStatus, App, AppStatus, CartItem, CatalogTeam, Credential,
                       CredentialStatus, OutboxMessage, Team, Visibility)
from tests.utils import a_catalog_world, a_user, an_admin, an_org_with, set_settings
from domain import at_rest
from domain.errors import DomainError, PermissionDenied
from workflows import access, apps, browse, cart, catalog, credentials, openapi



def test_two_catalogs_two_requests_two_credentials(db) -> None:
    world = a_catalog_world()
    admin = an_admin()
    dev = a_user('dev@consumer.test')
    for product, catalog_name in (('Weather', 'Public'), ('Maps', 'Public'), ('Payments', 'Partners')):
        cart.add(dev, world[product].id, world[catalog_name].id)
    groups = cart.groups(dev)
    assert [(g.catalog.name, [i.product.name for i in g.items]) for g in groups] == [
        ('Partners', ['Payments']), ('Public', ['Maps', 'Weather'])]
    free = access.request_access(dev, world['Public'].id, world['Free'].id,
                                 [world['Weather'].id, world['Maps'].id], new_app_name='Shipping bot')
    app = App.get(App.name == 'Shipping bot')
    gold = access.request_access(dev, world['Partners'].id, world['Gold'].id, [world['Payments'].id], app_id=app.id)
    assert AccessRequest.get_by_id(free.id).status == AccessStatus.APPROVED
    assert AccessRequest.get_by_id(gold.id).status == AccessStatus.PENDING
    assert CartItem.select().count() == 0
    assert OutboxMessage.select().where(OutboxMessage.template_key == 'access_request_notice').count() == 1
    access.approve(AccessRequest.get_by_id(gold.id), by=admin)
    keys = list(Credential.select().where(Credential.app == app))
    assert len(keys) == 2 and all(k.status == CredentialStatus.ACTIVE for k in keys)
    plain = credentials.reveal(keys[0], dev)
    assert plain.startswith('ptc_') and len(plain) > 40
    assert plain not in (keys[0].key_hash, keys[0].key_encrypted)
    with pytest.raises(DomainError, match='already decided'):
        access.approve(AccessRequest.get_by_id(gold.id), by=admin)


def test_a_private_catalog_is_for_signed_in_users_and_a_custom_one_for_granted_teams(db) -> None:
    world = a_catalog_world()
    admin = an_admin()
    acme = an_org_with('Acme', super_admin='boss@acme.test')
    boss = acme.users.where(True).first()
    secret = catalog.save_catalog(None, 'Acme only', Visibility.CUSTOM, [world['Maps'].id], [world['Free'].id],
                                  by=admin)
    assert [c.name for c in browse.catalogs_visible_to(None)] == ['Public']
    assert {c.name for c in browse.catalogs_visible_to(boss)} == {'Public', 'Partners'}
    with pytest.raises(PermissionDenied):
        catalog.grant_organisation(secret, acme, by=boss)  # only portal admins grant access
    catalog.grant_organisation(secret, acme, by=admin)
    assert {c.name for c in browse.catalogs_visible_to(boss)} == {'Public', 'Partners', 'Acme only'}
    assert CatalogTeam.select().count() == Team.select().where(Team.organisation == acme).count()
    outsider = a_user('dev@consumer.test')
    with pytest.raises(DomainError, match='not found'):
        cart.add(outsider, world['Maps'].id, secret.id)
    with pytest.raises(DomainError, match='not found'):
        access.request_access(outsider, secret.id, world['Free'].id, [world['Maps'].id], new_app_name='Sneaky')
    assert not App.select().where(App.name == 'Sneaky').exists()


def test_a_plan_not_offered_in_the_catalog_is_refused(db) -> None:
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    with pytest.raises(DomainError, match='not offered'):
        access.request_access(dev, world['Public'].id, world['Gold'].id, [world['Weather'].id], new_app_name='X')
    with pytest.raises(DomainError, match='not found'):
        access.request_access(dev, world['Public'].id, world['Free'].id, [world['Payments'].id], new_app_name='X')
    assert App.select().count() == 0 and AccessRequest.select().count() == 0


def test_an_app_of_another_organisation_is_not_found(db) -> None:
    world = a_catalog_world()
    acme = an_org_with('Acme', super_admin='boss@acme.test')
    globex = an_org_with('Globex', super_admin='boss@globex.test')
    acme_app = apps.create_app('Acme app', '', by=acme.users.first())
    with pytest.raises(DomainError, match='not found'):
        access.request_access(globex.users.first(), world['Public'].id, world['Free'].id, [world['Weather'].id],
                              app_id=acme_app.id)
    assert AccessRequest.select().count() == 0


def test_empty_and_duplicate_app_names_are_refused_within_the_organisation(db) -> None:
    acme = an_org_with('Acme', super_admin='boss@acme.test', members=1)
    boss, member = list(acme.users.order_by(acme.users.model.id))
    apps.create_app('Bot', '', by=boss)
    with pytest.raises(DomainError, match='exists already'):
        apps.create_app(' bot ', '', by=member)
    with pytest.raises(DomainError, match='Enter a name'):
        apps.create_app('  ', '', by=member)
    ada, bob = a_user('ada@consumer.test'), a_user('bob@consumer.test')
    apps.create_app('Bot', '', by=ada)
    apps.create_app('Bot', '', by=bob)  # individual developers do not share names
    assert App.select().count() == 3


def test_case_3_pending_app_waits_and_its_free_requests_follow_its_approval(db) -> None:
    set_settings(auto_approve_apps=False)
    world = a_catalog_world()
    admin = an_admin()
    acme = an_org_with('Acme', super_admin='boss@acme.test', contact_email='contact@acme.test')
    boss = acme.users.first()
    request = access.request_access(boss, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')
    app = App.get(App.name == 'Bot')
    assert app.status == AppStatus.PENDING and AccessRequest.get_by_id(request.id).status == AccessStatus.PENDING
    notices = {m.recipient for m in OutboxMessage.select().where(OutboxMessage.template_key == 'app_pending_notice')}
    assert notices == {'contact@acme.test', 'api-admin@provider.test'}
    with pytest.raises(PermissionDenied):
        apps.approve_app(app, by=boss)  # not delegated
    apps.approve_app(app, by=admin)
    assert AccessRequest.get_by_id(request.id).status == AccessStatus.APPROVED
    assert OutboxMessage.select().where(OutboxMessage.template_key == 'app_created').count() == 1


def test_case_4_delegated_super_admins_decide_apps_and_access_of_their_organisation(db) -> None:
    set_settings(auto_approve_apps=False, delegate_app_management=True)
    world = a_catalog_world()
    acme = an_org_with('Acme', super_admin='boss@acme.test', members=1)
    globex = an_org_with('Globex', super_admin='boss@globex.test')
    boss, member = list(acme.users.order_by(acme.users.model.id))
    request = access.request_access(member, world['Partners'].id, world['Gold'].id, [world['Payments'].id],
                                    new_app_name='Bot')
    app = App.get(App.name == 'Bot')
    with pytest.raises(PermissionDenied):
        apps.approve_app(app, by=globex.users.first())
    with pytest.raises(DomainError, match='not found'):
        apps.find_decidable(app.id, globex.users.first())
    apps.approve_app(app, by=boss)
    assert AccessRequest.get_by_id(request.id).status == AccessStatus.PENDING  # Gold needs its own approval
    access.approve(AccessRequest.get_by_id(request.id), by=boss)
    assert Credential.select().where(Credential.app == app).count() == 1


def test_rotate_revoke_and_delete(db) -> None:
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    other = a_user('other@consumer.test')
    request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')
    credential = Credential.get(Credential.access_request == request)
    old = credentials.reveal(credential, dev)
    credentials.rotate(credential, by=dev)
    fresh = Credential.get_by_id(credential.id)
    assert at_rest.digest(old) != fresh.key_hash and credentials.reveal(fresh, dev) != old
    with pytest.raises(DomainError, match='not found'):
        credentials.reveal(fresh, other)
    with pytest.raises(DomainError, match='not found'):
        credentials.revoke(fresh, by=other)
    credentials.revoke(fresh, by=dev)
    assert Credential.get_by_id(credential.id).status == CredentialStatus.REVOKED
    apps.delete_app(App.get(App.name == 'Bot'), by=dev)
    assert Credential.select().count() == 0 and AccessRequest.select().count() == 0


def test_broken_openapi_documents_get_a_clear_message(db) -> None:
    admin = an_admin()
    for text, message in (('{"openapi": "3.0.0", ', 'JSON error at line 1'),
                          ('openapi: 3.0.0\ninfo: [unclosed', 'YAML error at line'),
                          ('openapi: 3.0.0\npaths: {}', '"info" with a "title"'),
                          ('{"info": {"title": "x"}, "paths": {}}', 'needs an "openapi" version'),
                          ('openapi: 3.0.0\ninfo: {title: x, version: "1"}\npaths: {items: {}}',
                           # the wording depends on the validator's backend (jsonschema or jsonschema-rs)
                           r"'items' (does not match .*|was unexpected\)) at paths \(line 3\)")):
        with pytest.raises(DomainError, match=message):
            catalog.save_api(None, 'Broken', '/broken/', '', text, by=admin)
    assert not catalog.Api.select().exists()
    reference = openapi.read(__import__('tests.utils', fromlist=['x']).WEATHER_OPENAPI)
    assert reference.operations == 1 and list(reference.document['paths']) == ['/forecast/{city}']


def test_an_api_submitted_by_a_super_admin_waits_for_publishing(db) -> None:
    admin = an_admin()
    acme = an_org_with('Acme', super_admin='boss@acme.test', members=1)
    boss, member = list(acme.users.order_by(acme.users.model.id))
    with pytest.raises(PermissionDenied, match='Only the super admins of an organization can submit APIs.'):
        catalog.submit_api('Tracking', '/tracking/', '', '', by=member)
    api = catalog.submit_api('Tracking', 'tracking', 'http://acme.internal', '', by=boss)
    assert api.status == 'pending' and api.base_path == '/tracking/'
    assert OutboxMessage.get(OutboxMessage.template_key == 'api_submitted_notice').recipient == \
        'api-admin@provider.test'
    with pytest.raises(DomainError, match='Choose published APIs only'):
        catalog.save_product(None, 'Tracking', '', '', '', [api.id], '', [], by=admin)
    catalog.decide_api(api, True, by=admin)
    assert OutboxMessage.get(OutboxMessage.template_key == 'api_published').recipient == 'boss@acme.test'
    with pytest.raises(DomainError, match='already decided'):
        catalog.decide_api(api, False, by=admin)
    catalog.save_product(None, 'Tracking', '', '', '', [api.id], 'Logistics, GPS', [], by=admin)
