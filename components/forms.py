"""Form feedback: a DomainError's message goes next to its field, or above the form."""
from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from workflows import DomainError


class Feedback:
    """Shows errors of one form: `fields` maps a workflow's field names to inputs."""

    def __init__(self, fields: dict[str, ui.element] | None = None, marker: str = 'form-error') -> None:
        self.fields = fields or {}
        self.banner = ui.label('').classes('text-negative text-sm').mark(marker)
        self.banner.set_visibility(False)

    def clear(self) -> None:
        self.banner.set_visibility(False)
        for element in self.fields.values():
            element.error = None

    def show(self, error: DomainError | str) -> None:
        message = str(error)
        field = getattr(error, 'field', None)
        if field in self.fields:
            self.fields[field].error = message
        self.banner.set_text(message)
        self.banner.set_visibility(True)
        ui.notify(message, type='negative')


def attempt(act: Callable[[], str], done: Callable[[], None]) -> None:
    """Run a one-click action (Approve, Retry, ...): its message when it worked, the refusal when the
    rules said no (e.g. "already decided"), then `done()` to show the new state."""
    try:
        message = act()
    except DomainError as error:
        ui.notify(str(error), type='negative')
    else:
        ui.notify(message, type='positive')
    done()
