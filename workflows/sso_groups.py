"""Groups to teams and roles (issue 24): at every sign-in through the identity provider of an organisation, the
groups the provider names (its `groups_claim`) decide the person's membership of the teams its mapping names,
and, with a super admin group, their role in the organisation.

- Only the provider's own organisation counts: the mapping names teams of that organisation (checked when it is
  saved and again at every sign-in, since a team may be deleted and its ID is then nobody's), and a person of
  another organisation (an account linked to the provider) is left alone.
- A team the mapping does not name is managed by hand and never touched.
- Groups are compared exactly (case and spaces count), as the provider sends them; a group renamed at the
  provider stops matching until the mapping is changed too.
- No claim, or one that is not a list of names, means no groups (a single name is one group): a provider that
  stops sending the claim takes the mapped teams and the super admin role away rather than leaving them.
- A person always stays in at least one team of the organisation (the default team when the mapping took the
  last one), and an organisation keeps its last active super admin (the demotion waits, audited, until
  someone else is one).

Each change is audited ('membership.add', 'membership.remove', 'teammate.promote', 'teammate.demote'). Removing a
person from a team changes what they see (custom catalogs), never the organisation's apps or their keys.
"""
from __future__ import annotations

from db.models import IdentityProvider, Membership, Role, Team, User
from domain import events
from domain.errors import DomainError
from workflows import is_clean_text
from workflows.organisations import keep_a_super_admin, keep_in_a_team, lock

ROWS_MAX = 200
GROUP_MAX = 200


def clean_mapping(rows, organisation_id: int | None) -> list[dict]:
    """The mapping as stored ([{"group": "backend", "team": 7}, ...]), each team one of the organisation's;
    DomainError (field `team_groups`) naming the row at fault."""
    if not rows:
        return []
    if not isinstance(rows, list) or len(rows) > ROWS_MAX:
        raise DomainError('Map at most {limit} groups to teams.', 'team_groups', limit=ROWS_MAX)
    if organisation_id is None:
        raise DomainError('Groups map to the teams of the provider\'s organization: choose the organization.',
                          'team_groups')
    cleaned: list[dict] = []
    for row in rows:
        group = row.get('group') if isinstance(row, dict) else None
        team = row.get('team') if isinstance(row, dict) else None
        group = group.strip() if isinstance(group, str) else ''
        if not group:
            raise DomainError('Enter the group of each row (as the provider names it).', 'team_groups')
        if len(group) > GROUP_MAX or not is_clean_text(group) or any(ch in group for ch in '\r\n'):
            raise DomainError('The group "{group}" is too long or holds characters that are not allowed.',
                              'team_groups', group=group[:40])
        if not isinstance(team, int) or isinstance(team, bool):
            raise DomainError('Choose the team for the group "{group}".', 'team_groups', group=group)
        if {'group': group, 'team': team} not in cleaned:
            cleaned.append({'group': group, 'team': team})
    ids = {row['team'] for row in cleaned}
    known = {team.id for team in Team.select(Team.id).where(Team.id.in_(list(ids))
                                                          & (Team.organisation == organisation_id))}
    for row in cleaned:
        if row['team'] not in known:
            raise DomainError('The group "{group}" names a team that is not one of this organization\'s.',
                              'team_groups', group=row['group'])
    return cleaned


def groups_of(claims: dict, claim: str) -> set[str]:
    """The names in the groups claim: a list of strings (other items are ignored), or one string."""
    value = claims.get(claim)
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()


def apply(provider: IdentityProvider, user: User, claims: dict) -> None:
    """Bring the person's mapped teams and role in line with the groups of this sign-in. Call it inside the
    sign-in's transaction; it locks the organisation first, so that two sign-ins at once run one after the other
    (and the count of super admins is the one the change sees)."""
    if provider.organisation_id is None or user.organisation_id != provider.organisation_id:
        return
    if not provider.team_groups and not provider.super_admin_group:
        return
    org = lock(provider.organisation_id)
    user = User.get_by_id(user.id)  # read after the lock
    groups = groups_of(claims, provider.groups_claim)
    wanted: dict[int, bool] = {}
    for row in provider.team_groups or []:
        if isinstance(row, dict) and isinstance(row.get('team'), int):
            wanted[row['team']] = wanted.get(row['team'], False) or row.get('group') in groups
    # a team deleted since, or an ID that is now another organisation's team, is nobody's business here
    teams = {team.id: team for team in Team.select().where(Team.id.in_(list(wanted)) & (Team.organisation == org))}
    member_of = {row.team_id for row in Membership.select(Membership.team).where(Membership.user == user)}
    for team_id, team in teams.items():
        if wanted[team_id] and team_id not in member_of:
            Membership.insert(user=user, team=team).on_conflict_ignore().execute()
            events.announce(user, 'membership.add', user, team=team.name, team_id=team.id, provider=provider.name)
        elif not wanted[team_id] and team_id in member_of:
            Membership.delete().where((Membership.user == user) & (Membership.team == team)).execute()
            events.announce(user, 'membership.remove', user, team=team.name, team_id=team.id,
                            provider=provider.name)
    keep_in_a_team(user)
    if provider.super_admin_group:
        _apply_role(provider, org, user, Role.SUPER_ADMIN if provider.super_admin_group in groups
                    else Role.TEAM_MEMBER)


def _apply_role(provider: IdentityProvider, org, user: User, role: str) -> None:
    if user.role == role:
        return
    if role == Role.TEAM_MEMBER:
        try:
            keep_a_super_admin(org, user, 'demoted')
        except DomainError:
            events.announce(user, 'teammate.demotion_deferred', user, provider=provider.name,
                            reason='the last super admin of the organization')
            return
    User.update(role=role).where(User.id == user.id).execute()
    events.announce(user, 'teammate.promote' if role == Role.SUPER_ADMIN else 'teammate.demote', user, role=role,
                    provider=provider.name)
