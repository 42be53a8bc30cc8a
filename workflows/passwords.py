"""Password hashing (argon2 through passlib) and the password policy."""
from __future__ import annotations

import os

from passlib.context import CryptContext
from zxcvbn import zxcvbn

from domain.errors import DomainError
from domain.i18n import lazy
from workflows import is_clean_text

# argon2's cost can be lowered for test suites only (like Django's test hashers); never in production
context = CryptContext(schemes=['argon2'], deprecated='auto',
                       argon2__memory_cost=int(os.environ.get('PORTICO_TEST_ARGON2_MEMORY_KIB', 65536)),
                       argon2__rounds=int(os.environ.get('PORTICO_TEST_ARGON2_ROUNDS', 3)))
MIN_LENGTH = 10
MAX_LENGTH = 256
ZXCVBN_MAX = 72
MIN_SCORE = 3  # zxcvbn's 0-4 scale: 3 is "safely unguessable", about 10^8 guesses or more
# verified against when the address is unknown, so that both answers take the same time
_DUMMY_HASH = context.hash('portico-dummy-password-never-used')


def check_policy(password: str, confirm: str | None = None, field: str = 'password',
                 user_inputs: list[str] | tuple[str, ...] = ()) -> None:
    """Length, allowed characters, and strength as zxcvbn (Dropbox's estimator, with its lists of common
    passwords, words and keyboard patterns) estimates it; `user_inputs` (name, email) count as guessable."""
    if len(password) < MIN_LENGTH:
        raise DomainError('The password must have at least {limit} characters.', field, limit=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise DomainError('The password must have at most {limit} characters.', field, limit=MAX_LENGTH)
    if not is_clean_text(password):
        raise DomainError('The password contains characters that are not allowed.', field)
    # zxcvbn's run time grows with the length, and it refuses more than ZXCVBN_MAX characters (ValueError, a 500 found
    # by schemathesis, issue 27): the first ZXCVBN_MAX characters decide well enough
    result = zxcvbn(password[:ZXCVBN_MAX], user_inputs=[value for value in user_inputs if value][:10])
    if result['score'] < MIN_SCORE:
        feedback = result['feedback']
        # zxcvbn's own feedback is English; ours is translated
        why = (feedback.get('warning') or '').rstrip('.') or lazy('It follows a pattern that is easy to guess')
        hint = ' '.join(feedback.get('suggestions') or []) or lazy('Add another word or two; uncommon words are better.')
        raise DomainError('This password is too easy to guess. {why}. {hint}', field, why=why, hint=hint)
    if confirm is not None and confirm != password:
        raise DomainError('The passwords do not match.', 'confirm')


def personal_words(email: str, first_name: str = '', last_name: str = '') -> list[str]:
    """What zxcvbn counts as guessable for this person, the same for every way to a password: the address,
    its local part and the names."""
    email = email or ''
    return [email, email.split('@')[0], first_name or '', last_name or '']


def new_hash(password: str | None, confirm: str | None = None, *, email: str, first_name: str = '',
             last_name: str = '', field: str = 'password') -> str:
    """The hash of a new password that meets the policy for this person. Slow on purpose (argon2): workflows
    call it before their transaction, and pages call those workflows through run.io_bound."""
    check_policy(password or '', confirm, field, personal_words(email, first_name, last_name))
    return hash_password(password)


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
