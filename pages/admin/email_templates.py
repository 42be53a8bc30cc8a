"""Email templates: every email the portal sends, its text editable with a preview and a reset."""
from __future__ import annotations

from nicegui import ui

import session
from components import dialogs
from components.forms import Feedback, bounded
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable
from db.models import EmailTemplate
from mail import templates
from domain.errors import DomainError
from workflows import mail_admin, settings


INTRO = ('Each email is a subject and a body with ${placeholders} that are filled in when it is sent. '
         'Edit one to use your own words; "Reset to default" brings back the original.')


@admin_page('/admin/email-templates')
def email_templates_page() -> None:
    with admin_frame('Email templates', intro=INTRO):
        customised: set[str] = set()

        def fetch(_search: str, offset: int, limit: int) -> tuple[list[str], int]:
            customised.clear()
            customised.update(row.key for row in EmailTemplate.select(EmailTemplate.key))
            keys = templates.keys()
            return keys[offset:offset + limit], len(keys)

        def state(key: str) -> None:
            if key in customised:
                ui.chip('customised', color='primary').props('dense outline square').classes('text-xs') \
                    .mark(f'template-customised-{key}')
            else:
                ui.chip('default', color='grey-8').props('dense outline square').classes('text-xs') \
                    .mark(f'template-default-{key}')

        with ui.dialog() as dialog, ui.card().classes('gap-3').style('width: 62rem; max-width: 95vw') as editor:
            pass

        def edit(key: str) -> None:
            editor.clear()
            with editor:
                _editor(key, key in customised, dialog, table.refresh)
            dialog.open()

        table = PagedTable([
            Column('Template', lambda key: ui.label(key).classes('font-mono text-sm'), '14rem'),
            Column('Sent when', lambda key: ui.label(templates.DESCRIPTIONS.get(key, '')), '1fr'),
            Column('Text', state, '8rem'),
            Column('', lambda key: ui.button('Edit', icon='edit', on_click=lambda k=key: edit(k))
                   .props('flat dense no-caps').mark(f'template-edit-{key}'), '6rem'),
        ], fetch, page_size=50, search_label=None, marker='templates')


def _editor(key: str, is_customised: bool, dialog: ui.dialog, refresh) -> None:
    subject_text, body_text, _ = templates.effective(key)
    default_subject, default_body = templates.default(key)
    names = sorted(templates.placeholders(default_subject + default_body) | {'portal_name'})
    context = {**templates.SAMPLE_CONTEXT, 'portal_name': settings.load()['portal_name']}
    ui.label(key).classes('text-lg font-semibold font-mono')
    ui.label(templates.DESCRIPTIONS.get(key, '')).classes('text-grey-8 -mt-2')
    subject = ui.input('Subject', value=subject_text).props('outlined dense').classes('w-full') \
        .mark('template-subject')
    body = bounded(ui.textarea('Body', value=body_text).props('outlined autogrow')
                   .classes('w-full font-mono text-sm').mark('template-body'), mail_admin.MAX_BODY)
    with ui.row().classes('items-center gap-1').mark('template-placeholders'):
        ui.label('Placeholders:').classes('text-sm text-grey-8 mr-1')
        for name in names:
            ui.chip('${' + name + '}').props('dense square').classes('text-xs font-mono')
    feedback = Feedback({'subject': subject, 'body': body}, marker='template-error')
    with ui.card().props('flat bordered').classes('w-full bg-grey-1 gap-1').mark('template-preview-area') as area:
        ui.label('Preview with sample values').classes('text-xs uppercase text-grey-8')
        preview_subject = ui.label('').classes('font-semibold')
        preview_body = ui.label('').classes('whitespace-pre-wrap text-sm')
    area.set_visibility(False)

    def preview() -> None:
        preview_subject.set_text(templates.substitute(subject.value or '', context))
        preview_body.set_text(templates.substitute(body.value or '', context))
        area.set_visibility(True)

    def save() -> None:
        feedback.clear()
        try:
            mail_admin.save_template(key, subject.value, body.value, by=session.current_user())
        except DomainError as error:
            feedback.show(error)
            return
        ui.notify('Template saved.', type='positive')
        dialog.close()
        refresh()

    def reset() -> None:
        def act() -> str:
            mail_admin.reset_template(key, by=session.current_user())
            return 'Template reset to the default.'

        def done() -> None:
            dialog.close()
            refresh()

        dialogs.confirm(f'Reset {key} to the default?', 'Your own subject and body of this email are deleted; the '
                        'default text is sent from now on.', 'Reset', 'template-reset', act, done)

    with ui.row().classes('w-full items-center gap-2'):
        ui.button('Preview', icon='visibility', on_click=preview).props('outline no-caps').mark('template-preview')
        ui.button('Save', icon='save', on_click=save).props('unelevated no-caps').mark('template-save')
        ui.space()
        ui.button('Reset to default', icon='restart_alt', on_click=reset).props('flat no-caps color=negative') \
            .mark('template-reset').set_enabled(is_customised)
        ui.button('Close', on_click=dialog.close).props('flat no-caps').mark('template-close')
