"""Invite codes (issue 15): the list with search, Add (the code shown in full at once, with Copy), Edit,
Deactivate/Activate, Copy code and Copy link. Used by Admin -> Invite codes (every code) and by an
organisation's super admins on their Users page (their organisation's codes, when the setting allows)."""
from __future__ import annotations

from datetime import timedelta

from nicegui import ui

import session
from components import dialogs
from components.chips import status_chip
from components.forms import Feedback, attempt
from components.tables import Column, PagedTable
from db import clock
from db.models import InviteCode, InviteCodeState, User
from domain import i18n
from domain.errors import DomainError
from domain.i18n import _
from workflows import invite_codes

DEFAULT_DAYS = 30


def code_table(marker: str = 'codes') -> PagedTable:
    """The codes the signed-in user may manage, with an "Add invite code" button above them."""
    holder: dict[str, PagedTable] = {}
    ui.button(_('Add invite code'), icon='confirmation_number', on_click=lambda: add_dialog(holder['table'])) \
        .props('unelevated no-caps').mark(f'{marker}-add')

    def actions(code: InviteCode) -> None:
        with ui.row().classes('gap-1'):
            ui.button(_('Copy code'), on_click=lambda c=code: _copy(c, link=False)) \
                .props('flat dense no-caps').mark(f'code-copy-{code.id}')
            ui.button(_('Copy link'), on_click=lambda c=code: _copy(c, link=True)) \
                .props('flat dense no-caps').mark(f'code-link-{code.id}')
            ui.button(_('Edit'), on_click=lambda c=code: edit_dialog(c, holder['table'])) \
                .props('flat dense no-caps').mark(f'code-edit-{code.id}')
            if code.state == InviteCodeState.ACTIVE:
                ui.button(_('Deactivate'), on_click=lambda c=code: _deactivate(c, holder['table'])) \
                    .props('flat dense no-caps color=negative').mark(f'code-deactivate-{code.id}')
            else:
                ui.button(_('Activate'), on_click=lambda c=code: _activate(c, holder['table'])) \
                    .props('flat dense no-caps').mark(f'code-activate-{code.id}')

    viewer_id = session.current_user().id  # the fetch runs in a worker thread, outside the session

    table = PagedTable([
        Column(_('Code'), _code_cell, '1fr'),
        Column(_('Team'), lambda c: ui.label(f'{c.team.organisation.name} · {c.team.name}'), '1.2fr'),
        Column(_('Used'), lambda c: ui.label(_('{used} of {quota}', used=i18n.number(c.used),
                                                 quota=i18n.number(c.quota))).mark(f'code-used-{c.id}'), '5.5rem'),
        Column(_('Remaining'), lambda c: ui.label(i18n.number(c.remaining)).mark(f'code-remaining-{c.id}'), '5.5rem'),
        # as the expiry field takes it (YYYY-MM-DD), in every language
        Column(_('Expires'), lambda c: ui.label(f'{invite_codes.expiry_day(c):%Y-%m-%d}'), '6.5rem'),
        Column(_('State'), _state_cell, '6.5rem'),
        Column('', actions, '17rem'),
    ], lambda search, offset, limit: invite_codes.listing(User.get_by_id(viewer_id), search, offset, limit),
        empty=_('No invite codes yet. Add one and share its link: whoever registers with it joins the team '
                'without an approval.'), search_label=_('Search by note, team or organization'),
        marker=marker)
    holder['table'] = table
    return table


def _code_cell(code: InviteCode) -> None:
    with ui.column().classes('gap-0'):
        ui.label(f'{code.code_prefix}…').classes('font-mono text-sm')
        if code.note:
            ui.label(code.note).classes('text-xs text-grey-8')


def _state_cell(code: InviteCode) -> None:
    if code.state != InviteCodeState.ACTIVE:
        status_chip('inactive', _('Inactive'))
    elif invite_codes.is_expired(code):
        status_chip('rejected', _('Expired'))
    elif code.remaining == 0:
        status_chip('revoked', _('Used up'))
    else:
        status_chip('active', _('Active'))


def _copy(code: InviteCode, *, link: bool) -> None:
    try:
        raw = invite_codes.reveal(code, session.current_user())
    except DomainError as error:
        ui.notify(str(error), type='negative')
        return
    ui.clipboard.write(invite_codes.link(raw) if link else raw)
    ui.notify(_('Registration link copied.') if link else _('Invite code copied.'), type='positive')


def _fields(code: InviteCode | None) -> dict[str, ui.element]:
    default_day = (clock.now() + timedelta(days=DEFAULT_DAYS)).date()
    quota = ui.number(_('Quota (most users who may use it)'), value=code.quota if code else 10, min=1,
                      max=invite_codes.QUOTA_MAX, precision=0, format='%d') \
        .props('outlined').classes('w-full').mark('code-quota')
    expires = ui.input(_('Expiry date'), value=str(invite_codes.expiry_day(code) if code else default_day)) \
        .props('outlined').classes('w-full').mark('code-expires')
    expires.props['hint'] = _('YYYY-MM-DD: the code works until the end of that day (UTC)')
    with expires.add_slot('append'):  # a calendar beside the field; typing the date works as well
        with ui.button(icon='edit_calendar').props('flat round dense') \
                .props(f'aria-label="{_("Choose the expiry date")}"').mark('code-expires-calendar'):
            with ui.menu() as calendar:
                ui.date(mask='YYYY-MM-DD', on_change=lambda: calendar.close()).bind_value(expires)
    state = ui.select({key: _(label) for key, label in InviteCodeState.LABELS.items()},
                      value=code.state if code else InviteCodeState.ACTIVE, label=_('State')) \
        .props('outlined').classes('w-full').mark('code-state')
    note = ui.input(_('Note'), value=code.note if code else '') \
        .props(f'outlined maxlength={invite_codes.NOTE_MAX + 1}').classes('w-full').mark('code-note')
    note.props['hint'] = _('Who it is for, e.g. Hackathon 2030')
    return {'quota': quota, 'expires_on': expires, 'state': state, 'note': note}


def _number(value) -> str:
    return '' if value is None else str(int(value)) if float(value).is_integer() else str(value)


def add_dialog(table: PagedTable) -> None:
    teams = invite_codes.teams_for(session.current_user())
    with dialogs.dialog() as dialog, ui.card().classes('w-[30rem]') as card:
        ui.label(_('Add invite code')).classes('font-semibold')
        team = ui.select(teams, value=next(iter(teams), None), label=_('Team (fixes the organization)')) \
            .props('outlined').classes('w-full').mark('code-team')
        fields = {'team': team, **_fields(None)}
        feedback = Feedback(fields, marker='code-error')

        def save() -> None:
            feedback.clear()
            try:
                code, raw = invite_codes.create(team.value, _number(fields['quota'].value), fields['expires_on'].value,
                                                fields['state'].value, fields['note'].value,
                                                by=session.current_user())
            except DomainError as error:
                feedback.show(error)
                return
            table.show_new(code.id)
            table.refresh()
            card.clear()
            with card:
                _show_once(dialog, raw)

        dialogs.actions(dialog, _('Save'), save, 'code-save')
    dialog.open()


def _show_once(dialog: ui.dialog, raw: str) -> None:
    """The new code in full, with its link: copy them now (the list has Copy code and Copy link later)."""
    ui.label(_('Invite code created')).classes('font-semibold').mark('code-created')
    ui.label(_('Share the link (or the code) with the people who should join. Anyone who has it can register '
               'into the team until the quota is used or the code expires.')).classes('text-grey-8 text-sm')
    _copy_row(_('Invite code'), raw, _('Copy code'), 'content_copy', _('Invite code copied.'), 'code-plain',
              classes='grow font-mono')
    _copy_row(_('Registration link'), invite_codes.link(raw), _('Copy link'), 'link', _('Registration link copied.'),
              'code-link')
    with ui.row().classes('w-full justify-end'):
        ui.button(_('Done'), on_click=dialog.close).props('unelevated no-caps').mark('code-done')


def _copy_row(label: str, value: str, button: str, icon: str, copied: str, marker: str, *,
              classes: str = 'grow') -> None:
    """A read-only field and its Copy button (marked `marker` and `marker`-copy)."""
    with ui.row().classes('w-full items-center no-wrap gap-1'):
        ui.input(label, value=value).props('outlined readonly dense').classes(classes).mark(marker)
        ui.button(button, icon=icon, on_click=lambda: (ui.clipboard.write(value), ui.notify(copied, type='positive'))) \
            .props('flat dense no-caps').mark(f'{marker}-copy')


def edit_dialog(code: InviteCode, table: PagedTable) -> None:
    with dialogs.dialog() as dialog, ui.card().classes('w-[30rem]'):
        ui.label(_('Edit invite code {prefix}…', prefix=code.code_prefix)).classes('font-semibold')
        ui.label(_('Team: {organization} · {team} · used {used} of {quota}', organization=code.team.organisation.name,
                   team=code.team.name, used=i18n.number(code.used), quota=i18n.number(code.quota))) \
            .classes('text-grey-8 text-sm')
        fields = _fields(code)
        feedback = Feedback(fields, marker='code-error')

        def save() -> None:
            def act() -> str:
                saved = invite_codes.edit(code.id, _number(fields['quota'].value), fields['expires_on'].value,
                                          fields['state'].value, fields['note'].value, by=session.current_user())
                table.show_new(saved.id)
                return _('Invite code saved.')

            dialogs.submit(dialog, feedback, act, table.refresh)

        dialogs.actions(dialog, _('Save'), save, 'code-edit-save')
    dialog.open()


def _deactivate(code: InviteCode, table: PagedTable) -> None:
    def act() -> str:
        invite_codes.deactivate(code.id, by=session.current_user())
        return _('Invite code deactivated.')

    dialogs.confirm(_('Deactivate this invite code?'), _('Nobody can register with it any more (until you activate it '
                    'again). Accounts made with it stay.'), _('Deactivate'), 'code-deactivate', act, table.refresh)


def _activate(code: InviteCode, table: PagedTable) -> None:
    def act() -> str:
        invite_codes.activate(code.id, by=session.current_user())
        return _('Invite code activated.')

    attempt(act, table.refresh)
