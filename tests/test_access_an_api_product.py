"""003 "Access an API Product", its nine steps through the UI, and the consumer pages around them."""
from __future__ import annotations

from nicegui import ui

from db.models import AccessRequest, AccessStatus, App, CartItem, Credential, CredentialStatus, User
from tests.utils import a_catalog_world, a_user, an_admin, an_org_with, choose, follow, log_in, opens_as, settle
from workflows import access, credentials, grants, visibility


async def add_to_cart(user, slug: str, catalog: str) -> None:
    await user.open(f'/products/{slug}')
    user.find(marker=f'add-to-cart-{catalog}').click()
    await user.should_see('is in your cart')


async def test_the_nine_steps_of_003(mailbox, user) -> None:
    a_catalog_world()
    an_admin('admin@provider.test')
    a_user('dev@consumer.test', first='Dana')

    # 1. log in; 2. Catalogs shows the available products, filterable by catalog
    await opens_as(user, 'dev@consumer.test', '/catalogs')
    for slug in ('weather', 'maps', 'payments'):
        await user.should_see(marker=f'product-{slug}')
    choose(user, 'catalog-filter', 'Partners')
    await settle()
    await user.should_see(marker='product-payments')
    await user.should_not_see(marker='product-weather')

    # 3. More info opens the product page; 4. documentation and catalogs with their plans
    await user.open('/catalogs')
    await follow(user, 'more-info-weather')
    await user.should_see(marker='api-doc-/weather/')
    await user.should_see('OpenAPI 3.0.3 · 1 operation')
    await user.should_see(marker='offer-Public')
    await user.should_see('Free')

    # 5. Add to cart: two products of one catalog and one of another
    await add_to_cart(user, 'weather', 'Public')
    await add_to_cart(user, 'maps', 'Public')
    await add_to_cart(user, 'payments', 'Partners')
    await user.open('/cart')
    await user.should_see(marker='cart-group-Public')
    await user.should_see(marker='cart-group-Partners')
    await user.should_see('Each catalog is a separate request and gets its own credentials.')

    # 6.-8. per catalog: a plan, a new app or the existing one, Request access
    choose(user, 'cart-plan-Public', next(label for label in user.find(marker='cart-plan-Public').elements.pop()
                                          .options.values() if label.startswith('Free')))
    user.find(marker='cart-app-name-Public').type('Shipping bot')
    user.find(marker='cart-request-Public').click()
    await user.should_see(marker='cart-outcome-approved')
    await user.open('/cart')
    choose(user, 'cart-app-Partners', 'Shipping bot')
    user.find(marker='cart-request-Partners').click()
    await user.should_see(marker='cart-outcome-pending')
    assert CartItem.select().count() == 0

    # 9. My apps: one approved request with its key, one pending
    app = App.get(App.name == 'Shipping bot')
    await user.open('/apps')
    user.find(marker='app-link-Shipping bot').click()
    await user.should_see(marker='status-approved')
    await user.should_see(marker='status-pending')
    assert Credential.select().where(Credential.app == app).count() == 1
    await mailbox.wait_for('api-admin@provider.test', 'Access request to approve: Shipping bot')
    await mailbox.wait_for('dev@consumer.test', 'waiting for approval')

    # the admin approves the pending one
    pending = AccessRequest.get(AccessRequest.status == AccessStatus.PENDING)
    access.approve(pending, by=User.get(User.email == 'admin@provider.test'))
    await mailbox.wait_for('dev@consumer.test', 'Access granted for Shipping bot')

    # My apps now shows two credentials, each covering the right products
    await user.open(f'/apps/{app.id}')
    keys = list(Credential.select().where(Credential.app == app).order_by(Credential.id))
    assert len(keys) == 2
    for key in keys:
        await user.should_see(marker=f'credential-{key.id}')
    covered = {key.id: {p.name for p in grants.products_of(key.access_request)} for key in keys}
    assert list(covered.values()) == [{'Maps', 'Weather'}, {'Payments'}]
    await user.should_see(marker='base-url-/weather/')
    await user.should_see(marker='base-url-/payments/')
    user.find(marker=f'key-toggle-{keys[0].id}').click()
    await user.should_see(credentials.reveal(keys[0], User.get(User.email == 'dev@consumer.test')))


async def test_the_cart_survives_a_sign_out(user) -> None:
    a_catalog_world()
    a_user('dev@consumer.test')
    await log_in(user, 'dev@consumer.test')
    await add_to_cart(user, 'weather', 'Public')
    await user.open('/logout')
    await opens_as(user, 'dev@consumer.test', '/cart')
    await user.should_see(marker='cart-group-Public')
    user.find(marker='cart-remove-Public-weather').click()
    await settle()
    await user.open('/cart')
    await user.should_see(marker='cart-empty')
    assert CartItem.select().count() == 0


async def test_visitors_see_public_products_and_are_asked_to_log_in_to_add_to_cart(user) -> None:
    a_catalog_world()
    await user.open('/catalogs')
    await user.should_see(marker='product-weather')
    await user.should_not_see(marker='product-payments')  # a Private catalog
    response = await user.http_client.get('/products/payments')
    assert response.status_code == 404 and 'This product was not found, or you cannot see it.' in response.text
    assert 'Payments for your apps' not in response.text
    await user.open('/products/weather')
    user.find(marker='add-to-cart-Public').click()
    await user.should_see(marker='login-card')
    assert CartItem.select().count() == 0


async def test_catalog_search_by_name_and_tag(user) -> None:
    a_catalog_world()
    a_user('dev@consumer.test')
    await opens_as(user, 'dev@consumer.test', '/catalogs')
    user.find(marker='catalog-search').type('climate')
    await settle()
    await user.should_see(marker='product-weather')
    await user.should_not_see(marker='product-maps')
    await user.should_see('1 product')


async def test_markdown_and_openapi_injection_is_rendered_harmless(user) -> None:
    world = a_catalog_world()
    product = world['Weather']
    product.description = 'Hello <script>alert(1)</script><img src=x onerror="alert(2)"> **bold**'
    product.save()
    api = world['Weather API']
    api.openapi = {'openapi': '3.0.0', 'info': {'title': 'x', 'description': '<script>alert(3)</script>'},
                   'paths': {'/<img src=x onerror=alert(4)>': {'get': {'summary': '<b onclick="alert(5)">hi</b>',
                                                                          'responses': {}}}}}
    api.save()
    response = await user.http_client.get('/products/weather')
    assert response.status_code == 200
    assert '<script>alert' not in response.text and 'onerror="alert(2)"' not in response.text
    await user.open('/products/weather')
    rendered = [e._props['innerHTML'] for e in user.find(kind=ui.markdown).elements]
    assert any('<strong>bold</strong>' in html for html in rendered)  # the Markdown itself still renders
    assert not any('<script' in html or 'onerror' in html or 'onclick' in html for html in rendered)
    # the reference page (Swagger UI, which sanitises Markdown with DOMPurify) loads no third-party image
    response = await user.http_client.get(f'/products/weather/reference/{api.id}')
    assert "img-src 'self' data:" in response.headers['content-security-policy']
    assert "script-src 'self';" in response.headers['content-security-policy']


async def test_another_organisations_app_is_not_found(user) -> None:
    world = a_catalog_world()
    an_org_with('Acme', super_admin='boss@acme.test')
    an_org_with('Globex', super_admin='boss@globex.test')
    request = access.request_access(User.get(User.email == 'boss@acme.test'), world['Public'].id, world['Free'].id,
                                    [world['Weather'].id], new_app_name='Acme app')
    await log_in(user, 'boss@globex.test')
    response = await user.http_client.get(f'/apps/{request.app_id}')
    assert response.status_code == 404 and 'This app was not found.' in response.text
    assert 'Acme app' not in response.text
    assert visibility.can_see_app(User.get(User.email == 'boss@globex.test'), request.app_id) is None
    assert visibility.can_see_app(User.get(User.email == 'boss@acme.test'), request.app_id) is not None


async def test_rotate_revoke_and_delete_from_my_apps(user) -> None:
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    request = access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id],
                                    new_app_name='Bot')
    key = Credential.get(Credential.access_request == request)
    old_hash = key.key_hash
    await opens_as(user, 'dev@consumer.test', f'/apps/{request.app_id}')
    user.find(marker=f'key-rotate-{key.id}').click()
    await user.should_see('Until the old key stops, both work')
    user.find(marker='key-rotate-when').elements.pop().set_value(0)  # the old key stops: now
    user.find(marker='key-rotate-confirm').click()
    await user.should_see('the old one no longer works')
    await settle()
    await user.open(f'/apps/{request.app_id}')
    assert Credential.get_by_id(key.id).key_hash != old_hash
    user.find(marker=f'key-revoke-{key.id}').click()
    user.find(marker='key-revoke-confirm').click()
    await user.should_see('The key was revoked.')
    await settle()  # the page reloads after each action
    await user.open(f'/apps/{request.app_id}')
    assert Credential.get_by_id(key.id).status == CredentialStatus.REVOKED
    user.find(marker='app-delete').click()
    user.find(marker='app-delete-confirm').click()
    await settle()
    assert not App.select().exists() and not Credential.select().exists()


async def test_a_stale_cart_item_is_shown_unavailable_and_removed_only_on_request(user) -> None:
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    from workflows import cart
    cart.add(dev, world['Payments'].id, world['Partners'].id)
    cart.add(dev, world['Weather'].id, world['Public'].id)
    world['Partners'].visibility = 'custom'  # the provider restricted the catalog since
    world['Partners'].save()
    await opens_as(user, 'dev@consumer.test', '/cart')
    await user.should_see(marker='cart-unavailable-Partners-payments')
    await user.should_see(marker='cart-group-Public')  # the rest of the cart can still be requested
    await user.should_not_see(marker='cart-group-Partners')
    await user.open('/cart')  # reading the cart, however often, deletes nothing
    assert CartItem.select().count() == 2
    user.find(marker='cart-remove-unavailable').click()
    await user.should_see('1 unavailable item removed from your cart.')
    await user.should_see(marker='cart-group-Public')  # the cart shown again, with what is left
    await user.should_not_see(marker='cart-unavailable')
    assert [item.product_id for item in CartItem.select()] == [world['Weather'].id]
