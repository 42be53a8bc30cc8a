"""Dashboard -> Users: an organisation's members, and the registrations its super admins may decide."""
from __future__ import annotations

from nicegui import ui

import session
from components.frame import frame
from db.models import User
from workflows import DomainError, registration


@ui.page('/dashboard/users')
@session.login_required
def organisation_users_page() -> None:
    me = session.current_user()
    with frame('Users', me):
        pending_registrations(me)


def pending_registrations(me: User) -> None:
    pending = registration.pending_for(me)
    if not pending:
        return
    with ui.card().classes('w-full p-4 gap-2').mark('pending-registrations'):
        ui.label('Registrations waiting for your approval').classes('text-lg font-semibold')

        def decide(action, registrant_id: int, message: str) -> None:
            actor = session.current_user()
            try:
                action(registration.find_registrant(registrant_id, by=actor), by=actor)
            except DomainError as error:
                ui.notify(str(error), type='negative')
            else:
                ui.notify(message, type='positive')
            ui.navigate.reload()

        for registrant in pending:
            with ui.row().classes('w-full items-center justify-between border-t pt-2'):
                ui.label(f'{registrant.full_name} <{registrant.email}>')
                with ui.row().classes('gap-1'):
                    ui.button('Approve', on_click=lambda r=registrant: decide(
                        registration.approve, r.id, f'{r.email} approved.')) \
                        .props('flat dense no-caps color=positive').mark(f'approve-{registrant.email}')
                    ui.button('Reject', on_click=lambda r=registrant: decide(
                        registration.reject, r.id, f'{r.email} rejected.')) \
                        .props('flat dense no-caps color=negative').mark(f'reject-{registrant.email}')
