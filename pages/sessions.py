"""Profile -> Sessions (issue 24): where you are signed in (the device, since when, last seen, how: password,
passkey, a provider), and signing out one of them or all of them. A session is a row (workflows/sessions.py), so
signing one out takes effect on its next request, also in a tab left open there."""
from __future__ import annotations

from nicegui import ui

import session
from components.dialogs import confirm
from components.frame import frame
from db.models import UserSession
from domain import i18n
from domain.i18n import _, ngettext
from workflows import sessions

PATH = '/profile/sessions'


def _when(value) -> str:
    return i18n.moment(value, style='short') if value else ''


@ui.page(PATH)
@session.login_required
def sessions_page() -> None:
    me = session.current_user()
    with frame(_('Sessions'), me):
        ui.label(_('Where you are signed in. Signing out a session ends it at once on that device; sign out '
                   'everywhere when a device is lost or you signed in on a computer that is not yours.')) \
            .classes('text-grey-8 max-w-3xl').mark('sessions-intro')

        @ui.refreshable
        def listing() -> None:
            actor = session.current_user()
            if actor is None:
                return
            rows = sessions.of(actor)
            token = session.current_token()
            others = [row for row in rows if not sessions.is_current(row, token)]
            with ui.card().classes('w-full max-w-3xl p-0 gap-0').mark('sessions-list'):
                for row in sorted(rows, key=lambda r: not sessions.is_current(r, token)):
                    _session_row(row, sessions.is_current(row, token))
                if not others:
                    ui.label(_('You are signed in in this browser only.')).classes('text-grey-8 p-4') \
                        .mark('sessions-only-this')
            with ui.row().classes('gap-2 mt-2'):
                ui.button(_('Sign out everywhere else'), icon='devices_other', on_click=session.guarded(ask_others)) \
                    .props('outline no-caps' + ('' if others else ' disable')).mark('sessions-end-others')
                ui.button(_('Sign out everywhere'), icon='logout', on_click=session.guarded(ask_all)) \
                    .props('outline no-caps color=negative').mark('sessions-end-all')

        def _session_row(row: UserSession, current: bool) -> None:
            device = sessions.device_of(row.user_agent)
            with ui.row().classes('w-full items-center justify-between no-wrap border-t first:border-t-0 px-4 py-3') \
                    .mark(f'session-{row.id}'):
                with ui.row().classes('items-center gap-3 no-wrap'):
                    ui.icon('computer' if 'Android' not in row.user_agent and 'iPhone' not in row.user_agent
                            else 'smartphone', size='sm').classes('text-grey-7')
                    with ui.column().classes('gap-0'):
                        with ui.row().classes('items-center gap-2'):
                            ui.label(device).classes('font-medium')
                            if current:
                                ui.badge(_('This browser'), color='green-8').mark('session-current')
                        detail = _('{method} · signed in {signed_in} · last active {active}',
                                   method=_(str(sessions.method_label(row.method))), signed_in=_when(row.created_at),
                                   active=_when(row.last_seen_at)) \
                            + (_(' · from {ip}', ip=row.ip) if row.ip else '')
                        ui.label(detail).classes('text-grey-8 text-sm')
                        if row.user_agent:
                            ui.label(row.user_agent).classes('text-grey-6 text-xs break-all')
                label = _('Sign out') if not current else _('Sign out here')
                end = ui.button(label, on_click=session.guarded(lambda r=row, c=current: ask_one(r, c))) \
                    .props('flat no-caps color=negative').classes('shrink-0 whitespace-nowrap') \
                    .mark(f'session-end-{row.id}')
                end.props['aria-label'] = f'{label}: {device}'

        def ask_one(row: UserSession, current: bool) -> None:
            if current:
                ui.navigate.to('/logout')
                return

            def act() -> str:
                actor = session.current_user()
                if actor is None or not sessions.end_one(actor, row.id):
                    return _('That session had already ended.')
                return _('Signed out: {device}.', device=sessions.device_of(row.user_agent))
            confirm(_('Sign out this session?'), _('{device}, last active {active}, is signed out at once.',
                                                   device=sessions.device_of(row.user_agent),
                                                   active=_when(row.last_seen_at)), _('Sign out'), 'end-session',
                    session.guarded(act), listing.refresh)

        def ask_others() -> None:
            def act() -> str:
                ended = sessions.sign_out_everywhere(session.current_user(), keep=session.current_token())
                return ngettext('{count} other session(s) signed out. You stay signed in here.',
                                '{count} other session(s) signed out. You stay signed in here.', ended)
            confirm(_('Sign out everywhere else?'), _('Every other device and browser is signed out at once; this '
                                                      'one stays signed in.'), _('Sign out others'), 'end-others',
                    session.guarded(act), listing.refresh)

        def ask_all() -> None:
            def act() -> str:
                ended = sessions.sign_out_everywhere(session.current_user())
                session.flash(ngettext('Signed out everywhere ({count} session(s)).',
                                       'Signed out everywhere ({count} session(s)).', ended), 'positive')
                return ''

            confirm(_('Sign out everywhere?'), _('Every session ends, this one too: you will log in again.'),
                    _('Sign out everywhere'), 'end-all', session.guarded(act), then=lambda _message: _gone())

        def _gone() -> None:
            session.sign_out()
            ui.navigate.to('/login')

        listing()
        ui.link(_('Back to your profile'), '/profile').classes('text-sm mt-2')
        # an open tab shows sessions as they are: a session signed out elsewhere goes away here too
        ui.timer(30, session.guarded(listing.refresh))
