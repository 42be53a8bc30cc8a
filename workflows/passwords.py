"""Password hashing (argon2 through passlib) and the password policy."""
from __future__ import annotations

import os

from passlib.context import CryptContext

from workflows import DomainError, is_clean_text

# argon2's cost can be lowered for test suites only (like Django's test hashers); never in production
context = CryptContext(schemes=['argon2'], deprecated='auto',
                       argon2__memory_cost=int(os.environ.get('PORTICO_TEST_ARGON2_MEMORY_KIB', 65536)),
                       argon2__rounds=int(os.environ.get('PORTICO_TEST_ARGON2_ROUNDS', 3)))
MIN_LENGTH = 10
MAX_LENGTH = 256
# verified against when the address is unknown, so that both answers take the same time
_DUMMY_HASH = context.hash('portico-dummy-password-never-used')


def check_policy(password: str, confirm: str | None = None, field: str = 'password') -> None:
    if len(password) < MIN_LENGTH:
        raise DomainError(f'The password must have at least {MIN_LENGTH} characters.', field)
    if len(password) > MAX_LENGTH:
        raise DomainError(f'The password must have at most {MAX_LENGTH} characters.', field)
    if not is_clean_text(password):
        raise DomainError('The password contains characters that are not allowed.', field)
    if password.strip() == '' or len(set(password)) < 4:
        raise DomainError('This password is too easy to guess.', field)
    if confirm is not None and confirm != password:
        raise DomainError('The passwords do not match.', 'confirm')


def hash_password(password: str) -> str:
    """Slow on purpose: call it through run.io_bound from the UI."""
    return context.hash(password)


def verify(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """(matches, new hash to store or None). Always does the work, also without a stored hash."""
    if not password_hash:
        context.verify(password, _DUMMY_HASH)
        return False, None
    try:
        return context.verify_and_update(password, password_hash)
    except ValueError:
        return False, None
