"""The provider's side of the catalog (003 "Access an API product": APIs, products, plans, catalogs) and 000's
note on publishing: an API submitted by an organisation admin waits until a portal admin approves it."""
from __future__ import annotations

import pytest

from db.models import (AccessRequest, Api, ApiStatus, App, AuditEvent, Catalog, CatalogPlan, CatalogProduct,
                       CatalogTeam, Plan, Product, ProductApi, Team, Visibility)
from tests.utils import (WEATHER_OPENAPI, a_catalog_world, a_user, admin_opens, an_admin, an_org_with, choose, element,
                         opens_as, until, upload)
from domain.errors import DomainError
from workflows import catalog

ADMIN_ADDRESS = 'api-admin@provider.test'
SAVE_RETRIES = 100  # 10 s: a document is validated off the event loop, which takes its time on a busy machine


def pick(user, marker: str, values: list) -> None:
    """Choose these values in a multi-select, as clicking its options would."""
    with user.client:
        element(user, marker).value = values


async def fill_api_form(user, name: str, base_path: str, document: str) -> None:
    user.find(marker='apis-add').click()
    await user.should_see(marker='api-name')
    user.find(marker='api-name').type(name)
    user.find(marker='api-base-path').type(base_path)
    user.find(marker='api-upstream').type('https://weather.internal:8443')
    user.find(marker='api-openapi').type(document)


# --- APIs ------------------------------------------------------------------------------------------

async def test_admin_adds_an_api_with_its_pasted_openapi_document(user) -> None:
    await admin_opens(user, '/admin/apis')
    await user.should_see('No APIs here. Add one with its OpenAPI document')
    await fill_api_form(user, 'Weather API', 'weather', WEATHER_OPENAPI)
    user.find(marker='api-save').click()
    await user.should_see('Weather API saved.', retries=SAVE_RETRIES)
    api = Api.get(Api.name == 'Weather API')
    assert api.status == ApiStatus.PUBLISHED and api.base_path == '/weather/'
    assert api.openapi['info']['title'] == 'Weather API' and '/forecast/{city}' in api.openapi['paths']
    assert api.openapi_text == WEATHER_OPENAPI.strip() and api.upstream == 'https://weather.internal:8443'
    await user.should_see(marker='apis-row', retries=50)  # the table reads its rows again in a worker thread
    with user.scope(marker='apis-row'):
        await user.should_see('/weather/')
        await user.should_see(marker='status-published')


async def test_a_broken_openapi_document_is_shown_next_to_the_textarea_and_nothing_is_stored(user) -> None:
    await admin_opens(user, '/admin/apis')
    await fill_api_form(user, 'Weather API', '/weather/', 'openapi: 3.0.3\ninfo: [unclosed\n')
    user.find(marker='api-save').click()
    await user.should_see('The OpenAPI document is not valid', retries=SAVE_RETRIES)
    assert element(user, 'api-openapi').error.startswith('The OpenAPI document is not valid: YAML error at line')
    assert Api.select().count() == 0


async def test_an_uploaded_yaml_file_fills_the_textarea(user) -> None:
    await admin_opens(user, '/admin/apis')
    user.find(marker='apis-add').click()
    await user.should_see(marker='api-upload')
    await upload(user, 'api-upload', 'weather.yaml', 'application/yaml', WEATHER_OPENAPI.encode())
    await until(lambda: element(user, 'api-openapi').value == WEATHER_OPENAPI)
    user.find(marker='api-name').type('Weather API')
    user.find(marker='api-base-path').type('/weather/')
    user.find(marker='api-save').click()
    await user.should_see('Weather API saved.', retries=SAVE_RETRIES)
    assert Api.get(Api.name == 'Weather API').openapi['info']['title'] == 'Weather API'


async def test_a_duplicate_base_path_is_refused(user) -> None:
    a_catalog_world()
    await admin_opens(user, '/admin/apis')
    await fill_api_form(user, 'Weather API v2', '/weather', WEATHER_OPENAPI)
    user.find(marker='api-save').click()
    await user.should_see('Another API listens on /weather/ already.', retries=SAVE_RETRIES)
    assert element(user, 'api-base-path').error == 'Another API listens on /weather/ already.'
    assert Api.select().where(Api.name == 'Weather API v2').count() == 0


# --- 000's note: an organisation admin submits, a portal admin approves -----------------------------

async def test_a_super_admin_submits_an_api_and_a_portal_admin_approves_publishing_it(mailbox, user) -> None:
    an_admin('admin@provider.test')
    an_org_with('Acme', super_admin='boss@acme.test')
    await opens_as(user, 'boss@acme.test', '/dashboard/apis')
    await user.should_see('You have not submitted an API yet.')
    user.find(marker='submit-api-name').type('Acme Orders')
    user.find(marker='submit-api-base-path').type('/orders/')
    user.find(marker='submit-api-openapi').type(WEATHER_OPENAPI)
    user.find(marker='submit-api-submit').click()
    await user.should_see('A portal admin must approve publishing it', retries=SAVE_RETRIES)
    api = Api.get(Api.name == 'Acme Orders')
    assert api.status == ApiStatus.PENDING and api.submitted_by.email == 'boss@acme.test'
    await user.should_see(marker='my-apis-row', retries=50)  # rows are read in a worker
    with user.scope(marker='my-apis-row'):
        await user.should_see(marker='status-pending')
    notice = await mailbox.wait_for(ADMIN_ADDRESS, 'Acme Orders')

    await user.open('/logout')
    await opens_as(user, 'admin@provider.test', notice.path('/admin/apis'))
    user.find(marker='api-approve-Acme Orders').click()
    await user.should_see('Acme Orders is published.')
    assert Api.get_by_id(api.id).status == ApiStatus.PUBLISHED
    assert Api.get_by_id(api.id).decided_by.email == 'admin@provider.test'
    published = await mailbox.wait_for('boss@acme.test', 'published')
    assert 'Acme Orders' in published.body
    assert AuditEvent.select().where(AuditEvent.action == 'api.publish').count() == 1


async def test_an_admin_rejects_a_submitted_api_with_a_reason(mailbox, user) -> None:
    an_admin('admin@provider.test')
    an_org_with('Acme', super_admin='boss@acme.test')
    await opens_as(user, 'boss@acme.test', '/dashboard/apis')
    user.find(marker='submit-api-name').type('Acme Orders')
    user.find(marker='submit-api-base-path').type('/orders/')
    user.find(marker='submit-api-submit').click()
    await user.should_see('A portal admin must approve publishing it', retries=SAVE_RETRIES)
    await user.open('/logout')
    await opens_as(user, 'admin@provider.test', '/admin/apis?status=pending')
    user.find(marker='api-reject-Acme Orders').click()
    user.find(marker='api-reject-reason').type('Please document the error responses.')
    user.find(marker='api-reject-confirm').click()
    await user.should_see('Acme Orders rejected.')
    assert Api.get(Api.name == 'Acme Orders').status == ApiStatus.REJECTED
    rejected = await mailbox.wait_for('boss@acme.test')
    assert 'Please document the error responses.' in rejected.body


async def test_a_team_member_cannot_submit_apis(user) -> None:
    org = an_org_with('Acme', super_admin='boss@acme.test')
    a_user('tim@acme.test', organisation=org)
    await opens_as(user, 'tim@acme.test', '/dashboard/apis')
    await user.should_see('Only the super admins of an organization can submit APIs.')
    await user.should_not_see(marker='submit-api-submit')


# --- plans, products, catalogs ---------------------------------------------------------------------

async def test_admin_adds_a_plan(user) -> None:
    await admin_opens(user, '/admin/plans')
    await user.should_see('No plans yet.')
    user.find(marker='plans-add').click()
    await user.should_see(marker='plan-name')
    user.find(marker='plan-name').type('Gold')
    user.find(marker='plan-rate-limit').clear().type('100')
    user.find(marker='plan-quota').clear().type('5000')
    choose(user, 'plan-quota-period', 'per day')
    user.find(marker='plan-requires-approval').click()
    user.find(marker='plan-save').click()
    await user.should_see('Plan Gold saved.')
    await user.should_see(marker='plans-row')  # the table reads again in a worker thread
    plan = Plan.get(Plan.name == 'Gold')
    assert (plan.rate_limit, plan.rate_period, plan.quota, plan.quota_period, plan.requires_approval) == \
        (100, 60, 5000, 'day', True)
    await user.should_see(marker='plans-row', retries=50)  # rows are read in a worker
    with user.scope(marker='plans-row'):
        await user.should_see('100 requests / 60 s')
        await user.should_see('5,000 / day')


async def test_admin_adds_a_product_with_an_api_in_a_catalog(user) -> None:
    world = a_catalog_world()
    await admin_opens(user, '/admin/products')
    user.find(marker='products-add').click()
    await user.should_see(marker='product-name')
    user.find(marker='product-name').type('Weather Pro')
    user.find(marker='product-summary').type('Forecasts for professionals')
    user.find(marker='product-description').type('# Weather Pro\n\nHourly forecasts.')
    user.find(marker='product-tags').type('Forecast, Pro')
    pick(user, 'product-apis', [world['Weather API'].id])
    pick(user, 'product-catalogs', [world['Partners'].id])
    user.find(marker='product-save').click()
    await user.should_see('Weather Pro saved.')
    product = Product.get(Product.slug == 'weather-pro')
    assert product.tags == 'forecast,pro' and product.summary == 'Forecasts for professionals'
    assert [link.api_id for link in ProductApi.select().where(ProductApi.product == product)] == \
        [world['Weather API'].id]
    assert [link.catalog_id for link in CatalogProduct.select().where(CatalogProduct.product == product)] == \
        [world['Partners'].id]
    await user.should_see('Partners')


async def test_admin_adds_a_custom_catalog_and_grants_an_organisation(user) -> None:
    world = a_catalog_world()
    acme = an_org_with('Acme')
    Team.create(organisation=acme, name='Backend')
    await admin_opens(user, '/admin/catalogs')
    user.find(marker='catalogs-add').click()
    await user.should_see(marker='catalog-name')
    user.find(marker='catalog-name').type('Insiders')
    choose(user, 'catalog-visibility', 'Custom: chosen teams only')
    pick(user, 'catalog-products', [world['Payments'].id])
    pick(user, 'catalog-plans', [world['Gold'].id])
    user.find(marker='catalog-save').click()
    await user.should_see('Catalog Insiders saved.')
    insiders = Catalog.get(Catalog.name == 'Insiders')
    assert insiders.visibility == Visibility.CUSTOM
    assert CatalogPlan.get(CatalogPlan.catalog == insiders).plan_id == world['Gold'].id

    await user.should_see(marker='catalog-teams-Insiders')  # the table reads again in a worker thread
    user.find(marker='catalog-teams-Insiders').click()
    await user.should_see(marker='catalog-grant-org')
    choose(user, 'catalog-grant-org', 'Acme')
    user.find(marker='catalog-grant-org-button').click()
    await user.should_see('Every team of Acme now sees Insiders.')
    granted = {link.team.name for link in CatalogTeam.select().where(CatalogTeam.catalog == insiders)}
    assert granted == {'Default team', 'Backend'}
    assert len(element(user, 'catalog-team-select').value) == 2


async def test_a_catalog_with_access_requests_is_not_deleted(user) -> None:
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    app = App.create(name='Mine', name_key='mine', organisation=dev.organisation, owner=dev)
    AccessRequest.create(app=app, catalog=world['Public'], plan=world['Free'], requested_by=dev)
    await admin_opens(user, '/admin/catalogs')
    user.find(marker='catalog-delete-Public').click()
    user.find(marker='catalog-delete-confirm').click()
    await user.should_see('This catalog has access requests')
    assert Catalog.select().where(Catalog.name == 'Public').exists()


def test_a_too_long_rejection_reason_is_refused_not_cut(db) -> None:
    """The reason goes to the submitter in full or not at all; nothing changes when it is refused."""
    org = an_org_with('Acme')
    api = Api.create(name='Acme Orders', base_path='/orders/', status=ApiStatus.PENDING, submitted_by=org.users.get())
    with pytest.raises(DomainError, match='too long') as refused:
        catalog.decide_api(api, False, by=an_admin(), reason='x' * 501)
    assert refused.value.field == 'reason'
    assert Api.get_by_id(api.id).status == ApiStatus.PENDING
