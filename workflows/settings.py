"""Changing the portal settings (admin: Settings page): what each is called and what it may be. The defaults and
reading them are in db/settings.py, below every layer that reads one."""
from __future__ import annotations

from typing import Any

from db.connection import database
from db.settings import (DEFAULTS, admin_addresses, admin_email, base_url, get, load, offered_languages,  # noqa: F401
                         put)  # read here too
from db.models import User
from domain import events
from domain.errors import DomainError
from domain.i18n import N_, lazy
from permissions import ensure
from workflows import brand, second_factor

LABELS = {
    'portal_name': N_('Portal name'),
    'auto_approve_users': N_('Auto-approve user registrations'),
    'delegate_user_management': N_('Delegate user management to organisation admins'),
    'require_email_verification': N_('Require email verification'),
    'enable_org_registration': N_('Enable API consumers to register organizations'),
    'auto_approve_orgs': N_('Auto-approve API consumers registering organization'),
    'auto_approve_apps': N_('Auto-approve applications'),
    'delegate_app_management': N_('Delegate application management'),
    'org_admins_invite_codes': N_('Let organization super admins create invite codes for their teams'),
    'require_admin_second_factor': N_('Require a second factor for portal admins'),
    'admin_email': N_('Admin notification address'),
    'base_url': N_('Base URL used in email links'),
    'outbox_retention_days': N_('Keep delivered emails (days)'),
}

VALUE_MAX = 200  # characters of a text setting


def update(changes: dict[str, Any], by: User) -> None:
    """Save changed settings (portal admins only)."""
    ensure(by, 'manage_settings')
    unknown = set(changes) - set(DEFAULTS)
    if unknown:
        raise DomainError('Unknown setting: {names}', names=', '.join(sorted(unknown)))
    for key, value in changes.items():
        if isinstance(DEFAULTS[key], bool):
            changes[key] = bool(value)
        else:
            value = str(value or '').strip()
            if len(value) > VALUE_MAX:
                raise DomainError('{label} is too long (200 characters at most).', key, label=lazy(LABELS[key]))
            if key == 'admin_email' and value and '@' not in value:
                raise DomainError('Enter a valid email address.', key)
            if key == 'base_url' and value and not value.startswith(('http://', 'https://')):
                raise DomainError('The base URL must start with http:// or https://.', key)
            if key == 'outbox_retention_days' and value and not (value.isdigit() and 1 <= int(value) <= 3650):
                raise DomainError('Enter a whole number of days from 1 to 3650, or leave it empty.', key)
            if key == 'portal_name':
                value = brand.clean_portal_name(value)  # the one rule of a name (Admin -> Appearance too)
            changes[key] = value
    if changes.get('require_admin_second_factor') and not second_factor.has_any(by):
        raise DomainError('Set up a second factor for yourself first (Profile -> Security): otherwise this '
                          'setting would keep you out of the admin area.', 'require_admin_second_factor')
    with database.atomic():
        for key, value in changes.items():
            put(key, value)
        events.announce(by, 'settings.update', None, changes=changes)
