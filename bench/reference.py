"""The API reference at Stripe's size and at 1,000 operations (issue 13, point 6).

Saves a generated Stripe-like document (about 1.6 MB, 330 operations, cyclic references) and a
1,000-operation one through the workflow, starts a real portal process, and prints:
- how long saving took (validation and preparation, off the event loop),
- Chromium: time until the operation list is visible (past 50 operations: its tag groups, which start
  closed), until a search answers, until one operation opens: measured in the page, from the click to the
  first frame drawn after the operation's body appeared (beside it, the same seen through WebDriver, which
  adds its own round trips and 20 ms polling), and the browser main thread's CPU time for the opening,
- the portal's resident memory before and after 10 concurrent visitors load the reference,
- the gateway ping's p99 while they load, beside its p99 at rest, pinged from a separate process (a thread
  beside the visitors' threads measured the client's own GIL waits as well), for the three loads together
  and for the product page and the reference (page and document) alone; and the CPU time the portal's
  event-loop thread spent per load;
- the same ping p99s for the gateway-only process (`python main.py --gateway-only`, started by the portal as
  its child with PORTICO_GATEWAY_PORT), which never renders a page.

    .venv/bin/python bench/reference.py          (needs Debian's chromium and chromium-driver)
    BENCH_BROWSER=0 .venv/bin/python bench/reference.py   (skips the Chromium figures)
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
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


PINGER = '''
import http.client, json, sys, time
host, port, path, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
connection = http.client.HTTPConnection(host, port, timeout=60)
times = []
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    started = time.perf_counter()
    connection.request('GET', path)
    connection.getresponse().read()
    times.append((time.perf_counter() - started) * 1000)
    time.sleep(0.01)
print(json.dumps(times))
'''


def start_pinging(port: int, seconds: float) -> subprocess.Popen:
    """The gateway ping every 10 ms from a process of its own (one kept-alive connection), so that the
    figure is the server's, not this process's threads waiting for their GIL."""
    return subprocess.Popen([sys.executable, '-c', PINGER, '127.0.0.1', str(port), '/api/gateway/ping', str(seconds)],
                            stdout=subprocess.PIPE)


def pings(process: subprocess.Popen) -> list[float]:
    return json.loads(process.communicate()[0])


def thread_cpu_ms(pid: int, tid: int) -> float:
    """CPU time (user + system) of one thread of a process."""
    fields = Path(f'/proc/{pid}/task/{tid}/stat').read_text().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf('SC_CLK_TCK')


def load_average() -> str:
    return 'load average ' + ', '.join(f'{value:.2f}' for value in os.getloadavg())


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method='inclusive')[98] if len(values) > 2 else max(values)


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
    driver.execute_cdp_cmd('Performance.enable', {'timeDomain': 'threadTicks'})
    return driver


def in_browser(driver, url: str, search: str) -> tuple[float, float, float, float, float]:
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
    time.sleep(0.3)  # the search has settled
    before = main_thread_seconds(driver)
    started = time.perf_counter()
    drawn = driver.execute_async_script(OPEN_ONE)
    through_webdriver = time.perf_counter() - started - 0.3
    cpu = main_thread_seconds(driver) - before
    return visible, searched, drawn / 1000, through_webdriver, cpu


# click the first listed operation; answer the milliseconds from the click to the first frame drawn after the
# operation's body (its responses) appeared, then wait 300 ms more so that the CPU time includes what follows
OPEN_ONE = '''
const done = arguments[arguments.length - 1];
const started = performance.now();
const watcher = new MutationObserver(function () {
  if (!document.querySelector('.opblock-body .responses-wrapper')) return;
  watcher.disconnect();
  requestAnimationFrame(function () { setTimeout(function () {
    const drawn = performance.now() - started;
    setTimeout(function () { done(drawn); }, 300);
  }, 0); });
});
watcher.observe(document.body, {childList: true, subtree: true});
document.querySelector('.opblock-summary-control').click();
'''


def main_thread_seconds(driver) -> float:
    metrics = driver.execute_cdp_cmd('Performance.getMetrics', {})['metrics']
    return next(m['value'] for m in metrics if m['name'] == 'ThreadTime')


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
    from tests.servers import Portal, wait_for
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
    port, gateway_port = free_port(), free_port()
    portal = Portal(port, folder / 'portal.log', PORTICO_GATEWAY_PORT=str(gateway_port))
    try:
        base = portal.url
        if os.environ.get('BENCH_SERVE'):  # keep the portal up for a look by hand
            print('serving', base, targets, flush=True)
            time.sleep(float(os.environ['BENCH_SERVE']))
        wait_for(f'http://127.0.0.1:{gateway_port}/api/gateway/ping')
        driver = browser() if os.environ.get('BENCH_BROWSER', '1') != '0' else None
        rounds = int(os.environ.get('BENCH_ROUNDS', '5'))
        for label, (slug, api_id) in targets.items() if driver else ():
            url = f'{base}/products/{slug}/reference/{api_id}'
            fetch(f'{base}/products/{slug}/apis/{api_id}/reference.json')  # prepared once per process
            runs = [in_browser(driver, url, documents[label][1]) for _ in range(rounds)]
            visible, searched, opened, through, cpu = (statistics.median(r[i] for r in runs) for i in range(5))
            print(f'{label}: Chromium: list visible {visible:.2f} s, search answers {searched * 1000:.0f} ms, '
                  f'one operation opens {opened * 1000:.0f} ms (fastest {min(r[2] for r in runs) * 1000:.0f} ms; '
                  f'{through * 1000:.0f} ms through WebDriver; main thread CPU {cpu * 1000:.0f} ms) '
                  f'(median of {rounds})')
        if driver:
            driver.quit()
        slug, api_id = targets['stripe-like']
        pid = portal.process.pid
        loads_of = {'product page': [f'{base}/products/{slug}'],
                    'reference page and document': [f'{base}/products/{slug}/reference/{api_id}',
                                                    f'{base}/products/{slug}/apis/{api_id}/reference.json']}
        loads_of['all three'] = loads_of['product page'] + loads_of['reference page and document']
        for warming in [start_pinging(port, 1), start_pinging(gateway_port, 1)]:  # first calls, not counted
            pings(warming)
        at_rest = start_pinging(port, 3), start_pinging(gateway_port, 3)
        rest, rest_gateway = (pings(pinger) for pinger in at_rest)
        print(f'gateway ping p99 at rest: portal process {p99(rest):.1f} ms (max {max(rest):.1f} ms), '
              f'gateway-only process {p99(rest_gateway):.1f} ms (max {max(rest_gateway):.1f} ms); {load_average()}')
        for what in ('all three', 'product page', 'reference page and document'):
            before = rss_mb(pid)
            loads: list[float] = []

            def visitor() -> None:
                for _ in range(3):
                    for url in loads_of[what]:
                        loads.append(fetch(url))

            threads = [threading.Thread(target=visitor) for _ in range(10)]
            pinger, gateway_pinger = start_pinging(port, 4), start_pinging(gateway_port, 4)
            time.sleep(0.3)
            cpu = thread_cpu_ms(pid, pid)
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            took = time.perf_counter() - started
            cpu = thread_cpu_ms(pid, pid) - cpu
            busy, busy_gateway = pings(pinger), pings(gateway_pinger)
            after = rss_mb(pid)
            print(f'10 concurrent visitors x 3 x {what}: {len(loads)} loads in {took:.2f} s (p50 '
                  f'{statistics.median(loads):.0f} ms); event-loop thread CPU {cpu / len(loads):.1f} ms per load; '
                  f'portal RSS {before:.0f} -> {after:.0f} MB (+{after - before:.0f} MB); '
                  f'gateway ping p99 {p99(busy):.1f} ms while they load (max {max(busy):.1f} ms, {len(busy)} pings); '
                  f'gateway-only process: p99 {p99(busy_gateway):.1f} ms (max {max(busy_gateway):.1f} ms, '
                  f'{len(busy_gateway)} pings); {load_average()}')
    finally:
        portal.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == '__main__':
    main()
