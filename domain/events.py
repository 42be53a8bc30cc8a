"""Domain events: a workflow says what happened, in the transaction of the change; listeners react.

`announce(by, 'app.approve', app, reason=...)` is the one call a workflow makes; the audit trail, the webhooks
and whatever else must follow a change are listeners that `listeners.install()` registers once at start-up (as
Datasette's `track_event` hook), so the code that announces an event never imports the code that reacts to it.
Listeners run in the order they were registered, inside the caller's transaction: a listener that raises rolls
the change back with it, as an outbox row does.

An event's name is the audited action (`<object>.<verb>`): listeners key on it, and tests/test_events.py checks
that every name a listener waits for is announced by some workflow.
"""
from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

# the REST API sets this for the request it serves, so every event of that request names the token
via_token: ContextVar[str | None] = ContextVar('via_token', default=None)


@dataclass(frozen=True)
class Event:
    name: str  # e.g. 'user.deactivate'
    actor: Any  # the User who did it, or None for the system
    target: Any = None  # the object it was done to (a model instance), if any
    detail: dict = field(default_factory=dict)


Listener = Callable[[Event], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Call `listener` for every event from now on (once, however often it is registered)."""
    if listener not in _listeners:
        _listeners.append(listener)


def listeners() -> tuple[Listener, ...]:
    return tuple(_listeners)


def announce(actor: Any, name: str, target: Any = None, /, **detail: Any) -> Event:
    """Say that `actor` did `name` to `target`; every listener reacts before this returns."""
    if not isinstance(name, str) or '.' not in name:
        raise TypeError(f'an event is named <object>.<verb>, not {name!r}')
    token = via_token.get()
    if token is not None:
        detail['api_token'] = token
    event = Event(name, actor, target, detail)
    for listener in _listeners:
        listener(event)
    return event
