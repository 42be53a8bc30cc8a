"""Teammates (001 steps 3-4): super admins invite, edit, and remove the members of their organisation.

An invitation is a User row with status `invited` in the organisation, and a single-use, expiring link
to the registration form (/auth/invite) on which the invited address is fixed. An organisation always
keeps at least one super admin.
"""
from __future__ import annotations

from db import bootstrap, paging
from db.connection import database
from db.models import Membership, Organisation, Role, User, UserStatus
from db.search import matches
from mail import outbox
from permissions import can, ensure
from domain import events
from domain.errors import Conflict, DomainError, NotFound
from domain.i18n import lazy
from workflows import settings, tokens
from workflows.accounts import clean_email, clean_name
from workflows.organisations import keep_a_super_admin, lock, remove_from_organisation


def members(org: Organisation, by: User) -> list[User]:
    """Everyone of the organisation, invitations included; only its own members may look."""
    if not can(by, 'view_org_members', org):
        raise NotFound('This organization')
    return list(User.select().where(User.organisation == org).order_by(User.status != UserStatus.INVITED,
                                                                        User.first_name, User.last_name))


def members_page(org: Organisation, by: User, search: str, offset: int, limit: int) -> tuple[list[User], int]:
    """One page of `members` (invitations first, then by name) and how many match; a search finds words that
    start a name or an address."""
    if not can(by, 'view_org_members', org):
        raise NotFound('This organization')
    query = User.select(User.id).where(User.organisation == org)
    if search:
        query = query.where(matches(User, search))
    order = [(User.status != UserStatus.INVITED, False), (User.first_name, False), (User.last_name, False),
             (User.id, False)]
    return paging.page_of(query, order, User.select(), offset, limit, searched=bool(search))


def find_member(org: Organisation, user_id: int) -> User:
    """A member of this organisation by ID: another organisation's user is 'not found'."""
    member = User.get_or_none((User.id == user_id) & (User.organisation == org))
    if member is None:
        raise NotFound('This user')
    return member


def invite(org: Organisation, first_name: str, last_name: str, email: str, role: str, by: User) -> User:
    """Invite a teammate by first and last name, email and role (Super admin or Team member)."""
    ensure(by, 'manage_org_members', org)
    first_name = clean_name(first_name, lazy('first name'), 'first_name')
    last_name = clean_name(last_name, lazy('last name'), 'last_name')
    email = clean_email(email)
    role = _role(role)
    with database.atomic():
        existing = User.get_or_none(User.email == email)
        if existing is not None:
            if existing.organisation_id == org.id:
                if existing.status == UserStatus.INVITED:
                    raise Conflict('{email} has a pending invitation.', 'email', email=email)
                raise Conflict('{email} is a member already.', 'email', email=email)
            raise Conflict('{email} already has an account in another organization; '
                              'it cannot be invited here.', 'email', email=email)
        member = User.create(email=email, first_name=first_name, last_name=last_name, organisation=org,
                             role=role, status=UserStatus.INVITED)
        Membership.create(user=member, team=bootstrap.default_team(org))
        _send(member, org, by)
        events.announce(by, 'teammate.invite', member, organisation=org.name, role=role)
    return member


def resend(org: Organisation, member_id: int, by: User) -> None:
    ensure(by, 'manage_org_members', org)
    with database.atomic():
        member = _invitation(org, member_id)
        _send(member, org, by)
        events.announce(by, 'teammate.invite_resend', member)


def revoke(org: Organisation, member_id: int, by: User) -> None:
    """Revoke an invitation: its link stops working."""
    ensure(by, 'manage_org_members', org)
    with database.atomic():
        member = _invitation(org, member_id)
        member.delete_instance(recursive=True)
        events.announce(by, 'teammate.invite_revoke', member, email=member.email)


def update(org: Organisation, member_id: int, first_name: str, last_name: str, role: str, by: User) -> None:
    """Edit a member's first and last name and role; the change applies at once."""
    ensure(by, 'manage_org_members', org)
    first_name = clean_name(first_name, lazy('first name'), 'first_name')
    last_name = clean_name(last_name, lazy('last name'), 'last_name')
    role = _role(role)
    with database.atomic():
        org = lock(org.id)
        member = find_member(org, member_id)
        if role != Role.SUPER_ADMIN:
            keep_a_super_admin(org, member, 'demoted')
        User.update(first_name=first_name, last_name=last_name, role=role).where(User.id == member.id).execute()
        events.announce(by, 'teammate.update', member, role=role)


def remove(org: Organisation, member_id: int, by: User) -> None:
    """Remove a member: they become an individual developer and lose the organisation's apps at once."""
    ensure(by, 'manage_org_members', org)
    with database.atomic():
        org = lock(org.id)
        member = find_member(org, member_id)
        if member.status == UserStatus.INVITED:
            raise DomainError('This is an invitation; revoke it instead.')
        keep_a_super_admin(org, member, 'removed')
        remove_from_organisation(member)
        events.announce(by, 'teammate.remove', member, organisation=org.name)


def _invitation(org: Organisation, member_id: int) -> User:
    member = find_member(org, member_id)
    if member.status != UserStatus.INVITED:
        raise Conflict('This person has accepted the invitation already.')
    return member


def _send(member: User, org: Organisation, by: User) -> None:
    tokens.revoke_all(tokens.INVITE, member)
    raw = tokens.issue(tokens.INVITE, member)
    outbox.queue('teammate_invite', member.email, first_name=member.first_name, inviter_name=by.full_name,
                 organisation_name=org.name, role_label=lazy(Role.LABELS[member.role]),
                 secret={'link': f'{settings.base_url()}/auth/invite?token={raw}'})


def _role(role: str) -> str:
    if role not in Role.LABELS:
        raise DomainError('Choose a role: Super admin or Team member.', 'role')
    return role
