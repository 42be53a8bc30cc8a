"""Issue 25, item 5: search across every API. Products, operations (path, summary, operationId), guides and
pages that this visitor may see, ranked, with the operation's deep link into the API reference."""
from __future__ import annotations

import json

import pytest

from api.reference import reference_url
from db import search as index
from db.models import ApiOperation, Visibility
from tests.utils import a_user, an_admin, an_org_with
from workflows import catalog, search


def document(title: str, operations: list[tuple[str, str, str, str, str]]) -> str:
    """An OpenAPI 3 document with (method, path, operationId, summary, tag) operations ('' leaves one out)."""
    paths: dict = {}
    for method, path, operation_id, summary, tag in operations:
        operation: dict = {'responses': {'200': {'description': 'OK'}}}
        if operation_id:
            operation['operationId'] = operation_id
        if summary:
            operation['summary'] = summary
        if tag:
            operation['tags'] = [tag]
        paths.setdefault(path, {})[method] = operation
    return json.dumps({'openapi': '3.0.3', 'info': {'title': title, 'version': '1'}, 'paths': paths})


WEATHER = document('Weather API', [
    ('get', '/v1/forecast', 'getForecast', 'The weather forecast for a city', 'Forecasts'),
    ('get', '/v1/forecast/history', 'getForecastHistory', 'Past forecasts', 'Forecasts'),
    ('post', '/v1/alerts', '', 'Subscribe to storm alerts', ''),
    ('delete', '/v1/alerts/all', 'cancel alert', '', 'Storm alerts'),
])
LEDGER = document('Ledger API', [
    ('get', '/ledger/entries', 'listLedgerEntries', 'Entries of the ledger', 'Ledger'),
    ('post', '/ledger/forecast', 'forecastLedger', 'A forecast of the balance', 'Ledger'),
])


@pytest.fixture
def portal(db):
    return a_portal()


def a_portal() -> dict:
    """Weather in a Public catalog; Ledger in a Custom catalog granted to Acme's teams; Hidden Ledger (same API
    words) in a Private one. A developer of Acme, one of Globex, and a developer of the default organisation."""
    admin = an_admin()
    weather_api = catalog.save_api(None, 'Weather API', '/weather/', '', WEATHER, by=admin)
    ledger_api = catalog.save_api(None, 'Ledger API', '/ledger/', '', LEDGER, by=admin)
    public = catalog.save_catalog(None, 'Public', Visibility.PUBLIC, [], [], by=admin)
    custom = catalog.save_catalog(None, 'Acme only', Visibility.CUSTOM, [], [], by=admin)
    weather = catalog.save_product(None, 'Weather', 'weather', 'Forecasts for your apps', '', [weather_api.id],
                                   'climate', [public.id], by=admin)
    ledger = catalog.save_product(None, 'Ledger', 'ledger', 'Bookkeeping', '', [ledger_api.id], '', [custom.id],
                                  by=admin)
    acme = an_org_with('Acme', members=1)
    an_org_with('Globex', super_admin='boss@globex.test', members=1)
    catalog.grant_organisation(custom, acme, by=admin)
    return {'admin': admin, 'weather_api': weather_api, 'ledger_api': ledger_api, 'weather': weather,
            'ledger': ledger, 'public': public, 'custom': custom,
            'acme_member': _user('member1@acme.test'), 'globex_member': _user('member1@globex.test'),
            'developer': a_user('dev@consumer.test')}


def _user(email: str):
    from db.models import User
    return User.get(User.email == email)


def titles(results) -> list[str]:
    return [result.title for result in results]


def test_an_operation_of_a_custom_catalog_is_found_by_the_granted_team_only(portal) -> None:
    acme, globex, visitor = portal['acme_member'], portal['globex_member'], None
    # the control: the same search finds the public operation for everyone
    for who in (acme, globex, visitor, portal['developer']):
        found = titles(search.search(who, 'forecast', 20))
        assert 'getForecast' in found
    assert 'forecastLedger' in titles(search.search(acme, 'forecast', 20))
    for who in (globex, visitor, portal['developer']):
        found = titles(search.search(who, 'forecast', 20))
        assert 'getForecast' in found and 'forecastLedger' not in found
        assert 'listLedgerEntries' not in titles(search.search(who, 'listLedgerEntries', 20))
        assert 'Ledger' not in titles(search.search(who, 'ledger', 20))
    exact = search.search(acme, 'listLedgerEntries', 5)[0]
    assert (exact.kind, exact.title) == ('operation', 'listLedgerEntries')
    assert exact.url == f'{reference_url("ledger", portal["ledger_api"].id)}#/Ledger/listLedgerEntries'


def test_ranking_exact_then_title_prefix_then_summary(portal) -> None:
    results = search.search(None, 'getForecast', 10)
    assert titles(results)[:2] == ['getForecast', 'getForecastHistory']  # exact, then the operationId's prefix
    assert results[0].rank == 0 and results[1].rank == 1
    # 'weath' starts the product's name (a title) and the API's summary; the product comes first
    results = search.search(None, 'weath', 10)
    assert results[0].kind == 'product' and results[0].title == 'Weather' and results[0].url == '/products/weather'
    assert [r.title for r in results if r.kind == 'operation'] == ['getForecast']  # 'weather' in its summary
    # the exact path first, then paths that start so, then summaries
    results = search.search(None, '/v1/forecast', 10)
    assert titles(results)[:2] == ['getForecast', 'getForecastHistory'] and results[0].rank == 0
    # a word found in titles and in summaries: title matches first
    results = search.search(None, 'alerts', 10)
    assert [r.rank for r in results] == sorted(r.rank for r in results)
    storm = search.search(None, 'storm', 10)  # only in a summary ('Subscribe to storm alerts')
    assert titles(storm) == ['Subscribe to storm alerts'] and storm[0].rank == 2
    # the exact product name before operations whose titles start with it
    assert search.search(None, 'weather', 10)[0].title == 'Weather'


def test_deep_links_name_the_tag_and_the_operation_as_swagger_ui_does(portal) -> None:
    api = portal['weather_api'].id
    base = reference_url('weather', api)
    by_title = {r.title: r for r in search.search(None, 'v1', 20)}
    assert by_title['getForecast'].url == f'{base}#/Forecasts/getForecast'
    # no operationId: Swagger UI's own id, method and path with _; no tag: "default"
    assert by_title['Subscribe to storm alerts'].url == f'{base}#/default/post_v1_alerts'
    # spaces in the tag and the operationId, encoded (the page decodes the hash)
    assert by_title['cancel alert'].url == f'{base}#/Storm%20alerts/cancel%20alert'
    assert by_title['getForecast'].subtitle.startswith('GET /v1/forecast · Weather API · Weather')


def test_updating_an_apis_document_updates_the_index(portal) -> None:
    admin, api = portal['admin'], portal['weather_api']
    assert 'getForecastHistory' in titles(search.search(None, 'getForecast', 10))
    changed = document('Weather API', [('get', '/v2/forecast', 'getForecast', 'The forecast, version 2', 'Forecasts'),
                                       ('get', '/v2/radar', 'getRadar', 'Radar images', 'Radar')])
    catalog.save_api(api.id, 'Weather API', '/weather/', '', changed, by=admin)
    assert titles(search.search(None, 'getForecast', 10)) == ['getForecast']  # the removed operation is gone
    assert search.search(None, 'getForecast', 10)[0].subtitle.startswith('GET /v2/forecast')
    assert titles(search.search(None, 'radar', 10)) == ['getRadar']
    assert ApiOperation.select().where(ApiOperation.api == api.id).count() == 2
    catalog.save_api(api.id, 'Weather API', '/weather/', '', '', by=admin)  # the document removed
    assert ApiOperation.select().where(ApiOperation.api == api.id).count() == 0
    assert not [r for r in search.search(None, 'radar', 10) if r.kind == 'operation']


def test_a_deleted_api_and_a_product_taken_out_of_its_catalog_leave_the_search(portal) -> None:
    admin = portal['admin']
    assert 'getForecast' in titles(search.search(None, 'getForecast', 10))
    catalog.save_catalog(portal['public'].id, 'Public', Visibility.PUBLIC, [], [], by=admin)  # Weather taken out
    assert not search.search(None, 'getForecast', 10) and not search.search(None, 'weather', 10)
    assert 'forecastLedger' in titles(search.search(portal['acme_member'], 'forecast', 10))  # the control
    catalog.delete_api(portal['ledger_api'], by=admin)
    assert 'forecastLedger' not in titles(search.search(portal['acme_member'], 'forecast', 10))
    assert ApiOperation.select().where(ApiOperation.api == portal['ledger_api'].id).count() == 0


@pytest.mark.parametrize('text', ['', '   ', '\n\t', '"', '*', '-', ':', '""', 'NEAR(', 'NEAR(forecast',
                                  'forecast NOT', 'forecast OR "', '{path}: forecast', "'; DROP TABLE product; --",
                                  '^forecast', 'forecast*', '-forecast', 'a:b', '(', ')', '\x00', '%', '_',
                                  'ß 中文 ü', 'x' * 5000, 'forecast ' * 500])
def test_syntax_characters_and_huge_input_do_not_error(portal, text) -> None:
    results = search.search(portal['acme_member'], text, 10)
    assert isinstance(results, list)
    if not text.strip() or not any(ch.isalnum() for ch in text):
        assert results == []
    if text.strip() and set(index.words(text)) == {'forecast'}:  # '^forecast', '-forecast', 'forecast*', ...
        assert 'getForecast' in titles(search.search(None, text, 20))  # the words are searched, the syntax is not


def test_input_is_capped_in_length_and_words(portal) -> None:
    assert search.clean('x' * 1000) == 'x' * search.MAX_TEXT
    nine_words = 'forecast ' * 8 + 'nothinglikethis'
    assert 'getForecast' in titles(search.search(None, nine_words, 10))  # the ninth word is not read


def test_the_reference_url_is_the_reference_pages(portal) -> None:
    assert search.reference_url('weather', 7) == reference_url('weather', 7)


# --- guides and pages (issue 25, items 3 and 2) ------------------------------------------------------------

def a_guide(product, title: str, body: str, by, *, published: bool = True):
    from workflows import guides
    guide = guides.save_guide(product.id, None, title, '', body, by=by)
    return guides.set_published(guide, True, by=by) if published else guide


def a_page(title: str, body: str, by, *, audience: str = 'everyone', organisation_ids=(), publish: bool = True):
    from workflows import content_pages
    page = content_pages.create(title, '', by=by)
    latest = content_pages.latest_revision(page.id)
    content_pages.save(page.id, content_pages.PageForm(title=title, slug=page.slug, body=body, audience=audience,
                                                       organisation_ids=list(organisation_ids)),
                       by=by, based_on=latest.id, publish=publish)
    return page


def test_guides_of_visible_products_are_found_and_drafts_and_hidden_products_are_not(portal) -> None:
    admin = portal['admin']
    a_guide(portal['weather'], 'Getting started', 'Send **{{gateway_url}}** your key: the forecast comes back.',
            admin)
    a_guide(portal['weather'], 'Storm webhooks', 'Not ready yet: storms.', admin, published=False)
    a_guide(portal['ledger'], 'Closing the books', 'Monthly closing of the ledger, with forecasts.', admin)
    found = [r for r in search.search(None, 'getting', 10) if r.kind == 'guide']
    assert [(r.title, r.url) for r in found] == [('Getting started', '/products/weather/guides/getting-started')]
    assert found[0].subtitle == 'Guide · Weather'
    body = [r for r in search.search(None, 'forecast', 20) if r.kind == 'guide']
    assert [r.title for r in body] == ['Getting started'] and body[0].rank == 2  # in its body only
    assert '{{' not in body[0].snippet and 'forecast comes back' in body[0].snippet
    assert not [r for r in search.search(portal['acme_member'], 'storms', 10) if r.kind == 'guide']  # a draft
    assert not [r for r in search.search(admin, 'storms', 10) if r.kind == 'guide']  # not even for an admin
    # the guide of the Custom catalog's product: Acme's members only
    assert 'Closing the books' in titles(search.search(portal['acme_member'], 'closing', 10))
    assert 'Closing the books' not in titles(search.search(portal['globex_member'], 'closing', 10))
    assert 'Closing the books' not in titles(search.search(None, 'closing', 10))
    exact = search.search(None, 'getting started', 10)[0]
    assert (exact.kind, exact.rank) == ('guide', 0)


def test_published_pages_are_found_by_their_audience_with_the_published_text(portal) -> None:
    admin, acme = portal['admin'], portal['acme_member']
    a_page('Rate limits', 'How many calls a plan allows per minute.', admin)
    a_page('Partner terms', 'Terms for partners: quarterly invoices.', admin, audience='chosen',
           organisation_ids=[acme.organisation_id])
    a_page('Roadmap', 'Upcoming quarterly plans.', admin, publish=False)
    assert [(r.title, r.url) for r in search.search(None, 'rate', 10) if r.kind == 'page'] \
        == [('Rate limits', '/pages/rate-limits')]
    assert [r.title for r in search.search(acme, 'quarterly', 10) if r.kind == 'page'] == ['Partner terms']
    assert not [r for r in search.search(portal['globex_member'], 'quarterly', 10) if r.kind == 'page']
    assert not [r for r in search.search(None, 'roadmap', 10) if r.kind == 'page']  # a draft
    # a new draft of a published page: the search keeps the published text
    from workflows import content_pages
    page = content_pages.visible_to(None).where(content_pages.ContentPage.slug == 'rate-limits').first()
    latest = content_pages.latest_revision(page.id)
    content_pages.save(page.id, content_pages.PageForm(title='Rate limits', slug='rate-limits',
                                                       body='Throttling explained.'), by=admin, based_on=latest.id)
    assert [r.title for r in search.search(None, 'minute', 10) if r.kind == 'page'] == ['Rate limits']
    assert not [r for r in search.search(None, 'throttling', 10) if r.kind == 'page']


def test_the_kinds_filter_keeps_one_kind(portal) -> None:
    a_guide(portal['weather'], 'Forecast recipes', 'Recipes.', portal['admin'])
    everything = search.search(None, 'forecast', 50)
    assert {r.kind for r in everything} >= {'product', 'operation', 'guide'}
    assert {r.kind for r in search.search(None, 'forecast', 50, ('guide',))} == {'guide'}


def test_the_dropdown_keeps_room_for_each_kind(portal) -> None:
    a_guide(portal['weather'], 'Forecast recipes', 'Recipes.', portal['admin'])
    ranked = search.search(None, 'forecast', 8)
    mixed = search.search(None, 'forecast', 8, per_kind=1)
    # one of each kind, in the ranking's order: the operationId and the guide's title start with the word (titles),
    # the product has it in its summary only
    assert [(r.kind, r.rank) for r in mixed] == [('operation', 1), ('guide', 1), ('product', 2)]
    assert mixed[0] == next(r for r in ranked if r.kind == 'operation')  # the best of each kind


async def test_the_results_page_for_a_visitor_with_kinds_pages_and_an_empty_state(user) -> None:
    world = a_portal()
    await user.open('/search?q=forecast')
    await user.should_see('Search: forecast')
    await user.should_see('getForecast')
    await user.should_see('Weather')  # the product
    await user.should_not_see('forecastLedger')  # the Custom catalog's operation
    await user.open('/search?q=forecast&kind=product')
    await user.should_see('Forecasts for your apps')
    await user.should_not_see('getForecastHistory')
    await user.open('/search?q=zzzqqq')
    await user.should_see('No results for “zzzqqq” — try fewer words or browse the Catalogs.')
    await user.open('/search?q=' + 'x' * 5000 + '&kind=<script>&page=-7')  # capped, an unknown kind ignored
    await user.should_see('No results for')
    await user.open('/search?q=%22*%20-%20:%20(')  # no word in it
    await user.should_see('Type a few words')
    assert ApiOperation.select().where(ApiOperation.api == world['weather_api'].id).count() == 4


def test_migration_14_indexes_the_documents_already_stored(portal) -> None:
    from db import migrations
    from db.connection import database, is_postgres
    from db.models import SchemaVersion
    if not is_postgres():
        database.execute_sql('DROP TABLE "api_operation_search"')
    database.execute_sql('DROP TABLE "api_operation"')  # as before migration 14 (its triggers go with it)
    SchemaVersion.delete().execute()
    SchemaVersion.create(version=13)
    assert migrations.migrate() == f'database upgraded from schema version 13 to {migrations.LATEST}'
    assert ApiOperation.select().count() == 6  # the two documents' operations
    found = search.search(None, 'getForecast', 10)
    assert titles(found) == ['getForecast', 'getForecastHistory']
    assert found[0].url.endswith('#/Forecasts/getForecast')
