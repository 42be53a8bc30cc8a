"""What an instance counts for Prometheus (issue 27), in one registry per process, served at /metrics (api/metrics.py).

At the bottom of the layers so that the gateway, the mail worker, the webhooks, the sign-in and the pages can count
without importing each other. The gateway's counters are bound to their labels once (a dict of children), so a call
pays a dict look-up and an increment. The outbox's queue length and failures are read from the database when
Prometheus scrapes (a collector), so they are the same whichever instance answers.
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

REGISTRY = CollectorRegistry(auto_describe=True)

WEBHOOK_DELIVERIES = Counter('portico_webhook_deliveries', 'Webhook delivery attempts by result', ['result'],
                             registry=REGISTRY)
SIGN_INS = Counter('portico_sign_ins', 'Sign-in attempts by result', ['result'], registry=REGISTRY)
PAGE_SECONDS = Histogram('portico_page_build_seconds', 'Server-side build time of a page', ['page'],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5), registry=REGISTRY)

# The gateway's counts are plain integers, turned into metrics only when Prometheus scrapes (GatewayCollector):
# prometheus_client's objects take a lock per increment, and the four of a call cost the decision a fifth of its
# throughput (bench/introspection.py). The gateway paths run on the event loop's thread alone.
RESULTS = {200: 'allowed', 401: 'unauthorised', 403: 'forbidden', 410: 'gone', 429: 'rate_limited', 503: 'unavailable'}
BOUNDS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)
_decided: dict[tuple[int, str], int] = {}
_cache = [0, 0]  # misses, hits
_latency = [0] * (len(BOUNDS) + 1)
_latency_sum = [0.0]


def decided(status: int, product: str) -> None:
    """One gateway decision (the hot path: one dictionary update)."""
    key = (status, product)
    _decided[key] = _decided.get(key, 0) + 1


def key_cache(hit: bool) -> None:
    _cache[hit] += 1


def observe_decision(seconds: float) -> None:
    _latency[bisect_left(BOUNDS, seconds)] += 1
    _latency_sum[0] += seconds


class GatewayCollector:
    def collect(self):
        decisions = CounterMetricFamily('portico_gateway_decisions', 'Gateway decisions by result and product',
                                        labels=['result', 'product'])
        limited = CounterMetricFamily('portico_gateway_rate_limit_refusals', 'Calls refused for a rate limit or a '
                                      'quota', labels=['product'])
        for (status, product), count in list(_decided.items()):
            decisions.add_metric([RESULTS.get(status, str(status)), product or '-'], count)
            if status == 429:
                limited.add_metric([product or '-'], count)
        cache = CounterMetricFamily('portico_gateway_key_cache', 'Key look-ups answered from the cache (hit) or the '
                                    'database (miss)', labels=['result'])
        cache.add_metric(['miss'], _cache[0])
        cache.add_metric(['hit'], _cache[1])
        buckets, total = [], 0
        for bound, count in zip((*BOUNDS, float('inf')), list(_latency)):
            total += count
            buckets.append(('+Inf' if bound == float('inf') else repr(bound), total))
        latency = HistogramMetricFamily('portico_gateway_decision_seconds', 'Time to decide on a call (key look-up '
                                        'included)', buckets=buckets, sum_value=_latency_sum[0])
        yield from (decisions, limited, cache, latency)

    def describe(self):
        return []


REGISTRY.register(GatewayCollector())


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
