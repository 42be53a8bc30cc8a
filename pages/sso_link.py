"""Link a company sign-in to an account that exists (issue 24; rules in workflows/sso_link.py): a first sign-in
through an identity provider whose address is an existing account's lands here, and the account's password,
typed once, links the two."""
from __future__ import annotations

from nicegui import run, ui

import session
from api import sso as sso_routes
from components.forms import Feedback
from components.frame import frame
from domain.errors import DomainError
from domain.i18n import _
from workflows import sessions, sso_link


@ui.page(sso_routes.LINK_PATH)
async def link_page(token: str = '') -> None:
    request = ui.context.client.request
    secret = request.cookies.get(sso_routes.COOKIE, '') if request else ''  # what this browser got at the callback
    client_key = request.client.host if request and request.client else ''
    with frame(_('Link your sign-in'), session.current_user()):
        try:
            offer = await run.io_bound(sso_link.offer, token, secret)
        except DomainError as error:
            ui.label(str(error)).classes('text-negative').mark('sso-link-invalid')
            ui.link(_('Log in'), '/login')
            return
        with ui.card().classes('w-[30rem] max-w-full p-6 gap-3').mark('sso-link-card'):
            ui.label(_('An account with {email} exists. Enter its password once to link {provider}.',
                       email=offer.email, provider=offer.provider_name)).mark('sso-link-question')
            ui.label(_('From then on, "Continue with {provider}" signs you in to this account.',
                       provider=offer.provider_name)).classes('text-grey-8 text-sm')
            password = ui.input(_('Password'), password=True, password_toggle_button=True) \
                .props('outlined autocomplete=current-password').classes('w-full').mark('sso-link-password')
            code = None
            if offer.needs_code:
                code = ui.input(_('Code from your authenticator app, or a recovery code')) \
                    .props('outlined autocomplete=one-time-code').classes('w-full').mark('sso-link-code')
            feedback = Feedback({'password': password, **({'code': code} if code else {})}, marker='sso-link-error')

            async def submit() -> None:
                feedback.clear()
                try:
                    finished = await run.io_bound(sso_link.link, token, secret, password.value or '', client_key,
                                                 (code.value or '') if code else '')
                    ticket = await run.io_bound(sessions.issue_ticket, finished.user, finished.method,
                                                provider_id=finished.provider.id, provider_sid=finished.sid)
                except DomainError as error:
                    feedback.show(error)
                    return
                ui.navigate.to(session.ticket_url(ticket, finished.next))

            password.on('keydown.enter', submit)
            ui.button(_('Link {provider} and log in', provider=offer.provider_name), on_click=submit).props('unelevated no-caps') \
                .classes('w-full').mark('sso-link-submit')
            ui.link(_('Not you? Log in another way'), '/login').classes('text-sm')
