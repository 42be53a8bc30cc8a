"""Browser sessions as rows: a random token whose SHA-256 is stored with the user, and the one-time
sign-in ticket that hands a fresh session to a browser over a plain HTTP request (so that the browser's
storage id can be renewed at sign-in: no session fixation)."""
from __future__ import annotations

import secrets
from datetime import timedelta

from db import clock
from db.connection import database
from db.models import User, UserSession, UserStatus
from domain import events
from domain.at_rest import digest
from workflows import tokens

IDLE_LIMIT = timedelta(days=14)


def open_for(user: User, method: str = 'password', *, user_agent: str = '', ip: str = '',
             provider_id: int | None = None, provider_sid: str | None = None) -> str:
    """Start a session for `user`; returns the raw token for the browser's storage. `method` says how the person
    signed in (Profile -> Sessions shows it with the browser's user agent and address)."""
    token = secrets.token_urlsafe(32)
    UserSession.create(token_hash=digest(token), user=user, method=method[:120], user_agent=user_agent[:300],
                       ip=ip[:64], provider_id=provider_id, provider_sid=(provider_sid or None) and provider_sid[:255])
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


def method_of(token: str | None) -> str:
    """How the session of this token signed in ('' for none)."""
    if not token:
        return ''
    return UserSession.select(UserSession.method).where(UserSession.token_hash == digest(token)).scalar() or ''


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


def issue_ticket(user: User, method: str = 'password', *, provider_id: int | None = None,
                 provider_sid: str | None = None) -> str:
    """A one-time ticket, valid for two minutes, that the browser trades for a session at /auth/session; it
    carries how the person signed in to the session it becomes."""
    with database.atomic():
        return tokens.issue(tokens.SIGN_IN, user, method=method, provider_id=provider_id, provider_sid=provider_sid)


def redeem_ticket(raw: str | None, *, user_agent: str = '', ip: str = '') -> tuple[User, str]:
    """Use a ticket once: (the user, a new session token). Raises InvalidToken."""
    with database.atomic():
        ticket = tokens.consume(tokens.SIGN_IN, raw)
        user = User.get_or_none((User.id == ticket.user_id) & (User.status == UserStatus.ACTIVE))
        if user is None:
            raise tokens.InvalidToken()
        data = ticket.data or {}
        return user, open_for(user, data.get('method') or 'password', user_agent=user_agent, ip=ip,
                              provider_id=data.get('provider_id'), provider_sid=data.get('provider_sid'))


def of(user: User) -> list[UserSession]:
    """The user's sessions that can still be used, most recently seen first (Profile -> Sessions)."""
    return list(UserSession.select().where((UserSession.user == user)
                                           & (UserSession.last_seen_at >= clock.now() - IDLE_LIMIT))
                .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))


def end_one(user: User, session_id: int) -> bool:
    """Sign out one of the user's own sessions (another person's session id changes nothing)."""
    with database.atomic():
        ended = UserSession.delete().where((UserSession.id == session_id) & (UserSession.user == user)).execute()
        if ended:
            events.announce(user, 'user.sign_out', user, sessions=1)
    return bool(ended)


def sign_out_everywhere(user: User, keep: str | None = None) -> int:
    """Profile -> Sessions: end every session of the user (but `keep`, this browser's, when given)."""
    with database.atomic():
        ended = end_others(user, keep) if keep else end_all(user)
        if ended:
            events.announce(user, 'user.sign_out', user, sessions=ended, this_browser_too=not keep)
    return ended


_BROWSERS = (('Edg/', 'Edge'), ('OPR/', 'Opera'), ('Firefox/', 'Firefox'), ('HeadlessChrome/', 'Chrome (headless)'),
             ('Chromium/', 'Chromium'), ('Chrome/', 'Chrome'), ('CriOS/', 'Chrome'), ('Safari/', 'Safari'),
             ('curl/', 'curl'), ('python-httpx/', 'a script (httpx)'), ('python-requests/', 'a script (requests)'))
_SYSTEMS = (('Windows', 'Windows'), ('iPhone', 'iPhone'), ('iPad', 'iPad'), ('Android', 'Android'),
            ('CrOS', 'ChromeOS'), ('Mac OS X', 'macOS'), ('Macintosh', 'macOS'), ('Linux', 'Linux'))


def device_of(user_agent: str) -> str:
    """"Firefox on Windows" from a User-Agent header: what a person recognises their device by (the whole header
    is kept too, for the curious)."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), '')
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), '')
    if browser and system:
        return f'{browser} on {system}'
    return browser or system or 'Unknown device'


def method_label(method: str) -> str:
    """How a session signed in, in words: 'password+totp' -> 'Password and authenticator app'."""
    if method.startswith('provider:'):
        return f'{method.partition(":")[2]} (single sign-on)'
    words = {'password': 'Password', 'totp': 'authenticator app', 'passkey': 'passkey',
             'recovery': 'recovery code', 'recovery code': 'recovery code', 'provider': 'identity provider',
             'invite': 'invitation link', 'setup': 'setup link', 'reset': 'password reset', 'registration': 'registration'}
    parts = [words.get(part, part) for part in method.split('+') if part]
    if not parts:
        return 'Unknown'
    text = ' and '.join(parts)
    return text[0].upper() + text[1:]


def is_current(row: UserSession, token: str | None) -> bool:
    return bool(token) and row.token_hash == digest(token)
