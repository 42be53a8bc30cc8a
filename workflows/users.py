"""Users created by a portal admin (003 "Invite a New User"): set a password, or send an invite, not both."""
from __future__ import annotations

from db import bootstrap
from db.connection import database
from db.models import AccessRequest, App, Membership, Organisation, OrgStatus, Role, Token, User, UserStatus
from mail import outbox
from permissions import ensure
from domain import events
from domain.errors import Conflict, DomainError, NotFound
from domain.i18n import N_, lazy
from workflows import organisations, passwords, sessions, settings, tokens
from workflows.credentials import retire
from workflows.accounts import clean_email, clean_name


def create_user(first_name: str, last_name: str, email: str, organisation_id: int | None, by: User, *,
                password: str | None = None, must_change_password: bool = False,
                send_invite: bool = False) -> User:
    """Add new user. With a password the account is active at once; without, it waits for an invite.
    Blocking with a password (argon2): run it off the event loop."""
    ensure(by, 'manage_users')
    if password and send_invite:
        raise DomainError('Either set a password or send an invite, not both.', 'password')
    if must_change_password and not password:
        raise DomainError('"User must change password" needs a password to be set.', 'password')
    first_name = clean_name(first_name, lazy('first name'), 'first_name')
    last_name = clean_name(last_name, lazy('last name'), 'last_name')
    email = clean_email(email)
    password_hash = passwords.new_hash(password, email=email, first_name=first_name, last_name=last_name) \
        if password else None
    with database.atomic():
        org = _organisation(organisation_id)
        if User.select().where(User.email == email).exists():
            raise Conflict('A user with this email address exists already.', 'email')
        user = User.create(email=email, first_name=first_name, last_name=last_name, organisation=org,
                           role=Role.TEAM_MEMBER, password_hash=password_hash,
                           status=UserStatus.ACTIVE if password_hash else UserStatus.INVITED,
                           must_change_password=must_change_password)
        Membership.create(user=user, team=bootstrap.default_team(org))
        events.announce(by, 'user.create', user, organisation=org.name, password_set=bool(password_hash))
        if send_invite:
            _queue_invite(user, by)
    return user


def send_invite(user: User, by: User) -> None:
    """More Options -> Send invite: only for a user without a password (a newer link replaces older ones)."""
    ensure(by, 'manage_users')
    with database.atomic():
        user = User.get_or_none(User.id == user.id)
        if user is None:
            raise NotFound('This user')
        if user.status != UserStatus.INVITED or user.password_hash:
            raise Conflict('This user has a password already; an invite is only for users without one.')
        _queue_invite(user, by)


def _queue_invite(user: User, by: User) -> None:
    tokens.revoke_all(tokens.INVITE, user)
    raw = tokens.issue(tokens.INVITE, user)
    org = user.organisation
    outbox.queue('invite', user.email, first_name=user.first_name, inviter_name=by.full_name,
                 organisation_part='' if org.is_default else lazy(' as a member of {organisation}', organisation=org.name),
                 secret={'link': f'{settings.base_url()}/auth/invite?token={raw}'})
    events.announce(by, 'user.invite', user)


def invitation(raw_token: str) -> User:
    """The invited user behind a link, without using it up (to show the form)."""
    token = tokens.peek(tokens.INVITE, raw_token)
    user = User.get_or_none(User.id == token.user_id)
    if user is None or user.status != UserStatus.INVITED:
        raise tokens.InvalidToken()
    return user


def accept_invite(raw_token: str, first_name: str, last_name: str, password: str, confirm: str | None = None) -> User:
    """The invited user chose a password: the account is active (the page then signs the browser in).
    Blocking (argon2): run it off the event loop."""
    invited = invitation(raw_token)  # a used or wrong link is refused before the slow hash
    first_name = clean_name(first_name, lazy('first name'), 'first_name')
    last_name = clean_name(last_name, lazy('last name'), 'last_name')
    password_hash = passwords.new_hash(password, confirm, email=invited.email, first_name=first_name,
                                       last_name=last_name)
    with database.atomic():
        token = tokens.consume(tokens.INVITE, raw_token)
        won = (User.update(status=UserStatus.ACTIVE, password_hash=password_hash, first_name=first_name,
                           last_name=last_name)
               .where((User.id == token.user_id) & (User.status == UserStatus.INVITED)).execute())
        if not won:
            raise tokens.InvalidToken()
        user = User.get_by_id(token.user_id)
        events.announce(user, 'user.accept_invite', user)
    return user


def _organisation(organisation_id: int | None) -> Organisation:
    if not organisation_id:
        return bootstrap.default_organisation()
    org = Organisation.get_or_none((Organisation.id == organisation_id) & (Organisation.status == OrgStatus.ACTIVE))
    if org is None:
        raise DomainError('Choose an organisation from the list.', 'organisation')
    return org


def update_user(user: User, first_name: str, last_name: str, by: User) -> User:
    """A portal admin corrects a user's name (the admin REST API's PATCH /users/{id})."""
    ensure(by, 'manage_users')
    first_name = clean_name(first_name, lazy('first name'), 'first_name')
    last_name = clean_name(last_name, lazy('last name'), 'last_name')
    with database.atomic():
        User.update(first_name=first_name, last_name=last_name).where(User.id == user.id).execute()
        events.announce(by, 'user.update', user, first_name=first_name, last_name=last_name)
    return User.get_by_id(user.id)


def delete_user(target: User, by: User) -> None:
    """Delete a user for good (the admin API). Refused for oneself, for the last active portal admin and for
    the last active super admin of an organisation. Their keys are retired first (the apps they own as an
    individual developer stop at once, as on deactivation; an organisation's apps stay with it), their
    sessions, tokens, API tokens, memberships and cart go with the row, and what refers to them elsewhere
    (the apps they own, requests they made or decided, past audit events) keeps its row with the reference
    emptied, as the foreign keys declare (SET NULL). The deletion's audit event names them."""
    ensure(by, 'manage_users')
    if target.id == by.id:
        raise Conflict('You cannot delete your own account.')
    with database.atomic():
        # every deletion of a user takes this lock first (PostgreSQL; SQLite serialises writers anyway), so
        # two admins deleting each other at once cannot leave the portal without one
        organisations.lock(bootstrap.default_organisation().id)
        org = organisations.lock(target.organisation_id)
        current = User.get_or_none(User.id == target.id)
        if current is None:
            raise NotFound('This user')
        if current.is_portal_admin and current.status == UserStatus.ACTIVE and not User.select().where(
                User.is_portal_admin & (User.status == UserStatus.ACTIVE) & (User.id != current.id)).exists():
            raise Conflict('{name} is the last portal admin and cannot be deleted. '
                              'Make someone else a portal admin first.', name=current.full_name)
        if current.organisation_id == org.id:
            organisations.keep_a_super_admin(
                org, current, 'deleted', N_('Ask them to make a teammate super admin first, or delete the organization.'))
        retire(AccessRequest.app.in_(App.select(App.id).where(App.owner == current.id)))  # before deleting
        sessions.end_all(current)
        Token.delete().where(Token.user == current.id).execute()  # its links die with it (nullable: not NULLed)
        current.delete_instance(recursive=True)  # the other dependants: deleted, or their reference NULLed
        events.announce(by, 'user.delete', current, user_id=current.id, email=current.email, name=current.full_name,
                     organisation=org.name)
