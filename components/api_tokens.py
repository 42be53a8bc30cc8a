"""The Profile page's "API tokens" card for portal admins (issue 16): create (shown once), list, revoke."""
from __future__ import annotations

from nicegui import ui

import session
from components.dialogs import confirm, dialog
from components.forms import Feedback
from db.models import User
from domain.errors import DomainError
from workflows import api_tokens

EXPIRY_CHOICES = {'': 'Never', '7': '7 days', '30': '30 days', '90': '90 days', '365': '1 year'}


def _when(value) -> str:
    return value.strftime('%Y-%m-%d %H:%M UTC') if value else 'never'


def api_tokens_card(me: User) -> None:
    with ui.card().classes('w-full max-w-xl p-6 gap-2').mark('api-tokens'):
        ui.label('API tokens').classes('text-lg')
        ui.label('Personal tokens for the admin REST API (/api/v1). A token acts as you, with the rights '
                 'you choose; it is shown once.').classes('text-grey-8 text-sm')

        @ui.refreshable
        def token_list() -> None:
            actor = session.current_user()
            tokens = api_tokens.tokens_of(actor) if actor else []
            if not tokens:
                ui.label('No tokens yet.').classes('text-grey-8 text-sm')
            for token in tokens:
                usable = api_tokens.is_usable(token)
                with ui.row().classes('w-full items-center justify-between border-b py-1').mark('api-token-row'):
                    with ui.column().classes('gap-0'):
                        ui.label(f'{token.name} ({token.token_prefix}…)').classes('font-medium')
                        state = ('read-only' if token.read_only else 'read-write') + \
                            ('' if usable else (' · revoked' if token.revoked_at else ' · expired'))
                        ui.label(f'{state} · expires {_when(token.expires_at)} · last used {_when(token.last_used_at)}') \
                            .classes('text-grey-8 text-sm')
                    if token.revoked_at is None:
                        ui.button('Revoke', on_click=lambda t=token: ask_revoke(t)) \
                            .props(f'flat no-caps color=negative aria-label="Revoke {token.name}"')

        def ask_revoke(token) -> None:
            def act() -> str:
                api_tokens.revoke(token.id, by=session.current_user())
                return f'The token {token.name} was revoked.'
            confirm('Revoke this token?', f'{token.name} stops working at once.', 'Revoke', 'revoke-token', act,
                    token_list.refresh)

        token_list()
        with ui.row().classes('items-center gap-4'):
            ui.button('Create token', on_click=lambda: open_create()).props('outline no-caps').mark('create-token')
            ui.link('Open the API reference', '/admin/api-reference', new_tab=True).mark('api-reference-link')

        def open_create() -> None:
            with dialog() as box, ui.card().classes('w-[28rem]'):
                ui.label('Create an API token').classes('font-semibold')
                name = ui.input('Token name').props('outlined maxlength=100').classes('w-full')
                expires = ui.select(EXPIRY_CHOICES, value='', label='Expires after').props('outlined').classes('w-full')
                writes = ui.checkbox('Read-write (may change data; otherwise read-only)')
                feedback = Feedback({'name': name, 'expires': expires})

                def create() -> None:
                    feedback.clear()
                    try:
                        _token, raw = api_tokens.create(session.current_user(), name.value,
                                                        read_only=not writes.value,
                                                        expires_in_days=expires.value or None)
                    except DomainError as error:
                        feedback.show(error)
                        return
                    box.close()
                    token_list.refresh()
                    show_once(raw)

                with ui.row().classes('w-full justify-end'):
                    ui.button('Cancel', on_click=box.close).props('flat no-caps')
                    ui.button('Create', on_click=create).props('unelevated no-caps')
            box.open()

        def show_once(raw: str) -> None:
            with dialog() as box, ui.card().classes('w-[32rem]'):
                ui.label('Your new token').classes('font-semibold')
                ui.label('Copy it now: it is not shown again.').classes('text-deep-orange-10')
                ui.input('Token', value=raw).props('outlined readonly').classes('w-full font-mono').mark('new-token')
                with ui.row().classes('w-full justify-end'):
                    ui.button('Done', on_click=box.close).props('unelevated no-caps')
            box.open()
