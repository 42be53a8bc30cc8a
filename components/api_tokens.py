"""The Profile page's "API tokens" card for portal admins (issue 16): create (shown once), list, revoke."""
from __future__ import annotations

from nicegui import ui

import session
from components.dialogs import confirm, dialog
from components.forms import Feedback
from db.models import User
from domain import i18n
from domain.errors import DomainError
from domain.i18n import N_, _
from workflows import api_tokens

EXPIRY_CHOICES = {'': N_('Never'), '7': N_('7 days'), '30': N_('30 days'), '90': N_('90 days'), '365': N_('1 year')}


def _when(value) -> str:
    return i18n.moment(value, style='short') if value else _('never')


def api_tokens_card(me: User) -> None:
    with ui.card().classes('w-full max-w-xl p-6 gap-2').mark('api-tokens'):
        ui.label(_('API tokens')).classes('text-lg')
        ui.label(_('Personal tokens for the admin REST API (/api/v1). A token acts as you, with the rights '
                   'you choose; it is shown once.')).classes('text-grey-8 text-sm')

        @ui.refreshable
        def token_list() -> None:
            actor = session.current_user()
            tokens = api_tokens.tokens_of(actor) if actor else []
            if not tokens:
                ui.label(_('No tokens yet.')).classes('text-grey-8 text-sm')
            for token in tokens:
                usable = api_tokens.is_usable(token)
                with ui.row().classes('w-full items-center justify-between border-b py-1').mark('api-token-row'):
                    with ui.column().classes('gap-0'):
                        ui.label(f'{token.name} ({token.token_prefix}…)').classes('font-medium')
                        state = (_('read-only') if token.read_only else _('read-write')) + \
                            ('' if usable else (' · ' + (_('revoked') if token.revoked_at else _('expired'))))
                        ui.label(_('{state} · expires {expires} · last used {used}', state=state,
                                   expires=_when(token.expires_at), used=_when(token.last_used_at))) \
                            .classes('text-grey-8 text-sm')
                    if token.revoked_at is None:
                        revoke = ui.button(_('Revoke'), on_click=lambda t=token: ask_revoke(t)) \
                            .props('flat no-caps color=negative')
                        revoke.props['aria-label'] = _('Revoke {name}', name=token.name)

        def ask_revoke(token) -> None:
            def act() -> str:
                api_tokens.revoke(token.id, by=session.current_user())
                return _('The token {name} was revoked.', name=token.name)
            confirm(_('Revoke this token?'), _('{name} stops working at once.', name=token.name), _('Revoke'),
                    'revoke-token', act, token_list.refresh)

        token_list()
        with ui.row().classes('items-center gap-4'):
            ui.button(_('Create token'), on_click=lambda: open_create()).props('outline no-caps').mark('create-token')
            ui.link(_('Open the API reference'), '/admin/api-reference', new_tab=True).mark('api-reference-link')

        def open_create() -> None:
            with dialog() as box, ui.card().classes('w-[28rem]'):
                ui.label(_('Create an API token')).classes('font-semibold')
                name = ui.input(_('Token name')).props('outlined maxlength=100').classes('w-full')
                expires = ui.select({key: _(label) for key, label in EXPIRY_CHOICES.items()}, value='',
                                    label=_('Expires after')).props('outlined').classes('w-full')
                writes = ui.checkbox(_('Read-write (may change data; otherwise read-only)'))
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
                    ui.button(_('Cancel'), on_click=box.close).props('flat no-caps')
                    ui.button(_('Create'), on_click=create).props('unelevated no-caps')
            box.open()

        def show_once(raw: str) -> None:
            with dialog() as box, ui.card().classes('w-[32rem]'):
                ui.label(_('Your new token')).classes('font-semibold')
                ui.label(_('Copy it now: it is not shown again.')).classes('text-deep-orange-10')
                ui.input(_('Token'), value=raw).props('outlined readonly').classes('w-full font-mono').mark('new-token')
                with ui.row().classes('w-full justify-end'):
                    ui.button(_('Done'), on_click=box.close).props('unelevated no-caps')
            box.open()
