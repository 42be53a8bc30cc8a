"""Accounts that exist: the first admin, profile changes, password changes."""
from __future__ import annotations

import re

from db import bootstrap, clock
from db.connection import database
from db.models import Membership, Role, Token, User, UserStatus
from permissions import ensure
from domain import events, metrics
from domain.errors import AlreadyDecided, Conflict, DomainError, NotFound
from domain.i18n import Lazy, N_, lazy
from workflows import is_clean_text, passwords, sso_required, throttle, tokens

EMAIL_RE = re.compile(r'^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$')
NAME_MAX = 100
EMAIL_MAX = 254
NOT_IN_NAMES = '\n\r\ufffd'  # names go into email headers: one line, and no undecodable text


def clean_email(email: str | None) -> str:
    email = (email or '').strip().lower()
    if not email:
        raise DomainError('Enter an email address.', 'email')
    if len(email) > EMAIL_MAX or not EMAIL_RE.match(email) or not is_clean_text(email):
        raise DomainError('Enter a valid email address.', 'email')
    return email


def clean_name(value: str | None, label: str | Lazy, field: str) -> str:
    label = label if isinstance(label, Lazy) else lazy(label)
    value = (value or '').strip()
    if not value:
        raise DomainError('Enter the {label}.', field, label=label)
    if len(value) > NAME_MAX:
        raise DomainError('The {label} is too long ({limit} characters at most).', field, label=label, limit=NAME_MAX)
    # no line breaks at all (CR as well as LF): names go into email headers
    if not is_clean_text(value) or '\n' in value or '\r' in value or '\ufffd' in value:
        raise DomainError('The {label} contains characters that are not allowed.', field, label=label)
    return value


def create_admin(email: str, password: str, first_name: str = 'Portal', last_name: str = 'Admin',
                 confirm: str | None = None) -> User:
    """A portal admin in the default organisation (CLI create-admin). Blocking (argon2)."""
    email, password_hash, first_name, last_name = _admin_fields(email, password, first_name, last_name, confirm)
    with database.atomic():
        return _create_admin(email, password_hash, first_name, last_name)


def _admin_fields(email: str, password: str, first_name: str, last_name: str,
                  confirm: str | None) -> tuple[str, str, str, str]:
    email = clean_email(email)
    first_name = clean_name(first_name, lazy('first name'), 'first_name')
    last_name = clean_name(last_name, lazy('last name'), 'last_name')
    password_hash = passwords.new_hash(password, confirm, email=email, first_name=first_name, last_name=last_name)
    return email, password_hash, first_name, last_name


def _create_admin(email: str, password_hash: str, first_name: str, last_name: str) -> User:
    with database.atomic():
        org = bootstrap.default_organisation()
        existing = User.get_or_none(User.email == email)
        if existing is not None:
            if existing.is_portal_admin:
                raise Conflict('{email} is already a portal admin.', 'email', email=email)
            raise Conflict('{email} already has an account; make it an admin from the Users page.', 'email',
                              email=email)
        user = User.create(email=email, first_name=first_name, last_name=last_name, password_hash=password_hash,
                           status=UserStatus.ACTIVE, role=Role.TEAM_MEMBER, is_portal_admin=True, organisation=org)
        Membership.create(user=user, team=bootstrap.default_team(org))
        events.announce(None, 'admin.create', user)
    return user


def complete_setup(raw_token: str, email: str, password: str, first_name: str, last_name: str,
                   confirm: str | None = None) -> User:
    """The one-time setup link printed at first start creates the first admin, once. Blocking (argon2)."""
    tokens.peek(tokens.SETUP, raw_token)  # a used or wrong link is refused before the slow hash
    email, password_hash, first_name, last_name = _admin_fields(email, password, first_name, last_name, confirm)
    with database.atomic():
        tokens.consume(tokens.SETUP, raw_token)
        if bootstrap.admin_exists():
            raise Conflict('A portal admin exists already; log in instead.')
        return _create_admin(email, password_hash, first_name, last_name)


def issue_setup_link(base_url: str) -> str | None:
    """A fresh setup link when no admin exists yet (printed on the console at start), else None."""
    if bootstrap.admin_exists():
        return None
    with database.atomic():
        Token.update(used_at=clock.now()).where((Token.purpose == tokens.SETUP) & Token.used_at.is_null()).execute()
        raw = tokens.issue(tokens.SETUP)
    return f'{base_url}/setup?token={raw}'


def update_profile(user: User, first_name: str, last_name: str, by: User) -> None:
    ensure(by, 'edit_profile', user)
    first_name = clean_name(first_name, lazy('first name'), 'first_name')
    last_name = clean_name(last_name, lazy('last name'), 'last_name')
    with database.atomic():
        User.update(first_name=first_name, last_name=last_name).where(User.id == user.id).execute()
        events.announce(by, 'profile.update', user)


def change_password(user: User, current: str, new: str, confirm: str | None = None) -> None:
    """The signed-in user changes their own password. Blocking (argon2): run it off the event loop."""
    ensure(user, 'edit_profile', user)
    passwords.check_policy(new or '', confirm, user_inputs=passwords.personal_words(user.email, user.first_name,
                                                                                    user.last_name))
    ok, _ = passwords.verify(current or '', user.password_hash)
    if not ok:
        raise DomainError('The current password is not correct.', 'current')
    new_hash = passwords.hash_password(new)
    with database.atomic():
        User.update(password_hash=new_hash, must_change_password=False).where(User.id == user.id).execute()
        events.announce(user, 'password.change', user)


# --- sign-in -----------------------------------------------------------------------------------------

class SignInError(DomainError):
    pass


class ProviderRequired(SignInError):
    """The password is right, but the account's organisation signs its members in through its identity provider
    (workflows/sso_required.py)."""


TOO_MANY = N_('Too many failed sign-in attempts. Please wait a few minutes and try again.')
STATUS_MESSAGES = {
    UserStatus.PENDING_VERIFICATION: N_('Please confirm your email address first: follow the link in the email we sent you.'),
    UserStatus.PENDING_APPROVAL: N_('Your registration is waiting for an administrator to approve it.'),
    UserStatus.INVITED: N_('Please accept your invitation first: follow the link in the invitation email.'),
    UserStatus.INACTIVE: N_('This account is deactivated. Contact the portal administrator.'),
    UserStatus.REJECTED: N_('This registration was not approved.'),
}


def sign_in_keys(email: str, client: str) -> list[str]:
    """The throttle keys of one attempt: the address from this client, the address, the client."""
    return [f'login:{email}|{client}', f'login-address:{email}'] + ([f'login-client:{client}'] if client else [])


def authenticate(email: str, password: str, client: str = '') -> User:
    """Check the credentials of an active account (the caller then starts the session), counted by result for
    /metrics."""
    try:
        user = _authenticate(email, password, client)
    except throttle.TooManyAttempts:
        metrics.SIGN_INS.labels('throttled').inc()
        raise
    except SignInError:
        metrics.SIGN_INS.labels('refused').inc()
        raise
    metrics.SIGN_INS.labels('succeeded').inc()
    return user


def _authenticate(email: str, password: str, client: str) -> User:
    """The attempt is counted before the password is checked, so parallel guesses are bounded like
    sequential ones; an unknown address costs the same argon2 work. Blocking: run it off the event loop."""
    email = (email or '').strip().lower()
    if not email or not password:
        raise SignInError('Enter your email and password.')
    if len(email) > 254 or len(password) > passwords.MAX_LENGTH or not is_clean_text(email + password) \
            or len(client) > 100:
        raise SignInError('Wrong email or password.')
    keys = sign_in_keys(email, client)
    throttle.attempt(keys, TOO_MANY)
    user = User.get_or_none(User.email == email)
    ok, new_hash = passwords.verify(password, user.password_hash if user else None)
    if not ok or user is None:
        raise SignInError('Wrong email or password.')
    throttle.forgive(keys)
    throttle.clear(keys[:1])
    if user.status != UserStatus.ACTIVE:
        raise SignInError(STATUS_MESSAGES.get(user.status, N_('This account cannot sign in.')))
    if (required := sso_required.provider_required_for(user)) is not None:  # told only to who knows the password
        raise ProviderRequired(sso_required.refusal(required))
    with database.atomic():
        changes = {User.last_login_at: clock.now(), **({User.password_hash: new_hash} if new_hash else {})}
        User.update(changes).where(User.id == user.id).execute()
    return user


def set_status(user: User, expected: str, new: str, by: User | None) -> None:
    """The only way a user's status changes: conditional on the current state, so one decider wins."""
    won = (User.update(status=new, decided_by=by, decided_at=clock.now())
           .where((User.id == user.id) & (User.status == expected)).execute())
    if not won:
        current = User.get_or_none(User.id == user.id)
        if current is None:
            raise NotFound('This account')
        waiting = expected in (UserStatus.PENDING_VERIFICATION, UserStatus.PENDING_APPROVAL)
        raise AlreadyDecided(lazy('This registration') if waiting else lazy('This account'))
    user.status = new
