"""Profile -> Security: the authenticator app, recovery codes and passkeys of the signed-in account (issue 24)."""
from __future__ import annotations

from nicegui import run, ui

import session
from components import passkeys as passkey_ui
from components.dialogs import actions, confirm, dialog
from components.forms import Feedback
from components.frame import frame
from db.models import User
from domain import i18n
from domain.errors import DomainError
from domain.i18n import _, ngettext
from workflows import passkeys, second_factor


def _when(value) -> str:
    return i18n.moment(value, style='short') if value else _('never')


@ui.page(session.SECURITY_PATH)
@session.login_required
def security_page() -> None:
    me = session.current_user()
    passkey_ui.load_script()
    with frame(_('Security'), me):
        if second_factor.missing(me):
            with ui.card().classes('w-full max-w-xl p-4 bg-orange-1').mark('second-factor-required'):
                ui.label(_('Set up a second factor to continue: this portal requires one of portal administrators. '
                           'Add an authenticator app or a passkey below.')).classes('text-deep-orange-10')

        @ui.refreshable
        def cards() -> None:
            actor = session.current_user()
            if actor is None:
                return
            _app_card(actor, cards.refresh)
            _passkeys_card(actor, cards.refresh)
            _recovery_card(actor, cards.refresh)

        cards()


def _app_card(me: User, refresh) -> None:
    factor = second_factor.totp_of(me)
    with ui.card().classes('w-full max-w-xl p-6 gap-2').mark('totp-card'):
        ui.label(_('Authenticator app')).classes('text-lg')
        if factor is None:
            ui.label(_('Not set up. An app such as Aegis, Google Authenticator or 1Password shows a new 6-digit code '
                       'every 30 seconds, which you type after your password.')).classes('text-grey-8 text-sm')
            ui.button(_('Set up the authenticator app'), on_click=lambda: _enrol(refresh)) \
                .props('outline no-caps').mark('totp-setup')
        else:
            ui.label(_('On since {when}.', when=_when(factor.confirmed_at))).classes('text-grey-8 text-sm') \
                .mark('totp-on')
            ui.button(_('Remove the authenticator app'), on_click=lambda: _remove_app(refresh)) \
                .props('flat no-caps color=negative').mark('totp-remove')


def _enrol(refresh) -> None:
    actor = session.current_user()
    try:
        enrolment = second_factor.start_enrolment(actor)
    except DomainError as error:
        ui.notify(str(error), type='negative')
        return
    with dialog() as box, ui.card().classes('w-[32rem] gap-3'):
        ui.label(_('Set up the authenticator app')).classes('font-semibold')
        ui.label(_('1. In the app, add an account and type this key (or open the link on the device that has '
                   'the app):')).classes('text-grey-8')
        ui.label(enrolment.grouped).classes('font-mono text-lg').mark('totp-secret')
        ui.link(_('Open in an authenticator app'), enrolment.uri(actor.email)).classes('text-sm').mark('totp-uri')
        ui.label(_('2. Type the 6-digit code the app shows:')).classes('text-grey-8')
        code = ui.input(_('Code from the app')).props('outlined autocomplete=one-time-code maxlength=12') \
            .classes('w-full').mark('totp-confirm-code')
        feedback = Feedback({'code': code}, marker='totp-confirm-error')

        async def turn_on() -> None:
            feedback.clear()
            try:
                codes = await run.io_bound(second_factor.confirm_enrolment, session.current_user(), code.value,
                                           passkey_ui.client_key())
            except DomainError as error:
                feedback.show(error)
                return
            box.close()
            ui.notify(_('The authenticator app is on: you will be asked for a code after your password.'),
                      type='positive')
            refresh()
            _show_codes(codes)

        code.on('keydown.enter', turn_on)
        actions(box, _('Turn on'), turn_on, 'totp-confirm')
    box.open()


def _remove_app(refresh) -> None:
    with dialog() as box, ui.card().classes('w-[28rem] gap-3'):
        ui.label(_('Remove the authenticator app?')).classes('font-semibold')
        ui.label(_('You will no longer be asked for its codes. Confirm with your password or a current code.')) \
            .classes('text-grey-8')
        proof = ui.input(_('Password or current code'), password=True).props('outlined').classes('w-full') \
            .mark('totp-remove-proof')
        feedback = Feedback({'proof': proof}, marker='totp-remove-error')

        async def remove() -> None:
            feedback.clear()
            try:
                await run.io_bound(second_factor.remove_totp, session.current_user(), proof.value,
                                   passkey_ui.client_key())
            except DomainError as error:
                feedback.show(error)
                return
            box.close()
            ui.notify(_('The authenticator app was removed.'), type='positive')
            refresh()

        actions(box, _('Remove'), remove, 'totp-remove-confirm', negative=True)
    box.open()


def _recovery_card(me: User, refresh) -> None:
    with ui.card().classes('w-full max-w-xl p-6 gap-2').mark('recovery-card'):
        ui.label(_('Recovery codes')).classes('text-lg')
        if not second_factor.has_any(me):
            ui.label(_('Recovery codes come with your first second factor: each lets you in once if you lose your '
                       'phone or passkey.')).classes('text-grey-8 text-sm')
            return
        left = second_factor.recovery_codes_left(me)
        ui.label(ngettext('{count} of {total} recovery codes left.', '{count} of {total} recovery codes left.', left,
                          total=i18n.number(second_factor.RECOVERY_CODES)) if left else
                 _('No recovery codes left: create new ones, or a lost device locks you out.')) \
            .classes('text-grey-8 text-sm').mark('recovery-left')

        def renew() -> str:
            _show_codes(second_factor.renew_recovery_codes(session.current_user()))
            return _('New recovery codes created; the old ones no longer work.')

        ui.button(_('New recovery codes'), on_click=lambda: confirm(
            _('Create new recovery codes?'), _('The codes you have now stop working.'), _('Create'), 'recovery-renew',
            renew, refresh)).props('outline no-caps').mark('recovery-renew')


def _show_codes(codes: list[str]) -> None:
    with dialog() as box, ui.card().classes('w-[28rem] gap-3'):
        ui.label(_('Your recovery codes')).classes('font-semibold')
        ui.label(_('Each code lets you in once if you lose your authenticator app or passkey. Keep them somewhere '
                   'safe: they are not shown again.')).classes('text-deep-orange-10')
        with ui.grid(columns=2).classes('font-mono gap-2').mark('recovery-codes'):
            for code in codes:
                ui.label(code)
        with ui.row().classes('w-full justify-end'):
            ui.button(_('Copy'), icon='content_copy', on_click=lambda: (ui.clipboard.write('\n'.join(codes)),
                                                                      ui.notify(_('Copied.')))).props('flat no-caps')
            ui.button(_('I have saved them'), on_click=box.close).props('unelevated no-caps').mark('recovery-saved')
    box.open()


def _passkeys_card(me: User, refresh) -> None:
    keys = passkeys.of(me)
    with ui.card().classes('w-full max-w-xl p-6 gap-2').mark('passkeys-card'):
        ui.label(_('Passkeys')).classes('text-lg')
        if not keys:
            ui.label(_('No passkeys yet. Add one to sign in with this device\'s screen lock or a security key, '
                       'without a password; after a password it counts as the second factor too.')) \
                .classes('text-grey-8 text-sm').mark('passkeys-empty')
        for key in keys:
            with ui.row().classes('w-full items-center justify-between border-t py-1').mark('passkey-row'):
                with ui.column().classes('gap-0'):
                    ui.label(key.name).classes('font-medium')
                    ui.label(_('added {added} · last used {used}', added=_when(key.created_at),
                               used=_when(key.last_used_at))).classes('text-grey-8 text-sm')
                with ui.row().classes('gap-1'):
                    rename = ui.button(_('Rename'), on_click=lambda k=key: _rename(k.id, k.name, refresh)) \
                        .props('flat no-caps')
                    rename.props['aria-label'] = _('Rename {name}', name=key.name)
                    remove = ui.button(_('Remove'), on_click=lambda k=key: _remove_passkey(k.id, k.name, refresh)) \
                        .props('flat no-caps color=negative')
                    remove.props['aria-label'] = _('Remove {name}', name=key.name)
        ui.button(_('Add a passkey'), icon='key', on_click=lambda: _add_passkey(refresh)) \
            .props('outline no-caps').mark('passkey-add')


def _add_passkey(refresh) -> None:
    with dialog() as box, ui.card().classes('w-[28rem] gap-3'):
        ui.label(_('Add a passkey')).classes('font-semibold')
        ui.label(_('Your browser asks you to confirm with the device\'s screen lock or a security key.')) \
            .classes('text-grey-8')
        name = ui.input(_('Passkey name'), value=_('Passkey')).props('outlined maxlength=100').classes('w-full') \
            .mark('passkey-name')
        feedback = Feedback({'name': name}, marker='passkey-add-error')

        async def create() -> None:
            feedback.clear()
            actor = session.current_user()
            try:
                passkeys.clean_name(name.value)  # a bad name is refused before the browser asks anything
                raw, options = await run.io_bound(passkeys.begin_registration, actor)
                credential = await passkey_ui.ask_browser('create', options)
                _passkey, codes = await run.io_bound(passkeys.finish_registration, actor, raw, credential, name.value)
            except DomainError as error:
                feedback.show(error)
                return
            box.close()
            ui.notify(_('Passkey {name} added.', name=name.value.strip()), type='positive')
            refresh()
            if codes:
                _show_codes(codes)

        actions(box, _('Create'), create, 'passkey-create')
    box.open()


def _rename(passkey_id: int, current: str, refresh) -> None:
    with dialog() as box, ui.card().classes('w-[28rem] gap-3'):
        ui.label(_('Rename the passkey')).classes('font-semibold')
        name = ui.input(_('Passkey name'), value=current).props('outlined maxlength=100').classes('w-full')
        feedback = Feedback({'name': name}, marker='passkey-rename-error')

        def save() -> None:
            feedback.clear()
            try:
                passkeys.rename(session.current_user(), passkey_id, name.value)
            except DomainError as error:
                feedback.show(error)
                return
            box.close()
            ui.notify(_('The passkey was renamed.'), type='positive')
            refresh()

        actions(box, _('Save'), save, 'passkey-rename')
    box.open()


def _remove_passkey(passkey_id: int, name: str, refresh) -> None:
    def act() -> str:
        return _('The passkey {name} was removed.', name=passkeys.remove(session.current_user(), passkey_id))
    confirm(_('Remove the passkey {name}?', name=name), _('It can no longer sign you in.'), _('Remove'),
            'passkey-remove', act, refresh)
