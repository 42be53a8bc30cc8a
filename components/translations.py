"""The Translations dialog of what admins write (issue 28, item 4): one language at a time, each field beside the
text as written; a field left empty shows the text as written to readers of that language."""
from __future__ import annotations

from nicegui import run, ui

import session

from components.dialogs import dialog
from components.forms import Feedback, notify
from domain import i18n
from domain.errors import DomainError
from domain.i18n import _
from workflows import content_translations, languages

MULTILINE = {'description', 'body'}


def labels() -> dict[str, str]:
    return {'name': _('Name'), 'summary': _('Summary'), 'description': _('Description (Markdown)'),
            'title': _('Title'), 'body': _('Text (Markdown)')}


def button(kind: str, target, *, marker: str) -> ui.button:
    """A Translations button opening the dialog for `target` (a product, page or guide)."""
    return ui.button(_('Translations'), icon='translate',
                     on_click=lambda: open_dialog(kind, target.id, marker=marker)) \
        .props('flat no-caps').mark(f'{marker}-translations')


def open_dialog(kind: str, object_id: int, *, marker: str) -> None:
    try:
        written = content_translations.written(kind, object_id)
    except DomainError as error:
        notify(str(error), 'negative')
        return
    stored = content_translations.of(kind, object_id)
    choices = [code for code in content_translations.languages_to_translate() if code != languages.default_language()]
    names = {code: i18n.language_name(code) for code in choices}
    first = next((code for code in choices if code in languages.offered()), choices[0])
    shown_labels = labels()
    with dialog() as box, ui.card().classes('w-[44rem] max-w-full gap-3'):
        ui.label(_('Translations')).classes('text-lg font-semibold')
        ui.label(_('Readers of a language see its translation; a field left empty shows the text as written.')) \
            .classes('text-grey-8 text-sm')
        language = ui.select(names, value=first, label=_('Language')).props('outlined').classes('w-60') \
            .mark(f'{marker}-translation-language')
        inputs: dict[str, ui.input | ui.textarea] = {}
        for field, text in written.items():
            label = shown_labels.get(field, field)
            if field in MULTILINE:
                inputs[field] = ui.textarea(label).props('outlined autogrow').classes('w-full')
            else:
                inputs[field] = ui.input(label).props('outlined').classes('w-full')
            inputs[field].mark(f'{marker}-translation-{field}')
            preview = text if len(text) <= 160 else text[:160] + '…'
            ui.label(_('As written: {text}', text=preview or '—')).classes('text-xs text-grey-8 -mt-2')
        feedback = Feedback(inputs, marker=f'{marker}-translation-error')

        def fill(code: str) -> None:
            feedback.clear()
            for field, element in inputs.items():
                element.value = stored.get(code, {}).get(field, '')

        language.on_value_change(lambda event: fill(event.value))
        fill(first)

        async def save() -> None:
            feedback.clear()
            code = language.value
            values = {field: element.value or '' for field, element in inputs.items()}
            try:
                # who saves is read now: an admin demoted while the dialog stayed open is refused
                saved = await run.io_bound(content_translations.save, kind, object_id, code, values,
                                           session.current_user())
            except DomainError as error:
                feedback.show(error)
                return
            stored[code] = saved
            notify(_('The {language} translation was saved.', language=names[code]))

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Close'), on_click=box.close).props('flat no-caps')
            ui.button(_('Save'), on_click=save).props('unelevated no-caps').mark(f'{marker}-translation-save')
    box.open()
