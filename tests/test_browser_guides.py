"""Guides per product in a real browser (issue 25, item 3, done when: "add a Getting started guide with
placeholders and see them filled for a developer with a key"): an admin writes the guide in the real editor,
previews and publishes it; a developer with a key opens the product, clicks the Getting started tab and sees the
gateway's address, the base path and their key's prefix in highlighted code; a visitor sees the hint instead."""
from __future__ import annotations

import os

import pytest
from selenium.webdriver.common.by import By

from db.models import Guide, Product
from tests.test_accessibility import serious_violations
from tests.utils import a_catalog_world, a_user
from workflows import access, guides

pytestmark = pytest.mark.browser

BODY = '''## Your first call

Send your key in the `X-API-Key` header to {{gateway_url}}{{base_path}}:

```bash
curl -H "X-API-Key: {{api_key_prefix}}..." {{gateway_url}}{{base_path}}forecast/paris
```

```python
import requests
answer = requests.get("{{gateway_url}}{{base_path}}forecast/paris", headers={"X-API-Key": "{{api_key_prefix}}..."})
```
'''
HIGHLIGHTED = '''return [...document.querySelectorAll('.portico-markdown .codehilite span.s2, .portico-markdown .codehilite span.kn')]
  .filter(span => span.checkVisibility()).map(span => getComputedStyle(span).color)'''


def shot(b, name: str) -> None:
    """A screenshot to look at, when GUIDE_SCREENSHOTS names a folder (the page as a reviewer sees it)."""
    folder = os.environ.get('GUIDE_SCREENSHOTS')
    if folder:
        b.driver.save_screenshot(os.path.join(folder, f'{name}.png'))


def test_an_admin_publishes_a_getting_started_guide_and_a_developer_with_a_key_sees_it_filled_in(screen, browser):
    b = browser
    screen.open('/login')
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id], new_app_name='Forecast bot')
    [(_, key)] = access.keys_for_product(dev, world['Weather'])
    gateway = guides.values_for(None, world['Weather']).gateway_url

    b.admin_opens('/admin/products')
    b.click('Guides', within=b.row('Weather'))
    b.at(f'/admin/products/{world["Weather"].id}/guides')
    b.sees('No guides yet.')
    b.click('Add guide')
    b.click('Getting started')  # a suggested title
    b.until(lambda: b.value('Title') == 'Getting started', 'the suggested title was not filled in')
    b.paste('Guide (Markdown)', 'x' * (guides.MAX_BODY + 1))
    b.click('Save')
    assert '100,000 characters at most' in b.field_error('Guide (Markdown)')
    assert Guide.select().count() == 0
    b.paste('Guide (Markdown)', BODY)
    b.click('Preview')
    preview = b.open_dialog()
    b.sees(f'{gateway}/weather/forecast/paris', within=preview)
    b.sees(f'X-API-Key: {guides.SAMPLE_KEY_PREFIX}...', within=preview)
    b.sees('stands for the first characters of the reader\'s key', within=preview)
    shot(b, 'guide-preview')
    b.click('Save')
    b.notified('Getting started saved (a draft: publish it when it is ready).')
    b.dialog_closed()
    b.sees('draft', within=b.row('Getting started'))
    b.click('Publish', within=b.row('Getting started'))
    b.notified('Getting started is published.')
    b.sees('published', within=b.row('Getting started'))
    shot(b, 'guide-admin-list')
    [guide] = Guide.select()
    assert (guide.product_id, guide.slug, guide.published, guide.body) == (world['Weather'].id, 'getting-started', True,
                                                                           BODY)
    assert serious_violations(screen, b, f'/admin/products/{world["Weather"].id}/guides') == []

    screen.open('/logout')
    b.log_in('dev@consumer.test')
    screen.open('/products/weather')
    b.sees('Open the API reference')  # the API reference tab, open
    shot(b, 'guide-product-page')
    b.click('Getting started')
    b.sees(f'curl -H "X-API-Key: {key[:10]}..." {gateway}/weather/forecast/paris')
    b.sees(f'Send your key in the X-API-Key header to {gateway}/weather/:')
    b.sees(f'The examples show the start of your key for Forecast bot, {key[:10]}…')
    b.does_not_see('Open the API reference')
    assert key not in b.text() and key not in screen.selenium.page_source
    colours = b.until(lambda: b.driver.execute_script(HIGHLIGHTED), 'no highlighted code')
    plain = b.driver.execute_script("return getComputedStyle(document.querySelector('.portico-markdown p')).color")
    assert len(colours) >= 3 and all(colour != plain for colour in colours), (colours, plain)  # Pygments' colours
    b.until(lambda: screen.current_path == '/products/weather/guides/getting-started', 'the address stayed')
    shot(b, 'guide-developer')
    assert serious_violations(screen, b, '/products/weather/guides/getting-started') == []
    screen.open(f'/products/weather/reference/{world["Weather API"].id}')  # the reference's bar links the guide
    b.sees('Forecast for a city')
    shot(b, 'guide-reference-bar')
    b.click('Getting started')
    b.at('/products/weather/guides/getting-started')
    b.sees(f'X-API-Key: {key[:10]}...')

    screen.open('/logout')
    screen.open('/products/weather/guides/getting-started')  # the guide's own address, as a visitor
    b.sees('and get access to fill in your key: the examples show YOUR_API_KEY until then.')
    b.sees(f'curl -H "X-API-Key: YOUR_API_KEY..." {gateway}/weather/forecast/paris')
    b.does_not_see(key[:10])
    assert [tab.text.split('\n')[-1] for tab in b.driver.find_elements(By.CSS_SELECTOR, '.q-tab--active')] == ['Getting started']
    b.click('API reference')
    b.sees('Open the API reference')
    b.until(lambda: screen.current_path == '/products/weather', 'the address stayed on the guide')
    assert Product.get(Product.slug == 'weather')
