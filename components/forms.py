"""Form feedback: a DomainError's message goes next to its field, or above the form."""
from __future__ import annotations

from collections.abc import Callable

from nicegui import app, ui

from domain import i18n
from domain.errors import DomainError

from session import FLASH_KEY, flash  # noqa: F401 - pages flash through forms


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


class ErrorNote:
    """A group of inputs (checkboxes, rows) that Feedback shows an error under, as it does beside an input: the
    group makes its note with `note_under(marker)` and has `error` like an input."""

    note: ui.label

    def note_under(self, marker: str) -> None:
        self.note = ui.label('').classes('text-negative text-sm').mark(marker)
        self.note.set_visibility(False)

    @property
    def error(self) -> str | None:
        return self.note.text or None

    @error.setter
    def error(self, message: str | None) -> None:
        self.note.set_text(message or '')
        self.note.set_visibility(bool(message))


def notify(message: str, kind: str = 'positive') -> None:
    ui.notify(str(message), type=kind)


def attempt(act: Callable[[], str], done: Callable[[], None] | None = None, *,
            then: Callable[[str, str], None] = notify) -> None:
    """Run a one-click action (Approve, Retry, ...): its message when it worked, the refusal when the
    rules said no (e.g. "already decided"), then `done()` to show the new state. `then(message, kind)`
    replaces the notification, e.g. `reload_with` to say it on the page shown again."""
    page_storage = app.storage.client  # the row of the clicked button may be gone after done()
    try:
        message, kind = str(act()), 'positive'
    except DomainError as error:
        message, kind = str(error), 'negative'
    then(message, kind)
    if done is not None:
        done()
    refresh_header(page_storage)


REFRESH_CART, REFRESH_BADGES = 'refresh_cart', 'refresh_badges'  # set by the frame for this page


def refresh_header(page_storage: dict | None = None) -> None:
    """Show the new counts in this page's header and admin menu (cart items, items waiting for a decision)
    after an action changed them. `page_storage`: `app.storage.client` taken before the action, when the
    action removed the element whose handler runs (a table row's button)."""
    storage = app.storage.client if page_storage is None else page_storage
    for key in (REFRESH_CART, REFRESH_BADGES):
        refresh = storage.get(key)
        if refresh is not None:
            refresh()


def show_flashed() -> None:
    """Show the messages left for this page (the frame calls this on every page)."""
    for message, kind in app.storage.user.pop(FLASH_KEY, []):
        ui.notify(message, type=kind)


def go(path: str, message: str, kind: str = 'positive') -> None:
    """Open `path` and say `message` there."""
    flash(str(message), kind)
    ui.navigate.to(path)


def reload_with(message: str, kind: str = 'positive') -> None:
    """Show the page again with the new state, and say `message`."""
    flash(str(message), kind)
    ui.navigate.reload()


# NiceGUI's browser side refuses to send a message over 1 MB and escaping can double a text's size, so a
# pasted text longer than this never reaches the server (the field would keep its old value unseen).
PASTE_LIMIT = 400_000


def bounded(field: ui.input | ui.textarea, limit: int) -> ui.input | ui.textarea:
    """Let the browser take one character more than the workflow accepts: a longer paste is cut there and
    then refused by the workflow with its message next to the field, instead of getting lost on the way."""
    field.props['maxlength'] = min(limit, PASTE_LIMIT) + 1
    return field


def refuse_cut_paste(text: str | None, field: str, advice: str) -> None:
    """A text of exactly the field's bound was cut by the browser while pasting (a longer one can only have
    come from the server, e.g. an uploaded file): refuse it rather than save the truncated text."""
    if text is not None and len(text) == PASTE_LIMIT + 1:
        raise DomainError('A pasted text is limited to {limit} characters: {advice}.', field,
                          limit=i18n.number(PASTE_LIMIT), advice=advice)
