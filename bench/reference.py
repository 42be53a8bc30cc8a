"""The API reference at Stripe's size and at 1,000 operations (issue 13, point 6).

Saves a generated Stripe-like document (about 1.6 MB, 330 operations, cyclic references) and a
1,000-operation one through the workflow, starts a real portal process, and prints:
- how long saving took (validation and preparation, off the event loop),
- Chromium: time until the operation list is visible (past 50 operations: its tag groups, which start
  closed), until a search answers, until one operation opens,
- the portal's resident memory before and after 10 concurrent visitors load the reference,
- the gateway ping's p99 while they load, beside its p99 at rest.

    .venv/bin/python bench/reference.py          (needs Debian's chromium and chromium-driver)
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb(pid: int) -> float:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    return 0.0


def fetch(url: str) -> float:
    started = time.perf_counter()
    request = urllib.request.Request(url, headers={'Accept-Encoding': 'gzip'})
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
    return (time.perf_counter() - started) * 1000


def pings(url: str, seconds: float) -> list[float]:
    times = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        times.append(fetch(url))
        time.sleep(0.01)
    return times


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 2 else max(values)


def browser():
    from selenium import webdriver
    options = webdriver.ChromeOptions()
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    options.binary_location = shutil.which('chromium')
    for flag in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                 '--disable-background-networking', 'window-size=1280,900'):
        options.add_argument(flag)
    os.environ.setdefault('SE_OFFLINE', 'true')
    options.page_load_strategy = 'none'  # timing starts at navigation and ends at what the user sees
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(shutil.which('chromedriver')))
    driver.set_script_timeout(300)
    return driver


def in_browser(driver, url: str, search: str) -> tuple[float, float, float]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    wait = WebDriverWait(driver, 300, poll_frequency=0.02)
    started = time.perf_counter()
    driver.get(url)
    try:
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.opblock-summary, .opblock-tag'))
    except Exception:
        import re; print(driver.get_log('browser')); print(re.sub(r'<svg.*?</svg>', '', driver.page_source, flags=re.S)[-4000:])
        raise
    visible = time.perf_counter() - started
    before = len(driver.find_elements(By.CSS_SELECTOR, '.opblock'))
    started = time.perf_counter()
    driver.find_element(By.ID, 'portico-search').send_keys(search)
    wait.until(lambda d: 0 < len(d.find_elements(By.CSS_SELECTOR, '.opblock')) != before)
    searched = time.perf_counter() - started
    started = time.perf_counter()
    driver.find_elements(By.CSS_SELECTOR, '.opblock-summary-control')[0].click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.opblock-body .responses-wrapper'))
    opened = time.perf_counter() - started
    return visible, searched, opened


def main() -> None:
    from bench.openapi_documents import as_text, many_operations, stripe_like
    folder = Path(tempfile.mkdtemp(prefix='portico-reference-bench-'))
    os.environ.update(PORTICO_DATA_DIR=str(folder), PORTICO_DATABASE_URL=f'sqlite:///{folder}/portico.db',
                      PORTICO_SECRET_KEY='bench-secret-key-bench-secret-key')
    os.environ.setdefault('PORTICO_TEST_ARGON2_MEMORY_KIB', '1024')
    os.environ.setdefault('PORTICO_TEST_ARGON2_ROUNDS', '1')
    import config
    from main import open_database
    cfg = config.load()
    config.use(cfg)
    open_database(cfg)
    from db.models import Catalog, CatalogProduct, Product, ProductApi, Visibility
    from tests.utils import an_admin, free_port
    from tests.servers import Portal
    from workflows import catalog
    admin = an_admin()
    public = Catalog.create(name='Public', visibility=Visibility.PUBLIC)
    documents = {'stripe-like': (as_text(stripe_like()), 'customer'), '1000 operations': (as_text(many_operations()), 'thing 999')}
    targets = {}
    for index, (label, (text, _)) in enumerate(documents.items()):
        started = time.perf_counter()
        api = catalog.save_api(None, label, f'/bench{index}/', '', text, by=admin)
        saved = time.perf_counter() - started
        product = Product.create(name=label, slug=f'bench-{index}')
        ProductApi.create(product=product, api=api)
        CatalogProduct.create(catalog=public, product=product)
        targets[label] = (product.slug, api.id)
        print(f'{label}: {len(text) / 1e6:.2f} MB saved (validated, prepared) in {saved:.1f} s')
    port = free_port()
    portal = Portal(port, folder / 'portal.log')
    try:
        base = portal.url
        if os.environ.get('BENCH_SERVE'):  # keep the portal up for a look by hand
            print('serving', base, targets, flush=True)
            time.sleep(float(os.environ['BENCH_SERVE']))
        driver = browser()
        for label, (slug, api_id) in targets.items():
            url = f'{base}/products/{slug}/reference/{api_id}'
            fetch(f'{base}/products/{slug}/apis/{api_id}/reference.json')  # prepared once per process
            runs = [in_browser(driver, url, documents[label][1]) for _ in range(int(os.environ.get('BENCH_ROUNDS', '3')))]
            visible, searched, opened = (statistics.median(r[i] for r in runs) for i in range(3))
            print(f'{label}: Chromium: list visible {visible:.2f} s, search answers {searched * 1000:.0f} ms, '
                  f'one operation opens {opened * 1000:.0f} ms (median of 3)')
        driver.quit()
        slug, api_id = targets['stripe-like']
        ping = f'{base}/api/gateway/ping'
        rest = pings(ping, 3)
        before = rss_mb(portal.process.pid)
        loads: list[float] = []

        def visitor() -> None:
            for _ in range(3):
                loads.append(fetch(f'{base}/products/{slug}'))
                loads.append(fetch(f'{base}/products/{slug}/reference/{api_id}'))
                loads.append(fetch(f'{base}/products/{slug}/apis/{api_id}/reference.json'))

        threads = [threading.Thread(target=visitor) for _ in range(10)]
        busy: list[float] = []
        pinger = threading.Thread(target=lambda: busy.extend(pings(ping, 4)))
        pinger.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        pinger.join()
        after = rss_mb(portal.process.pid)
        print(f'10 concurrent visitors x 3 loads: portal RSS {before:.0f} MB -> {after:.0f} MB '
              f'(+{after - before:.0f} MB); load p50 {statistics.median(loads):.0f} ms')
        print(f'gateway ping p99: {p99(rest):.1f} ms at rest, {p99(busy):.1f} ms while they load')
    finally:
        portal.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
    main()
