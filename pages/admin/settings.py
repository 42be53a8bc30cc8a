"""Settings: approval rules, delegation, the portal's name and addresses, and its languages (issue 28)."""
from __future__ import annotations

from typing import Any

from nicegui import ui

import session
from components.forms import ErrorNote, Feedback, reload_with
from components.frame import admin_frame, admin_page
from domain import i18n
from domain.errors import DomainError
from domain.i18n import N_, _
from workflows import languages, settings

SECTIONS = [
    (N_('API Consumer access'), ['auto_approve_users', 'delegate_user_management', 'require_email_verification',
                                 'enable_org_registration', 'auto_approve_orgs', 'org_admins_invite_codes']),
    (N_('Applications'), ['auto_approve_apps', 'delegate_app_management']),
    (N_('Sign-in'), ['require_admin_second_factor']),
    (N_('General'), ['portal_name', 'admin_email', 'base_url']),
    (N_('Email'), ['outbox_retention_days']),
]

HINTS = {
    'require_admin_second_factor': N_('A portal admin without an authenticator app or a passkey is sent to Profile -> '
                                      'Security to set one up, and reaches no other page until they did (one who '
                                      'signed in through an identity provider follows its own multi-factor policy).'),
    'portal_name': N_('Shown in the header, the browser tab and the emails. Admin -> Appearance sets the rest of the '
                      'brand: colours, logo, favicon and footer links.'),
    'admin_email': N_('Where approval notices go. Empty: the PORTICO_ADMIN_EMAIL variable is used.'),
    'base_url': N_('The address in email links, e.g. https://portal.example.com. Empty: PORTICO_BASE_URL is used.'),
    'outbox_retention_days': N_('Delivered emails older than this are deleted; queued and failed ones stay. '
                                'Empty: PORTICO_OUTBOX_RETENTION_DAYS is used (30 unless set).'),
}


@admin_page('/admin/settings')
def settings_page() -> None:
    saved = settings.load()
    inputs: dict[str, ui.element] = {}
    with admin_frame(_('Settings')):
        for title, keys in SECTIONS:
            with ui.card().classes('w-full max-w-3xl p-5 gap-2'):
                ui.label(_(title)).classes('text-lg font-semibold')
                for key in keys:
                    inputs[key] = _field(key, saved[key])
        # a switch shows no message of its own: its refusal goes above Save
        feedback = Feedback({key: element for key, element in inputs.items() if not isinstance(element, ui.switch)},
                            marker='settings-error')

        def save() -> None:
            feedback.clear()
            changes: dict[str, Any] = {key: element.value for key, element in inputs.items()
                                       if element.value != saved[key]}
            if not changes:
                ui.notify(_('Nothing changed.'))
                return
            try:
                settings.update(dict(changes), by=session.current_user())
            except DomainError as error:
                feedback.show(error)
                return
            saved.update(settings.load())
            ui.notify(_('Settings saved.'), type='positive')

        ui.button(_('Save'), icon='save', on_click=save).props('unelevated no-caps').mark('settings-save')
        _languages_card()


def _field(key: str, value: Any) -> ui.element:
    label = _(str(settings.LABELS[key]))
    if isinstance(settings.DEFAULTS[key], bool):
        switch = ui.switch(label, value=bool(value)).mark(f'setting-{key}')
        if key in HINTS:
            ui.label(_(HINTS[key])).classes('text-grey-8 text-sm -mt-2 q-ml-xl')
        return switch
    field = ui.input(label, value=value or '').props('outlined dense') \
        .classes('w-full').mark(f'setting-{key}')
    if key in HINTS:
        field.props['hint'] = _(HINTS[key])
    return field


class _Offered(ErrorNote):
    """The checkboxes of the offered languages; `error` shows a refusal under them (Feedback sets it)."""

    def __init__(self, offered: list[str], default: str) -> None:
        with ui.row().classes('gap-4').mark('languages-offered'):
            self.boxes = {code: ui.checkbox(name, value=code in offered).props(f'lang={code}')
                          .mark(f'language-offered-{code}') for code, name in i18n.LANGUAGES.items()}
        self.note_under('languages-offered-error')
        self.default_chosen(default)

    def default_chosen(self, default: str) -> None:
        """The default is always offered: its box is ticked and cannot be cleared."""
        for code, box in self.boxes.items():
            if code == default:
                box.value = True
                box.disable()
            else:
                box.enable()

    def codes(self) -> list[str]:
        return [code for code, box in self.boxes.items() if box.value]


def _languages_card() -> None:
    """Issue 28: the portal's default language and the ones readers may choose in the header and the profile."""
    with ui.card().classes('w-full max-w-3xl p-5 gap-2').mark('languages'):
        ui.label(_('Languages')).classes('text-lg font-semibold')
        ui.label(_('Visitors get the first offered language their browser asks for, else the default; everyone may '
                   'choose another offered one in the header. Emails go out in the recipient\'s language.')) \
            .classes('text-grey-8 text-sm')
        default = ui.select(dict(i18n.LANGUAGES), value=languages.default_language(),
                            label=_('Default language')).props('outlined dense').classes('w-64') \
            .mark('languages-default')
        ui.label(_('Offered languages')).classes('font-medium')
        offered = _Offered(languages.offered(), default.value)
        default.on_value_change(lambda event: offered.default_chosen(event.value))
        feedback = Feedback({'default_language': default, 'offered_languages': offered}, marker='languages-error')

        def save() -> None:
            feedback.clear()
            try:
                languages.save(default.value, offered.codes(), by=session.current_user())
            except DomainError as error:
                feedback.show(error)
                return
            reload_with(_('Languages saved.'))  # the header's language menu lists the offered ones from now on

        ui.button(_('Save languages'), icon='translate', on_click=save).props('outline no-caps') \
            .mark('languages-save')
