"""Create an organization (001 step 1) and Dashboard -> Users (001 steps 3-4, and delegated approvals)."""
from __future__ import annotations

from nicegui import ui

import session
from components import dialogs
from components.chips import status_chip
from components.decisions import REGISTRATIONS, decision_buttons
from components.forms import Feedback, reload_with
from components.frame import frame
from components.invite_codes import code_table
from components.tables import Column, PagedTable
from db.models import Organisation, Role, User, UserStatus
from domain.errors import DomainError
from domain.i18n import _
from workflows import organisations, registration, teammates


@ui.page('/organization/new')
@session.login_required
def new_organisation_page() -> None:
    me = session.current_user()
    with frame(_('Create an organization'), me):
        area = ui.column().classes('w-full items-start')
        pending = organisations.pending_request_of(me)
        if pending is not None:
            with area:
                _pending_card(pending)
            return
        if not organisations.may_request(me):
            with area:
                ui.label(_('Registering organizations is not available for your account.')).mark('org-not-available')
            return
        with area, ui.card().classes('w-[32rem] p-6 gap-3'):
            ui.label(_('Your organization lets your teammates share apps and credentials. You become its '
                       'super admin and can invite them.')).classes('text-grey-8')
            name = ui.input(_('Organization name')).props('outlined').classes('w-full').mark('org-name')
            feedback = Feedback({'name': name})

            def submit() -> None:
                feedback.clear()
                try:
                    org, outcome = organisations.request_organisation(name.value, by=session.current_user())
                except DomainError as error:
                    feedback.show(error)
                    return
                area.clear()
                with area:
                    if outcome == organisations.Outcome.PROVISIONED:
                        with ui.card().classes('w-[32rem] p-6 gap-3').mark('org-provisioned'):
                            ui.icon('check_circle', color='positive').classes('text-4xl')
                            ui.label(_('{name} is ready.', name=org.name)).classes('text-lg font-semibold')
                            ui.label(_('You are its super admin: invite your teammates from Dashboard -> Users.'))
                            ui.button(_('Invite teammates')).props('unelevated no-caps href="/dashboard/users"')
                    else:
                        _pending_card(org)

            ui.button(_('Create an organization'), on_click=submit).props('unelevated no-caps').mark('org-submit')


def _pending_card(org: Organisation) -> None:
    with ui.card().classes('w-[32rem] p-6 gap-3').mark('org-pending'):
        ui.icon('hourglass_top', color='orange').classes('text-4xl')
        ui.label(_('{name} is waiting for approval', name=org.name)).classes('text-lg font-semibold')
        ui.label(_('An administrator of the portal reviews your request; we will email you the decision. '
                   'Until then you cannot invite teammates.'))


@ui.page('/dashboard/users')
@session.login_required
def organisation_users_page() -> None:
    me = session.current_user()
    with frame(_('Users'), me):
        pending_registrations(me)
        org = me.organisation
        if org.is_default:
            ui.label(_('You are an individual developer. Create an organization to work with teammates.')) \
                .classes('text-grey-8').mark('users-individual')
            return
        manage = session.can(me, 'manage_org_members', org)
        if manage:
            invite_form(org)
        members_list(me, org, manage)
        if session.can(me, 'manage_invite_codes', org):
            invite_codes_section(org)


def invite_codes_section(org: Organisation) -> None:
    """Issue 15: the organisation's own invite codes, when the portal lets its super admins make them."""
    with ui.column().classes('w-full gap-2').mark('org-invite-codes'):
        ui.label(_('Invite codes of {name}', name=org.name)).classes('text-lg font-semibold')
        ui.label(_('Share a code\'s link: whoever registers with it joins the chosen team at once, without an '
                   'approval, until its quota is used or it expires.')).classes('text-grey-8 text-sm')
        code_table('org-codes')


def invite_form(org: Organisation) -> None:
    with ui.card().classes('w-full p-4 gap-2').mark('invite-form'):
        ui.label(_('Invite a teammate')).classes('text-lg font-semibold')
        with ui.row().classes('w-full items-start gap-2'):
            first = ui.input(_('First name')).props('outlined dense').classes('w-40').mark('teammate-first')
            last = ui.input(_('Last name')).props('outlined dense').classes('w-40').mark('teammate-last')
            email = ui.input(_('Email')).props('outlined dense').classes('w-64').mark('teammate-email')
            role = ui.select(_roles(), value=Role.TEAM_MEMBER, label=_('Role')).props('outlined dense') \
                .classes('w-40').mark('teammate-role')
            feedback = Feedback({'first_name': first, 'last_name': last, 'email': email, 'role': role})

            def send() -> None:
                feedback.clear()
                try:
                    member = teammates.invite(org, first.value, last.value, email.value, role.value,
                                              by=session.current_user())
                except DomainError as error:
                    feedback.show(error)
                    return
                reload_with(_('Invitation sent to {email}.', email=member.email))

            ui.button(_('Send invite'), icon='send', on_click=send).props('unelevated no-caps').mark('teammate-send')


def _roles() -> dict[str, str]:
    return {role: _(label) for role, label in Role.LABELS.items()}


def members_list(me: User, org: Organisation, manage: bool) -> None:
    def act(action, *args, message: str) -> None:
        try:
            action(org, *args, by=session.current_user())
        except DomainError as error:
            ui.notify(str(error), type='negative')
            return
        reload_with(message)

    def confirm(action, member: User, question: str, consequence: str, verb: str, message: str, marker: str) -> None:
        def run() -> str:
            action(org, member.id, by=session.current_user())
            return message

        dialogs.confirm(question, consequence, verb, f'member-{marker}', run, then=reload_with)

    def member_row(member: User) -> None:
        with ui.row().classes('w-full items-center justify-between no-wrap').mark(f'member-{member.email}'):
            with ui.column().classes('gap-0'):
                ui.label(member.full_name + (_(' (you)') if member.id == me.id else '')).classes('font-medium')
                ui.label(member.email).classes('text-xs text-grey-8')
            with ui.row().classes('items-center gap-2'):
                ui.label(_(Role.LABELS[member.role])).classes('text-sm text-grey-8').mark(f'role-{member.email}')
                if member.status != UserStatus.ACTIVE:
                    status_chip(member.status, UserStatus.LABELS[member.status])
                if not manage:
                    return
                if member.status == UserStatus.INVITED:
                    ui.button(_('Resend'), on_click=lambda m=member: act(
                        teammates.resend, m.id, message=_('Invitation sent again to {email}.', email=m.email))) \
                        .props('flat dense no-caps').mark(f'resend-{member.email}')
                    ui.button(_('Revoke'), on_click=lambda m=member: confirm(
                        teammates.revoke, m, _('Revoke the invitation of {email}?', email=m.email),
                        _('The link in the invitation email stops working.'), _('Revoke'),
                        _('Invitation of {email} revoked.', email=m.email), 'revoke')) \
                        .props('flat dense no-caps color=negative').mark(f'revoke-{member.email}')
                else:
                    ui.button(_('Edit'), on_click=lambda m=member: edit_dialog(org, m)) \
                        .props('flat dense no-caps').mark(f'edit-{member.email}')
                    ui.button(_('Remove'), on_click=lambda m=member: confirm(
                        teammates.remove, m, _('Remove {name} from {organization}?', name=m.full_name,
                                               organization=org.name),
                        _('They lose access to the apps and keys of the organization at once and continue as '
                          'an individual developer.'), _('Remove'),
                        _('{email} was removed from {organization}.', email=m.email, organization=org.name),
                        'remove')) \
                        .props('flat dense no-caps color=negative').mark(f'remove-{member.email}')

    with ui.column().classes('w-full gap-2').mark('members'):
        ui.label(_('Members of {name}', name=org.name)).classes('text-lg font-semibold')
        PagedTable([Column(_('Member'), member_row, '1fr')],
                   lambda search, offset, limit: teammates.members_page(org, me, search, offset, limit),
                   empty=_('No members yet.'), search_label=_('Search members'), marker='members')


def edit_dialog(org: Organisation, member: User) -> None:
    with dialogs.dialog() as dialog, ui.card().classes('w-96'):
        ui.label(_('Edit {email}', email=member.email)).classes('font-semibold')
        first = ui.input(_('First name'), value=member.first_name).props('outlined').classes('w-full') \
            .mark('member-first')
        last = ui.input(_('Last name'), value=member.last_name).props('outlined').classes('w-full').mark('member-last')
        role = ui.select(_roles(), value=member.role, label=_('Role')).props('outlined').classes('w-full') \
            .mark('member-role')
        feedback = Feedback({'first_name': first, 'last_name': last, 'role': role})

        def save() -> None:
            def act() -> str:
                teammates.update(org, member.id, first.value, last.value, role.value, by=session.current_user())
                return _('Saved.')

            dialogs.submit(dialog, feedback, act, then=reload_with)

        dialogs.actions(dialog, _('Save'), save, 'member-save')
    dialog.open()


def pending_registrations(me: User) -> None:
    pending = registration.pending_for(me)
    if not pending or me.is_portal_admin:
        return
    with ui.card().classes('w-full p-4 gap-2').mark('pending-registrations'):
        ui.label(_('Registrations waiting for your approval')).classes('text-lg font-semibold')

        for registrant in pending:
            with ui.row().classes('w-full items-center justify-between border-t pt-2'):
                ui.label(f'{registrant.full_name} <{registrant.email}>')
                with ui.row().classes('gap-1'):
                    decision_buttons(REGISTRATIONS, registrant.id,
                                     approved=_('{email} approved.', email=registrant.email),
                                     rejected=_('{email} rejected.', email=registrant.email),
                                     question=_('Reject the registration of {email}?', email=registrant.email),
                                     marker='reject',
                                     buttons=(f'approve-{registrant.email}', f'reject-{registrant.email}'),
                                     then=reload_with)
