"""One-time link tokens for verify, invite, reset and setup, the way Django's tokens are boring.

The link carries `secrets.token_urlsafe`; the table keeps only its SHA-256, an expiry and a used-at.
A token is worthless after use or expiry; look-up by hash is a constant-time comparison in effect,
since an attacker cannot choose a hash prefix.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from peewee import IntegrityError

from db import clock
from db.connection import database
from db.models import Token, User
from domain.at_rest import digest
from domain.errors import DomainError
from domain.i18n import lazy

VERIFY = 'verify'
INVITE = 'invite'
RESET = 'reset'
SETUP = 'setup'
SIGN_IN = 'sign_in'  # hands a new session to the browser right after the password was checked
SSO = 'sso'  # the `state` of a sign-in through an identity provider (workflows/sso.py)
SSO_LOGOUT = 'sso_logout'  # a back-channel logout token's jti, remembered so that it works once (sso_logout.py)
SSO_LINK = 'sso_link'  # an existing account's owner proves its password once to link a provider (sso_link.py)
SECOND_FACTOR = 'second_factor'  # the password was right; the second factor is still to come (this browser only)
WEBAUTHN = 'webauthn'  # the challenge of one passkey ceremony (workflows/passkeys.py)

LIFETIMES = {
    VERIFY: timedelta(days=2),
    INVITE: timedelta(days=7),
    RESET: timedelta(hours=1),
    SETUP: timedelta(days=1),
    SIGN_IN: timedelta(minutes=2),
    SSO: timedelta(minutes=10),
    SSO_LINK: timedelta(minutes=10),
    SECOND_FACTOR: timedelta(minutes=5),
    WEBAUTHN: timedelta(minutes=5),
}


class InvalidToken(DomainError):
    def __init__(self) -> None:
        super().__init__(lazy('This link is invalid, expired or was already used. Please ask for a new one.'))


def issue(purpose: str, user: User | None = None, **data) -> str:
    """Create a token and return the raw value for the link (call inside the caller's transaction)."""
    raw = secrets.token_urlsafe(32)
    Token.create(purpose=purpose, token_hash=digest(raw), user=user, data=data,
                 expires_at=clock.now() + LIFETIMES[purpose])
    return raw


def peek(purpose: str, raw: str | None) -> Token:
    """The valid, unused token for `raw`, without using it; raises InvalidToken."""
    if not raw or len(raw) > 200:
        raise InvalidToken()
    token = Token.get_or_none((Token.token_hash == digest(raw)) & (Token.purpose == purpose))
    if token is None or token.used_at is not None or token.expires_at <= clock.now():
        raise InvalidToken()
    return token


def consume(purpose: str, raw: str | None) -> Token:
    """Use the token once: the conditional UPDATE lets exactly one caller win."""
    token = peek(purpose, raw)
    won = (Token.update(used_at=clock.now())
           .where((Token.id == token.id) & Token.used_at.is_null())
           .execute())
    if not won:
        raise InvalidToken()
    return token


def use_once(purpose: str, value: str, seconds: int) -> None:
    """Remember that `value` (a logout token's jti) was used, for `seconds`; InvalidToken the second time (the
    unique hash lets one of two callers at once win). Call it inside the caller's transaction."""
    try:
        with database.atomic():  # a savepoint: the caller's transaction survives the refusal
            Token.create(purpose=purpose, token_hash=digest(f'{purpose}:{value}'), data={},
                         expires_at=clock.now() + timedelta(seconds=seconds), used_at=clock.now())
    except IntegrityError:
        raise InvalidToken() from None


def revoke_all(purpose: str, user: User) -> None:
    """Use up every open token of this purpose for the user (a newer one replaces them)."""
    (Token.update(used_at=clock.now())
     .where((Token.purpose == purpose) & (Token.user == user) & Token.used_at.is_null())
     .execute())
