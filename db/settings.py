"""The portal's settings as stored: every default here, a changed value as a row of `Setting` (bootstrap writes
a row for each default). Every layer reads a setting through `get` or `load`; workflows/settings.py checks and
saves changes."""
from __future__ import annotations

from typing import Any

import config
from db.models import Setting, User, UserStatus

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
    'require_admin_second_factor': False,  # issue 24: workflows/second_factor.py
    'admin_email': '',
    'base_url': '',
    'outbox_retention_days': '',  # empty: PORTICO_OUTBOX_RETENTION_DAYS
}
# kept by their own pages (Admin -> Webhooks), not by the Settings page; no row until changed
OTHER_DEFAULTS: dict[str, Any] = {
    'webhooks_allow_private_addresses': False,
    'webhooks_disable_after_hours': 72,
    'brand_footer_links': [],  # Admin -> Appearance: [{'label': 'Terms', 'url': 'https://...'}]
    'brand_header_color': '#ffffff',  # Admin -> Appearance (workflows/brand.py; domain/brand.py reads them)
    'brand_primary_color': '#3949ab',
    'brand_accent_color': '#8e24aa',
    'brand_logo': '',  # the logo's sha256 ('' = none): its URL, read with the settings (no query per page)
    'brand_logo_type': '',
    'brand_favicon': '',
    'default_language': 'en',  # issue 28: Admin -> Settings -> Languages (workflows/languages.py)
    'offered_languages': ['en', 'de', 'fr', 'es'],
}


def load() -> dict[str, Any]:
    """All settings in one query."""
    values = {**DEFAULTS, **OTHER_DEFAULTS}
    values.update({row.key: row.value for row in Setting.select()})
    return values


def get(key: str) -> Any:
    row = Setting.get_or_none(Setting.key == key)
    if row is not None:
        return row.value
    return DEFAULTS[key] if key in DEFAULTS else OTHER_DEFAULTS[key]


def put(key: str, value: Any) -> None:
    """Store one value (in the caller's transaction)."""
    Setting.insert(key=key, value=value).on_conflict(conflict_target=[Setting.key],
                                                     update={Setting.value: value}).execute()


# issue 28: the languages the shipped catalogs have (domain/i18n.LANGUAGES says their names); the admin offers some
SHIPPED_LANGUAGES = ('en', 'de', 'fr', 'es')


def default_language() -> str:
    value = get('default_language')
    return value if value in SHIPPED_LANGUAGES else 'en'


def offered_languages() -> list[str]:
    """The languages readers may choose, the default first; always at least the default."""
    default = default_language()
    chosen = [code for code in (get('offered_languages') or []) if code in SHIPPED_LANGUAGES]
    return [default] + [code for code in SHIPPED_LANGUAGES if code in chosen and code != default]


def language_of(address: str) -> str:
    """The language of an email to `address`: its user's choice if offered, else the portal's default."""
    user = User.select(User.locale).where(User.email == address.strip().lower()).first()
    language = user.locale if user is not None else None
    return language if language and language in offered_languages() else default_language()


def admin_email() -> str:
    return get('admin_email') or config.current().admin_email


def admin_addresses() -> list[str]:
    """Where approval notices for the API admin go: the configured address, else every active portal admin."""
    address = admin_email()
    if address:
        return [address]
    return [user.email for user in User.select(User.email).where(User.is_portal_admin
                                                                  & (User.status == UserStatus.ACTIVE))]


def base_url() -> str:
    return (get('base_url') or config.current().base_url).rstrip('/')
