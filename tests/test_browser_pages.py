"""Admin -> Pages in a real browser (issue 25, item 2): an admin writes a page for one organisation in the editor,
previews and publishes it in the header; a member of that organisation reads it, a member of another neither sees
it in the header nor opens it by its address; the admin restores an older text and replaces the home page, which
by default lists the featured products."""
from __future__ import annotations

import pytest

from db.models import ContentPage, PageAudience, PageAudienceGrant, PageMenu, PageRevision, PageStatus, Product
from tests.utils import a_catalog_world, an_admin, an_org_with
from workflows import content_pages

pytestmark = pytest.mark.browser

SCREENSHOTS = '/tmp/portico-pages-{}.png'


def a_page_for_everyone(title: str, body: str, slug: str) -> ContentPage:
    admin = an_admin('writer@provider.test')
    page = content_pages.create(title, slug, by=admin)
    content_pages.save(page.id, content_pages.PageForm(title=title, slug=slug, body=body, menu=PageMenu.HEADER),
                       admin, based_on=None, publish=True)
    return page


def test_a_page_for_one_organisation_from_the_editor_to_its_readers(screen, browser) -> None:
    b = browser
    screen.open('/login')
    world = a_catalog_world()
    Product.update(featured=True).where(Product.id == world['Weather'].id).execute()
    acme, _beta = an_org_with('Acme', super_admin='boss@acme.test'), an_org_with('Beta', super_admin='boss@beta.test')
    support = a_page_for_everyone('Support', 'Write to **support@provider.test**.', 'support')

    # the default home page: what the portal offers, and the featured product
    screen.open('/')
    b.sees('How to get access')
    b.sees('Weather for your apps', within=b.card('Weather'))
    b.does_not_see('Nothing is featured right now.')
    screen.selenium.save_screenshot(SCREENSHOTS.format('home'))

    # the admin writes the page in the editor
    b.admin_opens('/admin/pages')
    b.sees('Header menu · 0', within=b.row('/pages/support'))
    b.click('Add page')
    b.fill('Title', 'Acme handbook')
    b.click('Create')
    b.notified('Page acme-handbook created: write its text, then publish it.')
    page = ContentPage.get(ContentPage.slug == 'acme-handbook')
    b.at(f'/admin/pages/{page.id}')
    b.paste('Text (Markdown)', '# Welcome, Acme\n\nOnly for **Acme** developers.\n\n<script>alert(1)</script>')
    b.choose('Menu', 'Header menu')
    b.choose('Who may read it', 'Chosen organizations and teams')
    b.choose('Organizations', 'Acme')
    b.fill('Slug', 'admin')  # a slug that would look like a part of the portal
    b.click('Publish')
    assert 'reserved for the portal itself' in b.field_error('Slug')
    assert 'Only for **Acme** developers.' in b.value('Text (Markdown)')  # nothing typed is lost
    assert ContentPage.get_by_id(page.id).status == PageStatus.DRAFT
    b.fill('Slug', 'acme-handbook')
    b.click('Preview')
    b.sees('Welcome, Acme', within=b.open_dialog())
    screen.selenium.save_screenshot(SCREENSHOTS.format('preview'))
    b.click('Close')
    b.dialog_closed()
    screen.selenium.execute_script('window.scrollTo(0, 0)')
    screen.selenium.save_screenshot(SCREENSHOTS.format('editor'))
    b.click('Publish')
    b.notified('Published: readers see this text now.')
    b.sees('Readers see the text below.')
    page = ContentPage.get_by_id(page.id)
    assert (page.status, page.menu, page.audience) == (PageStatus.PUBLISHED, PageMenu.HEADER, PageAudience.CHOSEN)
    assert [grant.organisation_id for grant in PageAudienceGrant.select().where(PageAudienceGrant.page == page)] \
        == [acme.id]
    assert 'Only for **Acme**' in content_pages.live_revision(page.id).body
    screen.open('/logout')

    # a member of Acme sees it in the header and opens it
    b.log_in('boss@acme.test')
    screen.open('/catalogs')
    b.click('Acme handbook')
    b.at('/pages/acme-handbook')
    b.sees('Only for')
    b.sees('developers.')
    assert not screen.selenium.find_elements('xpath', "//*[@id='app']//script[contains(., 'alert')]")
    screen.open('/logout')

    # a member of Beta sees the page for everyone in the header, not Acme's, and gets not found at its address
    b.log_in('boss@beta.test')
    screen.open('/catalogs')
    b.button('Support')
    b.does_not_see('Acme handbook')
    screen.allowed_js_errors.append('/pages/acme-handbook - Failed to load resource: the server responded with a '
                                    'status of 404')  # the answer to its address, as it should be
    screen.open('/pages/acme-handbook')
    b.sees('This page was not found, or you cannot see it.')
    b.does_not_see('Only for')
    screen.open('/logout')

    # the admin publishes a second text, then restores the first and publishes it again
    b.log_in('admin@provider.test')
    screen.open(f'/admin/pages/{page.id}')
    b.fill('Title', 'Acme handbook v2')
    b.paste('Text (Markdown)', 'The second text.')
    b.click('Save draft')
    b.notified('Draft saved. Readers see it once you publish it.')
    b.sees('The draft has changes that readers do not see yet: publish them.')
    assert 'Only for' in content_pages.page_for(acme.users.get(), 'acme-handbook').revision.body
    b.click('Publish')
    b.notified('Published: readers see this text now.')
    b.confirm('Restore', within=b.row('published '), asks='Restore this text as the draft?')
    b.notified('is the draft now: publish it to make it live.')
    assert 'Only for **Acme** developers.' in b.value('Text (Markdown)')
    assert b.value('Title') == 'Acme handbook'
    assert content_pages.live_revision(page.id).body == 'The second text.'  # until published
    b.click('Publish')
    b.notified('Published: readers see this text now.')
    assert 'Only for **Acme**' in content_pages.live_revision(page.id).body
    assert PageRevision.select().where(PageRevision.page == page.id).count() == 4  # created, first, second, restored

    # the admin replaces the home page with the Support page, which a visitor then sees at /
    screen.open(f'/admin/pages/{support.id}')
    b.click('Use as home page')
    b.notified('Support is the home page now.')
    b.sees('Home page')
    assert ContentPage.get_by_id(support.id).is_home
    screen.open('/logout')
    screen.open('/')
    b.sees('support@provider.test')
    b.does_not_see('How to get access')
