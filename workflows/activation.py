"""Activate developer / Deactivate (003, Admin -> Users): an account stops and starts again.

A deactivated account cannot sign in and its open sessions end at once; its API tokens are revoked for good and
an individual developer's keys stop (an organisation's shared apps keep theirs); activating starts the keys
again but never the tokens.
"""
from __future__ import annotations

from db.connection import database
from db.models import AccessRequest, App, User, UserStatus
from domain import events
from domain.i18n import N_
from domain.errors import Conflict
from permissions import ensure
from workflows import api_tokens, credentials, organisations, registration, sessions
from workflows.accounts import set_status


def activate(target: User, by: User) -> None:
    """Activate developer: an inactive account, or a registration waiting for approval."""
    if target.status == UserStatus.PENDING_APPROVAL:
        return registration.approve(target, by)
    ensure(by, 'manage_users')
    with database.atomic():
        set_status(target, UserStatus.INACTIVE, UserStatus.ACTIVE, by=by)
        _retire_keys_of(target)  # an individual developer's keys work again
        events.announce(by, 'user.activate', target)
        # tokens from before a deactivation stay revoked (this sweeps any that older versions left live)
        api_tokens.revoke_all_of(target, 'the owner was re-activated (tokens from before stay revoked)', by=by)


def deactivate(target: User, by: User) -> None:
    """Deactivate: the account can no longer sign in; open sessions end at once."""
    ensure(by, 'manage_users')
    if target.id == by.id:
        raise Conflict('You cannot deactivate your own account.')
    with database.atomic():
        org = organisations.lock(target.organisation_id)
        current = User.get_or_none(User.id == target.id)
        if current is not None and current.organisation_id == org.id:
            organisations.keep_a_super_admin(
                org, current, 'deactivated',
                N_('Ask them to make a teammate super admin first, or delete the organization.'))
        set_status(target, UserStatus.ACTIVE, UserStatus.INACTIVE, by=by)
        sessions.end_all(target)
        _retire_keys_of(target)  # an individual developer's apps stop with the account
        events.announce(by, 'user.deactivate', target)
        api_tokens.revoke_all_of(target, 'the owner was deactivated', by=by)  # for good: a re-activation keeps them off


def _retire_keys_of(user: User) -> None:
    credentials.retire(AccessRequest.app.in_(App.select(App.id).where(App.owner == user.id)))
