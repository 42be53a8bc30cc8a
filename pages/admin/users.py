"""API Consumers -> Users: search, status filter, Approve / Reject, Activate developer / Deactivate, Add new user."""
from __future__ import annotations

from nicegui import run, ui

import session
from components import dialogs, pickers
from components.chips import status_chip
from components.decisions import REGISTRATIONS, decision_buttons
from components.forms import Feedback, attempt
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable, status_filter, toolbar
from db.paging import page_of
from db.search import matches, within
from db.models import Organisation, Role, User, UserStatus
from domain.errors import DomainError
from domain import i18n
from domain.i18n import N_, _
from workflows import activation, registration, users

FILTERS = {'': N_('All'), **UserStatus.LABELS}


def fetch_users(search: str, status: str, offset: int, limit: int) -> tuple[list[User], int]:
    """Newest first; a search finds words that start a name, an address or the organization's name."""
    query = User.select(User.id)
    if status:
        query = query.where(User.status == status)
    if search:
        query = query.where(matches(User, search) | within(User.organisation, Organisation, search))
    return page_of(query, [(User.created_at, True), (User.id, True)],
                   User.select(User, Organisation).join(Organisation), offset, limit, searched=bool(search))


@admin_page('/admin/users')
def users_page(status: str = '') -> None:
    status = status if status in FILTERS else ''
    state = {'status': status}
    with admin_frame(_('Users')) as me:
        with toolbar(_('Add new user'), lambda: add_user_dialog(table), 'users-add', icon='person_add'):
            status_filter({key: _(str(label)) for key, label in FILTERS.items()}, state, lambda: table.refresh(), 'users-filter')

        def act(action, target: User, message: str) -> None:
            def run() -> str:
                actor = session.current_user()
                action(registration.find_registrant(target.id, by=actor), by=actor)
                return message
            attempt(run, table.refresh)

        def actions(user: User) -> None:
            with ui.row().classes('gap-1 no-wrap'):
                if user.status == UserStatus.PENDING_APPROVAL:
                    decision_buttons(REGISTRATIONS, user.id, approved=_('{name} approved.', name=user.email),
                                     rejected=_('{name} rejected.', name=user.email),
                                     question=_('Reject the registration of {email}?', email=user.email),
                                     marker='reject',
                                     buttons=(f'approve-{user.email}', f'reject-{user.email}'),
                                     done=lambda: table.refresh())
                elif user.status == UserStatus.INACTIVE:
                    ui.button(_('Activate developer'),
                              on_click=lambda u=user: act(activation.activate, u, _('{email} activated.', email=u.email))) \
                        .props('flat dense no-caps').mark(f'activate-{user.email}')
                elif user.status == UserStatus.ACTIVE and user.id != me.id:
                    ui.button(_('Deactivate'),
                              on_click=lambda u=user: act(activation.deactivate, u,
                                                          _('{email} deactivated.', email=u.email))) \
                        .props('flat dense no-caps color=grey-8').mark(f'deactivate-{user.email}')
                if user.status == UserStatus.INVITED:
                    with ui.button(_('More Options'), icon='expand_more').props('flat dense no-caps') \
                            .mark(f'more-{user.email}'):
                        with ui.menu():
                            ui.menu_item(_('Send invite'), on_click=lambda u=user: act(
                                users.send_invite, u, _('Invitation sent to {email}.', email=u.email))).mark(f'invite-{user.email}')

        def who(user: User) -> None:
            ui.label(user.full_name).classes('font-medium')
            ui.label(user.email).classes('text-xs text-grey-8')

        table = PagedTable([
            Column(_('User'), who, '1.6fr'),
            Column(_('Organization'), lambda u: ui.label(u.organisation.name), '1fr'),
            Column(_('Status'), lambda u: status_chip(u.status, _(str(UserStatus.LABELS[u.status]))), '9rem'),
            Column(_('Role'), lambda u: ui.label(_('Portal admin') if u.is_portal_admin else
                                                 (_('Super admin') if u.role == Role.SUPER_ADMIN else _('Developer'))),
                   '8rem'),
            Column(_('Registered'), lambda u: ui.label(i18n.day(u.created_at)), '7rem'),
            Column('', actions, '13rem'),
        ], lambda search, offset, limit: fetch_users(search, state['status'], offset, limit),
            empty=_('No users here. Developers who register appear in this list; use "Add new user" to add one.'),
            search_label=_('Search by name, email or organization'), marker='users')


def add_user_dialog(table: PagedTable) -> None:
    with dialogs.dialog() as dialog, ui.card().classes('w-[30rem]'):
        ui.label(_('Add user')).classes('text-lg font-semibold')
        with ui.row().classes('w-full no-wrap gap-3'):
            first = ui.input(_('First name')).props('outlined').classes('grow').mark('new-first')
            last = ui.input(_('Last name')).props('outlined').classes('grow').mark('new-last')
        email = ui.input(_('Email')).props('outlined').classes('w-full').mark('new-email')
        organisation = pickers.one_of(_('Organization'), pickers.organisations,
                                      pickers.organisations('', 1), 'new-organisation').classes('w-full')
        password = ui.input(_('Set password'), password=True).props('outlined autocomplete=new-password') \
            .classes('w-full').mark('new-password')
        must_change = ui.checkbox(_('User must change password at the next login')).mark('new-must-change')
        invite = ui.checkbox(_('Send invite (only without a password)')).mark('new-send-invite')
        feedback = Feedback({'first_name': first, 'last_name': last, 'email': email, 'organisation': organisation,
                             'password': password})

        async def save() -> None:
            feedback.clear()
            try:
                by, typed = session.current_user(), password.value or None  # read here: the hash runs in a thread
                user = await run.io_bound(
                    lambda: users.create_user(first.value, last.value, email.value, organisation.value, by=by,
                                              password=typed, must_change_password=must_change.value,
                                              send_invite=invite.value))
            except DomainError as error:
                feedback.show(error)
                return
            dialog.close()
            ui.notify(_('{email} added and invited.', email=user.email) if invite.value else
                      _('{email} added.', email=user.email), type='positive')
            table.show_new(user.id)
            table.refresh()

        dialogs.actions(dialog, _('Save'), save, 'new-save')
    dialog.open()
