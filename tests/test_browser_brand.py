"""Admin -> Appearance in a real browser (issue 25, item 1): an admin refuses a colour that fails contrast, changes the
name and colours, uploads a logo through the file input, adds a footer link, and then sees the brand on the home
page, on another page, on a product's API reference page and in an email."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from db import settings
from db.models import Api, AuditEvent, BrandAsset, User
from tests.test_brand import png
from tests.utils import a_catalog_world
from tools import demo
from workflows import brand, content_pages

pytestmark = pytest.mark.browser
NIGHT = 'rgb(17, 24, 39)'  # #111827


def header_colours(b) -> tuple[str, str]:
    return tuple(b.driver.execute_script(
        'const header = document.querySelector("header.portico-header");'
        'const style = getComputedStyle(header); return [style.backgroundColor, style.color];'))


def logo_shown(b, selector: str) -> dict:
    """The logo image: its address, its text alternative, and whether the browser could show it."""
    return b.until(lambda: b.driver.execute_script(
        f'const img = document.querySelector({selector!r});'
        'return img && img.complete && img.naturalWidth > 0 ? '
        '{src: img.getAttribute("src"), alt: img.alt, width: img.naturalWidth} : null;'), f'no logo at {selector}')


def test_admin_changes_the_brand_and_sees_it_everywhere(screen, browser, mailbox, tmp_path) -> None:
    b = browser
    screen.open('/login')  # the portal starts (and opens the test's database)
    a_catalog_world()
    admin = b.admin_opens('/admin/appearance')
    b.sees('Preview')
    b.sees('Header text (black) on the header')  # the default: a white header
    # a colour that fails contrast is refused next to its field, and nothing is saved
    b.fill('Portal name', 'Night Portal')
    b.fill('Primary colour', '#ffeb3b')
    b.sees('fails AA (4.5:1)')
    b.click('Save')
    assert 'WCAG AA needs at least 4.5:1' in b.field_error('Primary colour')
    assert settings.get('portal_name') == 'Portico' and not AuditEvent.select().where(
        AuditEvent.action == 'brand.update').exists()
    b.fill('Header colour', '#111827')
    b.fill('Primary colour', '#1d4ed8')
    b.fill('Accent colour', '#9d174d')
    b.sees('Header text (white) on the header: 17.')
    assert b.driver.execute_script(
        'return getComputedStyle(document.querySelector(".q-card div.rounded.row")).backgroundColor') == NIGHT
    b.click('Add a link')
    b.fill('Label', 'Terms')
    b.fill('Address', 'javascript:alert(1)')
    b.click('Save')
    assert 'https://' in b.field_error('Address')
    b.fill('Address', 'https://night.example/terms')
    b.click('Save')
    b.notified('Appearance saved')
    b.until(lambda: settings.get('portal_name') == 'Night Portal', 'the brand was not saved')
    # the logo, through the file input (a PNG under an .svg name: the bytes decide)
    b.sees('The default logo')
    (tmp_path / 'logo.png').write_bytes(b'<script>alert(1)</script>')  # a script renamed .png
    b.driver.find_elements(By.CSS_SELECTOR, 'input[type=file]')[0].send_keys(str(tmp_path / 'logo.png'))
    b.sees('This file is not a PNG, JPEG, WebP or SVG image.')
    assert BrandAsset.select().count() == 0
    (tmp_path / 'logo.svg').write_bytes(png(96, 32))
    b.driver.find_elements(By.CSS_SELECTOR, 'input[type=file]')[0].send_keys(str(tmp_path / 'logo.svg'))
    b.notified('Logo saved.')
    b.until(lambda: BrandAsset.get_or_none(BrandAsset.kind == 'logo') is not None, 'the logo was not stored')
    assert BrandAsset.get(BrandAsset.kind == 'logo').content_type == 'image/png'
    b.sees('Remove')
    # the home page: the name, the logo the portal serves, the header colour, the footer link
    screen.open('/')
    b.sees('Night Portal')
    assert header_colours(b) == (NIGHT, 'rgb(255, 255, 255)')
    logo = logo_shown(b, 'header img.portico-logo')
    assert logo['src'].startswith('/brand/logo?v=') and logo['alt'] == 'Night Portal' and logo['width'] == 96
    b.sees('Terms')
    assert b.driver.find_element(By.LINK_TEXT, 'Terms').get_attribute('href') == 'https://night.example/terms'
    assert 'Night Portal' in b.driver.title
    assert b.driver.execute_script('return [...document.querySelectorAll("link[rel=icon]")].pop().getAttribute("href")') \
        == '/static/favicon.svg'
    # another page, and a page of Admin -> Pages
    screen.open('/catalogs')
    b.sees('Weather')
    assert header_colours(b)[0] == NIGHT
    logo_shown(b, 'header img.portico-logo')
    page = content_pages.create('Support', 'support', by=admin)
    content_pages.save(page.id, content_pages.PageForm(title='Support', slug='support', body='Write to us.'), admin,
                       based_on=None, publish=True)
    screen.open('/pages/support')
    b.sees('Write to us.')
    assert header_colours(b)[0] == NIGHT
    logo_shown(b, 'header img.portico-logo')
    b.sees('Terms')
    # the API reference of a product
    api = Api.get(Api.name == 'Weather API')
    screen.open(f'/products/weather/reference/{api.id}')
    b.sees('Night Portal')
    assert b.driver.execute_script(
        'return getComputedStyle(document.querySelector(".portico-bar")).backgroundColor') == NIGHT
    assert logo_shown(b, '.portico-bar img.portico-logo')['alt'] == 'Night Portal'
    # an email: the Outbox's test message
    screen.open('/admin/outbox')
    b.click('Send test')
    b.notified('Test message queued.')
    sent = mailbox.expect(admin.email)
    assert 'Terms: https://night.example/terms' in sent.body
    page = sent.message.get_body(preferencelist=('html',)).get_content()
    assert 'background:#111827;color:#ffffff' in page and '<img src="cid:portico-logo" alt="Night Portal"' in page
    assert [part.get_content_type() for part in sent.message.walk() if part.get_content_maintype() == 'image'] \
        == ['image/png']
    # removing the logo brings the default back
    screen.open('/admin/appearance')
    b.click('Remove', within=b.card('Logo and favicon'))
    b.notified('Logo removed')
    b.sees('The default logo')
    assert BrandAsset.select().count() == 0 and settings.get('brand_logo') == ''


DARK_BRAND = {'portal_name': 'Night Portal', 'header': '#111827', 'primary': '#1d4ed8', 'accent': '#9d174d',
              'footer_links': [{'label': 'Terms', 'url': 'https://night.example/terms'},
                               {'label': 'Status', 'url': 'https://status.night.example'}]}
LIGHT_BRAND = {'portal_name': 'Meadow APIs', 'header': '#fde68a', 'primary': '#166534', 'accent': '#7c2d12',
               'footer_links': [{'label': 'Privacy', 'url': 'https://meadow.example/privacy'}]}
LOGO_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" viewBox="0 0 32 32">'
            '<rect width="32" height="32" rx="8" fill="{}"/><circle cx="16" cy="16" r="8" fill="{}"/></svg>')


@pytest.mark.parametrize('name, look, colours', [('dark', DARK_BRAND, ('#60a5fa', '#ffffff')),
                                                 ('light', LIGHT_BRAND, ('#166534', '#fde68a'))])
def test_the_home_page_in_a_dark_and_a_light_brand(screen, browser, tmp_path, name, look, colours) -> None:
    """Screenshots of the home page in two brands (BRAND_SCREENSHOTS names a folder to keep them in)."""
    b = browser
    screen.open('/healthz')
    demo.fill()
    admin = User.get(User.email == demo.ADMIN_EMAIL)
    brand.save(**look, by=admin)
    brand.upload('logo', LOGO_SVG.format(*colours).encode(), by=admin)
    b.log_in('dev@portico.example', demo.DEMO_PASSWORD)  # the header with the signed-in entries, the cart
    screen.open('/')
    b.sees(look['portal_name'])
    logo_shown(b, 'header img.portico-logo')
    shot = tmp_path / f'brand-{name}.png'
    b.driver.save_screenshot(str(shot))
    if os.environ.get('BRAND_SCREENSHOTS'):
        shutil.copy(shot, Path(os.environ['BRAND_SCREENSHOTS']) / shot.name)
