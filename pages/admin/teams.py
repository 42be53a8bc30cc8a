"""API Consumers -> Teams: the teams of each organisation; add, rename, delete, and move users between them."""
from __future__ import annotations

import peewee as pw
from nicegui import ui

import session
from components import dialogs, pickers
from components.forms import Feedback
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable, toolbar
from db.paging import page_of
from db.search import matches, within
from db.models import Membership, Organisation, OrgStatus, Team, User
from domain.errors import DomainError
from domain import i18n
from domain.i18n import _
from workflows import organisations


def fetch(search: str, org_id: int | None, offset: int, limit: int) -> tuple[list, int]:
    query = Team.select(Team.id).join(Organisation)
    if org_id:
        query = query.where(Team.organisation == org_id)
    if search:
        query = query.where(pw.fn.LOWER(Team.name).contains(search.lower())
                            | within(Team.organisation, Organisation, search))
    order = [(Organisation.name, False), (Organisation.id, False), (Team.is_default, True), (Team.name, False),
             (Team.id, False)]
    members = Membership.select(pw.fn.COUNT(Membership.id)).where(Membership.team == Team.id)  # of this page only
    return page_of(query, order, Team.select(Team, Organisation, members.alias('member_count')).join(Organisation),
                   offset, limit, searched=bool(search))


@admin_page('/admin/teams')
def teams_page(organisation: int = 0) -> None:
    found = Organisation.get_or_none((Organisation.id == organisation) & (Organisation.status == OrgStatus.ACTIVE)) \
        if 0 < organisation < 2 ** 63 else None
    chosen = {found.id: found.name} if found else {}
    state = {'org': found.id if found else 0}
    with admin_frame(_('Teams')):
        with toolbar(_('Add team'), lambda: team_dialog(None, state['org'], table), 'teams-add', icon='group_add'):
            pickers.one_of(_('Organization'), pickers.organisations, chosen, 'teams-org', clearable=True,
                           on_change=lambda e: (state.update(org=e.value or 0), table.refresh())) \
                .props('dense').classes('w-72')

        def delete(team: Team) -> None:
            def act() -> str:
                found = Team.get_or_none(Team.id == team.id)
                if found is None:
                    raise DomainError('This team was not found.')
                organisations.delete_team(found, by=session.current_user())
                return _('Team {name} deleted.', name=team.name)

            dialogs.confirm(_('Delete the team {name}?', name=team.name),
                            _('Its members stay in the organization (in its default team if this was their only one) '
                              'and lose the Custom catalogs granted to this team.'),
                            _('Delete'), 'team-delete', act, table.refresh)

        def actions(team: Team) -> None:
            with ui.row().classes('gap-1 no-wrap'):
                ui.button(_('Members'), on_click=lambda t=team: members_dialog(t, table)).props('flat dense no-caps') \
                    .mark(f'team-members-{team.organisation.name}-{team.name}')
                ui.button(_('Rename'), on_click=lambda t=team: team_dialog(t, t.organisation_id, table)) \
                    .props('flat dense no-caps').mark(f'team-rename-{team.organisation.name}-{team.name}')
                if not team.is_default:
                    ui.button(_('Delete'), on_click=lambda t=team: delete(t)).props('flat dense no-caps color=negative') \
                        .mark(f'team-delete-{team.organisation.name}-{team.name}')

        table = PagedTable([
            Column(_('Team'), lambda t: ui.label(_('{name} (default)', name=t.name) if t.is_default else t.name), '1.3fr'),
            Column(_('Organization'), lambda t: ui.label(t.organisation.name), '1.3fr'),
            Column(_('Members'), lambda t: ui.label(i18n.number(t.member_count)), '6rem'),
            Column('', actions, '15rem'),
        ], lambda search, offset, limit: fetch(search, state['org'], offset, limit),
            empty=_('No teams here. Every organization gets a default team; use "Add team" for more.'),
            search_label=_('Search teams'), marker='teams')


def team_dialog(team: Team | None, org_id: int, table: PagedTable) -> None:
    current = Organisation.get_or_none(Organisation.id == org_id) if org_id else None
    with dialogs.dialog() as dialog, ui.card().classes('w-96'):
        ui.label(_('Add a team') if team is None else _('Rename {name}', name=team.name)).classes('font-semibold')
        org = pickers.one_of(_('Organization'), pickers.organisations,
                             {current.id: current.name} if current else pickers.organisations('', 1), 'team-org') \
            .classes('w-full')
        if team is not None:
            org.disable()
        name = ui.input(_('Name'), value=team.name if team else '').props('outlined').classes('w-full').mark('team-name')
        feedback = Feedback({'name': name})

        def save() -> None:
            def act() -> str:
                if team is None:
                    saved = organisations.add_team(organisations.find(org.value or 0), name.value,
                                                   by=session.current_user())
                else:
                    saved = organisations.rename_team(Team.get_by_id(team.id), name.value, by=session.current_user())
                table.show_new(saved.id)
                return _('Team {name} saved.', name=saved.name)

            dialogs.submit(dialog, feedback, act, table.refresh)

        dialogs.actions(dialog, _('Save'), save, 'team-save')
    dialog.open()


def members_dialog(team: Team, table: PagedTable) -> None:
    """Everyone of the team's organisation, 10 at a time with a search, with the teams they are in; change them here."""
    teams = {t.id: t.name for t in Team.select().where(Team.organisation == team.organisation_id).order_by(Team.name)}
    org_id = team.organisation_id

    def fetch(search: str, offset: int, limit: int) -> tuple[list[User], int]:
        query = User.select(User.id).where(User.organisation == org_id)
        if search:
            query = query.where(matches(User, search))
        people, total = page_of(query, [(User.first_name, False), (User.last_name, False), (User.id, False)],
                                User.select(), offset, limit, searched=bool(search))
        ids = [person.id for person in people]
        memberships: dict[int, list[int]] = {}
        for membership in Membership.select().where(Membership.user.in_(ids)) if ids else []:
            memberships.setdefault(membership.user_id, []).append(membership.team_id)
        for person in people:
            person.team_ids = memberships.get(person.id, [])
        return people, total

    def save(event, person: User) -> None:
        try:
            organisations.set_teams(User.get_by_id(person.id), list(event.value or []), by=session.current_user())
        except DomainError as error:
            ui.notify(str(error), type='negative')
            event.sender.value = person.team_ids
            return
        person.team_ids = list(event.value)
        ui.notify(_('Teams of {email} saved.', email=person.email), type='positive')
        table.refresh()

    def member_row(person: User) -> None:
        with ui.row().classes('w-full items-center justify-between no-wrap'):
            ui.label(f'{person.full_name} <{person.email}>').classes('grow')
            ui.select(teams, value=person.team_ids, multiple=True, on_change=lambda e, p=person: save(e, p)) \
                .props('outlined dense use-chips').classes('w-60').mark(f'teams-of-{person.email}')

    with dialogs.dialog() as dialog, ui.card().classes('w-[40rem] max-w-full').mark('team-members'):
        ui.label(_('Teams of the members of {name}', name=team.organisation.name)).classes('font-semibold')
        PagedTable([Column(_('Member and teams'), member_row, '1fr')], fetch, page_size=10,
                   empty=_('This organization has no members yet.'), search_label=_('Search members'),
                   marker='team-members')
        ui.button(_('Close'), on_click=dialog.close).props('flat no-caps')
    dialog.open()
