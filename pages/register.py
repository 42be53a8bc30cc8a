"""Register (Create an Account), the verification link, Forgot Password?, Reset, and accepting an invite."""
from __future__ import annotations

import secrets

from nicegui import app, run, ui

import session
from components.forms import Feedback
from components.frame import frame
from domain import i18n
from domain.errors import DomainError
from domain.i18n import _
from pages.auth import provider_buttons
from workflows import passwords, password_reset, registration, settings, sso, tokens, users


def _client_key() -> str:
    request = ui.context.client.request
    return request.client.host if request and request.client else ''


def _password_inputs(prefix: str) -> tuple[ui.input, ui.input]:
    password = ui.input(_('Password'), password=True, password_toggle_button=True) \
        .props('outlined autocomplete=new-password').classes('w-full').mark(f'{prefix}-password')
    password.props['hint'] = _('At least {count} characters', count=passwords.MIN_LENGTH)
    confirm = ui.input(_('Confirm password'), password=True).props('outlined autocomplete=new-password') \
        .classes('w-full').mark(f'{prefix}-confirm')
    return password, confirm


def _outcome_card(outcome: str, email: str) -> None:
    with ui.card().classes('w-[32rem] p-6 gap-3').mark(f'outcome-{outcome}'):
        if outcome == registration.Outcome.VERIFY_EMAIL:
            ui.icon('mark_email_unread', color='primary').classes('text-4xl')
            ui.label(_('Check your inbox')).classes('text-lg font-semibold')
            ui.label(_('We sent a link to {email}. Open it to confirm your address and finish the registration.',
                       email=email))
        elif outcome == registration.Outcome.ACTIVE:
            ui.icon('check_circle', color='positive').classes('text-4xl')
            ui.label(_('Your account is active')).classes('text-lg font-semibold')
            ui.label(_('You can log in straight away.'))
            ui.button(_('Log in')).props('unelevated no-caps href="/login"') \
                .mark('outcome-login')
        elif outcome == registration.Outcome.CODE_WITHDRAWN:
            ui.icon('hourglass_top', color='orange').classes('text-4xl')
            ui.label(_('Waiting for approval')).classes('text-lg font-semibold')
            ui.label(_('Your email address is confirmed. The invite code you registered with has been withdrawn '
                       'since, so an administrator must approve your registration; we will email you as soon as '
                       'that happens.'))
        else:
            ui.icon('hourglass_top', color='orange').classes('text-4xl')
            ui.label(_('Waiting for approval')).classes('text-lg font-semibold')
            ui.label(_('Your email address is confirmed. An administrator must approve your registration; '
                       'we will email you as soon as that happens.'))


@ui.page('/register')
async def register_page(code: str = '') -> None:
    me = session.current_user()
    providers = await run.io_bound(sso.enabled_providers)
    with frame(_('Create an Account'), me):
        area = ui.column().classes('w-full items-start')
        with area, ui.card().classes('w-[32rem] p-6 gap-3').mark('register-card'):
            with ui.row().classes('w-full no-wrap gap-3'):
                first = ui.input(_('First name')).props('outlined autocomplete=given-name').classes('grow') \
                    .mark('register-first')
                last = ui.input(_('Last name')).props('outlined autocomplete=family-name').classes('grow') \
                    .mark('register-last')
            email = ui.input(_('Email')).props('outlined autocomplete=email').classes('w-full').mark('register-email')
            password, confirm = _password_inputs('register')
            fields = {'first_name': first, 'last_name': last, 'email': email, 'password': password,
                      'confirm': confirm}
            # issue 15: filled from the link /register?code=...; checked (and throttled) only on submit
            invite = ui.input(_('Invite code'), value=code[:200]) \
                .props('outlined autocomplete=off').classes('w-full').mark('register-invite-code')
            invite.props['hint'] = _('Optional: from an invitation link')
            fields['invite_code'] = invite
            organisations = [] if code else registration.organisations_to_join()
            if organisations:
                choice = ui.select({0: _('None: I am an individual developer'),
                                    **{org.id: org.name for org in organisations}}, value=0,
                                   label=_('Organization to join (optional)')).props('outlined') \
                    .classes('w-full').mark('register-organisation')
                ui.label(_('Joining an organization needs the approval of its administrators.')) \
                    .classes('text-xs text-grey-8')
                fields['organisation'] = choice
            else:
                choice = None
            feedback = Feedback(fields, marker='register-error')

            async def submit() -> None:
                feedback.clear()
                # this browser keeps a random proof; only it is signed in when the address is confirmed
                proof = app.storage.user.setdefault(REGISTRATION_PROOF, secrets.token_urlsafe(32))
                locale = i18n.current()  # the account and its emails in the language the form was read in
                try:
                    address, outcome = await run.io_bound(
                        registration.register, first.value, last.value, email.value, password.value or '',
                        confirm.value or '', choice.value if choice else None, client=_client_key(),
                        invite_code=invite.value or '', browser_proof=proof, locale=locale)
                except DomainError as error:
                    feedback.show(error)
                    return
                area.clear()
                with area:
                    _outcome_card(outcome, address)

            ui.button(_('Register to developer portal'), on_click=submit).props('unelevated no-caps') \
                .classes('w-full').mark('register-submit')
            provider_buttons(providers)  # an account made by the company's identity provider needs no form
            with ui.row().classes('text-sm gap-1'):
                ui.label(_('Have an account?'))
                ui.link(_('Log in'), '/login')


AFTER_VERIFICATION = '/catalogs'  # a new developer's next step: find an API
REGISTRATION_PROOF = 'registration_proof'  # in this browser's server-side storage (app.storage.user)


@ui.page('/auth/verify')
def verify_page(token: str = '') -> None:
    # a button, not the GET itself, uses the link: mail scanners that prefetch links must not verify
    with frame(_('Confirm your email'), session.current_user()):
        area = ui.column().classes('w-full items-start')
        try:
            address = tokens.peek(tokens.VERIFY, token).user.email
        except DomainError as error:
            with area:
                ui.label(str(error)).classes('text-negative').mark('verify-invalid')
                ui.link(_('Register'), '/register')
            return

        def confirm() -> None:
            # an account that is active now is signed in, as on Log in (a one-time ticket traded for a new
            # session and storage id); one waiting for an approval is not; nor is anyone while this browser
            # is signed in as somebody else
            someone = session.current_user()
            area.clear()
            with area:
                try:
                    if someone is None:
                        user, outcome, ticket = registration.verify_email_and_sign_in(
                            token, app.storage.user.get(REGISTRATION_PROOF, ''))
                    else:
                        (user, outcome), ticket = registration.verify_email(token), None
                except DomainError as error:
                    ui.label(str(error)).classes('text-negative').mark('verify-invalid')
                    return
                if ticket is not None:
                    ui.label(_('Your email address is confirmed; signing you in…')).mark('verify-signing-in')
                    ui.navigate.to(session.ticket_url(ticket, AFTER_VERIFICATION))
                    return
                _outcome_card(outcome, user.email)

        with area, ui.card().classes('w-[32rem] p-6 gap-3'):
            ui.label(_('One more step: confirm that this email address is yours.'))
            ui.label(address).classes('font-semibold').mark('verify-address')
            ui.button(_('Confirm my email address'), on_click=confirm).props('unelevated no-caps') \
                .mark('verify-confirm')


@ui.page('/auth/forgot')
def forgot_page() -> None:
    with frame(_('Forgot Password?'), session.current_user()):
        with ui.card().classes('w-96 p-6 gap-3') as card:
            ui.label(_('Enter the email address of your account and we will send you a link to choose a new '
                       'password.')).classes('text-grey-8')
            email = ui.input(_('Email')).props('outlined autocomplete=email').classes('w-full').mark('forgot-email')
            feedback = Feedback({'email': email})

            def submit() -> None:
                feedback.clear()
                try:
                    answer = password_reset.request_reset(email.value, _client_key())
                except DomainError as error:
                    feedback.show(error)
                    return
                card.clear()
                with card:
                    ui.icon('mark_email_read', color='primary').classes('text-4xl')
                    ui.label(str(answer)).mark('forgot-answer')
                    ui.link(_('Back to Log in'), '/login')

            ui.button(_('Reset'), on_click=submit).props('unelevated no-caps').classes('w-full').mark('forgot-submit')


@ui.page('/auth/reset/code')
def reset_page(token: str = '') -> None:
    with frame(_('Reset your password'), session.current_user()):
        try:
            tokens.peek(tokens.RESET, token)
        except DomainError as error:
            ui.label(str(error)).classes('text-negative').mark('reset-invalid')
            ui.link(_('Ask for a new link'), '/auth/forgot')
            return
        with ui.card().classes('w-96 p-6 gap-3') as card:
            password, confirm = _password_inputs('reset')
            feedback = Feedback({'password': password, 'confirm': confirm})

            async def submit() -> None:
                feedback.clear()
                try:
                    await run.io_bound(password_reset.reset_password, token, password.value, confirm.value or '')
                except DomainError as error:
                    feedback.show(error)
                    return
                session.sign_out()
                card.clear()
                with card:
                    ui.icon('check_circle', color='positive').classes('text-4xl')
                    ui.label(_('Your password was reset.')).mark('reset-done')
                    ui.button(_('Login again')).props('unelevated no-caps href="/login"').mark('reset-login-again')

            ui.button(_('Reset'), on_click=submit).props('unelevated no-caps').classes('w-full').mark('reset-submit')


@ui.page('/auth/invite')
def invite_page(token: str = '') -> None:
    with frame(_('Accept your invitation'), session.current_user()):
        try:
            invited = users.invitation(token)
        except DomainError as error:
            ui.label(str(error)).classes('text-negative').mark('invite-invalid')
            return
        org = invited.organisation
        if not org.is_default:
            ui.label(_('You are invited to join {organization} on {portal}.', organization=org.name,
                       portal=settings.get('portal_name'))) \
                .classes('text-grey-8').mark('invite-organisation')
        with ui.card().classes('w-[32rem] p-6 gap-3'):
            ui.input(_('Email'), value=invited.email).props('outlined readonly').classes('w-full').mark('invite-email')
            with ui.row().classes('w-full no-wrap gap-3'):
                first = ui.input(_('First name'), value=invited.first_name).props('outlined').classes('grow') \
                    .mark('invite-first')
                last = ui.input(_('Last name'), value=invited.last_name).props('outlined').classes('grow') \
                    .mark('invite-last')
            password, confirm = _password_inputs('invite')
            feedback = Feedback({'first_name': first, 'last_name': last, 'password': password, 'confirm': confirm})

            async def submit() -> None:
                feedback.clear()
                try:
                    user = await run.io_bound(users.accept_invite, token, first.value, last.value, password.value,
                                              confirm.value or '')
                except DomainError as error:
                    feedback.show(error)
                    return
                session.start(user, '/dashboard')

            ui.button(_('Create my account'), on_click=submit).props('unelevated no-caps').classes('w-full') \
                .mark('invite-submit')
