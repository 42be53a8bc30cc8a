"""Form feedback: a DomainError's message goes next to its field, or above the form."""
from __future__ import annotations

from collections.abc import Callable

from nicegui import app, ui

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
            self.fields[field].error = message  # next to the field; the banner would say it twice
        else:
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


FLASH_KEY = 'flash'


def flash(message: str, kind: str = 'positive') -> None:
    """A message for the next page this browser opens: a notification shown now would go down with the
    page that a navigation or reload replaces."""
    app.storage.user[FLASH_KEY] = [*app.storage.user.get(FLASH_KEY, []), [message, kind]]


def show_flashed() -> None:
    """Show the messages left for this page (the frame calls this on every page)."""
    for message, kind in app.storage.user.pop(FLASH_KEY, []):
        ui.notify(message, type=kind)


def go(path: str, message: str, kind: str = 'positive') -> None:
    """Open `path` and say `message` there."""
    flash(message, kind)
    ui.navigate.to(path)


def reload_with(message: str, kind: str = 'positive') -> None:
    """Show the page again with the new state, and say `message`."""
    flash(message, kind)
    ui.navigate.reload()
