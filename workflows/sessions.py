"""Browser sessions as rows: a random token whose SHA-256 is stored with the user, and the one-time
sign-in ticket that hands a fresh session to a browser over a plain HTTP request (so that the browser's
storage id can be renewed at sign-in: no session fixation)."""
from __future__ import annotations

import secrets
from datetime import timedelta

from db import clock
from db.connection import database
from db.models import User, UserSession, UserStatus
from domain.at_rest import digest
from workflows import tokens

IDLE_LIMIT = timedelta(days=14)


def open_for(user: User) -> str:
    """Start a session for `user`; returns the raw token for the browser's storage."""
    token = secrets.token_urlsafe(32)
    UserSession.create(token_hash=digest(token), user=user)
    return token


def user_for(token: str | None) -> User | None:
    """The active user of a session token, fresh from the database; None when ended, idle or inactive."""
    if not token:
        return None
    row = (UserSession.select(UserSession, User).join(User)
           .where(UserSession.token_hash == digest(token)).first())
    if row is None or row.user.status != UserStatus.ACTIVE or row.last_seen_at < clock.now() - IDLE_LIMIT:
        return None
    if row.last_seen_at < clock.now() - timedelta(minutes=5):  # keep-alive without a write per request
        UserSession.update(last_seen_at=clock.now()).where(UserSession.id == row.id).execute()
    return row.user


def end(token: str | None) -> None:
    if token:
        UserSession.delete().where(UserSession.token_hash == digest(token)).execute()


def end_all(user: User) -> int:
    return UserSession.delete().where(UserSession.user == user).execute()


def end_others(user: User, keep: str | None) -> int:
    """Sign the user out everywhere but in the session `keep` (after a password change)."""
    query = UserSession.delete().where(UserSession.user == user)
    if keep:
        query = query.where(UserSession.token_hash != digest(keep))
    return query.execute()


def issue_ticket(user: User) -> str:
    """A one-time ticket, valid for two minutes, that the browser trades for a session at /auth/session."""
    with database.atomic():
        return tokens.issue(tokens.SIGN_IN, user)


def redeem_ticket(raw: str | None) -> tuple[User, str]:
    """Use a ticket once: (the user, a new session token). Raises InvalidToken."""
    with database.atomic():
        ticket = tokens.consume(tokens.SIGN_IN, raw)
        user = User.get_or_none((User.id == ticket.user_id) & (User.status == UserStatus.ACTIVE))
        if user is None:
            raise tokens.InvalidToken()
        return user, open_for(user)
