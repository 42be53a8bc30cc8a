"""Apps (000 "Application creation workflow"): auto-approved, or pending until an admin (or, with
delegated application management, a super admin of the organisation) approves; `created` email then."""
from __future__ import annotations

from db import clock
from db.connection import database
from db.models import (INDIVIDUAL_APP_NAME, SHARED_APP_NAME, AccessRequest, AccessStatus, App, AppStatus,
                       Organisation, User, UserStatus)
from mail import outbox
from permissions import APPS, can, decider_scope, ensure
from domain import events
from domain.errors import AlreadyDecided, Conflict, DomainError, NotFound
from domain.i18n import lazy
from workflows import approvers, clean_reason, credentials, grants, is_clean_text, settings, taken, visibility

MAX_DESCRIPTION = 1000


def clean_app_name(name: str | None, organisation_id: int, owner: User) -> str:
    name = ' '.join((name or '').split())
    if not name:
        raise DomainError('Enter a name for the app.', 'app_name')
    if len(name) > 100 or not is_clean_text(name):
        raise DomainError('The app name must be at most 100 plain characters.', 'app_name')
    same = App.select().where((App.organisation == organisation_id) & (App.name_key == name.lower()))
    if Organisation.get_by_id(organisation_id).is_default:
        same = same.where(App.owner == owner)  # individual developers name their apps independently
    if same.exists():
        raise name_taken(name)
    return name


def name_taken(name: str) -> DomainError:
    return Conflict('An app named "{name}" exists already.', 'app_name', name=name)


def create_app(name: str, description: str, by: User) -> App:
    """Create a new app (call inside a transaction when part of a bigger change)."""
    if by is None or by.status != UserStatus.ACTIVE:
        raise DomainError('Log in to create an app.')
    name = clean_app_name(name, by.organisation_id, by)
    description = (description or '').strip()
    if len(description) > MAX_DESCRIPTION or not is_clean_text(description):
        raise DomainError('The description must be at most 1,000 plain characters.', 'app_description')
    values = settings.load()
    status = AppStatus.ACTIVE if values['auto_approve_apps'] else AppStatus.PENDING
    individual = Organisation.get_by_id(by.organisation_id).is_default  # named per owner (see clean_app_name)
    refusal = name_taken(name)
    with taken((SHARED_APP_NAME, refusal), (INDIVIDUAL_APP_NAME, refusal)), database.atomic():
        app = App.create(name=name, name_key=name.lower(), description=description, owner=by,
                         organisation=by.organisation_id, status=status, individual=individual)
        events.announce(by, 'app.create', app, name=name, status=status)
        if status == AppStatus.PENDING:
            approvers.notify('app_pending_notice', app, by, values, app_name=name,
                             review_link=f'{settings.base_url()}/admin/apps?status={AppStatus.PENDING}')
    return app


def approve_app(app: App, by: User) -> None:
    ensure(by, 'decide_app', app)
    with database.atomic():
        _decide(app, AppStatus.ACTIVE, by)
        owner = User.get_or_none(User.id == app.owner_id)
        if owner is not None:
            outbox.queue('app_created', owner.email, first_name=owner.first_name, app_name=app.name,
                         apps_link=f'{settings.base_url()}/apps/{app.id}')
        events.announce(by, 'app.approve', app)
        grants.provision_waiting(app)


def reject_app(app: App, by: User, reason: str = '') -> None:
    ensure(by, 'decide_app', app)
    reason = clean_reason(reason)
    with database.atomic():
        _decide(app, AppStatus.REJECTED, by)
        (AccessRequest.update(status=AccessStatus.REJECTED, reason='The app was not approved.', decided_by=by,
                              decided_at=clock.now())
         .where((AccessRequest.app == app) & (AccessRequest.status == AccessStatus.PENDING)).execute())
        owner = User.get_or_none(User.id == app.owner_id)
        if owner is not None:
            outbox.queue('app_rejected', owner.email, first_name=owner.first_name, app_name=app.name,
                         reason_part=lazy('\n\nReason: {reason}', reason=reason) if reason else '')
        events.announce(by, 'app.reject', app, reason=reason)


def _decide(app: App, status: str, by: User) -> None:
    won = (App.update(status=status, decided_by=by, decided_at=clock.now())
           .where((App.id == app.id) & (App.status == AppStatus.PENDING)).execute())
    if not won:
        raise AlreadyDecided('This app')
    app.status = status


def find_visible(app_id: int, user: User) -> App:
    """An app the user may see; another organisation's app is 'not found'."""
    app = visibility.can_see_app(user, app_id)
    if app is None:
        raise NotFound('This app')
    return app


def find_decidable(app_id: int, user: User) -> App:
    app = App.get_or_none(App.id == app_id)
    if app is None or not can(user, 'decide_app', app):
        raise NotFound('This app')
    return app


def delete_app(app: App, by: User) -> None:
    """Delete an app: its keys stop working at once."""
    app = find_visible(app.id, by)
    with database.atomic():
        credentials.retire(AccessRequest.app == app.id)
        app.delete_instance(recursive=True)
        events.announce(by, 'app.delete', app, name=app.name)


def pending_apps_for(user: User) -> list[App]:
    """Pending apps this user may decide (admins: all; delegated super admins: their organisation's)."""
    query = App.select().where(App.status == AppStatus.PENDING).order_by(App.created_at)
    return list(decider_scope(user, APPS).filter(query, App.organisation))
