"""The API reference (issue 13) and bounded OpenAPI reading (issue 11, item 14): real documents from
../shared/openapi-specs, generated big ones, hostile ones, the reference routes with their access check,
and Try it in a real browser through the shipped nginx example."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bench.openapi_documents import as_text, stripe_like
from db.models import Api, ApiReference, App, Catalog, CatalogProduct, Plan, Product, ProductApi, User, Visibility
from tests.servers import NGINX, Nginx, Portal, Upstream
from tests.utils import (PASSWORD, WEATHER_OPENAPI, a_catalog_world, a_user, admin_opens, an_admin, an_org_with,
                         element, free_port, log_in, opens_as, until, upload)
from domain.errors import DomainError
from workflows import access, catalog, openapi

SPECS = Path(__file__).resolve().parents[2] / 'shared' / 'openapi-specs'
if not SPECS.exists():
    SPECS = Path('/work/shared/openapi-specs')
REAL = sorted(p for p in SPECS.glob('*') if p.suffix in ('.yaml', '.json')) if SPECS.exists() else []

# the 408-byte "billion laughs" of issue 11, item 14: nine levels of nine aliases
BOMB = ('openapi: 3.0.0\ninfo: {title: bomb, version: "1"}\npaths: {}\n'
        'x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + ''.join(f'x-{b}: &{b} [{",".join(["*" + a] * 9)}]\n' for a, b in zip('abcdefgh', 'bcdefghi')))


@pytest.mark.skipif(not REAL, reason='the real documents of ../shared/openapi-specs are not here')
@pytest.mark.parametrize('path', REAL, ids=lambda p: p.name)
def test_every_real_document_is_accepted_and_prepared(path: Path) -> None:
    reference = openapi.read(path.read_text())
    assert reference.operations >= 1
    prepared = json.loads(reference.prepared)
    assert 'servers' not in prepared and 'host' not in prepared
    schemes = prepared.get('securityDefinitions') or prepared['components']['securitySchemes']
    assert schemes[openapi.KEY_SCHEME] == {**schemes[openapi.KEY_SCHEME], 'in': 'header', 'name': 'X-API-Key'}
    assert list(prepared) == [k for k in reference.document if k not in ('servers', 'host', 'basePath', 'schemes')] \
        + [k for k in prepared if k not in reference.document]  # the document's own order is kept


def test_a_31_document_with_only_webhooks_is_accepted() -> None:
    reference = openapi.read((SPECS / 'oai31-webhook-example.json').read_text())
    assert reference.version == '3.1.0' and reference.operations == 1 and 'paths' not in reference.document


def test_an_invalid_document_is_refused_with_the_reason_and_the_line() -> None:
    text = 'openapi: 3.0.3\ninfo:\n  title: x\n  version: "1"\npaths:\n  /a:\n    get:\n      responses:\n' \
           '        "200": {descriptio: missing}\n'
    with pytest.raises(DomainError, match=r'at paths › /a › get › responses › 200 \(line 9\)'):
        openapi.read(text)


def test_the_yaml_alias_bomb_is_refused_at_once_with_a_clear_message(db) -> None:
    """Issue 11, item 14: without the expansion count this takes gigabytes and many seconds."""
    assert len(BOMB) <= 420
    org = an_org_with('Acme', super_admin='boss@acme.test')
    boss = org.users.first()
    started = time.monotonic()
    with pytest.raises(DomainError, match='alias bomb'):
        catalog.submit_api('Bomb', '/bomb/', '', BOMB, by=boss)
    assert time.monotonic() - started < 5  # generous: the refusal is a count over 38 values, not a parse
    assert not Api.select().exists()
    with pytest.raises(DomainError, match='alias bomb'):  # a big one is read in the bounded child process
        openapi.read(BOMB + '#' + 'x' * (openapi.IN_PROCESS_LIMIT + 10))


def test_recursive_aliases_deep_nesting_and_too_many_aliases_are_refused() -> None:
    head = 'openapi: 3.0.0\ninfo: {title: x, version: "1"}\npaths: {}\n'
    with pytest.raises(DomainError, match='recursive alias'):
        openapi.read(head + 'x-a: &a [*a]\n')
    with pytest.raises(DomainError, match='nested more than'):
        openapi.read(head + 'x-deep: ' + '[' * 500 + ']' * 500 + '\n')
    with pytest.raises(DomainError, match='nested more than'):
        openapi.read('{"openapi": "3.0.0", "x": ' + '[' * 5000 + ']' * 5000 + '}')
    with pytest.raises(DomainError, match='more than 1,000 YAML aliases'):
        openapi.read(head + 'x-a: &a 1\nx-b: [' + ','.join(['*a'] * 1001) + ']\n')


def test_external_references_are_never_fetched(tmp_path) -> None:
    secret = tmp_path / 'secret.yaml'
    secret.write_text('description: the server\'s own file\n')
    for target in (f'file://{secret}#/description', 'http://169.254.169.254/latest/meta-data'):
        text = ('openapi: 3.1.0\ninfo: {title: x, version: "1"}\npaths:\n  /a:\n    get:\n      responses:\n'
                f'        "200": {{$ref: "{target}"}}\n')
        with pytest.raises(DomainError, match='only references inside the document'):
            openapi.read(text)


def test_the_size_limit_is_10_mb_for_paste_and_upload() -> None:
    assert openapi.MAX_SIZE >= 10_000_000
    with pytest.raises(DomainError, match='the limit is 10 MB'):
        openapi.read('{"openapi": "3.0.0", "x": "' + 'x' * openapi.MAX_SIZE + '"}')


def _public_product_with(text: str, slug: str = 'big') -> tuple[Product, Api]:
    admin = an_admin()
    api = catalog.save_api(None, 'Big API', '/big/', '', text, by=admin)
    product = Product.create(name='Big', slug=slug)
    ProductApi.create(product=product, api=api)
    CatalogProduct.create(catalog=Catalog.create(name='Open', visibility=Visibility.PUBLIC), product=product)
    return product, api


async def test_a_stripe_size_document_is_prepared_at_save_and_served_with_the_gateway(user) -> None:
    text = as_text(stripe_like())
    assert len(text) > 1_500_000
    product, api = _public_product_with(text)
    reference = ApiReference.get(ApiReference.api == api)
    assert reference.operations == 330 and reference.size == len(text.encode())
    response = await user.http_client.get(f'/products/big/apis/{api.id}/reference.json')
    served = response.json()
    assert served['servers'][0]['url'] == 'http://portal.test/big'
    assert len(served['paths']) == len(stripe_like()['paths'])
    # a cycle is a name, not an endless tree: nested references inside schemas are named stand-ins
    nested = next(iter(served['components']['schemas'].values()))['properties']
    linked = next(v for k, v in nested.items() if '_ref_' in k)['anyOf'][1]
    assert '$ref' not in linked and linked['x-portico-schema']
    await user.open('/products/big')
    await user.should_see('OpenAPI 3.0.0 · 330 operations')
    page = await user.http_client.get(f'/products/big/reference/{api.id}')
    assert page.status_code == 200 and '/products/_assets/swagger-ui-bundle.js' in page.text
    assert 'https://' not in page.text.split('<script id="portico-settings"')[0]  # nothing from elsewhere


async def test_download_and_reference_follow_the_products_access_check(user) -> None:
    world = a_catalog_world()
    a_user('dev@consumer.test')
    weather, payments = world['Weather API'], world['Payments API']
    catalog.store_reference(payments, openapi.read(WEATHER_OPENAPI), 'x')
    Api.update(openapi_text='openapi: 3.0.3').where(Api.id == payments.id).execute()
    download = await user.http_client.get(f'/products/weather/apis/{weather.id}/openapi')
    assert download.status_code == 200 and download.text.startswith('openapi: 3.0.3')
    assert 'attachment; filename="weather-api.yaml"' == download.headers['content-disposition']
    for path in (f'/products/payments/apis/{payments.id}/openapi', f'/products/payments/reference/{payments.id}',
                 f'/products/payments/apis/{payments.id}/reference.json',
                 f'/products/weather/apis/{payments.id}/openapi'):  # an API of another product
        assert (await user.http_client.get(path)).status_code == 404, path
    await log_in(user, 'dev@consumer.test')  # Payments is in a Private catalog: signed-in users see it
    await user.open('/products/payments')
    await user.should_see(marker='api-reference-/payments/')


def test_try_it_offers_the_keys_of_the_developers_apps_for_this_product_only(db) -> None:
    world = a_catalog_world()
    dev, other = a_user('dev@consumer.test'), a_user('other@consumer.test')
    access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id], new_app_name='Bot')
    [(app_name, key)] = access.keys_for_product(dev, world['Weather'])
    assert app_name == 'Bot' and key.startswith('ptc_')
    assert access.keys_for_product(dev, world['Maps']) == []
    assert access.keys_for_product(other, world['Weather']) == [] and access.keys_for_product(None, world['Weather']) == []


# --- Try it in a real browser, through the shipped nginx example -------------------------------------

@pytest.mark.skipif(NGINX is None, reason='nginx is not installed (apt-get install nginx-light)')
def test_try_it_calls_the_gateway_through_nginx_with_the_prefilled_key(db, tmp_path, nicegui_driver) -> None:
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id], new_app_name='Bot')
    portal_port, upstream_port, nginx_port = free_port(), free_port(), free_port()
    upstream = Upstream(upstream_port)
    nginx = Nginx('nginx-gateway.conf', tmp_path / 'nginx', {
        '127.0.0.1:8080': f'127.0.0.1:{portal_port}', '127.0.0.1:9000': f'127.0.0.1:{upstream_port}',
        '127.0.0.1:8000': f'127.0.0.1:{nginx_port}'})
    portal = Portal(portal_port, tmp_path / 'portal.log', PORTICO_GATEWAY_URL=f'http://127.0.0.1:{nginx_port}',
                    PORTICO_BASE_URL=f'http://127.0.0.1:{portal_port}')
    driver = nicegui_driver
    wait = WebDriverWait(driver, 30)
    try:
        driver.get(f'http://127.0.0.1:{portal_port}/login?next=/products/weather')
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '.nicegui-content input')) >= 2)
        inputs = driver.find_elements(By.CSS_SELECTOR, '.nicegui-content input')
        inputs[0].send_keys('dev@consumer.test')
        inputs[1].send_keys(PASSWORD + '\n')
        wait.until(lambda d: d.find_elements(By.XPATH, '//*[contains(text(), "Open the API reference")]'))
        driver.find_element(By.XPATH, '//*[contains(text(), "Open the API reference")]').click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.opblock-summary-control'))
        assert 'Bot (ptc_' in driver.find_element(By.ID, 'portico-app').text
        driver.find_element(By.CSS_SELECTOR, '.opblock-summary-control').click()
        # with a key, Try it is on from the start (tryItOutEnabled): fill in the path parameter and send
        field = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, 'input[placeholder="city"]'))[0]
        field.send_keys('berlin')
        driver.find_element(By.CSS_SELECTOR, '.execute').click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.live-responses-table tr.response .response-col_status'))
        status = driver.find_element(By.CSS_SELECTOR, '.live-responses-table tr.response .response-col_status').text
        body = driver.find_element(By.CSS_SELECTOR, '.live-responses-table .microlight').text
        assert status.strip().startswith('200'), (status, body)
        assert '"app": "Bot"' in body and '/weather/forecast/berlin' in body
        assert upstream.calls[-1]['path'] == '/weather/forecast/berlin' and upstream.calls[-1]['plan'] == 'Free'
        snippets = driver.find_element(By.CSS_SELECTOR, '.request-snippets').text
        assert f'http://127.0.0.1:{nginx_port}/weather/forecast/berlin' in snippets and 'X-API-Key: ptc_' in snippets
    finally:
        portal.stop()
        nginx.stop()
        upstream.stop()


async def test_get_access_gives_a_working_key_in_one_dialog_and_the_reference_offers_it(user) -> None:
    world = a_catalog_world()
    a_user('dev@consumer.test', first='Dana')
    await opens_as(user, 'dev@consumer.test', '/products/weather')
    user.find(marker='get-access').click()  # action 1
    await user.should_see(marker='get-access-plan')
    # the reference is a plain page, not one the simulated user can open: note where the browser is sent
    followed: list[str] = []
    user.navigate.to = lambda target, new_tab=False: followed.append(target)
    user.find(marker='get-access-confirm').click()  # action 2: Free (instant access) and a new app
    await until(lambda: followed)
    [(app_name, key)] = access.keys_for_product(User.get(User.email == 'dev@consumer.test'), world['Weather'])
    assert app_name == "Dana's Weather app"
    app_id = App.get(App.name == app_name).id
    # a key at once and one documented API: the reference opens, the new app's key chosen for Try it
    assert followed == [f'/products/weather/reference/{world["Weather API"].id}?ready={app_id}']
    page = await user.http_client.get(followed[0])
    settings = json.loads(page.text.split('<script id="portico-settings" type="application/json">')[1].split('</script>')[0])
    assert settings['keys'] == [{'app': "Dana's Weather app", 'key': key}] and settings['ready'] == app_name
    # `ready` names only an app of this developer that holds a key for the product
    for other in ('99999', '-1', '99999999999999999999', 'x'):
        answer = await user.http_client.get(f'/products/weather/reference/{world["Weather API"].id}?ready={other}')
        assert answer.status_code == 422 if other == 'x' else '"ready": null' in answer.text, other


async def test_get_access_needing_an_approval_stays_on_the_product_page(user) -> None:
    world = a_catalog_world()
    a_user('dev@consumer.test', first='Dana')
    Plan.update(requires_approval=True).where(Plan.id == world['Free'].id).execute()
    await opens_as(user, 'dev@consumer.test', '/products/weather')
    user.find(marker='get-access').click()
    await user.should_see(marker='get-access-plan')
    user.find(marker='get-access-confirm').click()
    await user.should_see('Your request is sent')
    assert access.keys_for_product(User.get(User.email == 'dev@consumer.test'), world['Weather']) == []


async def test_admin_uploads_a_document_too_big_for_the_live_connection_and_saves_it(user) -> None:
    """Over ~1 MB NiceGUI's socket drops messages: the upload goes over HTTP and stays on the server."""
    text = as_text(stripe_like())
    await admin_opens(user, '/admin/apis')
    user.find(marker='apis-add').click()
    await user.should_see(marker='api-upload')
    await upload(user, 'api-upload', 'stripe.json', 'application/json', text.encode())
    await user.should_see('stripe.json (1.7 MB) is loaded')
    assert element(user, 'api-openapi').value == ''  # not pushed through the socket
    user.find(marker='api-name').type('Stripe-like')
    user.find(marker='api-base-path').type('/stripe/')
    user.find(marker='api-save').click()
    await until(lambda: Api.select().where(Api.name == 'Stripe-like').exists(), timeout=120)
    api = Api.get(Api.name == 'Stripe-like')
    assert api.openapi_text == text.strip() and ApiReference.get(ApiReference.api == api).operations == 330


def test_a_big_paste_goes_over_http_in_a_real_browser_and_is_saved(screen) -> None:
    """Pasting 1.7 MB into the textarea would be dropped by the live connection; the page hands it to the
    uploader instead (a plain HTTP upload) and the whole document is saved."""
    text = as_text(stripe_like())
    screen.open('/login')
    an_admin('admin@provider.test')
    inputs = screen.selenium.find_elements(By.CSS_SELECTOR, '.nicegui-content input')
    inputs[0].send_keys('admin@provider.test')
    inputs[1].send_keys(PASSWORD + '\n')
    screen.should_contain('Admin')
    screen.open('/admin/apis')
    screen.click('Add API')
    screen.should_contain('OpenAPI document (JSON or YAML)')
    textarea = screen.selenium.find_element(By.CSS_SELECTOR, 'textarea')
    screen.selenium.execute_script(
        "const data = new DataTransfer(); data.setData('text/plain', arguments[1]);"
        "arguments[0].dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));",
        textarea, text)
    screen.should_contain('pasted-document.yaml (1.7 MB) is loaded')
    assert textarea.get_attribute('value') == ''
    fields = screen.selenium.find_elements(By.CSS_SELECTOR, '.q-dialog input')
    fields[0].send_keys('Pasted API')
    fields[1].send_keys('/pasted/')
    screen.click('Save')
    deadline = time.monotonic() + 120  # reading 1.7 MB takes seconds on a busy machine
    while not Api.select().where(Api.name == 'Pasted API').exists() and time.monotonic() < deadline:
        screen.wait(0.5)
    screen.should_contain('Pasted API saved.')
    api = Api.get(Api.name == 'Pasted API')
    assert api.openapi_text == text.strip()


@pytest.mark.browser
def test_each_operation_shows_curl_python_and_javascript_samples_with_the_key_before_any_call(screen, browser) -> None:
    """Issue 13, point 5: opening an operation shows the three samples at once, with the gateway address
    and the key chosen for Try it; what is typed into a parameter and another chosen app show up in them."""
    screen.open('/login')  # the app (and its database) starts here
    world = a_catalog_world()
    dev = a_user('dev@consumer.test')
    access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id], new_app_name='Bot')
    access.request_access(dev, world['Public'].id, world['Free'].id, [world['Weather'].id], new_app_name='Cron')
    keys = dict(access.keys_for_product(dev, world['Weather']))
    b = browser
    b.log_in('dev@consumer.test')
    screen.open(f'/products/weather/reference/{world["Weather API"].id}')
    driver = screen.selenium
    b.until(lambda: driver.find_elements(By.CSS_SELECTOR, '.opblock-summary-control'), 'no operation listed', 20)
    assert not driver.find_elements(By.CSS_SELECTOR, '.portico-samples')  # nothing is built for closed ones
    driver.find_element(By.CSS_SELECTOR, '.opblock-summary-control').click()

    def sample(title: str) -> str:
        def shown() -> str:
            tabs = driver.find_elements(By.XPATH, "//*[contains(@class, 'portico-samples')]"
                                                  f"//div[contains(@class, 'btn')][h4[normalize-space(.)='{title}']]")
            if not tabs:
                return ''
            tabs[0].click()
            code = driver.find_elements(By.CSS_SELECTOR, '.portico-samples .curl')
            return code[0].text if code and marker[title] in code[0].text else ''
        return b.until(shown, f'no {title} sample', 10)

    marker = {'curl': 'curl -X', 'Python': 'import requests', 'JavaScript': 'await fetch('}
    gateway = 'http://portal.test/weather/forecast/'  # PORTICO_GATEWAY_URL defaults to the portal's address
    for title in marker:
        text = sample(title)
        assert gateway + '{city}' in text and keys['Bot'] in text and 'X-API-Key' in text, (title, text)
    assert not driver.find_elements(By.CSS_SELECTOR, '.live-responses-table')  # no call was made
    driver.find_element(By.CSS_SELECTOR, 'input[placeholder="city"]').send_keys('oslo')
    Select = __import__('selenium.webdriver.support.ui', fromlist=['Select']).Select
    Select(driver.find_element(By.ID, 'portico-app')).select_by_index(1)  # Cron
    b.until(lambda: gateway + 'oslo' in sample('Python') and keys['Cron'] in sample('Python'),
            'the samples did not follow the parameter and the chosen app', 10)
    assert keys['Bot'] not in sample('curl')


@pytest.mark.browser
def test_a_stripe_size_operation_opens_resolved_in_the_page(screen, browser) -> None:
    """Issue 13, point 6: the page resolves an opened operation's references itself (not swagger-client over
    the whole document): its groups start closed, and an opened operation shows its parameters and an example
    built from the referenced schema, whose cyclic links are named, not expanded forever."""
    screen.open('/login')
    product, api = _public_product_with(as_text(stripe_like()))
    screen.open(f'/products/{product.slug}/reference/{api.id}')
    driver = screen.selenium
    b = browser
    tags = b.until(lambda: driver.find_elements(By.CSS_SELECTOR, '.opblock-tag'), 'no tag groups', 30)
    assert not driver.find_elements(By.CSS_SELECTOR, '.opblock')  # 330 operations: the groups start closed
    tags[0].click()
    b.until(lambda: driver.find_elements(By.CSS_SELECTOR, '.opblock-summary-control'), 'the group did not open', 10)
    driver.find_elements(By.CSS_SELECTOR, '.opblock-summary-control')[0].click()
    example = b.until(lambda: [e.text for e in driver.find_elements(By.CSS_SELECTOR, '.responses-wrapper .example')
                               if '"livemode": true' in e.text], 'no example built from the schema', 15)[0]
    assert '"object": "account_0"' in example  # the enum of the referenced schema: it was resolved
    assert driver.find_elements(By.CSS_SELECTOR, '.parameters input, .parameters .parameter__name')
    assert driver.execute_script('return window.location.hash').startswith('#/account/')  # a deep link


_HEADING_PLACE = """
const bar = document.querySelector('.portico-bar').getBoundingClientRect();
const block = document.getElementById(arguments[0]);
if (!block || !block.classList.contains('is-open')) return null;
const summary = block.querySelector('.opblock-summary').getBoundingClientRect();
return {top: summary.top, bottom: summary.bottom, bar: bar.bottom, height: window.innerHeight, y: window.scrollY};
"""


@pytest.mark.browser
@pytest.mark.skipif(not (SPECS / 'twilio-verify_v2.yaml').exists(), reason='the real documents are not here')
def test_a_deep_link_shows_the_operations_heading_below_the_sticky_bar(screen, browser) -> None:
    """Issue 25, item 7: `#/tag/operationId` opens the operation and shows its heading (method and path) below
    the sticky top bar, not scrolled under it (Twilio Verify: 57 operations, the linked one near the end)."""
    screen.open('/login')
    product, api = _public_product_with((SPECS / 'twilio-verify_v2.yaml').read_text(), slug='verify')
    driver = screen.selenium
    driver.set_window_size(1280, 800)
    screen.open(f'/products/{product.slug}/reference/{api.id}#/VerifyV2Webhook/FetchWebhook')
    place = browser.until(lambda: driver.execute_script(_HEADING_PLACE, 'operations-VerifyV2Webhook-FetchWebhook'),
                          'the linked operation did not open', 30)
    time.sleep(1.5)  # Swagger UI scrolls smoothly, about a second
    place = driver.execute_script(_HEADING_PLACE, 'operations-VerifyV2Webhook-FetchWebhook')
    assert place['y'] > 0, place  # the page did scroll to it (it is not on the first screen)
    assert place['bar'] <= place['top'] and place['bottom'] <= place['height'], place
    heading = driver.find_element(By.CSS_SELECTOR, '#operations-VerifyV2Webhook-FetchWebhook .opblock-summary').text
    assert 'GET' in heading and '/v2/Services/{ServiceSid}/Webhooks/{Sid}' in heading.replace('\u200b', '')
