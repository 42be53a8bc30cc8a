"""Dialogs that remove themselves once closed, so a page never holds stale copies of a form."""
from __future__ import annotations

import asyncio
from collections.abc import Callable

from nicegui import background_tasks, context, ui

from components.forms import Feedback, notify, refresh_header
from domain.errors import DomainError
from domain.i18n import N_, _
from workflows import REASON_MAX


def dialog() -> ui.dialog:
    """A dialog that lives at the page's top level, not in the slot of the button that opened it: a table
    refresh that rebuilds that button's row must not take the dialog with it. Once closed, it is deleted
    as soon as the handler that closed it has returned (shown its message, refreshed the page); deleting
    it at once would pull the ground from under that handler. Dialogs are used once: open a new one."""
    with context.client.content:
        box = ui.dialog().props('aria-modal=true')
    # the keyboard starts in the first field (or on Cancel of a question), not on the dialog's frame
    box.on('show', js_handler='''() => {
        const shown = [...document.querySelectorAll('.q-dialog')].pop();
        const first = shown && shown.querySelector('input:not([readonly]), textarea, button');
        if (first) first.focus();
    }''')

    async def remove_later() -> None:
        await asyncio.sleep(0)
        if not box.is_deleted and not box.value:
            box.delete()

    def closed(event) -> None:
        if not event.value:
            box.set_visibility(False)  # out of reach at once (no second copy of its form to find)
            background_tasks.create(remove_later())

    box.on_value_change(closed)
    return box


REASON_LABEL = N_('Reason (optional, sent in the email)')  # shown translated: `_(REASON_LABEL)`


def reason_dialog(question: str, action: str, reason_label: str, marker: str, decide: Callable[[str], str],
                  done: Callable[[], None] | None = None, *, note: str = '',
                  then: Callable[[str, str], None] = notify) -> None:
    """Confirm a decision with an optional reason (the rule is `workflows.clean_reason`, which every decision
    applies). `decide(reason)` returns the success message; a DomainError about the reason keeps the dialog
    open, any other closes it with the message. `then(message, kind)` replaces the notification."""
    with dialog() as box, ui.card().classes('w-[28rem]'):
        ui.label(str(question)).classes('font-semibold')
        if note:
            ui.label(str(note)).classes('text-grey-8')
        reason = ui.textarea(_(str(reason_label))).props(f'outlined maxlength={REASON_MAX} counter').classes('w-full') \
            .mark(f'{marker}-reason')
        feedback = Feedback({'reason': reason}, marker=f'{marker}-error')

        def confirm() -> None:
            feedback.clear()
            try:
                message, kind = str(decide(reason.value or '')), 'positive'
            except DomainError as error:
                if error.field == 'reason':
                    feedback.show(error)
                    return
                message, kind = str(error), 'negative'
            box.close()
            then(message, kind)
            if done is not None:
                done()
            refresh_header()

        with ui.row().classes('w-full justify-end'):
            ui.button(_('Cancel'), on_click=box.close).props('flat no-caps').mark(f'{marker}-cancel')
            ui.button(str(action), on_click=confirm).props('unelevated no-caps color=negative').mark(f'{marker}-confirm')
    box.open()


def confirm(title: str, text: str, action: str, marker: str, act: Callable[[], str],
            done: Callable[[], None] | None = None, *, then: Callable[[str], None] | None = None) -> None:
    """Ask before a destructive step. `act()` does it and returns the success message; a DomainError stays
    in the dialog, and nothing is done. `then(message)` replaces the notification, e.g. to say it on the page
    a navigation opens."""
    with dialog() as box, ui.card().classes('w-96'):
        ui.label(str(title)).classes('font-semibold')
        ui.label(str(text)).classes('text-grey-8')
        feedback = Feedback(marker=f'{marker}-error')
        actions(box, action, lambda: submit(box, feedback, act, done, then=then), f'{marker}-confirm', negative=True)
    box.open()


def confirm_delete(name: str, consequence: str, marker: str, delete: Callable[[], None],
                   done: Callable[[], None] | None = None) -> None:
    """Ask "Delete {name}?" with what follows from it; `delete()` does it through the workflow, and the page says
    "{name} deleted."."""
    def act() -> str:
        delete()
        return _('{name} deleted.', name=name)

    confirm(_('Delete {name}?', name=name), consequence, _('Delete'), marker, act, done)


def actions(box: ui.dialog, label: str, on_click: Callable, marker: str, *, negative: bool = False) -> None:
    """The dialog's button row: Cancel, and the action."""
    with ui.row().classes('w-full justify-end'):
        ui.button(_('Cancel'), on_click=box.close).props('flat no-caps')
        ui.button(str(label), on_click=on_click).props('unelevated no-caps' + (' color=negative' if negative else '')) \
            .mark(marker)


def submit(box: ui.dialog, feedback: Feedback, act: Callable[[], str], done: Callable[[], None] | None = None, *,
           then: Callable[[str], None] | None = None) -> None:
    """Run a dialog's action: a DomainError shows next to its field and the dialog stays open; otherwise
    the dialog closes, the message `act()` returned is shown, and `done()` refreshes what changed."""
    feedback.clear()
    try:
        message = str(act())
    except DomainError as error:
        feedback.show(error)
        return
    box.close()
    if then is None:
        ui.notify(message, type='positive')
    else:
        then(message)
    if done is not None:
        done()
    refresh_header()
