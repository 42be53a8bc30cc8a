"""Domain events (domain/events.py): a workflow announces what happened; the audit row and the webhook events are
listeners registered once (listeners.py), inside the transaction of the change."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from db import settings as stored_settings
from db.models import AuditEvent, WebhookEvent
from domain import events
from tests.utils import an_admin
from workflows import audit, settings, webhook_endpoints, webhook_events

WORKFLOWS = Path(__file__).resolve().parent.parent / 'workflows'


def announced_names() -> set[str]:
    """Every event name a workflow announces, read from the source."""
    names = set()
    for path in WORKFLOWS.glob('*.py'):
        names.update(re.findall(r"announce\(\s*[^,()]+,\s*'([a-z_]+\.[a-z_]+)'", path.read_text()))
    return names


def test_every_event_a_webhook_waits_for_is_announced_by_a_workflow() -> None:
    """Renaming an announced event without its listener's key would silently stop its webhooks."""
    names = announced_names()
    assert {'user.deactivate', 'access.approve', 'app.create'} <= names  # the reading finds them
    assert set(webhook_events.ACTIONS) - names == set()


def test_every_webhook_event_raised_is_one_an_endpoint_can_ask_for() -> None:
    raised = {kind for kinds in webhook_events.ACTIONS.values() for kind in kinds}
    assert raised == set(webhook_endpoints.EVENTS)


def test_the_audit_row_and_the_webhook_event_are_written_by_listeners_in_the_changes_transaction(db) -> None:
    admin = an_admin()
    webhook_endpoints.update_settings(True, 72, by=admin)
    webhook_endpoints.save_endpoint(None, 'http://127.0.0.1:9/hooks', ['user.deactivated'], True, by=admin)
    assert events.listeners()[:2] == (audit.record, webhook_events.emit)
    event = events.announce(admin, 'user.deactivate', admin, why='a test')
    assert event.detail == {'why': 'a test'}
    row = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert (row.action, row.actor_id, row.target_type, row.target_id) == ('user.deactivate', admin.id, 'user', admin.id)
    assert WebhookEvent.get().type == 'user.deactivated'


def test_a_listener_that_fails_rolls_the_change_back(db) -> None:
    admin = an_admin()

    def broken(event: events.Event) -> None:
        if event.name == 'settings.update':
            raise RuntimeError('the listener failed')

    events.listen(broken)
    try:
        with pytest.raises(RuntimeError, match='the listener failed'):
            settings.update({'portal_name': 'Changed'}, by=admin)
    finally:
        events._listeners.remove(broken)
    assert stored_settings.get('portal_name') == 'Portico'
    assert not AuditEvent.select().where(AuditEvent.action == 'settings.update').exists()


def test_an_event_needs_a_name_of_an_object_and_a_verb() -> None:
    with pytest.raises(TypeError, match='<object>.<verb>'):
        events.announce('settings.update', None)  # the actor and the name the wrong way round
