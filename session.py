"""Who is signed in, sign-in and sign-out, and the one place that decides who may do what.

The browser keeps a random session token in NiceGUI's per-browser storage; the database keeps its
hash with the user. The user, role and status are read from the database on every page load and on
every action, so a deactivation or a role change takes effect at once, also in an open tab.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import secrets
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, run, ui
from starlette.middleware.base import BaseHTTPMiddleware

from db import clock
from db.models import Organisation, OrgStatus, Role, User, UserSession, UserStatus
from db.connection import database
from workflows import DomainError, is_clean_text, passwords, throttle

SESSION_KEY = 'portico_session'
PUBLIC_PATHS = {'/', '/login', '/register', '/forbidden', '/healthz', '/setup', '/auth/forgot',
                '/auth/reset/code', '/auth/verify', '/auth/invite', '/catalogs'}
PUBLIC_PREFIXES = ('/_nicegui', '/static/', '/api/', '/oauth/', '/products/', '/favicon')
SESSION_IDLE_LIMIT = timedelta(days=14)


class PermissionDenied(DomainError):
    def __init__(self, message: str = 'You are not allowed to do this.') -> None:
        super().__init__(message)


class SignInError(DomainError):
    pass


# --- who is this ----------------------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _stored_token() -> str | None:
    try:
        return app.storage.user.get(SESSION_KEY)
    except (RuntimeError, AssertionError):  # no request or client context (e.g. a background task)
        return None


def current_user() -> User | None:
    """The active user of this browser, fresh from the database; None when signed out or no longer active."""
    token = _stored_token()
    if not token:
        return None
    row = (UserSession.select(UserSession, User)
           .join(User)
           .where(UserSession.token_hash == _digest(token))
           .first())
    if row is None or row.user.status != UserStatus.ACTIVE or row.last_seen_at < clock.now() - SESSION_IDLE_LIMIT:
        return None
    if row.last_seen_at < clock.now() - timedelta(minutes=5):  # keep-alive without a write per request
        UserSession.update(last_seen_at=clock.now()).where(UserSession.id == row.id).execute()
    return row.user


async def sign_in(email: str, password: str, client_key: str = '') -> User:
    """Check the credentials and start a session; raises SignInError with a message for the form."""
    email = (email or '').strip().lower()
    if not email or not password:
        raise SignInError('Enter your email and password.')
    if len(email) > 254 or len(password) > passwords.MAX_LENGTH or not is_clean_text(email + password):
        raise SignInError('Wrong email or password.')
    keys = [f'login:{email}'] + ([f'login-client:{client_key}'] if client_key else [])
    throttle.check(keys, 'Too many failed sign-in attempts. Please wait a few minutes and try again.')
    user = User.get_or_none(User.email == email)
    ok, new_hash = await run.io_bound(passwords.verify, password, user.password_hash if user else None)
    if not ok or user is None:
        throttle.hit(keys)
        raise SignInError('Wrong email or password.')
    if user.status != UserStatus.ACTIVE:
        raise SignInError(_STATUS_MESSAGES.get(user.status, 'This account cannot sign in.'))
    with database.atomic():
        if new_hash:
            User.update(password_hash=new_hash).where(User.id == user.id).execute()
        User.update(last_login_at=clock.now()).where(User.id == user.id).execute()
        start(user)
    throttle.clear(keys)
    return user


_STATUS_MESSAGES = {
    UserStatus.PENDING_VERIFICATION: 'Please confirm your email address first: follow the link in the email we sent you.',
    UserStatus.PENDING_APPROVAL: 'Your registration is waiting for an administrator to approve it.',
    UserStatus.INVITED: 'Please accept your invitation first: follow the link in the invitation email.',
    UserStatus.INACTIVE: 'This account is deactivated. Contact the portal administrator.',
    UserStatus.REJECTED: 'This registration was not approved.',
}


def start(user: User) -> None:
    """Sign this browser in as `user`."""
    token = secrets.token_urlsafe(32)
    UserSession.create(token_hash=_digest(token), user=user)
    app.storage.user[SESSION_KEY] = token


def sign_out() -> None:
    token = _stored_token()
    if token:
        UserSession.delete().where(UserSession.token_hash == _digest(token)).execute()
        app.storage.user.pop(SESSION_KEY, None)


def end_other_sessions(user: User) -> int:
    """Sign the user out everywhere but in this browser (after a password change)."""
    token = _stored_token()
    query = UserSession.delete().where(UserSession.user == user)
    if token:
        query = query.where(UserSession.token_hash != _digest(token))
    return query.execute()


def end_all_sessions(user: User) -> int:
    return UserSession.delete().where(UserSession.user == user).execute()


# --- who may do what ------------------------------------------------------------------------------

def is_signed_in(user: User | None) -> bool:
    return user is not None and user.status == UserStatus.ACTIVE


def is_portal_admin(user: User | None) -> bool:
    return is_signed_in(user) and user.is_portal_admin


def is_super_admin_of(user: User | None, organisation: Organisation | int | None) -> bool:
    """A super admin of this (active, non-default) organisation."""
    org_id = organisation.id if isinstance(organisation, Organisation) else organisation
    return (is_signed_in(user) and user.role == Role.SUPER_ADMIN and org_id is not None
            and user.organisation_id == org_id and _org_is_active_non_default(org_id))


def _org_is_active_non_default(org_id: int) -> bool:
    return Organisation.select().where((Organisation.id == org_id) & (Organisation.status == OrgStatus.ACTIVE)
                                       & ~Organisation.is_default).exists()


def _setting(key: str):
    from workflows import settings  # settings checks permissions through this module
    return settings.get(key)


def _may_decide_registration(user: User, registrant: User) -> bool:
    # 000, case 4: with delegated user management the organisation's admins decide too
    return is_portal_admin(user) or (
        _setting('delegate_user_management') and is_super_admin_of(user, registrant.organisation_id))


def _may_decide_for_app(user: User, app) -> bool:
    # 000, application creation and API access workflows, case 4: delegated to the organisation's admins
    return is_portal_admin(user) or (
        _setting('delegate_app_management') and is_super_admin_of(user, app.organisation_id))


RULES: dict[str, Callable[[User | None, object], bool]] = {
    'view_admin': lambda user, _: is_portal_admin(user),
    'manage_settings': lambda user, _: is_portal_admin(user),
    'manage_users': lambda user, _: is_portal_admin(user),
    'manage_templates': lambda user, _: is_portal_admin(user),
    'view_outbox': lambda user, _: is_portal_admin(user),
    'manage_organisations': lambda user, _: is_portal_admin(user),
    'decide_registration': _may_decide_registration,
    'manage_org_members': lambda user, org: is_portal_admin(user) or is_super_admin_of(user, org),
    'view_org_members': lambda user, org: is_portal_admin(user) or (
        is_signed_in(user) and user.organisation_id == getattr(org, 'id', org)),
    'view_dashboard': lambda user, _: is_signed_in(user),
    'manage_catalog': lambda user, _: is_portal_admin(user),
    'decide_app': _may_decide_for_app,  # obj: the App
    'decide_access': lambda user, request: _may_decide_for_app(user, request.app),
    'edit_profile': lambda user, target: is_signed_in(user) and getattr(target, 'id', None) == user.id,
}


def can(user: User | None, action: str, obj: object = None) -> bool:
    """May `user` do `action` (to `obj`)? Pages use it to hide what the user may not do."""
    rule = RULES.get(action)
    return bool(rule and rule(user, obj))


def ensure(user: User | None, action: str, obj: object = None) -> None:
    """Workflows call this first; it raises PermissionDenied when `can` says no."""
    if not can(user, action, obj):
        raise PermissionDenied()


# --- page guards ----------------------------------------------------------------------------------

CHANGE_PASSWORD_PATH = '/profile/password'


def user_passes_test(test: Callable[[User], bool]):
    """Page decorator: signed out -> to Log in; signed in but failing `test` -> the 403 page."""
    def decorator(func):
        @functools.wraps(func)
        async def wrapper(*args, **kwargs):
            request: Request = ui.context.client.request
            user = current_user()
            if user is None:
                target = request.url.path + (f'?{request.url.query}' if request.url.query else '')
                return RedirectResponse(f'/login?next={quote(target)}', status_code=303)
            if user.must_change_password and request.url.path != CHANGE_PASSWORD_PATH:
                return RedirectResponse(CHANGE_PASSWORD_PATH, status_code=303)
            if not test(user):
                return RedirectResponse('/forbidden', status_code=303)
            result = func(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result
        return wrapper
    return decorator


login_required = user_passes_test(is_signed_in)
admin_required = user_passes_test(is_portal_admin)


def safe_next(target: str | None) -> str:
    """A redirect target after sign-in: only local paths, never another site."""
    if target and target.startswith('/') and not target.startswith('//') and '\\' not in target:
        return target
    return '/dashboard'


class DefaultDenyMiddleware(BaseHTTPMiddleware):
    """Every route needs a signed-in user unless it is on the public allow-list."""

    async def dispatch(self, request: Request, call_next):
        path = request.url.path
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            return await call_next(request)
        if current_user() is None:
            return RedirectResponse(f'/login?next={quote(path)}', status_code=303)
        return await call_next(request)
