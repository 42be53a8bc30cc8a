"""Consumer organisations: registration by a developer (001 steps 1-2), and the admin's side (003
"Manage API Consumer Organizations", "Manually Create Organizations"): add, rename, delete, teams."""
from __future__ import annotations

from db import bootstrap, clock
from db.connection import database, is_postgres
from db.models import (DEFAULT_TEAM, LIVE_ORG_NAME, TEAM_NAME, AccessRequest, App, Membership, Organisation,
                       OrgStatus, Role, Team, User, UserStatus)
from mail import outbox
from permissions import PermissionDenied, ensure
from domain import events
from domain.errors import AlreadyDecided, Conflict, DomainError, NotFound
from domain.i18n import N_, lazy
from workflows import clean_reason, is_clean_text, settings, taken
from workflows.accounts import clean_email
from workflows.credentials import retire

NAME_MAX = 100


class Outcome:
    PROVISIONED = 'provisioned'
    PENDING = 'pending'


def clean_org_name(name: str | None, *, exclude_id: int | None = None) -> str:
    """A name that is not empty, not too long, and unique (case-insensitive) among active and pending ones."""
    name = ' '.join((name or '').split())
    if not name:
        raise DomainError('Enter the name of the organization.', 'name')
    if len(name) > NAME_MAX:
        raise DomainError('The name is too long ({limit} characters at most).', 'name', limit=NAME_MAX)
    if not is_clean_text(name):
        raise DomainError('The name contains characters that are not allowed.', 'name')
    query = Organisation.select().where((Organisation.name_key == name.lower())
                                        & Organisation.status.in_([OrgStatus.ACTIVE, OrgStatus.PENDING]))
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    if query.exists():
        raise name_taken(name)
    return name


def name_taken(name: str) -> DomainError:
    return Conflict('An organization named "{name}" exists already.', 'name', name=name)


def _org_rules(name: str) -> tuple:
    """What the database refuses when two requests for one name passed the checks at the same moment."""
    return ((LIVE_ORG_NAME, name_taken(name)),
            (DEFAULT_TEAM, Conflict('This organization has a default team already.', 'name')))


def may_request(user: User) -> bool:
    """Whether "Create an organization" is offered to this user."""
    return (settings.get('enable_org_registration') and user.status == UserStatus.ACTIVE
            and user.organisation.is_default and not user.is_portal_admin)


def pending_request_of(user: User) -> Organisation | None:
    return Organisation.get_or_none((Organisation.requested_by == user) & (Organisation.status == OrgStatus.PENDING))


def request_organisation(name: str, by: User) -> tuple[Organisation, str]:
    """Create an organization: provisioned at once with auto-approval, otherwise pending for the admins."""
    values = settings.load()
    if not values['enable_org_registration']:
        raise PermissionDenied('Registering organizations is not enabled on this portal.')
    if by.status != UserStatus.ACTIVE:
        raise PermissionDenied()
    if not by.organisation.is_default:
        raise Conflict('You belong to {organisation} already.', organisation=by.organisation.name)
    name = clean_org_name(name)
    with taken(*_org_rules(name)), database.atomic():
        if pending_request_of(by) is not None:
            raise Conflict('You have a pending organization request already; wait for the decision.')
        org = Organisation.create(name=name, name_key=name.lower(), status=OrgStatus.PENDING,
                                  contact_email=by.email, requested_by=by)
        events.announce(by, 'organisation.request', org, name=name)
        if values['auto_approve_orgs']:
            _provision(org, by, decided_by=None)
            return org, Outcome.PROVISIONED
        for address in settings.admin_addresses():
            outbox.queue('org_request_admin_notice', address, organisation_name=name, requester_name=by.full_name,
                         requester_email=by.email,
                         review_link=f'{settings.base_url()}/admin/organizations?status={OrgStatus.PENDING}')
        return org, Outcome.PENDING


def approve(org: Organisation, by: User) -> None:
    """Approve: the organisation is provisioned and its requester becomes its super admin."""
    ensure(by, 'manage_organisations')
    with taken(*_org_rules(org.name)), database.atomic():
        requester = User.get_or_none(User.id == org.requested_by_id)
        _provision(org, requester, decided_by=by)
        events.announce(by, 'organisation.approve', org)


def reject(org: Organisation, by: User, reason: str = '') -> None:
    ensure(by, 'manage_organisations')
    reason = clean_reason(reason)
    with database.atomic():
        _decide(org, OrgStatus.REJECTED, by)
        requester = User.get_or_none(User.id == org.requested_by_id)
        if requester is not None:
            outbox.queue('org_rejected', requester.email, first_name=requester.first_name, organisation_name=org.name,
                         reason_part=lazy('\n\nReason: {reason}', reason=reason) if reason else '')
        events.announce(by, 'organisation.reject', org, reason=reason)


def _provision(org: Organisation, requester: User | None, decided_by: User | None) -> None:
    _decide(org, OrgStatus.ACTIVE, decided_by)
    team = Team.create(organisation=org, name='Default team', is_default=True)
    if requester is None:
        return
    if requester.status == UserStatus.ACTIVE and requester.organisation.is_default:
        _move(requester, org, team, Role.SUPER_ADMIN)
    outbox.queue('org_approved', requester.email, first_name=requester.first_name, organisation_name=org.name,
                 dashboard_link=f'{settings.base_url()}/dashboard/users')


def _decide(org: Organisation, status: str, by: User | None) -> None:
    won = (Organisation.update(status=status, decided_by=by, decided_at=clock.now())
           .where((Organisation.id == org.id) & (Organisation.status == OrgStatus.PENDING)).execute())
    if not won:
        raise AlreadyDecided('This organization request')
    org.status = status


def _move(user: User, org: Organisation, team: Team, role: str) -> None:
    Membership.delete().where(Membership.user == user).execute()
    User.update(organisation=org, role=role).where(User.id == user.id).execute()
    Membership.create(user=user, team=team)


# --- the admin's side -------------------------------------------------------------------------------

def create_organisation(name: str, by: User, contact_email: str = '') -> Organisation:
    """Add: the organisation and its default team, at once."""
    ensure(by, 'manage_organisations')
    name = clean_org_name(name)
    contact_email = clean_email(contact_email) if contact_email.strip() else ''
    with taken(*_org_rules(name)), database.atomic():
        org = Organisation.create(name=name, name_key=name.lower(), status=OrgStatus.ACTIVE,
                                  contact_email=contact_email)
        Team.create(organisation=org, name='Default team', is_default=True)
        events.announce(by, 'organisation.create', org, name=name)
    return org


def update_organisation(org: Organisation, name: str, contact_email: str, by: User) -> Organisation:
    ensure(by, 'manage_organisations')
    name = clean_org_name(name, exclude_id=org.id)
    contact_email = clean_email(contact_email) if (contact_email or '').strip() else ''
    with taken(*_org_rules(name)), database.atomic():
        Organisation.update(name=name, name_key=name.lower(), contact_email=contact_email) \
            .where(Organisation.id == org.id).execute()
        events.announce(by, 'organisation.update', org, name=name)
    return Organisation.get_by_id(org.id)


def delete_organisation(org: Organisation, by: User) -> int:
    """Delete an organisation; its users go back to the default organisation. Returns how many moved."""
    ensure(by, 'manage_organisations')
    if org.is_default:
        raise Conflict('The default organization cannot be deleted.')
    with database.atomic():
        default = bootstrap.default_organisation()
        team = bootstrap.default_team(default)
        members = list(User.select().where(User.organisation == org))
        for member in members:
            if member.status == UserStatus.INVITED:
                member.delete_instance(recursive=True)
            else:
                _move(member, default, team, Role.TEAM_MEMBER)
        Organisation.update(requested_by=None).where(Organisation.id == org.id).execute()
        retire(AccessRequest.app.in_(App.select(App.id).where(App.organisation == org.id)))
        org.delete_instance(recursive=True)
        events.announce(by, 'organisation.delete', org, name=org.name, moved=len(members))
    return len(members)


def find(org_id: int) -> Organisation:
    org = Organisation.get_or_none(Organisation.id == org_id)
    if org is None:
        raise NotFound('This organization')
    return org


def add_team(org: Organisation, name: str, by: User) -> Team:
    ensure(by, 'manage_organisations')
    name = _team_name(org, name)
    with taken((TEAM_NAME, team_taken(org, name))), database.atomic():
        team = Team.create(organisation=org, name=name)
        events.announce(by, 'team.create', team, organisation=org.name, name=name)
    return team


def rename_team(team: Team, name: str, by: User) -> Team:
    """Any team may be renamed, the default team too (003's note)."""
    ensure(by, 'manage_organisations')
    name = _team_name(team.organisation, name, exclude_id=team.id)
    with taken((TEAM_NAME, team_taken(team.organisation, name))), database.atomic():
        Team.update(name=name).where(Team.id == team.id).execute()
        events.announce(by, 'team.rename', team, name=name)
    return Team.get_by_id(team.id)


def delete_team(team: Team, by: User) -> None:
    """A team other than the default one; its members stay in the default team."""
    ensure(by, 'manage_organisations')
    if team.is_default:
        raise Conflict('The default team of an organization cannot be deleted.')
    with database.atomic():
        default_team = bootstrap.default_team(team.organisation)
        for membership in Membership.select().where(Membership.team == team):
            if not Membership.select().where((Membership.user == membership.user_id)
                                             & (Membership.team != team)).exists():
                Membership.create(user=membership.user_id, team=default_team)
        team.delete_instance(recursive=True)
        events.announce(by, 'team.delete', team, name=team.name)


def set_teams(user: User, team_ids: list[int], by: User) -> None:
    """Move a user between the teams of their organisation; a user is in one or more teams."""
    ensure(by, 'manage_organisations')
    teams = list(Team.select().where((Team.id.in_(team_ids)) & (Team.organisation == user.organisation_id)))
    if not teams:
        raise DomainError('A user belongs to at least one team of their organization.', 'teams')
    if len(teams) != len(set(team_ids)):
        raise DomainError('A user can only be in teams of their own organization.', 'teams')
    with database.atomic():
        Membership.delete().where(Membership.user == user).execute()
        for team in teams:
            Membership.create(user=user, team=team)
        events.announce(by, 'user.teams', user, teams=[team.name for team in teams])


def _team_name(org: Organisation, name: str, exclude_id: int | None = None) -> str:
    name = ' '.join((name or '').split())
    if not name:
        raise DomainError('Enter the name of the team.', 'name')
    if len(name) > NAME_MAX:
        raise DomainError('The name is too long ({limit} characters at most).', 'name', limit=NAME_MAX)
    if not is_clean_text(name):
        raise DomainError('The name contains characters that are not allowed.', 'name')
    query = Team.select().where((Team.organisation == org) & (Team.name == name))
    if exclude_id is not None:
        query = query.where(Team.id != exclude_id)
    if query.exists():
        raise team_taken(org, name)
    return name


def team_taken(org: Organisation, name: str) -> DomainError:
    return Conflict('{organisation} has a team named "{name}" already.', 'name', organisation=org.name, name=name)


def keep_in_a_team(user: User) -> None:
    """A user is in one or more teams of their organisation: one left in none (a mapping of an identity
    provider's groups took the last) is back in its default team."""
    if not Membership.select().join(Team).where((Membership.user == user.id)
                                                & (Team.organisation == user.organisation_id)).exists():
        Membership.insert(user=user.id, team=bootstrap.default_team(user.organisation)).on_conflict_ignore().execute()


def remove_from_organisation(user: User) -> None:
    """Back to the default organisation as an individual developer: the organisation's apps are out of
    reach at the next action, since membership is read from the database every time."""
    default = bootstrap.default_organisation()
    _move(user, default, bootstrap.default_team(default), Role.TEAM_MEMBER)


def lock(org_id: int) -> Organisation:
    """The organisation's row, locked until the transaction ends: changes to its super admins run one after
    the other, and the second one counts what the first left (PostgreSQL; SQLite's write lock, taken at
    BEGIN, serialises every writing transaction anyway). Call it first in the transaction."""
    query = Organisation.select().where(Organisation.id == org_id)
    if is_postgres():
        query = query.for_update('FOR NO KEY UPDATE')  # users and teams may still be added meanwhile
    org = query.get_or_none()
    if org is None:
        raise NotFound('This organization')
    return org


LAST_SUPER_ADMIN = {  # whole sentences per change, for the translators
    'demoted': N_('{name} is the last super admin of {organisation} and cannot be demoted.'),
    'removed': N_('{name} is the last super admin of {organisation} and cannot be removed.'),
    'deleted': N_('{name} is the last super admin of {organisation} and cannot be deleted.'),
    'deactivated': N_('{name} is the last super admin of {organisation} and cannot be deactivated.'),
}


def keep_a_super_admin(org: Organisation, member: User, verb: str, hint: str = '') -> None:
    """An organisation always keeps an active super admin: refuse to demote, deactivate or remove the last
    one. Call it after lock(org) in the transaction that makes the change, with `member` read after the lock."""
    if org.is_default or member.role != Role.SUPER_ADMIN or member.status != UserStatus.ACTIVE:
        return
    others = User.select().where((User.organisation == org) & (User.role == Role.SUPER_ADMIN)
                                 & (User.status == UserStatus.ACTIVE) & (User.id != member.id)).count()
    if others == 0:
        refusal = lazy(LAST_SUPER_ADMIN[verb], name=member.full_name, organisation=org.name)
        raise Conflict('{refusal} {hint}', refusal=refusal, hint=lazy(hint or N_('Make someone else a super admin first.')))
