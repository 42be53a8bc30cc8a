"""What reacts to the domain events (domain/events.py), registered in this one place at start-up.

The order is the order of reactions within the transaction of a change: the audit row first, then the webhook
events, which name the same change. A new reaction to what workflows announce (a notice, a metric) is
registered here; the workflow that announces the event does not change.
"""
from __future__ import annotations

from domain import events
from workflows import audit, webhook_events


def install() -> None:
    """Idempotent: main.py calls it before the first workflow runs, the tests' conftest once per run."""
    events.listen(audit.record)
    events.listen(webhook_events.emit)
