"""Admin -> Pages (issue 25, item 2): who reads which page (the catalogs' rule), drafts and revisions, slugs, what
Markdown may do, and the pages at /pages/{slug}, on the home page and in llms.txt."""
from __future__ import annotations

import pytest

from db.models import (AuditEvent, ContentPage, PageAudience, PageAudienceGrant, PageMenu, PageRevision, PageStatus,
                       Product, Team, User, UserStatus)
from domain.errors import DomainError, NotFound, PermissionDenied
from tests.utils import a_catalog_world, a_user, admin_opens, an_admin, an_org_with, element, in_parallel, opens_as
from workflows import catalog, content_pages
from workflows.content_pages import PageForm


def a_page(admin: User, title: str, body: str = 'Hello.', *, slug: str = '', audience: str = PageAudience.EVERYONE,
           menu: str = PageMenu.NONE, orgs=(), teams=(), publish: bool = True, position: int = 0) -> ContentPage:
    page = content_pages.create(title, slug, by=admin)
    content_pages.save(page.id, PageForm(title=title, slug=page.slug, body=body, menu=menu, audience=audience,
                                         position=position, organisation_ids=[o.id for o in orgs],
                                         team_ids=[t.id for t in teams]),
                       admin, based_on=None, publish=publish)
    return ContentPage.get_by_id(page.id)


@pytest.fixture
def people(db):
    acme, beta = an_org_with('Acme', super_admin='boss@acme.test', members=1), an_org_with('Beta',
                                                                                         super_admin='boss@beta.test')
    return {'visitor': None, 'developer': a_user('dev@consumer.test'),
            'member_a': User.get(User.email == 'member1@acme.test'), 'member_b': User.get(User.email == 'boss@beta.test'),
            'admin': an_admin(), 'acme': acme, 'beta': beta}


# --- who reads what ----------------------------------------------------------------------------------------

def test_visibility_matrix_is_the_catalogs_rule(people) -> None:
    admin = people['admin']
    a_page(admin, 'For everyone', slug='everyone')
    a_page(admin, 'Signed in', slug='signed-in', audience=PageAudience.SIGNED_IN)
    a_page(admin, 'For Acme', slug='acme', audience=PageAudience.CHOSEN, orgs=[people['acme']])
    acme_team = Team.get(Team.organisation == people['acme'])
    a_page(admin, 'For an Acme team', slug='acme-team', audience=PageAudience.CHOSEN, teams=[acme_team])
    a_page(admin, 'Draft', slug='draft', publish=False)
    expected = {
        'visitor': {'everyone'},
        'developer': {'everyone', 'signed-in'},
        'member_a': {'everyone', 'signed-in', 'acme', 'acme-team'},
        'member_b': {'everyone', 'signed-in'},
        'admin': {'everyone', 'signed-in', 'acme', 'acme-team'},  # a draft is never "visible", even to admins
    }
    for who, slugs in expected.items():
        person = people[who]
        assert {page.slug for page in content_pages.visible_to(person)} == slugs, who
        for slug in ('everyone', 'signed-in', 'acme', 'acme-team', 'draft', 'nothing-here'):
            found = content_pages.page_for(person, slug)
            if who == 'admin' and slug == 'draft':
                assert found is not None and not found.revision.is_live  # the admin's preview of a draft
            else:
                assert (found is not None) == (slug in slugs), (who, slug)


def test_visible_to_is_one_query_with_the_published_text_for_a_search(people) -> None:
    admin = people['admin']
    page = a_page(admin, 'Getting started', 'Call the **Weather** API.', slug='getting-started')
    content_pages.save(page.id, PageForm(title='Getting started v2', slug='getting-started', body='Unpublished draft.'),
                       admin, based_on=None)
    [row] = content_pages.visible_to(people['developer']).where(PageRevision.body.contains('Weather'))
    assert (row.live.title, row.live.body) == ('Getting started', 'Call the **Weather** API.')
    assert not list(content_pages.visible_to(people['developer']).where(PageRevision.body.contains('Unpublished')))


def test_an_inactive_user_reads_what_a_visitor_reads(people) -> None:
    a_page(people['admin'], 'Signed in', slug='signed-in', audience=PageAudience.SIGNED_IN)
    member = people['member_a']
    User.update(status=UserStatus.INACTIVE).where(User.id == member.id).execute()
    assert content_pages.page_for(User.get_by_id(member.id), 'signed-in') is None


def test_the_menu_lists_the_pages_of_its_place_in_order(people) -> None:
    admin = people['admin']
    a_page(admin, 'Support', slug='support', menu=PageMenu.HEADER, position=2)
    a_page(admin, 'Guides', slug='guides-page', menu=PageMenu.HEADER, position=1)
    a_page(admin, 'Terms', slug='terms', menu=PageMenu.FOOTER)
    a_page(admin, 'Acme news', slug='acme-news', menu=PageMenu.HEADER, audience=PageAudience.CHOSEN,
           orgs=[people['acme']], position=3)
    a_page(admin, 'Unfinished', slug='unfinished', menu=PageMenu.HEADER, publish=False)
    assert content_pages.menu(None, 'header') == [('Guides', '/pages/guides-page'), ('Support', '/pages/support')]
    assert content_pages.menu(people['member_a'], 'header')[-1] == ('Acme news', '/pages/acme-news')
    assert content_pages.menu(people['member_b'], 'header') == content_pages.menu(None, 'header')
    assert content_pages.menu(None, 'footer') == [('Terms', '/pages/terms')]


# --- drafts, publishing, history ---------------------------------------------------------------------------

def test_editing_a_published_page_keeps_the_live_text_until_publishing_again(people) -> None:
    admin, dev = people['admin'], people['developer']
    page = a_page(admin, 'Terms', 'Version 1', slug='terms')
    first = content_pages.live_revision(page.id)
    draft = content_pages.save(page.id, PageForm(title='Terms', slug='terms', body='Version 2'), admin,
                               based_on=first.id)
    assert content_pages.page_for(dev, 'terms').revision.body == 'Version 1'
    content_pages.publish(page.id, admin, revision_id=draft.id)
    assert content_pages.page_for(dev, 'terms').revision.body == 'Version 2'
    assert PageRevision.select().where(PageRevision.page == page.id, PageRevision.is_live).count() == 1
    content_pages.unpublish(page.id, admin)
    assert content_pages.page_for(dev, 'terms') is None
    assert ContentPage.get_by_id(page.id).status == PageStatus.DRAFT
    actions = [event.action for event in AuditEvent.select().where(AuditEvent.target_id == page.id)
               .order_by(AuditEvent.id) if event.action.startswith('page.')]
    assert actions == ['page.create', 'page.update', 'page.publish', 'page.update', 'page.publish', 'page.unpublish']


def test_restore_makes_an_older_text_the_draft_and_publishing_makes_it_live(people) -> None:
    admin = people['admin']
    page = a_page(admin, 'Terms', 'Version 1', slug='terms')
    old = content_pages.live_revision(page.id)
    content_pages.save(page.id, PageForm(title='Terms', slug='terms', body='Version 2'), admin, based_on=None,
                       publish=True)
    draft = content_pages.restore(page.id, old.id, admin)
    assert (draft.body, content_pages.latest_revision(page.id).id) == ('Version 1', draft.id)
    assert content_pages.page_for(None, 'terms').revision.body == 'Version 2'  # until published
    content_pages.publish(page.id, admin, revision_id=draft.id)
    assert content_pages.page_for(None, 'terms').revision.body == 'Version 1'
    other = a_page(admin, 'Other', slug='other')
    with pytest.raises(NotFound):  # a revision of another page, by its id
        content_pages.restore(other.id, old.id, admin)
    assert AuditEvent.select().where(AuditEvent.action == 'page.restore').count() == 1


def test_a_save_based_on_an_older_draft_is_refused_and_changes_nothing(people) -> None:
    admin = people['admin']
    page = a_page(admin, 'Terms', 'Version 1', slug='terms')
    opened = content_pages.latest_revision(page.id).id
    content_pages.save(page.id, PageForm(title='Terms', slug='terms', body='By the other admin'), admin,
                       based_on=opened)
    with pytest.raises(DomainError, match='saved this page meanwhile'):
        content_pages.save(page.id, PageForm(title='Terms', slug='terms-renamed', body='Mine'), admin, based_on=opened)
    assert content_pages.latest_revision(page.id).body == 'By the other admin'
    assert ContentPage.get_by_id(page.id).slug == 'terms'


def test_two_admins_publishing_at_once_leave_exactly_one_live_text(people) -> None:
    admin, other = people['admin'], an_admin('second@provider.test')
    page = a_page(admin, 'Terms', 'Version 1', slug='terms')
    opened = content_pages.latest_revision(page.id).id
    texts = iter(['By the first', 'By the second'])
    by = iter([admin, other])

    def publish() -> None:
        content_pages.save(page.id, PageForm(title='Terms', slug='terms', body=next(texts)), next(by),
                           based_on=opened, publish=True)

    answers = in_parallel(2, publish)
    assert sorted(answers)[0] == 'Another administrator saved this page meanwhile, so your changes were not saved. ' \
        'Your text is still in the editor: copy it, open the page again and apply it there.'
    assert answers.count('ok') == 1
    live = PageRevision.select().where(PageRevision.page == page.id, PageRevision.is_live)
    assert live.count() == 1 and live.get().body in ('By the first', 'By the second')


def test_only_portal_admins_change_pages(people) -> None:
    with pytest.raises(PermissionDenied):
        content_pages.create('Mine', 'mine', by=people['member_a'])
    page = a_page(people['admin'], 'Terms', slug='terms')
    for act in (lambda who: content_pages.unpublish(page.id, who), lambda who: content_pages.delete(page.id, who),
                lambda who: content_pages.use_as_home(page.id, who)):
        with pytest.raises(PermissionDenied):
            act(people['member_b'])
    assert ContentPage.get_by_id(page.id).status == PageStatus.PUBLISHED


def test_the_home_page_must_be_published_and_is_one_at_most(people) -> None:
    admin = people['admin']
    draft = a_page(admin, 'Draft home', slug='draft-home', publish=False)
    with pytest.raises(DomainError, match='Publish this page first'):
        content_pages.use_as_home(draft.id, admin)
    first, second = a_page(admin, 'Home 1', slug='home-1'), a_page(admin, 'Home 2', slug='home-2')
    content_pages.use_as_home(first.id, admin)
    content_pages.use_as_home(second.id, admin)
    assert [page.slug for page in ContentPage.select().where(ContentPage.is_home)] == ['home-2']
    assert content_pages.home_page(None).page.slug == 'home-2'
    content_pages.use_default_home(admin)
    assert content_pages.home_page(None) is None


def test_deleting_a_page_takes_its_history_and_audience(people) -> None:
    admin = people['admin']
    page = a_page(admin, 'Acme', slug='acme', audience=PageAudience.CHOSEN, orgs=[people['acme']])
    content_pages.delete(page.id, admin)
    assert not ContentPage.select().exists() and not PageRevision.select().exists()
    assert not PageAudienceGrant.select().exists()
    with pytest.raises(NotFound):
        content_pages.delete(page.id, admin)


# --- what a page may be ------------------------------------------------------------------------------------

@pytest.mark.parametrize('slug, message', [
    ('Getting Started', 'lower-case letters, digits and single hyphens'),
    ('../admin', 'lower-case letters, digits and single hyphens'),
    ('a--b', 'lower-case letters, digits and single hyphens'),
    ('x' * 101, 'lower-case letters, digits and single hyphens'),
    ('weather.md', 'lower-case letters, digits and single hyphens'),
    ('admin', 'reserved for the portal itself'),
    ('login', 'reserved for the portal itself'),
    ('products', 'reserved for the portal itself'),
])
def test_slug_rules(people, slug: str, message: str) -> None:
    with pytest.raises(DomainError, match=message) as refused:
        content_pages.create('A page', slug, by=people['admin'])
    assert refused.value.field == 'slug' and not ContentPage.select().exists()


def test_a_slug_is_derived_from_the_title_and_unique(people) -> None:
    admin = people['admin']
    assert content_pages.create('Terms of Use!', '', by=admin).slug == 'terms-of-use'
    with pytest.raises(DomainError, match='Another page uses the slug "terms-of-use" already.'):
        content_pages.create('Other', 'terms-of-use', by=admin)


def test_a_huge_body_and_a_missing_title_are_refused_next_to_their_fields(people) -> None:
    admin = people['admin']
    page = a_page(admin, 'Terms', 'Short', slug='terms')
    for form, field in ((PageForm(title='Terms', slug='terms', body='x' * (content_pages.MAX_BODY + 1)), 'body'),
                        (PageForm(title='  ', slug='terms', body='ok'), 'title'),
                        (PageForm(title='Terms', slug='terms', body='nul \x00'), 'body'),
                        (PageForm(title='Terms', slug='terms', position='first'), 'position'),
                        (PageForm(title='Terms', slug='terms', audience=PageAudience.CHOSEN), 'audience')):
        with pytest.raises(DomainError) as refused:
            content_pages.save(page.id, form, admin, based_on=None)
        assert refused.value.field == field
    assert content_pages.latest_revision(page.id).body == 'Short'
    assert ContentPage.get_by_id(page.id).audience == PageAudience.EVERYONE


def test_choosing_an_organisation_covers_its_teams_added_later(people) -> None:
    admin = people['admin']
    a_page(admin, 'Acme', slug='acme', audience=PageAudience.CHOSEN, orgs=[people['acme']])
    team = Team.create(organisation=people['acme'], name='Later team')
    newcomer = a_user('new@acme.test', organisation=people['acme'])
    from db.models import Membership
    Membership.update(team=team).where(Membership.user == newcomer).execute()
    assert content_pages.page_for(newcomer, 'acme') is not None


# --- the pages in the portal -------------------------------------------------------------------------------

async def test_markdown_with_script_and_event_handlers_is_stripped(user) -> None:
    admin = an_admin()
    a_page(admin, 'Evil', '# Hi\n\n<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n'
                          '[click](javascript:alert(3))\n\n**bold**', slug='evil')
    await user.open('/pages/evil')
    await user.should_see('Evil')
    html = ''.join(element.props.get('innerHTML', '') for element in user.find(marker='content-page-body')
                   .elements.pop().descendants())
    assert '<strong>bold</strong>' in html
    assert '<script' not in html and 'onerror' not in html and 'javascript:' not in html


async def test_another_organisation_gets_not_found_and_a_crafted_slug_too(user) -> None:
    admin = an_admin()
    acme = an_org_with('Acme', super_admin='boss@acme.test')
    an_org_with('Beta', super_admin='boss@beta.test')
    a_page(admin, 'Acme handbook', 'Only for Acme.', slug='acme-handbook', audience=PageAudience.CHOSEN, orgs=[acme])
    await opens_as(user, 'boss@beta.test', '/catalogs')
    response = await user.http_client.get('/pages/acme-handbook')
    assert response.status_code == 404 and 'This page was not found, or you cannot see it.' in response.text
    assert 'Only for Acme.' not in response.text
    for crafted in ('/pages/ACME-HANDBOOK', '/pages/acme-handbook%00', '/pages/' + 'a' * 5000,
                    "/pages/acme-handbook' OR '1'='1"):
        response = await user.http_client.get(crafted)
        assert response.status_code == 404 and 'Only for Acme.' not in response.text, crafted
    response = await user.http_client.get('/pages/acme-handbook.md')
    assert response.status_code == 404 and 'Only for Acme.' not in response.text


async def test_a_member_of_the_organisation_reads_the_page(user) -> None:
    admin = an_admin()
    acme = an_org_with('Acme', super_admin='boss@acme.test')
    a_page(admin, 'Acme handbook', 'Only for **Acme**.', slug='acme-handbook', audience=PageAudience.CHOSEN,
           orgs=[acme], menu=PageMenu.HEADER)
    await opens_as(user, 'boss@acme.test', '/pages/acme-handbook')
    await user.should_see(marker='nav-page-/pages/acme-handbook')
    await user.should_see('Only for')
    response = await user.http_client.get('/pages/acme-handbook.md')
    assert response.status_code == 200 and response.text.startswith('# Acme handbook\n\nOnly for **Acme**.')
    response = await user.http_client.get('/llms.txt')
    assert '## Pages' in response.text and '[Acme handbook](' in response.text and '/pages/acme-handbook.md)' \
        in response.text


async def test_a_visitor_gets_not_found_for_a_draft_and_llms_txt_lists_only_what_they_may_read(user) -> None:
    admin = an_admin()
    acme = an_org_with('Acme', super_admin='boss@acme.test')
    a_page(admin, 'Status', 'All good.', slug='status')
    a_page(admin, 'Unfinished', 'Secret plans.', slug='unfinished', publish=False)
    a_page(admin, 'Acme handbook', 'Only for Acme.', slug='acme-handbook', audience=PageAudience.CHOSEN, orgs=[acme])
    await user.open('/pages/status')
    await user.should_see('All good.')
    response = await user.http_client.get('/pages/unfinished')
    assert response.status_code == 404 and 'This page was not found, or you cannot see it.' in response.text
    assert 'Secret plans.' not in response.text
    text = (await user.http_client.get('/llms.txt')).text
    assert '[Status](' in text and 'Unfinished' not in text and 'Acme handbook' not in text


async def test_the_default_home_page_lists_featured_products_the_visitor_may_see(user) -> None:
    world = a_catalog_world()
    admin = an_admin()
    for name in ('Weather', 'Payments'):  # Payments is in the Private catalog
        product = world[name]
        catalog.save_product(product.id, product.name, product.slug, product.summary, product.description,
                             [link.api_id for link in product.api_links], product.tags,
                             [link.catalog_id for link in product.catalog_links], by=admin, featured=True)
    assert Product.select().where(Product.featured).count() == 2
    await user.open('/')
    await user.should_see('2 APIs in 2 products')  # what a visitor may use: Weather and Maps
    await user.should_see(marker='home-featured-weather')
    await user.should_not_see(marker='home-featured-payments')
    await user.should_not_see(marker='home-featured-empty')


async def test_an_empty_featured_list_tells_the_admin_what_to_do(user) -> None:
    a_catalog_world()
    await user.open('/')
    await user.should_see('Nothing is featured right now.')
    await user.should_see('Browse Catalogs')
    await admin_opens(user, '/')
    await user.should_see('Mark products as featured in Admin -> Products')


async def test_the_home_page_chosen_by_the_admin_replaces_the_default(user) -> None:
    admin = an_admin()
    page = a_page(admin, 'Welcome to Acme APIs', 'Our **own** home.', slug='welcome')
    content_pages.use_as_home(page.id, admin)
    await user.open('/')
    await user.should_see('Our')
    await user.should_not_see(marker='home-default')
    assert element(user, 'page-title').text == 'Welcome to Acme APIs'


async def test_admin_pages_lists_each_page_with_its_menu_audience_and_state(user) -> None:
    admin = an_admin()
    acme = an_org_with('Acme', super_admin='boss@acme.test')
    terms = a_page(admin, 'Terms', 'Version 1', slug='terms', menu=PageMenu.FOOTER, position=3)
    content_pages.save(terms.id, PageForm(title='Terms', slug='terms', body='Version 2', menu=PageMenu.FOOTER,
                                          position=3), admin, based_on=None)
    a_page(admin, 'Acme notes', slug='acme-notes', audience=PageAudience.CHOSEN, orgs=[acme], publish=False)
    await opens_as(user, admin.email, '/admin/pages')
    await user.should_see(marker='pages-row')
    await user.should_see('Footer menu · 3')
    await user.should_see('draft changes')  # Terms: published, with a newer draft
    await user.should_see('Chosen: 1 organization or team')
    await user.should_see(marker='page-status-acme-notes')
    assert element(user, 'page-status-acme-notes').text == 'Draft'


async def test_the_admin_marks_a_product_as_featured_in_its_edit_dialog(user) -> None:
    a_catalog_world()
    await admin_opens(user, '/admin/products')
    user.find(marker='product-edit-weather').click()
    await user.should_see(marker='product-featured')
    user.find(marker='product-featured').click()
    user.find(marker='product-save').click()
    await user.should_see('Weather saved.')
    assert Product.get(Product.slug == 'weather').featured
    assert not Product.get(Product.slug == 'maps').featured
    await user.should_see(marker='product-featured-weather', retries=50)


async def test_a_portal_admin_previews_a_draft_at_its_address_with_a_warning(user) -> None:
    admin = an_admin()
    a_page(admin, 'Unfinished', 'Secret plans.', slug='unfinished', publish=False)
    await opens_as(user, admin.email, '/pages/unfinished')
    await user.should_see('Secret plans.')
    await user.should_see('This page is a draft: only portal administrators see it.')
