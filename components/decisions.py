"""Approve and Reject for one item of an approval queue. Every queue decides alike: Approve at once, Reject after
asking for an optional reason, which the requester gets in the email; the rules are the workflow's."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nicegui import ui

import session
from components.dialogs import REASON_LABEL, reason_dialog
from components.forms import attempt, notify
from domain.i18n import _, lazy
from db.models import Api, User
from workflows import access, apps, catalog, organisations, registration


@dataclass(frozen=True)
class Queue:
    """How one queue decides: `find(item_id, actor)` reads the item again at the click, as far as the actor may
    decide it; `approve(item, by=)` and `reject(item, by=, reason=)` are the workflow's transitions."""
    find: Callable[[int, User], object]
    approve: Callable[..., None]
    reject: Callable[..., None]


ACCESS = Queue(access.find_decidable, access.approve, access.reject)
APPS = Queue(apps.find_decidable, apps.approve_app, apps.reject_app)
REGISTRATIONS = Queue(lambda user_id, actor: registration.find_registrant(user_id, by=actor),
                      registration.approve, registration.reject)
ORGANISATIONS = Queue(lambda org_id, _actor: organisations.find(org_id), organisations.approve, organisations.reject)
APIS = Queue(lambda api_id, _actor: catalog.find(Api, api_id, lazy('This API')),  # 000: publishing a submitted API
             lambda api, by: catalog.decide_api(api, True, by=by),
             lambda api, by, reason: catalog.decide_api(api, False, by=by, reason=reason))


def decision_buttons(queue: Queue, item_id: int, *, approved: str, rejected: str, question: str, marker: str,
                     buttons: tuple[str, str], done: Callable[[], None] | None = None, note: str = '',
                     then: Callable[[str, str], None] = notify) -> None:
    """Approve and Reject for the item `item_id` of `queue`: `approved` and `rejected` are the messages after
    each, `question` (and `note`) head the reason dialog marked `marker`, `buttons` are the markers of Approve
    and Reject. `done()` shows the new state; `then(message, kind)` replaces the notification (`forms.attempt`)."""
    def approve() -> str:
        actor = session.current_user()
        queue.approve(queue.find(item_id, actor), by=actor)
        return str(approved)

    def reject(reason: str) -> str:
        actor = session.current_user()
        queue.reject(queue.find(item_id, actor), by=actor, reason=reason)
        return str(rejected)

    approve_marker, reject_marker = buttons
    ui.button(_('Approve'), on_click=lambda: attempt(approve, done, then=then)) \
        .props('flat dense no-caps color=positive').mark(approve_marker)
    ui.button(_('Reject'), on_click=lambda: reason_dialog(question, _('Reject'), _(REASON_LABEL), marker, reject, done,
                                                          note=note, then=then)) \
        .props('flat dense no-caps color=negative').mark(reject_marker)
