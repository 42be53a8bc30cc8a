"""API Consumers -> Organizations: pending requests with Approve / Reject, Add, edit, members, delete."""
from __future__ import annotations

import peewee as pw
from nicegui import ui

import session
from components import dialogs
from components.chips import status_chip
from components.decisions import ORGANISATIONS, decision_buttons
from components.forms import Feedback
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable, status_filter, toolbar
from db.paging import page_of
from db.search import matches
from db.models import Organisation, OrgStatus, User, UserStatus
from domain import i18n
from domain.i18n import N_, _
from workflows import organisations, teammates

FILTERS = {'': N_('All'), OrgStatus.PENDING: N_('Pending'), OrgStatus.ACTIVE: N_('Active'),
           OrgStatus.REJECTED: N_('Rejected')}


def fetch(search: str, status: str, offset: int, limit: int) -> tuple[list, int]:
    query = Organisation.select(Organisation.id)
    if status:
        query = query.where(Organisation.status == status)
    if search:
        query = query.where(matches(Organisation, search))
    order = [(Organisation.status != OrgStatus.PENDING, False), (Organisation.is_default, True),
             (Organisation.name, False), (Organisation.id, False)]
    members = User.select(pw.fn.COUNT(User.id)).where(User.organisation == Organisation.id)  # of this page only
    return page_of(query, order, Organisation.select(Organisation, members.alias('member_count')), offset, limit,
                   searched=bool(search))


@admin_page('/admin/organizations')
def organisations_page(status: str = '') -> None:
    state = {'status': status if status in FILTERS else ''}
    with admin_frame(_('Organizations')):
        with toolbar(_('Add'), lambda: edit_dialog(None, table), 'orgs-add'):
            status_filter({key: _(label) for key, label in FILTERS.items()}, state, lambda: table.refresh(), 'orgs-filter')

        def actions(org: Organisation) -> None:
            with ui.row().classes('gap-1 no-wrap'):
                if org.status == OrgStatus.PENDING:
                    decision_buttons(ORGANISATIONS, org.id, approved=_('{name} approved.', name=org.name),
                                     rejected=_('{name} rejected.', name=org.name),
                                     question=_('Reject the organization {name}?', name=org.name),
                                     marker='org-reject', buttons=(f'approve-org-{org.name}', f'reject-org-{org.name}'),
                                     done=lambda: table.refresh())
                elif org.status == OrgStatus.ACTIVE:
                    ui.button(_('Members'), on_click=lambda o=org: members_dialog(o)) \
                        .props('flat dense no-caps').mark(f'members-org-{org.name}')
                    ui.button(_('Edit'), on_click=lambda o=org: edit_dialog(o, table)) \
                        .props('flat dense no-caps').mark(f'edit-org-{org.name}')
                    if not org.is_default:
                        ui.button(_('Delete'), on_click=lambda o=org: confirm_delete(o, table)) \
                            .props('flat dense no-caps color=negative').mark(f'delete-org-{org.name}')

        def name_cell(org: Organisation) -> None:
            ui.label(_('{name} (default)', name=org.name) if org.is_default else org.name).classes('font-medium')
            if org.contact_email:
                ui.label(org.contact_email).classes('text-xs text-grey-8')

        table = PagedTable([
            Column(_('Name'), name_cell, '1.6fr'),
            Column(_('Status'), lambda o: status_chip(o.status), '7rem'),
            Column(_('Members'), lambda o: ui.label(i18n.number(o.member_count)), '6rem'),
            Column(_('Created'), lambda o: ui.label(i18n.day(o.created_at)), '7rem'),
            Column('', actions, '15rem'),
        ], lambda search, offset, limit: fetch(search, state['status'], offset, limit),
            empty=_('No organizations here. Use "Add" to create one, or let developers request theirs.'),
            search_label=_('Search organizations'), marker='orgs')


def edit_dialog(org: Organisation | None, table: PagedTable) -> None:
    with dialogs.dialog() as dialog, ui.card().classes('w-96'):
        ui.label(_('Add an organization') if org is None else _('Edit {name}', name=org.name)).classes('font-semibold')
        name = ui.input(_('Name'), value=org.name if org else '').props('outlined').classes('w-full').mark('org-edit-name')
        contact = ui.input(_('Contact email (approval notices)'), value=org.contact_email if org else '') \
            .props('outlined').classes('w-full').mark('org-edit-contact')
        feedback = Feedback({'name': name, 'email': contact})

        def save() -> None:
            def act() -> str:
                if org is None:
                    saved = organisations.create_organisation(name.value, by=session.current_user(),
                                                              contact_email=contact.value or '')
                else:
                    saved = organisations.update_organisation(organisations.find(org.id), name.value,
                                                              contact.value or '', by=session.current_user())
                table.show_new(saved.id)
                return _('{name} saved.', name=saved.name)

            dialogs.submit(dialog, feedback, act, table.refresh)

        dialogs.actions(dialog, _('Save'), save, 'org-edit-save')
    dialog.open()


def members_dialog(org: Organisation) -> None:
    """The organisation's members, 10 at a time with a search (an organisation may have thousands)."""
    me = session.current_user()
    with dialogs.dialog() as dialog, ui.card().classes('w-[36rem] max-w-full').mark('org-members'):
        ui.label(_('Members of {name}', name=org.name)).classes('font-semibold')
        PagedTable([
            Column(_('Member'), lambda m: ui.label(f'{m.full_name} <{m.email}>'), '1fr'),
            Column(_('Status'), lambda m: ui.label(_(str(UserStatus.LABELS.get(m.status, m.status.replace('_', ' ')))))
               .classes('text-grey-8 text-sm'), '9rem'),
        ], lambda search, offset, limit: teammates.members_page(org, me, search, offset, limit), page_size=10,
            empty=_('No members yet.'), search_label=_('Search members'), marker='org-members')
        ui.button(_('Close'), on_click=dialog.close).props('flat no-caps')
    dialog.open()


def confirm_delete(org: Organisation, table: PagedTable) -> None:
    dialogs.confirm_delete(org.name, _('Its members move back to the default organization as individual '
                                     'developers; its teams are deleted.'), 'org-delete',
                           lambda: organisations.delete_organisation(organisations.find(org.id),
                                                                     by=session.current_user()), table.refresh)
