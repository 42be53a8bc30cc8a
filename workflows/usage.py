"""Reports of the calls counted by the gateway (gateway/usage.py counts them), per UTC day."""
from __future__ import annotations

from datetime import date, timedelta

import peewee as pw

from db.models import AccessRequest, AccessRequestProduct, App, Credential, Organisation, Product, UsageDaily
from gateway import usage as gateway_usage
from gateway.usage import flush, reset, today  # noqa: F401 - tests flush through this module


def calls_in_period(credential_id: int, period: str, day: date | None = None) -> int:
    return gateway_usage.calls_in_period(credential_id, period, day)


def daily_calls_of_app(app: App, days: int = 30) -> list[tuple[date, int]]:
    """The last `days` days of one app, zeros included (one query)."""
    start = today() - timedelta(days=days - 1)
    rows = dict(UsageDaily.select(UsageDaily.day, pw.fn.SUM(UsageDaily.calls)).join(Credential)
                .where((Credential.app == app) & (UsageDaily.day >= start)).group_by(UsageDaily.day).tuples())
    rows = {(day if isinstance(day, date) else date.fromisoformat(str(day))): calls for day, calls in rows.items()}
    return [(start + timedelta(days=i), int(rows.get(start + timedelta(days=i), 0))) for i in range(days)]


def top_apps(days: int = 30, limit: int = 10) -> list[tuple[str, str, int]]:
    """(app, organisation, calls) of the busiest apps."""
    start = today() - timedelta(days=days - 1)
    total = pw.fn.SUM(UsageDaily.calls)
    return [(name, org, int(calls)) for name, org, calls in
            UsageDaily.select(App.name, Organisation.name, total).join(Credential).join(App).join(Organisation)
            .where(UsageDaily.day >= start).group_by(App.id, App.name, Organisation.name)
            .order_by(total.desc()).limit(limit).tuples()]


def top_products(days: int = 30, limit: int = 10) -> list[tuple[str, int]]:
    """(product, calls): each credential's calls counted for every product it covers."""
    start = today() - timedelta(days=days - 1)
    total = pw.fn.SUM(UsageDaily.calls)
    return [(name, int(calls)) for name, calls in
            UsageDaily.select(Product.name, total).join(Credential).join(AccessRequest)
            .join(AccessRequestProduct).join(Product).where(UsageDaily.day >= start)
            .group_by(Product.id, Product.name).order_by(total.desc()).limit(limit).tuples()]
