"""Guides per product (issue 25, item 3): an admin writes Markdown guides for a product; readers see the published
ones as tabs beside the API reference, under the product's own rule, with the placeholders filled in for them
(the prefix of their key, never the key); the Markdown is sanitised and highlighted; machines get them as
Markdown. Rules through the workflows, pages through NiceGUI's simulated user and the real cookie session."""
from __future__ import annotations

import re
from contextlib import asynccontextmanager

import httpx
import pytest

from db.models import (AuditEvent, CatalogPlan, CatalogProduct, CatalogTeam, Catalog, Credential, Guide, Plan, Product,
                       ProductApi, Team, User, Visibility)
from domain.errors import DomainError, NotFound, PermissionDenied
from tests.utils import a_catalog_world, a_user, an_admin, an_org_with, log_in, settle
from workflows import access, catalog, guides, sessions

GETTING_STARTED = '''# Getting started

Call {{gateway_url}}{{base_path}} with your key {{api_key_prefix}} and {{unknown}} stays.

```bash
curl -H "X-API-Key: {{api_key_prefix}}" {{gateway_url}}{{base_path}}forecast/paris
```

```python
import requests
print(requests.get("{{gateway_url}}{{base_path}}forecast/paris").json())
```
'''


def a_world() -> dict:
    """a_catalog_world (Weather and Maps in Public, Payments in Partners (Private)), and Pets in the Custom catalog
    "Acme only" granted to Acme's default team, with a plan that needs no approval; an admin."""
    world = a_catalog_world()
    world['admin'] = an_admin('admin@provider.test')
    acme = an_org_with('Acme', super_admin='boss@acme.test', members=1)
    an_org_with('Beta', super_admin='boss@beta.test')
    pets_api = catalog.save_api(None, 'Pets API', '/pets/', 'http://upstream', '', by=world['admin'])
    world['Pets'] = Product.create(name='Pets', slug='pets', summary='Pets for Acme')
    ProductApi.create(product=world['Pets'], api=pets_api)
    world['Acme only'] = Catalog.create(name='Acme only', visibility=Visibility.CUSTOM)
    CatalogProduct.create(catalog=world['Acme only'], product=world['Pets'])
    CatalogTeam.create(catalog=world['Acme only'], team=Team.get((Team.organisation == acme) & Team.is_default))
    world['Acme plan'] = Plan.create(name='Acme plan', rate_limit=10, rate_period=1, quota=0, requires_approval=False)
    CatalogPlan.create(catalog=world['Acme only'], plan=world['Acme plan'])
    return world


def published(world, product: str, title: str = 'Getting started', body: str = GETTING_STARTED) -> Guide:
    guide = guides.save_guide(world[product].id, None, title, '', body, by=world['admin'])
    return guides.set_published(guide, True, by=world['admin'])


def a_key(world, email: str, product: str = 'Weather') -> tuple[str, Credential]:
    """`email` gets a key for `product` (a plan without approval): the whole key and its credential."""
    person = User.get(User.email == email)
    catalog_name, plan = ('Acme only', 'Acme plan') if product == 'Pets' else ('Public', 'Free')
    access.request_access(person, world[catalog_name].id, world[plan].id, [world[product].id],
                          new_app_name=f'{person.first_name} bot')
    [(_, key)] = access.keys_for_product(person, world[product])
    return key, Credential.get(Credential.key_prefix == key[:10])


@asynccontextmanager
async def as_(user, email: str | None):
    """A browser with the portal's real cookie session of `email` (None: a visitor)."""
    async with httpx.AsyncClient(transport=user.http_client._transport, base_url='http://test') as client:
        if email is not None:
            await client.get(f'/auth/session?ticket={sessions.issue_ticket(User.get(User.email == email))}')
        yield client


# --- the admin's changes ----------------------------------------------------------------------------

def test_an_admin_adds_publishes_reorders_unpublishes_and_deletes_guides_with_an_audit_trail(db) -> None:
    world = a_world()
    admin, weather = world['admin'], world['Weather']
    first = guides.save_guide(weather.id, None, 'Getting started', '', GETTING_STARTED, by=admin)
    second = guides.save_guide(weather.id, None, 'Errors', 'errors', 'Codes.', by=admin)
    assert (first.slug, first.published, first.position, first.updated_by_id) == ('getting-started', False, 1, admin.id)
    assert second.position == 2
    guides.set_published(first, True, by=admin)
    guides.move(Guide.get_by_id(second.id), -1, by=admin)
    assert [g.slug for g in Guide.select().order_by(Guide.position)] == ['errors', 'getting-started']
    guides.move(Guide.get_by_id(second.id), -1, by=admin)  # first already: nothing changes
    edited = guides.save_guide(weather.id, first.id, 'Start here', 'start', 'New body', by=admin)
    assert (edited.title, edited.slug, edited.body, edited.published) == ('Start here', 'start', 'New body', True)
    guides.set_published(edited, False, by=admin)
    guides.delete_guide(second, by=admin)
    assert [(g.slug, g.published) for g in Guide.select()] == [('start', False)]
    assert [event.action for event in AuditEvent.select().where(AuditEvent.action.startswith('guide.'))
            .order_by(AuditEvent.id)] == ['guide.create', 'guide.create', 'guide.publish', 'guide.reorder',
                                          'guide.update', 'guide.unpublish', 'guide.delete']
    catalog.delete_product(Product.get_by_id(weather.id), by=admin)  # its guides go with it
    assert Guide.select().count() == 0


@pytest.mark.parametrize('slug', ['Getting Started', 'getting started', '../admin', 'x.md', 'a--b', '-a', 'a/b',
                                  'é', 'a' * 101, '<script>'])
def test_a_crafted_slug_is_refused_next_to_its_field_and_nothing_is_saved(db, slug: str) -> None:
    world = a_world()
    with pytest.raises(DomainError) as refused:
        guides.save_guide(world['Weather'].id, None, 'Getting started', slug, 'Body', by=world['admin'])
    assert refused.value.field == 'slug' and 'lower-case letters, digits and single hyphens' in str(refused.value)
    assert Guide.select().count() == 0


def test_bad_titles_taken_slugs_huge_bodies_and_other_products_ids_are_refused(db) -> None:
    world = a_world()
    admin, weather = world['admin'], world['Weather']
    for title, field in (('', 'title'), ('x' * 101, 'title'), ('Bell\x07', 'title')):
        with pytest.raises(DomainError) as refused:
            guides.save_guide(weather.id, None, title, 'ok', 'Body', by=admin)
        assert refused.value.field == field
    with pytest.raises(DomainError) as refused:
        guides.save_guide(weather.id, None, 'Big', '', 'x' * (guides.MAX_BODY + 1), by=admin)
    assert refused.value.field == 'body' and '100,000 characters at most' in str(refused.value)
    with pytest.raises(DomainError) as refused:
        guides.save_guide(weather.id, None, 'Nul', '', 'a\x00b', by=admin)
    assert refused.value.field == 'body'
    guide = guides.save_guide(weather.id, None, 'Errors', '', 'x' * guides.MAX_BODY, by=admin)  # the limit is fine
    with pytest.raises(DomainError) as refused:
        guides.save_guide(weather.id, None, 'Errors again', 'errors', '', by=admin)
    assert refused.value.field == 'slug' and 'uses the slug "errors" already' in str(refused.value)
    assert guides.save_guide(world['Maps'].id, None, 'Errors', '', '', by=admin).slug == 'errors'  # per product
    with pytest.raises(NotFound):  # a guide of Weather edited through Maps
        guides.save_guide(world['Maps'].id, guide.id, 'Taken over', '', '', by=admin)
    with pytest.raises(NotFound):
        guides.save_guide(999_999, None, 'Nowhere', '', '', by=admin)
    assert Guide.get_by_id(guide.id).title == 'Errors'
    assert Guide.select().count() == 2


def test_only_portal_admins_change_guides(db) -> None:
    world = a_world()
    guide = guides.save_guide(world['Weather'].id, None, 'Getting started', '', 'Body', by=world['admin'])
    boss = User.get(User.email == 'boss@acme.test')
    for act in (lambda: guides.save_guide(world['Weather'].id, None, 'Mine', '', '', by=boss),
                lambda: guides.set_published(guide, True, by=boss), lambda: guides.delete_guide(guide, by=boss),
                lambda: guides.reorder(world['Weather'], [guide.id], by=boss), lambda: guides.move(guide, 1, by=boss),
                lambda: guides.save_guide(world['Weather'].id, None, 'Anyone', '', '', by=None)):
        with pytest.raises(PermissionDenied):
            act()
    assert [(g.title, g.published) for g in Guide.select()] == [('Getting started', False)]


# --- who reads which guide --------------------------------------------------------------------------

def test_guides_follow_the_products_rule_and_drafts_are_for_admins_only(db) -> None:
    world = a_world()
    guide = published(world, 'Pets')
    draft = guides.save_guide(world['Pets'].id, None, 'Changelog', '', 'Soon.', by=world['admin'])
    public = published(world, 'Weather')
    member = User.get(User.email == 'member1@acme.test')
    outsider = User.get(User.email == 'boss@beta.test')
    developer = a_user('dev@consumer.test')
    assert [g.slug for g in guides.guides_visible_to(member, world['Pets'])] == ['getting-started']
    assert [g.slug for g in guides.guides_visible_to(world['admin'], world['Pets'])] == ['getting-started', 'changelog']
    for nobody in (None, outsider, developer):
        assert guides.guides_visible_to(nobody, world['Pets']) == []
        assert guides.guide_for(nobody, 'pets', 'getting-started') is None
    assert guides.guide_for(member, 'pets', 'getting-started')[1].id == guide.id
    assert guides.guide_for(member, 'pets', 'changelog') is None  # a draft
    assert guides.guide_for(world['admin'], 'pets', 'changelog')[1].id == draft.id
    for crafted in ('../getting-started', 'getting-started.md', 'GETTING-STARTED', '', 'x' * 500, "a' OR 1=1"):
        assert guides.guide_for(member, 'pets', crafted) is None
    assert guides.guide_for(member, 'weather', 'changelog') is None  # another product's guide
    # the site search's query: published guides of the products each may see
    assert {(g.product.slug, g.slug) for g in guides.visible_guides(member)} == {('pets', 'getting-started'),
                                                                                  ('weather', 'getting-started')}
    assert [(g.product.slug, g.title) for g in guides.visible_guides(None)] == [('weather', 'Getting started')]
    assert [g.id for g in guides.visible_guides(outsider).where(Guide.body.contains('curl'))] == [public.id]


def test_placeholders_for_a_visitor_a_developer_with_a_key_and_after_the_key_is_revoked(db) -> None:
    world = a_world()
    key, credential = a_key(world, 'member1@acme.test', 'Pets')
    member = User.get(User.email == 'member1@acme.test')
    body = '{{gateway_url}}{{base_path}} {{base_path:pets api}} {{api_key_prefix}} {{nope}} `{{api_key_prefix}}`'
    visitor = guides.fill(body, guides.values_for(None, world['Weather']))
    gateway = guides.values_for(None, world['Weather']).gateway_url
    assert not gateway.endswith('/')
    assert visitor == (f'{gateway}/weather/ {{{{base_path:pets api}}}} YOUR&#95;API&#95;KEY {{{{nope}}}} '
                       '`YOUR_API_KEY`')
    mine = guides.fill(body, guides.values_for(member, world['Pets']))
    assert credential.key_prefix == key[:10] and key[:10] in mine and key not in mine
    assert mine.startswith(f'{gateway}/pets/ /pets/ ') and mine.endswith(f'`{key[:10]}`')
    assert guides.values_for(member, world['Pets']).key_app == 'Member bot'
    assert guides.values_for(member, world['Weather']).key_prefix is None  # a key for Pets only
    access.revoke(credential.access_request, by=world['admin'])
    assert guides.values_for(member, world['Pets']).key_prefix is None
    assert 'YOUR&#95;API&#95;KEY' in guides.fill(body, guides.values_for(member, world['Pets']))


def test_a_value_is_escaped_outside_code_and_written_as_it_is_in_code(db) -> None:
    values = guides.Values('https://gw.example.com', (('A', '/a_b/'),), 'ptc_a_b*<c')
    body = 'Key {{api_key_prefix}} at {{base_path}}\n\n```\n{{api_key_prefix}}\n```\n\n    {{api_key_prefix}}\n\n`{{base_path}}`'
    filled = guides.fill(body, values)
    assert filled.split('\n')[0] == 'Key ptc&#95;a&#95;b&#42;&#60;c at /a&#95;b/'
    assert '```\nptc_a_b*<c\n```' in filled and '    ptc_a_b*<c' in filled and '`/a_b/`' in filled
    assert guides.fill(body, values, guides.for_markdown).split('\n')[0] == r'Key ptc\_a\_b\*\<c at /a\_b/'


def test_a_value_in_a_link_is_the_address_itself(db) -> None:
    from components import docs
    import markdown2
    values = guides.Values('https://gw.example.com/a_b', (('A', '/x_y/'),), None)
    filled = guides.fill('[Open]({{gateway_url}}{{base_path}}) or <{{gateway_url}}>', values)
    html = docs.clean(markdown2.markdown(filled))
    assert '<a href="https://gw.example.com/a_b/x_y/" rel="noopener noreferrer">Open</a>' in html
    assert '<a href="https://gw.example.com/a_b" rel="noopener noreferrer">https://gw.example.com/a_b</a>' in html


# --- the pages --------------------------------------------------------------------------------------

def rendered(user, marker: str) -> str:
    """The HTML of the guide (the converted and sanitised Markdown) in the tab with this marker."""
    [column] = user.find(marker=marker).elements
    return ''.join(child.props.get('innerHTML', '') for child in column.descendants())


async def test_a_developer_with_a_key_sees_the_guide_tab_filled_in_and_never_the_whole_key(user) -> None:
    world = a_world()
    published(world, 'Pets')
    key, _ = a_key(world, 'member1@acme.test', 'Pets')
    async with as_(user, 'member1@acme.test') as browser:
        page = await browser.get('/products/pets/guides/getting-started')
        assert page.status_code == 200 and key[:10] in page.text and key not in page.text
        product_page = await browser.get('/products/pets')
        assert 'Getting started' in product_page.text and key not in product_page.text
    await log_in(user, 'member1@acme.test')
    await user.open('/products/pets/guides/getting-started')
    await user.should_see('Getting started')
    await user.should_see(marker='guide-key-note')
    await user.should_see(f'The examples show the start of your key for Member bot, {key[:10]}…')
    html = rendered(user, 'guide-getting-started')
    gateway = guides.values_for(None, world['Pets']).gateway_url
    assert f'{gateway}/pets/forecast/paris' in html and key[:10] in html and key not in html
    assert '{{unknown}}' in html and '<span class="kn">import</span>' in html  # Python, highlighted
    assert '<div class="codehilite">' in html and '<span class="s2">' in html


async def test_the_product_page_shows_the_guides_as_tabs_and_opens_one(user) -> None:
    world = a_world()
    published(world, 'Weather')
    published(world, 'Weather', 'Errors', '## Errors\n\n429 means slow down.')
    guides.save_guide(world['Weather'].id, None, 'Changelog', '', 'Draft notes', by=world['admin'])
    await user.open('/products/weather')
    await user.should_see(marker='tab-reference')
    await user.should_see('Open the API reference')
    await user.should_see(marker='tab-guide-errors')
    await user.should_not_see(marker='tab-guide-changelog')  # a draft
    user.find(marker='tab-guide-getting-started').click()
    await settle()
    await user.should_see('get access to fill in your key')
    assert 'YOUR&#95;API&#95;KEY' not in rendered(user, 'guide-getting-started')
    assert 'X-API-Key: YOUR_API_KEY' in rendered(user, 'guide-getting-started')


async def test_guides_of_a_custom_catalogs_product_are_not_found_for_others_and_drafts_for_non_admins(user) -> None:
    world = a_world()
    published(world, 'Pets')
    guides.save_guide(world['Pets'].id, None, 'Changelog', '', 'Draft notes', by=world['admin'])
    for email in (None, 'boss@beta.test', 'dev@consumer.test', 'member1@acme.test'):
        if email == 'dev@consumer.test':
            a_user(email)
        async with as_(user, email) as browser:
            answer = await browser.get('/products/pets/guides/getting-started')
            expected = 200 if email == 'member1@acme.test' else 404
            assert answer.status_code == expected, email
            draft = await browser.get('/products/pets/guides/changelog')
            said = ('This guide was not found, or you cannot see it.' if email == 'member1@acme.test'
                    else 'This product was not found, or you cannot see it.')
            assert draft.status_code == 404 and said in draft.text, email
            markdown = await browser.get('/products/pets/guides/getting-started.md')
            assert markdown.status_code == expected, email
            crafted = await browser.get('/products/pets/guides/..%2Fgetting-started')  # no route: Log in, or 404
            assert crafted.status_code == (303 if email is None else 404), email
    async with as_(user, 'admin@provider.test') as browser:
        assert (await browser.get('/products/pets/guides/changelog')).status_code == 200  # the admin sees drafts
        assert (await browser.get('/products/pets/guides/changelog.md')).status_code == 404  # machines: published


XSS = '''# Attacks

<script>alert("script")</script>
<img src="x" onerror="alert('onerror')">
<a href="javascript:alert('link')">click</a> [md link](javascript:alert('md'))
<iframe src="https://evil.example/frame"></iframe>
<img src="https://evil.example/tracker.png" alt="remote">
![remote md](https://evil.example/md.png)
<div style="position:fixed" onclick="alert('div')" class="evil codehilite">styled</div>
<svg onload="alert('svg')"><circle r="5"/></svg>
<form action="https://evil.example"><input name="q"></form>
<object data="https://evil.example/x.swf"></object>
<span class="k">{{api_key_prefix}}</span>

```html
<script>alert("shown as code")</script>
```
'''


async def test_scripts_handlers_script_links_frames_and_remote_images_never_reach_the_page(user) -> None:
    world = a_world()
    published(world, 'Weather', 'Attacks', XSS)
    await user.open('/products/weather/guides/attacks')
    await user.should_see('Attacks')
    html = rendered(user, 'guide-attacks')
    assert 'click' in html and 'styled' in html and 'md link' in html
    for active in ('<script', 'onerror', 'onclick', 'onload', 'javascript:', '<iframe', 'evil.example', 'style=',
                   '<form', '<input', '<object', '<svg', 'class="evil'):
        assert active not in html, active
    assert 'shown as code' in html and '&lt;/</span><span class="nt">script' in html  # the code block: text
    assert '<div class="codehilite">styled</div>' in html
    assert 'YOUR_API_KEY' in html


async def test_llms_txt_lists_the_guides_each_may_read_and_serves_them_as_markdown(user) -> None:
    world = a_world()
    published(world, 'Weather')
    published(world, 'Pets')
    key, _ = a_key(world, 'member1@acme.test', 'Pets')
    async with as_(user, None) as browser:
        index = (await browser.get('/llms.txt')).text
        assert '## Guides' in index and '[Weather: Getting started](' in index
        assert '/products/weather/guides/getting-started.md' in index and 'pets/guides' not in index
        guide = await browser.get('/products/weather/guides/getting-started.md')
        assert guide.status_code == 200 and guide.headers['content-type'].startswith('text/markdown')
        assert guide.text.startswith('# Getting started: Weather')
        assert 'X-API-Key: YOUR_API_KEY' in guide.text and 'YOUR\\_API\\_KEY stands for' not in guide.text
        assert '#### Getting started' in guide.text  # the body's headings under the page's own
        product = (await browser.get('/products/weather.md')).text
        assert '## Guides' in product and '/products/weather/guides/getting-started.md' in product
    async with as_(user, 'member1@acme.test') as browser:
        index = (await browser.get('/llms.txt')).text
        assert '[Pets: Getting started](' in index
        guide = (await browser.get('/products/pets/guides/getting-started.md')).text
        assert f'X-API-Key: {key[:10]}' in guide and key not in guide


async def test_the_api_reference_bar_links_to_the_products_guides(user) -> None:
    world = a_world()
    published(world, 'Weather')
    guides.save_guide(world['Weather'].id, None, 'Changelog', '', 'Draft', by=world['admin'])
    api_id = world['Weather API'].id
    page = await user.http_client.get(f'/products/weather/reference/{api_id}')
    assert re.search(r'<nav class="portico-guides" aria-label="Guides"><a href="/products/weather/guides/'
                     r'getting-started">Getting started</a></nav>', page.text)
    assert 'Changelog' not in page.text


async def test_an_admin_sees_drafts_as_tabs_and_manages_the_guides_of_a_product(user) -> None:
    world = a_world()
    published(world, 'Weather')
    guides.save_guide(world['Weather'].id, None, 'Changelog', '', '## 1.1\n\nNew field.', by=world['admin'])
    await log_in(user, 'admin@provider.test')
    await user.open('/products/weather')
    await user.should_see('Changelog (draft)')
    await user.open('/products/weather/guides/changelog')
    await user.should_see('New field.')
    await user.open(f'/admin/products/{world["Weather"].id}/guides')
    await user.should_see('/products/weather/guides/changelog')
    user.find(marker='guide-up-changelog').click()
    await settle()
    await user.should_see('Changelog moved up.')
    assert [g.slug for g in Guide.select().order_by(Guide.position)] == ['changelog', 'getting-started']
    user.find(marker='guide-unpublish-getting-started').click()
    await settle()
    await user.should_see('Getting started is a draft again.')
    assert not Guide.get(Guide.slug == 'getting-started').published
    user.find(marker='guide-edit-changelog').click()
    await user.should_see('Edit Changelog')
    user.find(marker='guide-slug').clear().type('Change log')
    user.find(marker='guide-save').click()
    await settle()
    await user.should_see('lower-case letters, digits and single hyphens')
    assert Guide.get(Guide.title == 'Changelog').slug == 'changelog'
    user.find(marker='guide-slug').clear().type('release-notes')
    user.find(marker='guide-save').click()
    await settle()
    await user.should_see('Changelog saved (a draft: publish it when it is ready).')
    assert Guide.get(Guide.title == 'Changelog').slug == 'release-notes'
    user.find(marker='guide-delete-release-notes').click()
    await user.should_see('Delete Changelog?')
    user.find(marker='guide-delete-confirm').click()
    await settle()
    await user.should_see('Changelog deleted.')
    assert [g.slug for g in Guide.select()] == ['getting-started']
    for crafted in ('999999', 'abc', '1' * 40, '-1'):
        answer = await user.http_client.get(f'/admin/products/{crafted}/guides')
        assert answer.status_code == 404 and 'This product was not found.' in answer.text, crafted
