"""Portal settings (admin: Settings page): defaults here, changes stored as rows."""
from __future__ import annotations

from typing import Any

import config
from db.models import Setting, User
from permissions import ensure
from workflows import DomainError, audit

DEFAULTS: dict[str, Any] = {
    'portal_name': 'Portico',
    'auto_approve_users': False,
    'delegate_user_management': False,
    'require_email_verification': True,
    'enable_org_registration': True,
    'auto_approve_orgs': False,
    'auto_approve_apps': True,
    'delegate_app_management': False,
    'org_admins_invite_codes': False,
    'admin_email': '',
    'base_url': '',
    'outbox_retention_days': '',  # empty: PORTICO_OUTBOX_RETENTION_DAYS
}

LABELS = {
    'portal_name': 'Portal name',
    'auto_approve_users': 'Auto-approve user registrations',
    'delegate_user_management': 'Delegate user management to organisation admins',
    'require_email_verification': 'Require email verification',
    'enable_org_registration': 'Enable API consumers to register organizations',
    'auto_approve_orgs': 'Auto-approve API consumers registering organization',
    'auto_approve_apps': 'Auto-approve applications',
    'delegate_app_management': 'Delegate application management',
    'org_admins_invite_codes': 'Let organization super admins create invite codes for their teams',
    'admin_email': 'Admin notification address',
    'base_url': 'Base URL used in email links',
    'outbox_retention_days': 'Keep delivered emails (days)',
}


def load() -> dict[str, Any]:
    """All settings in one query."""
    values = dict(DEFAULTS)
    values.update({row.key: row.value for row in Setting.select()})
    return values


def get(key: str) -> Any:
    row = Setting.get_or_none(Setting.key == key)
    return DEFAULTS[key] if row is None else row.value


def admin_email() -> str:
    return get('admin_email') or config.current().admin_email


def admin_addresses() -> list[str]:
    """Where approval notices for the API admin go: the configured address, else every active portal admin."""
    address = admin_email()
    if address:
        return [address]
    from db.models import UserStatus
    return [user.email for user in User.select(User.email).where(User.is_portal_admin
                                                                  & (User.status == UserStatus.ACTIVE))]


def base_url() -> str:
    return (get('base_url') or config.current().base_url).rstrip('/')


def update(changes: dict[str, Any], by: User) -> None:
    """Save changed settings (portal admins only)."""
    ensure(by, 'manage_settings')
    unknown = set(changes) - set(DEFAULTS)
    if unknown:
        raise DomainError(f'Unknown setting: {", ".join(sorted(unknown))}')
    for key, value in changes.items():
        if isinstance(DEFAULTS[key], bool):
            changes[key] = bool(value)
        else:
            value = str(value or '').strip()
            if len(value) > 200:
                raise DomainError(f'{LABELS[key]} is too long (200 characters at most).', key)
            if key == 'admin_email' and value and '@' not in value:
                raise DomainError('Enter a valid email address.', key)
            if key == 'base_url' and value and not value.startswith(('http://', 'https://')):
                raise DomainError('The base URL must start with http:// or https://.', key)
            if key == 'outbox_retention_days' and value and not (value.isdigit() and 1 <= int(value) <= 3650):
                raise DomainError('Enter a whole number of days from 1 to 3650, or leave it empty.', key)
            if key == 'portal_name' and not value:
                raise DomainError('The portal needs a name.', key)
            changes[key] = value
    with Setting._meta.database.atomic():
        for key, value in changes.items():
            Setting.insert(key=key, value=value).on_conflict(
                conflict_target=[Setting.key], update={Setting.value: value}).execute()
        audit.record(by, 'settings.update', None, changes=changes)
