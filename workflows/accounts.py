"""Accounts that exist: the first admin, profile changes, password changes."""
from __future__ import annotations

import re

from db import bootstrap, clock
from db.connection import database
from db.models import Membership, Role, User, UserStatus
from session import ensure
from workflows import DomainError, audit, is_clean_text, tokens

EMAIL_RE = re.compile(r'^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$')
NAME_MAX = 100


def clean_email(email: str | None) -> str:
    email = (email or '').strip().lower()
    if not email:
        raise DomainError('Enter an email address.', 'email')
    if len(email) > 254 or not EMAIL_RE.match(email) or not is_clean_text(email):
        raise DomainError('Enter a valid email address.', 'email')
    return email


def clean_name(value: str | None, label: str, field: str) -> str:
    value = (value or '').strip()
    if not value:
        raise DomainError(f'Enter the {label}.', field)
    if len(value) > NAME_MAX:
        raise DomainError(f'The {label} is too long ({NAME_MAX} characters at most).', field)
    if not is_clean_text(value) or '\n' in value or '\ufffd' in value:
        raise DomainError(f'The {label} contains characters that are not allowed.', field)
    return value


def create_admin(email: str, password_hash: str, first_name: str = 'Portal', last_name: str = 'Admin') -> User:
    """A portal admin in the default organisation (CLI create-admin and the one-time setup page).

    The caller hashes the password (slow) and checks the policy first."""
    email = clean_email(email)
    first_name = clean_name(first_name, 'first name', 'first_name')
    last_name = clean_name(last_name, 'last name', 'last_name')
    with database.atomic():
        org = bootstrap.default_organisation()
        existing = User.get_or_none(User.email == email)
        if existing is not None:
            if existing.is_portal_admin:
                raise DomainError(f'{email} is already a portal admin.', 'email')
            raise DomainError(f'{email} already has an account; make it an admin from the Users page.', 'email')
        user = User.create(email=email, first_name=first_name, last_name=last_name, password_hash=password_hash,
                           status=UserStatus.ACTIVE, role=Role.TEAM_MEMBER, is_portal_admin=True, organisation=org)
        Membership.create(user=user, team=bootstrap.default_team(org))
        audit.record(None, 'admin.create', user)
    return user


def complete_setup(raw_token: str, email: str, password_hash: str, first_name: str, last_name: str) -> User:
    """The one-time setup link printed at first start creates the first admin, once."""
    with database.atomic():
        tokens.consume(tokens.SETUP, raw_token)
        if bootstrap.admin_exists():
            raise DomainError('A portal admin exists already; log in instead.')
        return create_admin(email, password_hash, first_name, last_name)


def issue_setup_link(base_url: str) -> str | None:
    """A fresh setup link when no admin exists yet (printed on the console at start), else None."""
    if bootstrap.admin_exists():
        return None
    with database.atomic():
        from db.models import Token
        Token.update(used_at=clock.now()).where((Token.purpose == tokens.SETUP) & Token.used_at.is_null()).execute()
        raw = tokens.issue(tokens.SETUP)
    return f'{base_url}/setup?token={raw}'


def update_profile(user: User, first_name: str, last_name: str, by: User) -> None:
    ensure(by, 'edit_profile', user)
    first_name = clean_name(first_name, 'first name', 'first_name')
    last_name = clean_name(last_name, 'last name', 'last_name')
    with database.atomic():
        User.update(first_name=first_name, last_name=last_name).where(User.id == user.id).execute()
        audit.record(by, 'profile.update', user)


def change_password(user: User, current_ok: bool, new_hash: str, by: User) -> None:
    """Store a new password (already checked against the policy and hashed by the caller)."""
    ensure(by, 'edit_profile', user)
    if not current_ok:
        raise DomainError('The current password is not correct.', 'current')
    with database.atomic():
        User.update(password_hash=new_hash, must_change_password=False).where(User.id == user.id).execute()
        audit.record(by, 'password.change', user)
