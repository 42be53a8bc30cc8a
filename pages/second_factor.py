"""Log in, second step: after a right password, a code from the authenticator app, a recovery code or a passkey."""
from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import run, ui

import session
from components import passkeys as passkey_ui
from components.forms import Feedback, go
from components.frame import frame
from domain.errors import DomainError
from domain.i18n import _
from workflows import passkeys, second_factor, tokens


@ui.page(session.SECOND_FACTOR_PATH)
def second_factor_page() -> RedirectResponse | None:
    if session.current_user() is not None:
        return RedirectResponse('/dashboard', status_code=303)
    try:  # the pending token is in this browser's storage only: the address alone opens nothing
        user, _target = second_factor.pending(session.pending_second_factor())
    except DomainError:
        return RedirectResponse('/login', status_code=303)
    has_app = second_factor.totp_of(user) is not None
    has_passkey = bool(passkeys.of(user))
    passkey_ui.load_script()
    with frame(_('Two-step verification')):
        with ui.card().classes('w-96 p-6 gap-3').mark('second-factor-card'):
            ui.label(_('Your password was right. Now confirm it is you with your second factor.')) \
                .classes('text-grey-8')
            label = _('Code from your authenticator app') if has_app else _('Recovery code')
            code = ui.input(label).props('outlined autocomplete=one-time-code autofocus maxlength=64') \
                .classes('w-full').mark('second-factor-code')
            feedback = Feedback({'code': code}, marker='second-factor-error')

            def expired() -> None:
                go('/login', _('This sign-in took too long or was finished elsewhere. Please log in again.'), 'warning')

            async def attempt(step) -> None:
                """Run one way of proving the second factor; right: signed in, wrong: said next to the field."""
                feedback.clear()
                try:
                    user, target, method = await step()
                except tokens.InvalidToken:
                    expired()
                    return
                except DomainError as error:
                    feedback.show(error)
                    return
                session.finish_second_factor(user, target, method)

            async def with_code():
                return await run.io_bound(second_factor.sign_in_with_code, session.pending_second_factor(),
                                          code.value, passkey_ui.client_key())

            async def verify() -> None:
                await attempt(with_code)

            code.on('keydown.enter', verify)
            ui.button(_('Verify'), on_click=verify).props('unelevated no-caps').classes('w-full') \
                .mark('second-factor-submit')
            if has_app:
                ui.label(_('Lost your phone? Type one of your recovery codes instead.')).classes('text-grey-8 text-sm')

            async def with_passkey():
                pending = session.pending_second_factor()
                pending_user, _target = await run.io_bound(second_factor.pending, pending)
                raw, options = await run.io_bound(passkeys.begin_second_step, pending_user)
                credential = await passkey_ui.ask_browser('get', options)
                return await run.io_bound(passkeys.second_step, pending, raw, credential)

            async def use_passkey() -> None:
                await attempt(with_passkey)

            if has_passkey:
                with ui.row().classes('w-full items-center gap-2 no-wrap text-grey-7 text-sm'):
                    ui.separator().classes('col')
                    ui.label(_('or'))
                    ui.separator().classes('col')
                ui.button(_('Use a passkey'), icon='key', on_click=use_passkey).props('outline no-caps') \
                    .classes('w-full').mark('second-factor-passkey')
            ui.link(_('Log in as someone else'), '/login').classes('text-sm').mark('second-factor-restart')
    return None
