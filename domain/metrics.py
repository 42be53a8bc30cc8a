"""What an instance counts for Prometheus (issue 27), in one registry per process, served at /metrics (api/metrics.py).

At the bottom of the layers so that the gateway, the mail worker, the webhooks, the sign-in and the pages can count
without importing each other. The gateway's counters are bound to their labels once (a dict of children), so a call
pays a dict look-up and an increment. The outbox's queue length and failures are read from the database when
Prometheus scrapes (a collector), so they are the same whichever instance answers.
"""
from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

REGISTRY = CollectorRegistry(auto_describe=True)

DECISIONS = Counter('portico_gateway_decisions', 'Gateway decisions by result and product', ['result', 'product'],
                    registry=REGISTRY)
DECISION_SECONDS = Histogram('portico_gateway_decision_seconds', 'Time to decide on a call (key look-up included)',
                             buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
                             registry=REGISTRY)
KEY_CACHE = Counter('portico_gateway_key_cache', 'Key look-ups answered from the cache (hit) or the database (miss)',
                    ['result'], registry=REGISTRY)
RATE_LIMITED = Counter('portico_gateway_rate_limit_refusals', 'Calls refused for a rate limit or a quota',
                       ['product'], registry=REGISTRY)
WEBHOOK_DELIVERIES = Counter('portico_webhook_deliveries', 'Webhook delivery attempts by result', ['result'],
                             registry=REGISTRY)
SIGN_INS = Counter('portico_sign_ins', 'Sign-in attempts by result', ['result'], registry=REGISTRY)
PAGE_SECONDS = Histogram('portico_page_build_seconds', 'Server-side build time of a page', ['page'],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5), registry=REGISTRY)

# the decision's status -> its result label
RESULTS = {200: 'allowed', 401: 'unauthorised', 403: 'forbidden', 410: 'gone', 429: 'rate_limited', 503: 'unavailable'}
_decided: dict[tuple[int, str], object] = {}
_hits = KEY_CACHE.labels('hit')
_misses = KEY_CACHE.labels('miss')
observe_decision = DECISION_SECONDS.observe


def decided(status: int, product: str) -> None:
    """One gateway decision (the hot path: a bound child per status and product)."""
    child = _decided.get((status, product))
    if child is None:
        child = _decided[(status, product)] = DECISIONS.labels(RESULTS.get(status, str(status)), product or '-')
        if status == 429:
            RATE_LIMITED.labels(product or '-')
    child.inc()
    if status == 429:
        RATE_LIMITED.labels(product or '-').inc()


def key_cache(hit: bool) -> None:
    (_hits if hit else _misses).inc()


class OutboxCollector:
    """The outbox as it stands in the database, read at each scrape: how many emails wait, how many failed."""

    def __init__(self, read: Callable[[], tuple[int, int]]) -> None:
        self.read = read

    def collect(self):
        try:
            waiting, failed = self.read()
        except Exception:  # noqa: BLE001 - the database is away: the other counts are still served (see /readyz)
            return
        yield GaugeMetricFamily('portico_outbox_queue_length', 'Emails waiting to be sent', value=waiting)
        yield GaugeMetricFamily('portico_outbox_failed', 'Emails given up on (Admin -> Outbox retries them)',
                                value=failed)

    def describe(self):
        return []


_outbox: OutboxCollector | None = None


def watch_outbox(read: Callable[[], tuple[int, int]]) -> None:
    """Registered once by the api layer, which knows how to read the outbox."""
    global _outbox
    if _outbox is None:
        _outbox = OutboxCollector(read)
        REGISTRY.register(_outbox)
    else:
        _outbox.read = read
