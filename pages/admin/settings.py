"""Settings: approval rules, delegation and the portal's name and addresses."""
from __future__ import annotations

from typing import Any

from nicegui import ui

import session
from components.forms import Feedback
from components.frame import admin_frame, admin_page
from domain.errors import DomainError
from workflows import settings

SECTIONS = [
    ('API Consumer access', ['auto_approve_users', 'delegate_user_management', 'require_email_verification',
                             'enable_org_registration', 'auto_approve_orgs', 'org_admins_invite_codes']),
    ('Applications', ['auto_approve_apps', 'delegate_app_management']),
    ('Sign-in', ['require_admin_second_factor']),
    ('General', ['portal_name', 'admin_email', 'base_url']),
    ('Email', ['outbox_retention_days']),
]

HINTS = {
    'require_admin_second_factor': 'A portal admin without an authenticator app or a passkey is sent to Profile -> '
                                   'Security to set one up, and reaches no other page until they did (one who signed '
                                   'in through an identity provider follows its own multi-factor policy).',
    'portal_name': 'Shown in the header, the browser tab and the emails. Admin -> Appearance sets the rest of the '
                   'brand: colours, logo, favicon and footer links.',
    'admin_email': 'Where approval notices go. Empty: the PORTICO_ADMIN_EMAIL variable is used.',
    'base_url': 'The address in email links, e.g. https://portal.example.com. Empty: PORTICO_BASE_URL is used.',
    'outbox_retention_days': 'Delivered emails older than this are deleted; queued and failed ones stay. '
                             'Empty: PORTICO_OUTBOX_RETENTION_DAYS is used (30 unless set).',
}


@admin_page('/admin/settings')
def settings_page() -> None:
    saved = settings.load()
    inputs: dict[str, ui.element] = {}
    with admin_frame('Settings'):
        for title, keys in SECTIONS:
            with ui.card().classes('w-full max-w-3xl p-5 gap-2'):
                ui.label(title).classes('text-lg font-semibold')
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
                ui.notify('Nothing changed.')
                return
            try:
                settings.update(dict(changes), by=session.current_user())
            except DomainError as error:
                feedback.show(error)
                return
            saved.update(settings.load())
            ui.notify('Settings saved.', type='positive')

        ui.button('Save', icon='save', on_click=save).props('unelevated no-caps').mark('settings-save')


def _field(key: str, value: Any) -> ui.element:
    if isinstance(settings.DEFAULTS[key], bool):
        switch = ui.switch(settings.LABELS[key], value=bool(value)).mark(f'setting-{key}')
        if key in HINTS:
            ui.label(HINTS[key]).classes('text-grey-8 text-sm -mt-2 q-ml-xl')
        return switch
    field = ui.input(settings.LABELS[key], value=value or '').props('outlined dense') \
        .classes('w-full').mark(f'setting-{key}')
    if key in HINTS:
        field.props['hint'] = HINTS[key]
    return field
