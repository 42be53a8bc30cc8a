"""Docs for machines (issue 25, item 6): /llms.txt and /products/{slug}.md list what the visitor may see, under
the product page's own rule, through the real cookie session. Content from a real OpenAPI document of
../shared/openapi-specs (the expanded Petstore); every "does not see" follows a "sees" in the same response."""
from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from api import machine_docs
from db.models import Api, Catalog, CatalogPlan, CatalogProduct, CatalogTeam, Plan, Product, ProductApi, Team, User, \
    Visibility
from tests.utils import a_catalog_world, a_user, an_admin, an_org_with, set_settings
from workflows import catalog, sessions

SPECS = Path(__file__).resolve().parents[2] / 'shared' / 'openapi-specs'
if not SPECS.exists():
    SPECS = Path('/work/shared/openapi-specs')
PETSTORE = SPECS / 'oai30-petstore-expanded.yaml'
pytestmark = pytest.mark.skipif(not PETSTORE.exists(), reason='the real documents of ../shared/openapi-specs are not here')


def a_world() -> dict:
    """a_catalog_world (Weather and Maps Public, Payments Private) and Pets, a product in a Custom catalog
    granted to Acme's default team only, with the expanded Petstore as its API's document."""
    world = a_catalog_world()
    acme = an_org_with('Acme', super_admin='boss@acme.test', members=1)
    an_org_with('Beta', super_admin='boss@beta.test')
    pets_api = catalog.save_api(None, 'Petstore API', '/pets/', 'http://upstream', PETSTORE.read_text(),
                                by=an_admin('admin@provider.test'))
    world['Pets'] = Product.create(name='Pets', slug='pets', summary='Pets for Acme [beta]',
                                   description='The pet store.\n\n# Usage\n\nSee <b>below</b>.')
    ProductApi.create(product=world['Pets'], api=pets_api)
    world['Acme only'] = Catalog.create(name='Acme only', visibility=Visibility.CUSTOM)
    CatalogProduct.create(catalog=world['Acme only'], product=world['Pets'])
    CatalogTeam.create(catalog=world['Acme only'], team=Team.get((Team.organisation == acme) & Team.is_default))
    world['Acme plan'] = Plan.create(name='Acme plan', rate_limit=10, rate_period=1, quota=0)
    CatalogPlan.create(catalog=world['Acme only'], plan=world['Acme plan'])
    world['Petstore API'] = pets_api
    return world


@asynccontextmanager
async def as_(user, email: str | None):
    """A browser with the portal's real cookie session of `email` (None: a visitor)."""
    async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test') as client:
        if email is not None:
            person = User.get(User.email == email)
            await client.get(f'/auth/session?ticket={sessions.issue_ticket(person)}')
        yield client


async def test_a_visitor_gets_the_public_products_in_llms_txt_and_as_markdown(user) -> None:
    world = a_world()
    set_settings(portal_name='Acme APIs')
    async with as_(user, None) as browser:
        index = await browser.get('/llms.txt')
        assert index.status_code == 200 and index.headers['content-type'].startswith('text/markdown')
        assert index.headers['x-content-type-options'] == 'nosniff' and 'sandbox' in index.headers['content-security-policy']
        text = index.text
        assert text.startswith('# Acme APIs\n\n> ') and '\n## Products\n\n' in text
        assert '- [Weather](http://portal.test/products/weather.md): Weather for your apps' in text
        assert '- [Maps](http://portal.test/products/maps.md): Maps for your apps' in text
        assert 'Payments' not in text and 'Pets' not in text  # Private and Custom: not for visitors
        page = await browser.get('/products/weather.md')
        assert page.status_code == 200 and page.headers['content-type'].startswith('text/markdown')
        md = page.text
        assert md.startswith('# Weather\n\n> Weather for your apps\n')
        assert 'The **Weather** product.' in md and '#### Weather' in md  # the description's heading, under ours
        assert '### Weather API' in md and '- Base URL: http://portal.test/weather/' in md
        api_id = world['Weather API'].id
        assert f'- API reference: http://portal.test/products/weather/reference/{api_id}' in md
        assert f'- OpenAPI 3.0.3 document: http://portal.test/products/weather/apis/{api_id}/openapi' in md
        assert '- GET /forecast/{city}: Forecast for a city' in md
        assert '- Free (catalog Public): 5 requests / 60 s · 1,000 requests / month · instant access' in md
        for hidden in ('payments', 'pets'):
            response = await browser.get(f'/products/{hidden}.md')
            assert response.status_code == 404 and 'was not found' in response.text, hidden
        assert (await browser.get('/products/nothing.md')).status_code == 404
        # the product page itself still answers at its own address
        assert (await browser.get('/products/weather')).status_code == 200


async def test_a_signed_in_developer_sees_what_their_organisations_teams_may_see(user) -> None:
    world = a_world()
    a_user('dev@consumer.test')  # the default organisation: Public and Private, not Acme's Custom catalog
    async with as_(user, 'dev@consumer.test') as browser:
        text = (await browser.get('/llms.txt')).text
        assert '- [Payments](http://portal.test/products/payments.md): Payments for your apps' in text
        assert 'Pets' not in text
        assert (await browser.get('/products/payments.md')).status_code == 200
        assert (await browser.get('/products/pets.md')).status_code == 404

    async with as_(user, 'member1@acme.test') as browser:  # Acme's team was granted the Custom catalog
        text = (await browser.get('/llms.txt')).text
        # the summary's brackets are escaped: they do not end the link text
        assert '- [Pets](http://portal.test/products/pets.md): Pets for Acme \\[beta\\]' in text
        assert '[Weather](' in text
        md = (await browser.get('/products/pets.md')).text
        assert md.startswith('# Pets\n\n> Pets for Acme \\[beta\\]\n')
        api_id = world['Petstore API'].id
        assert '### Petstore API' in md and '- Base URL: http://portal.test/pets/' in md
        assert f'- OpenAPI 3.0.0 document: http://portal.test/products/pets/apis/{api_id}/openapi' in md
        assert 'Operations (4):' in md
        for line in ('- GET /pets: findPets', '- POST /pets: addPet', '- GET /pets/{id}: find pet by id',
                     '- DELETE /pets/{id}: deletePet'):
            assert line in md, line
        assert '- Acme plan (catalog Acme only): 10 requests / 1 s · no quota · instant access' in md
        assert '#### Usage' in md and '&lt;b>below&lt;/b>' in md and '<b>' not in md

    async with as_(user, 'boss@beta.test') as browser:  # another organisation: absent, and "not found"
        text = (await browser.get('/llms.txt')).text
        assert '[Payments](' in text and '[Weather](' in text
        assert 'Pets' not in text
        response = await browser.get('/products/pets.md')
        assert response.status_code == 404 and 'Pets' not in response.text
        for path in (f'/products/pets/reference/{world["Petstore API"].id}', '/products/pets'):  # the same rule
            assert 'was not found' in (await browser.get(path)).text, path


def test_text_from_admins_cannot_make_links_html_or_sections_of_its_own() -> None:
    assert machine_docs.inline('Evil](http://x.test) <script>\n## Products') == \
        'Evil\\](http://x.test) \\<script\\> ## Products'
    described = machine_docs.description(
        '# Title\nText [a](javascript:alert(1)) and [b]( JavaScript:x)\n[c]: data:text/html,x\n<img src=x onerror=y>\n'
        'Fake\n---\n```\n# a shell comment <kept>\n```\n## APIs')
    assert described.splitlines() == [
        '#### Title', 'Text [a](#blocked:alert(1)) and [b]( #blocked:x)', '[c]: #blocked:text/html,x',
        '&lt;img src=x onerror=y>', 'Fake', '\\---', '```', '# a shell comment <kept>', '```', '##### APIs']
    assert machine_docs.description('```\nunclosed') == '```\nunclosed\n```'


async def test_the_markdown_of_a_product_is_not_taken_for_a_product_page(user) -> None:
    """/products/{slug}.md goes before /products/{slug}: `weather.md` is not read as a slug."""
    a_catalog_world()
    response = await user.http_client.get('/products/weather.md')
    assert response.status_code == 200 and response.text.startswith('# Weather\n')
    assert Api.select().count() == 3
