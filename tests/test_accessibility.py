"""axe-core (4.x, bundled by the axe-playwright-python package; injected here through Selenium) on every main
page, as a visitor, a developer, a super admin and a portal admin, with the demo data: no serious or
critical violation. Also: a dialog keeps the keyboard inside and closes with Escape."""
from __future__ import annotations

from importlib import resources

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tools import demo
from db.models import App, ContentPage, Product, User
from workflows import brand

pytestmark = pytest.mark.browser
AXE = (resources.files('axe_playwright_python') / 'axe.min.js').read_text()
RUN_AXE = '''
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(result => done(result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.html.slice(0, 160) + ' ' + n.failureSummary.split('\\n')[1].slice(0, 90))}))));
'''
VISITOR = ['/', '/pages/getting-started', '/catalogs', '/products/{product}', '/login', '/register', '/auth/forgot',
           '/search?q=weather']
DEVELOPER = ['/dashboard', '/catalogs', '/products/{product}', '/cart', '/apps', '/apps/{app}', '/profile',
             '/profile/password', '/organization/new']
SUPER_ADMIN = ['/dashboard/users', '/dashboard/requests', '/dashboard/apis', '/apps']
ADMIN = ['/admin', '/admin/users', '/admin/organizations', '/admin/teams', '/admin/invite-codes',
         '/admin/access-requests', '/admin/apps', '/admin/apis', '/admin/products', '/admin/plans', '/admin/catalogs',
         '/admin/publish', '/admin/pages', '/admin/pages/{page}', '/pages/getting-started',
         '/admin/settings', '/admin/appearance', '/admin/email-templates', '/admin/outbox', '/admin/audit',
         '/admin/webhooks']


def serious_violations(screen, browser, path: str) -> list[str]:
    screen.open(path)
    browser.until(lambda: browser.driver.execute_script(
        'return document.readyState === "complete" && !!document.querySelector(".nicegui-content *")'),
        f'{path} did not load')
    browser.driver.execute_script(AXE)
    browser.driver.set_script_timeout(30)
    violations = browser.driver.execute_async_script(RUN_AXE)
    return [f'{path}: {v["id"]} ({v["impact"]}) {v["help"]}: {v["nodes"]}'
            for v in violations if v['impact'] in ('serious', 'critical')]


def check(screen, browser, paths: list[str], email: str | None = None) -> None:
    if email:
        browser.log_in(email, demo.DEMO_PASSWORD)
    product = Product.select().order_by(Product.id).first().slug
    found = []
    for path in paths:
        app = App.select().order_by(App.id).first()
        page = ContentPage.select().order_by(ContentPage.id).first()
        found += serious_violations(screen, browser, path.format(product=product, app=app.id if app else 0,
                                                                 page=page.id if page else 0))
    assert not found, 'axe found serious or critical violations:\n' + '\n'.join(found)


@pytest.fixture
def demo_portal(screen):
    screen.open('/healthz')
    demo.fill()


def test_visitor_pages_are_accessible(screen, browser, demo_portal) -> None:
    check(screen, browser, VISITOR)


def test_developer_pages_are_accessible(screen, browser, demo_portal) -> None:
    check(screen, browser, DEVELOPER, 'dev@portico.example')


def test_super_admin_pages_are_accessible(screen, browser, demo_portal) -> None:
    check(screen, browser, SUPER_ADMIN, 'maria@acme.example')


def test_admin_pages_are_accessible(screen, browser, demo_portal) -> None:
    check(screen, browser, ADMIN, demo.ADMIN_EMAIL)


def test_a_dialog_is_used_by_keyboard_alone(screen, browser, demo_portal) -> None:
    """Tab to "Create a new app", Enter opens the dialog with the focus inside; Tab stays inside; Escape
    closes it; the focus shows where it is (an outline or a focus helper)."""
    b = browser
    b.log_in('dev@portico.example', demo.DEMO_PASSWORD)
    screen.open('/apps')
    b.sees('Create a new app')
    body = b.driver.find_element(By.TAG_NAME, 'body')
    body.click()
    for _ in range(40):
        b.driver.switch_to.active_element.send_keys(Keys.TAB)
        if b.driver.switch_to.active_element.text.strip().endswith('Create a new app'):
            break
    else:
        raise AssertionError('"Create a new app" cannot be reached with Tab')
    b.driver.switch_to.active_element.send_keys(Keys.ENTER)
    b.until(b.dialog, 'Enter did not open the dialog')
    b.until(lambda: b.driver.execute_script('return document.activeElement.closest(".q-dialog") !== null'),
            'the focus is not inside the dialog')
    b.driver.switch_to.active_element.send_keys('Keyboard app')
    assert b.value('App name') == 'Keyboard app'  # the focus starts in the first field
    for _ in range(8):
        b.driver.switch_to.active_element.send_keys(Keys.TAB)
        assert b.driver.execute_script('return document.activeElement.closest(".q-dialog") !== null'), \
            'Tab left the open dialog for ' + b.driver.execute_script('return document.activeElement.outerHTML')[:200]
    b.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    b.dialog_closed()


# issue 25: the brand's colours are the admin's; a dark and a light brand keep every text readable
BRANDS = {
    'dark': {'portal_name': 'Night Portal', 'header': '#111827', 'primary': '#1d4ed8', 'accent': '#9d174d',
             'footer_links': [{'label': 'Terms', 'url': 'https://night.example/terms'}]},
    'light': {'portal_name': 'Meadow APIs', 'header': '#fde68a', 'primary': '#166534', 'accent': '#7c2d12',
              'footer_links': [{'label': 'Privacy', 'url': 'https://meadow.example/privacy'}]},
}
BRANDED = ['/', '/catalogs', '/products/{product}', '/dashboard', '/apps', '/cart', '/admin', '/admin/appearance']
LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><rect width="32" height="32" rx="8" '
        'fill="#60a5fa"/></svg>')


@pytest.mark.parametrize('name', BRANDS)
def test_pages_are_accessible_in_a_dark_and_a_light_brand(screen, browser, demo_portal, name) -> None:
    look = BRANDS[name]
    admin = User.get(User.email == demo.ADMIN_EMAIL)
    brand.save(**look, by=admin)
    brand.upload('logo', LOGO.encode(), by=admin)
    browser.log_in(demo.ADMIN_EMAIL, demo.DEMO_PASSWORD)
    check(screen, browser, BRANDED)
    screen.open('/')
    browser.sees(look['portal_name'])
    red, green, blue = (int(look['header'][i:i + 2], 16) for i in (1, 3, 5))
    assert browser.driver.execute_script(
        'return getComputedStyle(document.querySelector("header.portico-header")).backgroundColor') == \
        f'rgb({red}, {green}, {blue})'
    assert browser.driver.execute_script('return document.querySelector("header img.portico-logo").alt') == \
        look['portal_name']


@pytest.mark.parametrize('language', ['de', 'fr', 'es'])
def test_every_page_is_accessible_in_every_language(screen, browser, demo_portal, language) -> None:
    """Issue 28: longer words, other quotes and the page's lang attribute: axe stays clean in every language."""
    from db import settings as stored
    from domain import i18n
    stored.put('default_language', language)  # the visitor's pages follow the portal's default (the browser asks
    stored.put('offered_languages', [language])  # for English, which is not offered here)
    User.update(locale=language).execute()  # and every demo user reads the portal in it
    screen.open('/login')
    assert browser.driver.execute_script('return document.documentElement.lang') == language
    with i18n.use(language):
        assert browser.text() and i18n._('Log in') != 'Log in'  # the catalog has the language
        browser.sees(i18n._('Log in'))
    check(screen, browser, VISITOR)
    check(screen, browser, DEVELOPER, 'dev@portico.example')
    browser.driver.delete_all_cookies()
    check(screen, browser, ADMIN, demo.ADMIN_EMAIL)
