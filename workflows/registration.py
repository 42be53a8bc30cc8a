"""Self registration (000 "API consumer user registration workflow", cases 1-4; 003 "Self Registration").

The form creates a pending registration, not a usable account: a User row whose status is
pending_verification. The verification link proves the address; then either auto-approval activates
the account, or it waits in the queue for the API admin (case 3) or, with delegated user management
and a chosen organisation, for that organisation's admins as well (case 4).
"""
from __future__ import annotations

import hmac

from db import bootstrap, clock
from db.connection import database, is_postgres
from db.models import (InviteCode, InviteCodeState, Membership, Organisation, OrgStatus, Role, Team, Token, User,
                       UserStatus)
from mail import outbox
from permissions import REGISTRATIONS, can, decider_scope, ensure
from domain import events
from domain.errors import DomainError, NotFound
from domain.i18n import N_, lazy
from workflows import clean_reason, invite_codes, passwords, settings, throttle, tokens, unverified
from workflows.accounts import clean_email, clean_name, set_status


class Outcome:
    """What the registrant is told after a step."""
    VERIFY_EMAIL = 'verify_email'
    ACTIVE = 'active'
    PENDING_APPROVAL = 'pending_approval'
    CODE_WITHDRAWN = 'code_withdrawn'  # waits for an approval: the invite code was withdrawn before verification


def organisations_to_join() -> list[Organisation]:
    """The organisations a registrant may pick: only offered with delegated user management."""
    if not settings.get('delegate_user_management'):
        return []
    return list(Organisation.select().where((Organisation.status == OrgStatus.ACTIVE) & ~Organisation.is_default)
                .order_by(Organisation.name))


REGISTER_LIMIT = N_('Too many registrations from here. Please wait an hour and try again.')


def register(first_name: str, last_name: str, email: str, password: str, confirm: str | None = None,
             organisation_id: int | None = None, *, client: str = '', invite_code: str = '',
             browser_proof: str = '', locale: str | None = None) -> tuple[str, str]:
    """Create a pending registration; returns the address and what to tell the registrant.

    The answer is the same whether or not the address has an account: then no account is created, and
    its owner gets an email saying someone tried to register with it, with the way to reset the password.
    Registrations are limited per client and per address. With an invite code (issue 15) the account joins
    the code's team and organisation without approval; the code's place is taken in the same transaction
    as the account; wrong codes are limited per client, and right ones per client with a higher bound (a
    hackathon's room shares one address). `browser_proof` is a random value the registering browser keeps:
    only that browser is signed in when the address is confirmed (see verify_email_and_sign_in). `locale`: the
    language the registrant read the form in (issue 28): the account keeps it, and its emails are written in it.
    Blocking (argon2): run it off the event loop."""
    first_name = clean_name(first_name, lazy('first name'), 'first_name')
    last_name = clean_name(last_name, lazy('last name'), 'last_name')
    email = clean_email(email)
    passwords.check_policy(password or '', confirm, user_inputs=passwords.personal_words(email, first_name, last_name))
    values = settings.load()
    with_code = bool((invite_code or '').strip())
    organisation = None if with_code else _organisation_to_join(organisation_id, values)
    if with_code:
        invite_codes.check_guesses(client)
    throttle.attempt([f'register:{email}'] + _client_keys(client, with_code), REGISTER_LIMIT)
    password_hash = passwords.hash_password(password)  # before the transaction: slow, and done either way
    try:
        answer = _create(first_name, last_name, email, password_hash, organisation,
                         invite_code if with_code else '', values, browser_proof, locale)
    except invite_codes.InvalidCode as error:
        if not error.known:  # a real code that is expired or used up is no guess
            invite_codes.count_guess(client)
        raise
    return answer


def _client_keys(client: str, with_code: bool) -> list[str]:
    """The per-client bounds: a few registrations an hour without a code; with one, enough for a hackathon's
    room behind one address, yet bounded, so a client holding a leaked code cannot drain it with made-up
    addresses nor send verification emails without end."""
    if not client:
        return []
    if with_code:
        return [f'register-code-client:{client}', f'register-code-client-day:{client}']
    return [f'register-client:{client}']


def _create(first_name: str, last_name: str, email: str, password_hash: str, organisation: Organisation | None,
            invite_code: str, values: dict, browser_proof: str = '', locale: str | None = None) -> tuple[str, str]:
    code = None
    locale = locale if locale in settings.offered_languages() else None
    with database.atomic():
        free = unverified.free_address(email)  # first: an expired registration of the address gives its place back
        if invite_code:
            code = invite_codes.redeem(invite_code)  # refused: the transaction leaves nothing behind
            organisation = code.team.organisation
        if not free:
            if code is not None:
                invite_codes.give_back(code)
            outbox.queue('registration_exists', email, reset_link=f'{settings.base_url()}/auth/forgot',
                         login_link=f'{settings.base_url()}/login')
            events.announce(None, 'registration.existing_address', None, email=email)
            return email, _first_outcome(values, organisation, by_code=code is not None)
        user = User.create(email=email, first_name=first_name, last_name=last_name, password_hash=password_hash,
                           status=UserStatus.PENDING_VERIFICATION, role=Role.TEAM_MEMBER, organisation=organisation,
                           locale=locale)
        Membership.create(user=user, team=code.team if code is not None else bootstrap.default_team(organisation))
        events.announce(user, 'registration.create', user, organisation=organisation.name)
        if code is not None:
            events.announce(user, 'invite_code.redeem', code, email=email, team=code.team.name,
                         organisation=organisation.name, used=code.used, quota=code.quota)
        if values['require_email_verification']:
            extra = {'invite_code': code.id} if code is not None else {}
            if browser_proof:
                extra['browser'] = tokens.digest(browser_proof)
            raw = tokens.issue(tokens.VERIFY, user, **extra)
            outbox.queue('verify', email, first_name=first_name,
                         secret={'link': f'{settings.base_url()}/auth/verify?token={raw}'})
            outcome = Outcome.VERIFY_EMAIL
        else:
            outcome = _join_by_code(user) if code is not None else _after_verification(user, values)
    return email, outcome


def _first_outcome(values: dict, organisation: Organisation, *, by_code: bool = False) -> str:
    """What a new registration would have been told (so that an existing address is told the same)."""
    if values['require_email_verification']:
        return Outcome.VERIFY_EMAIL
    if by_code or (values['auto_approve_users'] and organisation.is_default):
        return Outcome.ACTIVE
    return Outcome.PENDING_APPROVAL


def verify_email(raw_token: str) -> tuple[User, str]:
    """The registrant followed the link in the verification email."""
    values = settings.load()
    with database.atomic():
        token = tokens.consume(tokens.VERIFY, raw_token)
        user = User.get_or_none(User.id == token.user_id)
        if user is None or user.status != UserStatus.PENDING_VERIFICATION:
            raise tokens.InvalidToken()
        return user, _after_verification(user, values, by_code=bool((token.data or {}).get('invite_code')))


def verify_email_and_sign_in(raw_token: str, browser_proof: str = '') -> tuple[User, str, str | None]:
    """The registrant confirmed the link in the verification email: (user, outcome, sign-in ticket).

    An account that is active after the verification gets, in the same transaction, a one-time sign-in
    ticket, traded by the browser at /auth/session exactly as after Log in (a new storage id, a new
    session row); its last sign-in is recorded as on Log in. Only the browser that registered gets it: its
    `browser_proof` must match the one kept with the token. Anyone else who opens the link (the real owner
    of an address somebody registered, or a victim sent an attacker's link) confirms the address and is
    sent to Log in, never signed into an account whose password they did not choose. An account that waits
    for an approval gets no ticket: it cannot sign in until then. The verification token is consumed once,
    so two confirmations in parallel yield one ticket at most."""
    with database.atomic():
        kept = (tokens.peek(tokens.VERIFY, raw_token).data or {}).get('browser')
        user, outcome = verify_email(raw_token)
        same_browser = bool(kept and browser_proof) and hmac.compare_digest(kept, tokens.digest(browser_proof))
        if outcome != Outcome.ACTIVE or not same_browser:
            return user, outcome, None
        won = User.update(last_login_at=clock.now()).where(
            (User.id == user.id) & (User.status == UserStatus.ACTIVE)).execute()
        return user, outcome, (tokens.issue(tokens.SIGN_IN, user) if won else None)


def _after_verification(user: User, values: dict, *, by_code: bool = False) -> str:
    if by_code:
        return _join_by_code(user, values)
    joins_organisation = not user.organisation.is_default
    # an organisation's members are its own decision: joining one always needs an approval
    if values['auto_approve_users'] and not joins_organisation:
        set_status(user, UserStatus.PENDING_VERIFICATION, UserStatus.ACTIVE, by=None)
        outbox.queue('created', user.email, first_name=user.first_name, email=user.email,
                     login_link=f'{settings.base_url()}/login')
        events.announce(user, 'registration.activate', user, auto=True)
        return Outcome.ACTIVE
    set_status(user, UserStatus.PENDING_VERIFICATION, UserStatus.PENDING_APPROVAL, by=None)
    outbox.queue('pending', user.email, first_name=user.first_name)
    for recipient, review_link in _approvers_to_notify(user, values):
        outbox.queue('registration_admin_notice', recipient, registrant_name=user.full_name,
                     registrant_email=user.email, review_link=review_link,
                     organisation_part=lazy(' to join {organisation}', organisation=user.organisation.name)
                     if joins_organisation else '')
    events.announce(user, 'registration.verified', user)
    return Outcome.PENDING_APPROVAL


def _join_by_code(user: User, values: dict | None = None) -> str:
    """Issue 15: an invite code is the approval; the organisation's super admins are told who joined.

    At a verification later than the registration, the code is looked at again: one deactivated since, or
    deleted (with its team or organisation), or whose organisation is no longer active, is no approval any
    more; the place goes back and the registration takes the way it would have taken without a code.
    A code that expired or ran out meanwhile still lets its registrant in: the place was taken."""
    if values is not None:  # a verification: the code was checked at registration, not since
        code = _code_of(user)
        if _withdrawn(code, user):
            return _without_code(user, code, values)
    set_status(user, UserStatus.PENDING_VERIFICATION, UserStatus.ACTIVE, by=None)
    outbox.queue('created', user.email, first_name=user.first_name, email=user.email,
                 login_link=f'{settings.base_url()}/login')
    org = user.organisation
    teams = ', '.join(team.name for team in Team.select(Team.name).join(Membership)
                      .where(Membership.user == user).order_by(Team.name))
    for admin in User.select(User.email).where((User.organisation == org) & (User.role == Role.SUPER_ADMIN)
                                               & (User.status == UserStatus.ACTIVE) & (User.id != user.id)):
        outbox.queue('invite_code_joined', admin.email, registrant_name=user.full_name, registrant_email=user.email,
                     organisation_name=org.name, team_name=teams,
                     members_link=f'{settings.base_url()}/dashboard/users')
    events.announce(user, 'registration.activate', user, invite_code=True)
    return Outcome.ACTIVE


def _code_of(user: User) -> InviteCode | None:
    """The code an unverified registration was made with (its verification token names it), the row locked
    on PostgreSQL so that a deactivation in between waits for the verification or is seen by it."""
    token = (Token.select().where((Token.user == user) & (Token.purpose == tokens.VERIFY))
             .order_by(Token.id.desc()).first())
    code_id = (token.data or {}).get('invite_code') if token is not None else None
    if not code_id:
        return None
    query = InviteCode.select().where(InviteCode.id == code_id)
    if is_postgres():
        query = query.for_update()
    return query.first()


def _withdrawn(code: InviteCode | None, user: User) -> bool:
    if code is None or code.state != InviteCodeState.ACTIVE:
        return True
    org = Organisation.get_or_none(Organisation.id == code.team.organisation_id)
    return org is None or org.status != OrgStatus.ACTIVE or org.id != user.organisation_id


def _without_code(user: User, code: InviteCode | None, values: dict) -> str:
    """The code was withdrawn before the address was verified: its place goes back, the registrant leaves
    the code's team for the organisation's default team, and the usual rules decide (an organisation's
    members need an approval)."""
    if code is not None:
        invite_codes.release(code.id, user.email, reason='withdrawn')
    current = User.get_by_id(user.id)  # the organisation may have changed (a deleted one moves its members)
    Membership.delete().where(Membership.user == current).execute()
    Membership.create(user=current, team=bootstrap.default_team(current.organisation))
    outcome = _after_verification(current, values)
    user.status = current.status
    return Outcome.CODE_WITHDRAWN if outcome == Outcome.PENDING_APPROVAL else outcome


def _approvers_to_notify(user: User, values: dict) -> list[tuple[str, str]]:
    """000's table: the API admin address, or with delegation the organisation's contact address."""
    base = settings.base_url()
    if (values['delegate_user_management'] and not user.organisation.is_default
            and user.organisation.status == OrgStatus.ACTIVE):
        org = user.organisation
        recipients = [org.contact_email] if org.contact_email else [
            admin.email for admin in User.select(User.email).where(
                (User.organisation == org) & (User.role == Role.SUPER_ADMIN) & (User.status == UserStatus.ACTIVE))]
        return [(address, f'{base}/dashboard/users') for address in recipients]
    review_link = f'{base}/admin/users?status={UserStatus.PENDING_APPROVAL}'
    return [(address, review_link) for address in settings.admin_addresses()]


def approve(registrant: User, by: User) -> None:
    """Approve -> account active + `created` email."""
    ensure(by, 'decide_registration', registrant)
    with database.atomic():
        set_status(registrant, UserStatus.PENDING_APPROVAL, UserStatus.ACTIVE, by=by)
        outbox.queue('created', registrant.email, first_name=registrant.first_name, email=registrant.email,
                     login_link=f'{settings.base_url()}/login')
        events.announce(by, 'registration.approve', registrant)


def reject(registrant: User, by: User, reason: str = '') -> None:
    """Reject -> rejection email; the address may register again later."""
    ensure(by, 'decide_registration', registrant)
    reason = clean_reason(reason)
    with database.atomic():
        set_status(registrant, UserStatus.PENDING_APPROVAL, UserStatus.REJECTED, by=by)
        outbox.queue('rejected', registrant.email, first_name=registrant.first_name,
                     reason_part=lazy('\n\nReason: {reason}', reason=reason) if reason else '')
        events.announce(by, 'registration.reject', registrant, reason=reason)


def pending_for(user: User) -> list[User]:
    """Registrations this user may decide (a portal admin: all; a delegated super admin: their org's)."""
    query = User.select().where(User.status == UserStatus.PENDING_APPROVAL).order_by(User.created_at)
    return list(decider_scope(user, REGISTRATIONS).filter(query, User.organisation))


def find_registrant(user_id: int, by: User) -> User:
    """A registration by ID, as far as `by` may see it: another organisation's is 'not found'."""
    registrant = User.get_or_none(User.id == user_id)
    if registrant is None or not (can(by, 'manage_users') or can(by, 'decide_registration', registrant)):
        raise NotFound('This user')
    return registrant


def _organisation_to_join(organisation_id: int | None, values: dict) -> Organisation:
    default = bootstrap.default_organisation()
    if not organisation_id or organisation_id == default.id:
        return default
    if not values['delegate_user_management']:
        raise DomainError('Choosing an organisation is not enabled on this portal.', 'organisation')
    org = Organisation.get_or_none((Organisation.id == organisation_id) & (Organisation.status == OrgStatus.ACTIVE))
    if org is None:
        raise DomainError('Choose an organisation from the list.', 'organisation')
    return org
