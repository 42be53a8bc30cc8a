"""A second factor for local accounts (issue 24): an authenticator app (TOTP, RFC 6238) with recovery codes, the
step between a right password and the session, and the setting that requires one of portal admins.

The app's secret must be read to check a code, so it is sealed (domain/at_rest.py), never only hashed. A code is
good once: the time step of the last accepted code is kept, and accepting a code is a conditional UPDATE
(`... WHERE last_step < step`), so of parallel submissions of the same code exactly one wins, and an older code
is refused after a newer one. Codes are counted by the throttle before they are checked, as passwords are
(workflows/accounts.authenticate), so parallel guesses are bounded like sequential ones. A recovery code is kept
as a digest and used once by the same kind of conditional UPDATE. Passkeys are the other second factor
(workflows/passkeys.py); `has_any` counts both.
"""
from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp

from db import clock, settings
from db.connection import database
from db.models import Passkey, RecoveryCode, TotpFactor, User, UserStatus
from domain import events
from domain.at_rest import Seal, digest
from domain.errors import DomainError
from domain.i18n import N_
from permissions import ensure
from workflows import passwords, throttle, tokens

SEAL = Seal(b'portico-totp', b'secret')
STEP_SECONDS = 30
DIGITS = 6
VALID_WINDOW = 1  # the step before and after too: a phone's clock a little off, a code typed as it turned
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'  # no 0/o, 1/l/i: read off paper
_RECOVERY_LENGTH = 16  # about 79 bits: a copy of the digests is not worth guessing through
TOO_MANY = N_('Too many wrong codes. Please wait a few minutes and try again.')
WRONG_CODE = N_('This code is not right. Type the code your authenticator app shows now.')
REQUIRED_SETTING = 'require_admin_second_factor'

METHOD_TOTP = 'totp'
METHOD_RECOVERY = 'recovery code'
METHOD_PASSKEY = 'passkey'


# --- what the account has ------------------------------------------------------------------------------

def totp_of(user: User) -> TotpFactor | None:
    """The account's confirmed authenticator app, if any."""
    return TotpFactor.get_or_none((TotpFactor.user == user.id) & TotpFactor.confirmed_at.is_null(False))


def has_any(user: User) -> bool:
    """Whether the account has a second factor: a confirmed authenticator app or a passkey."""
    return totp_of(user) is not None or Passkey.select().where(Passkey.user == user.id).exists()


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.select().where((RecoveryCode.user == user.id) & RecoveryCode.used_at.is_null()).count()


def required_for(user: User) -> bool:
    """Whether the portal requires this account to have a second factor (Admin -> Settings: portal admins)."""
    return bool(user.is_portal_admin and settings.get(REQUIRED_SETTING))


def missing(user: User) -> bool:
    """A portal admin without a second factor while the setting requires one: kept on Profile -> Security."""
    return required_for(user) and not has_any(user)


# --- codes ---------------------------------------------------------------------------------------------

def current_step() -> int:
    """The TOTP time step now, by the portal's clock (tests step it with clock.advance)."""
    return int((clock.now() - datetime(1970, 1, 1)).total_seconds()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def _matching_step(secret: str, code: str) -> int | None:
    """The step of the window whose code `code` is, or None; every step is compared, in constant time."""
    now = current_step()
    found = None
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if hmac.compare_digest(code_at(secret, step), code):
            found = step
    return found


def _clean_code(code: str | None) -> str:
    return re.sub(r'[\s-]', '', code or '')


def _throttle_keys(user: User, client: str) -> list[str]:
    return [f'second-factor:{user.id}|{client[:100]}', f'second-factor-account:{user.id}']


def _counted(user: User, client: str) -> list[str]:
    """Count one attempt before any check (raises TooManyAttempts past the bound); returns the keys."""
    keys = _throttle_keys(user, client)
    throttle.attempt(keys, TOO_MANY)
    return keys


def _succeeded(keys: list[str]) -> None:
    throttle.forgive(keys)
    throttle.clear(keys[:1])


def _accept_totp(factor: TotpFactor, code: str) -> bool:
    """Accept `code` once: the step moves forward in one conditional UPDATE, so a replay, or the same code sent
    twice at once, finds the step taken."""
    code = _clean_code(code)
    if not re.fullmatch(rf'\d{{{DIGITS}}}', code):
        return False
    step = _matching_step(SEAL.open(factor.secret_sealed), code)
    if step is None:
        return False
    return bool(TotpFactor.update(last_step=step)
                .where((TotpFactor.id == factor.id) & (TotpFactor.last_step < step)).execute())


def _use_recovery_code(user: User, code: str) -> bool:
    normal = _clean_code(code).lower()
    if len(normal) != _RECOVERY_LENGTH:
        return False
    return bool(RecoveryCode.update(used_at=clock.now())
                .where((RecoveryCode.user == user.id) & (RecoveryCode.code_hash == _recovery_digest(user, normal))
                       & RecoveryCode.used_at.is_null()).execute())


def _recovery_digest(user: User, normal: str) -> str:
    return digest(f'{user.id}:{normal}')  # the account in it: one table of digests cracks no other account


def new_recovery_codes(user: User) -> list[str]:
    """Replace the account's recovery codes with fresh ones (in the caller's transaction); shown once."""
    RecoveryCode.delete().where(RecoveryCode.user == user.id).execute()
    codes = [''.join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODES)]
    RecoveryCode.insert_many([{'user': user.id, 'code_hash': _recovery_digest(user, code)} for code in codes]).execute()
    return ['-'.join(code[i:i + 4] for i in range(0, _RECOVERY_LENGTH, 4)) for code in codes]


def check_code(user: User, code: str | None, client: str = '') -> str:
    """A code from the authenticator app or a recovery code, counted by the throttle first; returns which it
    was (METHOD_TOTP or METHOD_RECOVERY). Raises DomainError (field 'code') when it is not right."""
    if not (code or '').strip():
        raise DomainError('Enter the code.', 'code')
    if len(code) > 64:
        raise DomainError(WRONG_CODE, 'code')
    keys = _counted(user, client)
    factor = totp_of(user)
    with database.atomic():
        if factor is not None and _accept_totp(factor, code):
            method = METHOD_TOTP
        elif _use_recovery_code(user, code):
            method = METHOD_RECOVERY
            events.announce(user, 'user.recovery_code_use', user, left=recovery_codes_left(user))
        else:
            method = ''
    if not method:
        raise DomainError(WRONG_CODE if factor is not None else 'This recovery code is not right, or was used.',
                          'code')
    _succeeded(keys)
    return method


# --- setting the app up, and removing it -----------------------------------------------------------------

@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, for typing into the app

    @property
    def grouped(self) -> str:
        """The secret in groups of four, as a person types it."""
        return ' '.join(self.secret[i:i + 4] for i in range(0, len(self.secret), 4))

    def uri(self, email: str) -> str:
        """The otpauth:// address an authenticator app takes (Key Uri Format)."""
        return pyotp.TOTP(self.secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
            name=email, issuer_name=settings.get('portal_name') or 'Portico')


def start_enrolment(user: User) -> Enrolment:
    """A new secret for the account's authenticator app, not in use until `confirm_enrolment` saw a first code
    (an earlier unconfirmed one is replaced)."""
    ensure(user, 'edit_profile', user)
    secret = pyotp.random_base32()
    with database.atomic():
        if totp_of(user) is not None:
            raise DomainError('An authenticator app is set up already; remove it first to set up another.')
        TotpFactor.delete().where(TotpFactor.user == user.id).execute()
        TotpFactor.create(user=user, secret_sealed=SEAL.close(secret))
    return Enrolment(secret)


def confirm_enrolment(user: User, code: str | None, client: str = '') -> list[str]:
    """The first code from the app turns it on; returns new recovery codes, shown once."""
    ensure(user, 'edit_profile', user)
    if not _clean_code(code):
        raise DomainError('Enter the code your authenticator app shows.', 'code')
    keys = _counted(user, client)
    factor = TotpFactor.get_or_none((TotpFactor.user == user.id) & TotpFactor.confirmed_at.is_null())
    if factor is None:
        raise DomainError('Start the set-up again: this one was finished or replaced.')
    with database.atomic():
        if not _accept_totp(factor, code or ''):
            raise DomainError(WRONG_CODE, 'code')
        won = (TotpFactor.update(confirmed_at=clock.now())
               .where((TotpFactor.id == factor.id) & TotpFactor.confirmed_at.is_null()).execute())
        if not won:
            raise DomainError('Start the set-up again: this one was finished or replaced.')
        codes = new_recovery_codes(user)
        events.announce(user, 'user.second_factor_add', user, kind=METHOD_TOTP)
    _succeeded(keys)
    return codes


def remove_totp(user: User, proof: str | None, client: str = '') -> None:
    """Turn the authenticator app off; `proof` is the account's password or a current code. Recovery codes go
    with it when no passkey is left. Blocking (argon2): run it off the event loop."""
    ensure(user, 'edit_profile', user)
    factor = totp_of(user)
    if factor is None:
        raise DomainError('No authenticator app is set up.')
    if not (proof or '').strip():
        raise DomainError('Enter your password or a code from the app.', 'proof')
    keys = _counted(user, client)
    with database.atomic():
        ok = _accept_totp(factor, proof or '')
    if not ok and len(proof) <= passwords.MAX_LENGTH:
        ok, _ = passwords.verify(proof, user.password_hash)
    if not ok:
        raise DomainError('Neither your password nor a current code.', 'proof')
    _succeeded(keys)
    with database.atomic():
        TotpFactor.delete().where(TotpFactor.id == factor.id).execute()
        if not Passkey.select().where(Passkey.user == user.id).exists():
            RecoveryCode.delete().where(RecoveryCode.user == user.id).execute()
        events.announce(user, 'user.second_factor_remove', user, kind=METHOD_TOTP)


def renew_recovery_codes(user: User) -> list[str]:
    """New recovery codes for an account with a second factor; the old ones stop working. Shown once."""
    ensure(user, 'edit_profile', user)
    with database.atomic():
        if not has_any(user):
            raise DomainError('Set up an authenticator app or a passkey first.')
        codes = new_recovery_codes(user)
        events.announce(user, 'user.recovery_codes_renew', user)
    return codes


# --- the step after the password ---------------------------------------------------------------------------

def begin_sign_in(user: User, target: str) -> str:
    """The password was right and the account has a second factor: a one-time token, for five minutes, that this
    browser keeps (session.py) while the person gives the second factor."""
    with database.atomic():
        tokens.revoke_all(tokens.SECOND_FACTOR, user)
        return tokens.issue(tokens.SECOND_FACTOR, user, next=target)


def pending(raw: str | None) -> tuple[User, str]:
    """The account waiting for its second factor and where it goes after; raises InvalidToken."""
    token = tokens.peek(tokens.SECOND_FACTOR, raw)
    user = User.get_or_none((User.id == token.user_id) & (User.status == UserStatus.ACTIVE))
    if user is None:
        raise tokens.InvalidToken()
    return user, (token.data or {}).get('next') or '/dashboard'


def finish_sign_in(raw: str | None) -> tuple[User, str]:
    """Use the pending token once, after the second factor was right."""
    user, target = pending(raw)
    with database.atomic():
        tokens.consume(tokens.SECOND_FACTOR, raw)
    return user, target


def sign_in_with_code(raw: str | None, code: str | None, client: str = '') -> tuple[User, str, str]:
    """The second step with a code: (the user, where to go, the session's method). Raises DomainError."""
    user, _ = pending(raw)
    method = check_code(user, code, client)
    user, target = finish_sign_in(raw)
    return user, target, f'password+{method}'
