"""Email templates: every email the portal sends, its text editable with a preview and a reset, in each offered
language (issue 28)."""
from __future__ import annotations

from babel import Locale
from nicegui import ui

import session
from components import dialogs
from components.forms import Feedback, bounded
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable
from db.models import EmailTemplate
from domain import i18n
from domain.errors import DomainError
from domain.i18n import _
from mail import templates
from workflows import languages, mail_admin, settings


def _intro() -> str:
    return _('Each email is a subject and a body with ${placeholders} that are filled in when it is sent. '
             'Edit one to use your own words; "Reset to default" brings back the original. Each language has its '
             'own text: an email goes out in its recipient\'s language, with your version in that language, else '
             'the template shipped in that language, else the English one. Your English version does not replace '
             'a shipped German, French or Spanish template.')


def _description(key: str) -> str:
    description = templates.DESCRIPTIONS.get(key)
    return _(description) if description else ''


def language_label(code: str) -> str:
    """A language's name in the reader's language ('German', 'Deutsch', 'allemand')."""
    try:
        return Locale.parse(code).get_language_name(i18n.current()) or i18n.language_name(code)
    except (ValueError, TypeError):
        return i18n.language_name(code)


@admin_page('/admin/email-templates')
def email_templates_page() -> None:
    with admin_frame(_('Email templates'), intro=_intro()):
        offered = languages.offered()
        chosen = {'locale': offered[0]}
        customised: set[str] = set()

        def fetch(_search: str, offset: int, limit: int) -> tuple[list[str], int]:
            customised.clear()
            customised.update(row.key for row in EmailTemplate.select(EmailTemplate.key)
                              .where(EmailTemplate.locale == chosen['locale']))
            keys = templates.keys()
            return keys[offset:offset + limit], len(keys)

        def state(key: str) -> None:
            origin = templates.origin(key, chosen['locale'], key in customised)
            if origin == templates.EDITED:
                ui.chip(_('customised'), color='primary').props('dense outline square').classes('text-xs') \
                    .mark(f'template-customised-{key}')
            elif origin == templates.SHIPPED:
                ui.chip(_('default'), color='grey-8').props('dense outline square').classes('text-xs') \
                    .mark(f'template-default-{key}')
            else:
                ui.chip(_('English default'), color='orange-9').props('dense outline square').classes('text-xs') \
                    .mark(f'template-english-{key}')

        def choose(event) -> None:
            chosen['locale'] = event.value
            table.refresh()

        if len(offered) > 1:
            ui.select({code: i18n.language_name(code) for code in offered}, value=chosen['locale'],
                      label=_('Language'), on_change=choose).props('outlined dense').classes('w-48') \
                .mark('template-language')

        with ui.dialog() as dialog, ui.card().classes('gap-3').style('width: 62rem; max-width: 95vw') as editor:
            pass

        def edit(key: str) -> None:
            editor.clear()
            with editor:
                _editor(key, chosen['locale'], key in customised, dialog, table.refresh)
            dialog.open()

        table = PagedTable([
            Column(_('Template'), lambda key: ui.label(key).classes('font-mono text-sm'), '14rem'),
            Column(_('Sent when'), lambda key: ui.label(_description(key)), '1fr'),
            Column(_('Text'), state, '9rem'),
            Column('', lambda key: ui.button(_('Edit'), icon='edit', on_click=lambda k=key: edit(k))
                   .props('flat dense no-caps').mark(f'template-edit-{key}'), '6rem'),
        ], fetch, page_size=50, search_label=None, marker='templates')


def _origin_text(key: str, locale: str, is_customised: bool) -> str:
    language = language_label(locale)
    origin = templates.origin(key, locale, is_customised)
    if origin == templates.EDITED:
        return _('Your edited {language} version: {language} emails use it.', language=language)
    if origin == templates.SHIPPED:
        return _('The shipped {language} template: {language} emails use it until you save your own version.',
                 language=language)
    return _('No {language} template is shipped: {language} emails use the English one until you save a '
             '{language} version.', language=language)


def _editor(key: str, locale: str, is_customised: bool, dialog: ui.dialog, refresh) -> None:
    subject_text, body_text, _overridden = templates.effective(key, locale)
    default_subject, default_body = templates.default(key)
    names = sorted(templates.placeholders(default_subject + default_body) | {'portal_name'})
    context = {**templates.SAMPLE_CONTEXT, 'portal_name': settings.load()['portal_name']}
    ui.label(key).classes('text-lg font-semibold font-mono')
    ui.label(_description(key)).classes('text-grey-8 -mt-2')
    ui.label(_origin_text(key, locale, is_customised)).classes('text-sm').mark('template-origin')
    subject = ui.input(_('Subject'), value=subject_text).props('outlined dense').classes('w-full') \
        .mark('template-subject')
    body = bounded(ui.textarea(_('Body'), value=body_text).props('outlined autogrow')
                   .classes('w-full font-mono text-sm').mark('template-body'), mail_admin.MAX_BODY)
    with ui.row().classes('items-center gap-1').mark('template-placeholders'):
        ui.label(_('Placeholders:')).classes('text-sm text-grey-8 mr-1')
        for name in names:
            ui.chip('${' + name + '}').props('dense square').classes('text-xs font-mono')
    feedback = Feedback({'subject': subject, 'body': body}, marker='template-error')
    with ui.card().props('flat bordered').classes('w-full bg-grey-1 gap-1').mark('template-preview-area') as area:
        ui.label(_('Preview with sample values')).classes('text-xs uppercase text-grey-8')
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
            mail_admin.save_template(key, subject.value, body.value, by=session.current_user(), locale=locale)
        except DomainError as error:
            feedback.show(error)
            return
        ui.notify(_('Template saved.'), type='positive')
        dialog.close()
        refresh()

    def reset() -> None:
        def act() -> str:
            mail_admin.reset_template(key, by=session.current_user(), locale=locale)
            return _('Template reset to the default.')

        def done() -> None:
            dialog.close()
            refresh()

        dialogs.confirm(_('Reset {key} to the default?', key=key),
                        _('Your own subject and body of this email are deleted; the default text is sent from now '
                          'on.'), _('Reset'), 'template-reset', act, done)

    with ui.row().classes('w-full items-center gap-2'):
        ui.button(_('Preview'), icon='visibility', on_click=preview).props('outline no-caps').mark('template-preview')
        ui.button(_('Save'), icon='save', on_click=save).props('unelevated no-caps').mark('template-save')
        ui.space()
        ui.button(_('Reset to default'), icon='restart_alt', on_click=reset).props('flat no-caps color=negative') \
            .mark('template-reset').set_enabled(is_customised)
        ui.button(_('Close'), on_click=dialog.close).props('flat no-caps').mark('template-close')
