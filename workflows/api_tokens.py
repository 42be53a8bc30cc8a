"""Personal API tokens (issue 16): a portal admin creates them on the Profile page for the REST API.

A token is `ptk_` and `secrets.token_urlsafe(32)`, shown once; the table keeps its SHA-256 (as API keys
and link tokens are kept), a short prefix to recognise it, read-only or read-write, an optional expiry and
the time of last use. It acts for its owner only while the owner is an active portal admin, and is revoked
for good (not just silenced: a re-activation must not revive a stolen token) in the same transaction as
the owner's deactivation or password reset (`revoke_all_of`, an explicit step of workflows/activation.py and
workflows/password_reset.py); a token whose owner lost the portal-admin role in any other way is revoked
at its next use. Wrong tokens are counted per client like failed sign-ins.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from db import clock
from db.connection import database
from db.models import ApiToken, User
from domain.at_rest import digest, new_secret
from permissions import ensure, is_portal_admin
from domain import events
from domain.errors import Conflict, DomainError, NotFound
from domain.i18n import N_, lazy
from workflows import is_clean_text, throttle

PREFIX = 'ptk_'
TOKEN_RE = re.compile(r'ptk_[A-Za-z0-9_-]{43}\Z')
LAST_USED_EVERY = timedelta(minutes=1)  # the last-use time is written at most this often per token
MAX_DAYS = 3650
throttle.LIMITS.setdefault('api-token-client', throttle.Limit(30, timedelta(minutes=15)))
TOO_MANY = N_('Too many requests with a wrong token from this address. Please wait a few minutes.')


class InvalidApiToken(DomainError):
    def __init__(self) -> None:
        super().__init__(lazy('The bearer token is missing, wrong, expired or revoked.'))


def create(user: User, name: str, *, read_only: bool = True, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for `user` (a portal admin): (the row, the plain token, to show once)."""
    ensure(user, 'view_admin')
    name = (name or '').strip()
    if not name:
        raise DomainError('Give the token a name, e.g. the system that will use it.', 'name')
    if len(name) > 100 or not is_clean_text(name) or '\n' in name:
        raise DomainError('The name must be one line of at most 100 characters.', 'name')
    expires_at: datetime | None = None
    if expires_in_days not in (None, ''):
        try:
            days = int(expires_in_days)
        except (TypeError, ValueError):
            raise DomainError('Give the expiry as a whole number of days.', 'expires') from None
        if not 1 <= days <= MAX_DAYS:
            raise DomainError('The expiry must be between 1 and {limit} days.', 'expires', limit=MAX_DAYS)
        expires_at = clock.now() + timedelta(days=days)
    raw, shown, token_hash, _ = new_secret(PREFIX)
    with database.atomic():
        token = ApiToken.create(user=user, name=name, token_prefix=shown, token_hash=token_hash,
                                read_only=bool(read_only), expires_at=expires_at)
        events.announce(user, 'api_token.create', token, name=name, read_only=bool(read_only))
    return token, raw


def tokens_of(user: User) -> list[ApiToken]:
    return list(ApiToken.select().where(ApiToken.user == user).order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))


def revoke(token_id: int, by: User) -> ApiToken:
    """Revoke one of one's own tokens; it stops working at once."""
    with database.atomic():
        token = ApiToken.get_or_none((ApiToken.id == token_id) & (ApiToken.user == by))
        if token is None:
            raise NotFound('This token')
        won = (ApiToken.update(revoked_at=clock.now())
               .where((ApiToken.id == token.id) & ApiToken.revoked_at.is_null()).execute())
        if not won:
            raise Conflict('This token is revoked already.')
        events.announce(by, 'api_token.revoke', token, name=token.name)
    return token


def revoke_all_of(user: User | int, reason: str, by: User | None = None) -> int:
    """Revoke every live token of `user` (one audit event naming how many); call it inside the
    transaction of the change that is the reason. Returns how many were revoked."""
    user_id = user if isinstance(user, int) else user.id
    with database.atomic():
        live = [row.id for row in ApiToken.select(ApiToken.id)
                .where((ApiToken.user == user_id) & ApiToken.revoked_at.is_null())]
        if not live:
            return 0
        revoked = (ApiToken.update(revoked_at=clock.now())
                   .where(ApiToken.id.in_(live) & ApiToken.revoked_at.is_null()).execute())
        if revoked:
            events.announce(by, 'api_token.revoke_all', User.get_by_id(user_id), reason=reason, tokens=revoked)
    return revoked


def is_usable(token: ApiToken) -> bool:
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > clock.now())


def authenticate(raw: str | None, client: str) -> tuple[User, ApiToken]:
    """The admin and token behind a bearer token; raises InvalidApiToken, or TooManyAttempts when this
    client sent too many wrong ones (only failures count: a wrong token costs an attempt).

    A valid token always works (issue 27): behind a reverse proxy every client shares one address, so a lock on
    the address before the token is checked would let anyone stop a provider's automation with wrong tokens.
    Guessing gains nothing from that order: a token is 256 random bits, and wrong ones are still refused with
    429 once the address used up its attempts."""
    keys = [f'api-token-client:{client}']
    if not raw or not TOKEN_RE.match(raw):
        raise InvalidApiToken()  # no token, or one that cannot be a token: no guess, nothing to count
    row = (ApiToken.select(ApiToken, User).join(User).where(ApiToken.token_hash == digest(raw)).first())
    if row is None or not is_usable(row) or not is_portal_admin(row.user):
        if row is not None and is_usable(row):  # its owner is no active portal admin (any more): for good
            revoke_all_of(row.user_id, 'the owner is no longer an active portal admin')
        if throttle.exceeded(keys):  # locked: refused without a write per request
            raise throttle.TooManyAttempts(TOO_MANY)
        throttle.attempt(keys, TOO_MANY)
        raise InvalidApiToken()
    now = clock.now()
    if row.last_used_at is None or row.last_used_at < now - LAST_USED_EVERY:
        ApiToken.update(last_used_at=now).where(ApiToken.id == row.id).execute()
        row.last_used_at = now
    return row.user, row
