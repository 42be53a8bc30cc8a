"""What a page load costs a visitor's browser: Chromium's CPU time (all its processes) per load of the main
visitor pages of a demo portal, beside that of an empty JSON answer (the cost of a navigation itself, driver
included), and the page's first contentful paint as the page itself measures it.

    .venv/bin/python bench/browser_load.py [loads per page, default 30]     (needs Debian's chromium)

Measured on 2026-11-24 (README, Benchmarks): NiceGUI's Tailwind runtime, which compiled the CSS in the browser on
every page, cost a third of a page's own share; static/tailwind.css (`make css`) replaced it.
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import Portal  # noqa: E402
from tests.utils import free_port  # noqa: E402

PAGES = ['/healthz', '/', '/catalogs', '/login', '/register']


def tree_cpu(root: int) -> float:
    """CPU seconds of every living descendant of `root` (chromedriver's Chromium and its renderers)."""
    tick = os.sysconf('SC_CLK_TCK')
    children: dict[int, list[tuple[int, float]]] = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            stat = Path(f'/proc/{name}/stat').read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(')') + 2:].split()
        children.setdefault(int(fields[1]), []).append((int(name), (int(fields[11]) + int(fields[12])) / tick))
    total, stack = 0.0, [root]
    while stack:
        for pid, cpu in children.get(stack.pop(), []):
            total += cpu
            stack.append(pid)
    return total


class DemoPortal(Portal):
    ARGS = ('--demo',)


def main() -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    loads = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as folder:
        portal = DemoPortal(free_port(), Path(folder) / 'portal.log', PORTICO_DATA_DIR=folder,
                            PORTICO_DATABASE_URL=f'sqlite:///{folder}/portico.db')
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which('chromium')
        for flag in ('headless', 'no-sandbox', 'disable-gpu', 'window-size=1280,900'):
            options.add_argument(flag)
        service = Service(shutil.which('chromedriver'))
        driver = webdriver.Chrome(service=service, options=options)
        try:
            print(f'{"page":12} {"Chromium CPU a load":>20} {"first contentful paint":>24}')
            for path in PAGES:
                for _ in range(3):  # the caches warm, as for a visitor's second page
                    driver.get(portal.url + path)
                time.sleep(1)
                before, paints = tree_cpu(service.process.pid), []
                for _ in range(loads):
                    driver.get(portal.url + path)
                    deadline = time.monotonic() + 0.3  # what the page does once shown (its connection, timers) counts
                    paint = None
                    while paint is None and time.monotonic() < deadline + 2:
                        paint = driver.execute_script(
                            "return performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null")
                        time.sleep(0.05)
                    if paint is not None:
                        paints.append(paint)
                    time.sleep(max(0.0, deadline - time.monotonic()))
                cpu = (tree_cpu(service.process.pid) - before) / loads * 1000
                paint = f'{statistics.median(paints):.0f} ms' if paints else '-'
                print(f'{path:12} {cpu:17.0f} ms {paint:>24}')
        finally:
            driver.quit()
            portal.stop()


if __name__ == '__main__':
    main()
