"""Log in, log out, the one-time setup page, the 403 page, the profile and the password change."""
from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import run, ui

import session
from components import passkeys as passkey_ui
from components.api_tokens import api_tokens_card
from components.forms import Feedback, go
from components.frame import forbidden_content, frame
from domain import i18n
from domain.errors import DomainError
from domain.i18n import _, ngettext
from api import sso as sso_routes
from workflows import accounts, languages, sso, tokens


@ui.page('/login')
async def login_page(next: str = '') -> RedirectResponse | None:  # noqa: A002 - the query parameter's name
    if session.current_user() is not None:
        return RedirectResponse(session.safe_next(next), status_code=303)
    providers = await run.io_bound(sso.enabled_providers)
    with frame(_('Log in')):
        with ui.card().classes('w-96 p-6 gap-3').mark('login-card'):
            email = ui.input(_('Email')).props('outlined autocomplete=username').classes('w-full').mark('login-email')
            password = ui.input(_('Password'), password=True, password_toggle_button=True) \
                .props('outlined autocomplete=current-password').classes('w-full').mark('login-password')
            feedback = Feedback({}, marker='login-error')

            async def submit() -> None:
                feedback.clear()
                company = await run.io_bound(sso.provider_for_email, email.value or '')
                if company is not None:  # the organisation signs its people in through its own provider
                    ui.navigate.to(sso_routes.start_url(company.id, next))
                    return
                client_key = ui.context.client.request.client.host if ui.context.client.request.client else ''
                try:
                    user = await session.sign_in(email.value, password.value, client_key)
                except DomainError as error:
                    feedback.show(error)
                    return
                session.start_or_ask_second_factor(user, next)

            password.on('keydown.enter', submit)
            ui.button(_('Log in'), on_click=submit).props('unelevated no-caps').classes('w-full').mark('login-submit')
            passkey_ui.load_script()
            passkey_ui.sign_in_button(next, feedback)
            provider_buttons(providers, next)
            with ui.row().classes('w-full justify-between text-sm'):
                ui.link(_('Forgot Password?'), '/auth/forgot').mark('forgot-link')
                ui.link(_('Register'), '/register').mark('register-link')


def provider_buttons(providers, next_path: str = '') -> None:
    """"Continue with <name>" for each enabled identity provider (Log in and Register)."""
    if not providers:
        return
    with ui.row().classes('w-full items-center gap-2 no-wrap text-grey-7 text-sm'):
        ui.separator().classes('col')
        ui.label(_('or'))
        ui.separator().classes('col')
    for provider in providers:
        ui.button(_('Continue with {name}', name=provider.name), icon='login') \
            .props(f'outline no-caps href="{sso_routes.start_url(provider.id, next_path)}"').classes('w-full') \
            .mark(f'sso-{provider.id}')


@ui.page('/logout')
def logout_page() -> RedirectResponse:
    session.sign_out()
    return RedirectResponse('/login', status_code=303)


@ui.page('/forbidden')
def forbidden_page() -> None:
    ui.status_code(403)
    with frame(_('Access denied'), session.current_user()):
        forbidden_content()


@ui.page('/setup')
def setup_page(token: str = '') -> None:
    with frame(_('Set up the portal')):
        try:
            tokens.peek(tokens.SETUP, token)
        except DomainError as error:
            ui.label(str(error)).classes('text-negative').mark('setup-invalid')
            ui.link(_('Log in'), '/login')
            return
        ui.label(_('Create the first portal administrator.')).classes('text-grey-8')
        with ui.card().classes('w-96 p-6 gap-3'):
            first = ui.input(_('First name')).props('outlined').classes('w-full').mark('setup-first')
            last = ui.input(_('Last name')).props('outlined').classes('w-full').mark('setup-last')
            email = ui.input(_('Email')).props('outlined').classes('w-full').mark('setup-email')
            password = ui.input(_('Password'), password=True).props('outlined').classes('w-full').mark('setup-password')
            confirm = ui.input(_('Confirm password'), password=True).props('outlined').classes('w-full') \
                .mark('setup-confirm')
            feedback = Feedback({'first_name': first, 'last_name': last, 'email': email,
                                 'password': password, 'confirm': confirm})

            async def submit() -> None:
                feedback.clear()
                try:
                    user = await run.io_bound(accounts.complete_setup, token, email.value, password.value, first.value,
                                              last.value, confirm.value or '')
                except DomainError as error:
                    feedback.show(error)
                    return
                session.start(user, '/admin')

            ui.button(_('Create administrator'), on_click=submit).props('unelevated no-caps').classes('w-full') \
                .mark('setup-submit')


@ui.page('/profile')
@session.login_required
def profile_page() -> None:
    me = session.current_user()
    with frame(_('Profile'), me):
        with ui.card().classes('w-full max-w-xl p-6 gap-3'):
            ui.label(_('Your name')).classes('text-lg')
            ui.label(me.email).classes('text-grey-8').mark('profile-email')
            first = ui.input(_('First name'), value=me.first_name).props('outlined').classes('w-full') \
                .mark('profile-first')
            last = ui.input(_('Last name'), value=me.last_name).props('outlined').classes('w-full').mark('profile-last')
            feedback = Feedback({'first_name': first, 'last_name': last})

            def save() -> None:
                feedback.clear()
                actor = session.current_user()
                try:
                    accounts.update_profile(actor, first.value, last.value, by=actor)
                except DomainError as error:
                    feedback.show(error)
                    return
                ui.notify(_('Your name was saved.'), type='positive')

            ui.button(_('Save'), on_click=save).props('unelevated no-caps').mark('profile-save')
        language_card(me)
        with ui.card().classes('w-full max-w-xl p-6 gap-2'):
            ui.label(_('Password')).classes('text-lg')
            ui.label(_('Changing it signs you out on every other device.')).classes('text-grey-8 text-sm')
            ui.button(_('Change password')).props(f'href="{session.CHANGE_PASSWORD_PATH}"') \
                .props('outline no-caps').mark('profile-change-password')
        with ui.card().classes('w-full max-w-xl p-6 gap-2'):
            ui.label(_('Sessions')).classes('text-lg')
            ui.label(_('Where you are signed in, and how; sign out a device you no longer use.')) \
                .classes('text-grey-8 text-sm')
            ui.button(_('See your sessions')).props('href="/profile/sessions" outline no-caps').mark('profile-sessions')
        if session.is_portal_admin(me):
            api_tokens_card(me)
        with ui.card().classes('w-full max-w-xl p-6 gap-2').mark('profile-security'):
            ui.label(_('Security')).classes('text-lg')
            ui.label(_('Two-step verification: an authenticator app, passkeys and recovery codes.')) \
                .classes('text-grey-8 text-sm')
            ui.button(_('Security settings')).props(f'href="{session.SECURITY_PATH}"').props('outline no-caps') \
                .mark('profile-security-link')


FOLLOW_BROWSER = ''  # the select's value for "Follow my browser" (the account keeps no language)


def language_card(me) -> None:
    """Profile -> Language (issue 28): one of the offered languages, by its own name, or the browser's."""
    offered = languages.offered()
    options = {FOLLOW_BROWSER: _('Follow my browser'), **{code: i18n.language_name(code) for code in offered}}
    chosen = me.locale if me.locale in offered else FOLLOW_BROWSER
    with ui.card().classes('w-full max-w-xl p-6 gap-3').mark('profile-language-card'):
        ui.label(_('Language')).classes('text-lg')
        ui.label(_('The language of the portal and of the emails it sends you.')).classes('text-grey-8 text-sm')
        language = ui.select(options, value=chosen, label=_('Language')).props('outlined').classes('w-full') \
            .mark('profile-language')
        feedback = Feedback({'language': language}, marker='profile-language-error')

        def save() -> None:
            feedback.clear()
            try:
                if language.value == FOLLOW_BROWSER:
                    session.follow_browser_language()
                else:
                    session.choose_language(language.value)
            except DomainError as error:
                feedback.show(error)

        ui.button(_('Save language'), on_click=save).props('unelevated no-caps').mark('profile-language-save')


@ui.page(session.CHANGE_PASSWORD_PATH)
@session.login_required
def change_password_page() -> None:
    me = session.current_user()
    with frame(_('Change password'), me):
        if me.must_change_password:
            ui.label(_('Please choose a new password before you continue.')).classes('text-deep-orange-10') \
                .mark('must-change-notice')
        with ui.card().classes('w-96 p-6 gap-3'):
            current = ui.input(_('Current password'), password=True).props('outlined').classes('w-full') \
                .mark('pw-current')
            new = ui.input(_('New password'), password=True).props('outlined').classes('w-full').mark('pw-new')
            confirm = ui.input(_('Confirm new password'), password=True).props('outlined').classes('w-full') \
                .mark('pw-confirm')
            feedback = Feedback({'current': current, 'password': new, 'confirm': confirm})

            async def submit() -> None:
                feedback.clear()
                actor = session.current_user()
                if actor is None:
                    ui.navigate.to('/login')
                    return
                try:
                    await run.io_bound(accounts.change_password, actor, current.value, new.value, confirm.value)
                except DomainError as error:
                    feedback.show(error)
                    return
                ended = session.end_other_sessions(actor)
                go('/dashboard', ngettext('Password changed. {count} other session(s) signed out.',
                                          'Password changed. {count} other session(s) signed out.', ended))

            ui.button(_('Change password'), on_click=submit).props('unelevated no-caps').classes('w-full') \
                .mark('pw-submit')
