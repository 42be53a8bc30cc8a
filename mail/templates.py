"""Email templates: defaults in files per language, admin overrides in the EmailTemplate table per language.

A template is a subject and a body with `${name}` placeholders (string.Template: no attribute access,
so an edited template cannot reach into Python objects).

Languages (issue 28): English is `mail/templates/<key>.txt`, another language `mail/templates/<language>/<key>.txt`
with the same placeholders (tests/test_mail_languages.py checks it). An email in a language is the admin's version
in that language, else the shipped file of that language, else the English file: an admin's English version does
not replace a shipped German file.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from string import Template

from db.models import EmailTemplate
from domain.i18n import DEFAULT, LANGUAGES, N_

FOLDER = Path(__file__).parent / 'templates'

# where the text of a template in a language comes from (the Email templates page shows it)
EDITED, SHIPPED, ENGLISH = 'edited', 'shipped', 'english'

# what each email is for (the Email templates page shows it translated; the REST API in English)
DESCRIPTIONS = {
    'verify': N_('Registration: confirm the email address'),
    'created': N_('Registration approved: the account is active'),
    'pending': N_('Registration confirmed, waiting for approval'),
    'registration_admin_notice': N_('To the approver: a registration waits for a decision'),
    'rejected': N_('Registration rejected'),
    'registration_exists': N_('Registration attempt with an address that has an account'),
    'invite': N_('Invitation by a portal admin (Send invite)'),
    'reset': N_('Password reset link'),
    'org_request_admin_notice': N_('To the admins: an organization request waits for a decision'),
    'org_approved': N_('Organization request approved'),
    'org_rejected': N_('Organization request rejected'),
    'sso_joined': N_('To the super admins: someone joined the organization through its identity provider'),
    'teammate_invite': N_('Invitation to join an organization'),
    'test': N_('Test message from the Outbox page'),
    'app_pending_notice': N_('To the approvers: a new app waits for a decision'),
    'app_created': N_('App approved (created)'),
    'app_rejected': N_('App rejected'),
    'access_pending': N_('Access request waiting for approval (to the requester)'),
    'access_request_notice': N_('To the approvers: an access request waits for a decision'),
    'access_approved': N_('Access request approved: credentials in My apps'),
    'access_rejected': N_('Access request rejected'),
    'api_submitted_notice': N_('To the admins: an API waits for approval to be published'),
    'api_published': N_('Submitted API approved for publishing'),
    'api_rejected': N_('Submitted API rejected'),
    'invite_code_joined': N_('To the super admins: someone joined the organization with an invite code'),
    'webhook_disabled': N_('To the admins: a failing webhook endpoint was disabled'),
    'key_ending': N_('To the app owners: a rotated key stops within a day'),
    'key_expiring': N_('To the app owners: a key reaches the end of its lifetime in 14 or 3 days'),
    'api_deprecated': N_('To the app owners: an API version their app uses is deprecated, with its sunset'),
    'api_sunset_soon': N_('To the app owners: a deprecated API version stops in 30 or 7 days'),
}

SAMPLE_CONTEXT = {
    'portal_name': 'Portico', 'first_name': 'Ada', 'last_name': 'Lovelace', 'email': 'ada@example.com',
    'link': 'https://portal.example.com/auth/verify?token=...', 'login_link': 'https://portal.example.com/login',
    'registrant_name': 'Ada Lovelace', 'registrant_email': 'ada@example.com', 'organisation_part': ' for Acme',
    'review_link': 'https://portal.example.com/admin/users', 'reason_part': '', 'inviter_name': 'Grace Hopper',
    'organisation_name': 'Acme', 'requester_name': 'Ada Lovelace', 'requester_email': 'ada@example.com',
    'dashboard_link': 'https://portal.example.com/dashboard', 'role_label': 'Team member',
    'sender_name': 'Grace Hopper', 'app_name': 'Shipping bot', 'apps_link': 'https://portal.example.com/apps',
    'products': 'Weather API, Maps API', 'catalog_name': 'Public', 'plan_name': 'Free',
    'api_name': 'Weather API', 'base_path': '/weather/', 'submitter_name': 'Ada Lovelace',
    'submitter_email': 'ada@example.com', 'reset_link': 'https://portal.example.com/auth/forgot',
    'team_name': 'Partners', 'members_link': 'https://portal.example.com/dashboard/users',
    'webhook_url': 'https://crm.example.com/hooks/portico', 'failing_since': 'failing since 2026-01-31 12:00 UTC',
    'webhooks_link': 'https://portal.example.com/admin/webhooks', 'provider_name': 'Acme Okta',
    'key_prefix': 'ptc_3f9aK2', 'ends_at': '2026-01-31 12:00 UTC', 'days_left': '14 days',
    'sunset_date': '2027-03-31', 'successor_part': 'Move to Weather API v2: https://api.example.com/weather/v2/',
}


def keys() -> list[str]:
    return sorted(path.stem for path in FOLDER.glob('*.txt'))


def folder(locale: str) -> Path:
    return FOLDER if locale == DEFAULT else FOLDER / locale


def parse(text: str) -> tuple[str, str]:
    first, _, body = text.partition('\n')
    subject = first.removeprefix('Subject:').strip()
    return subject, body.lstrip('\n')


@functools.lru_cache(maxsize=256)  # the files ship with the code: read once per process
def shipped(key: str, locale: str = DEFAULT) -> tuple[str, str] | None:
    """The shipped (subject, body) of a template in a language, or None when that language has no file."""
    if locale not in LANGUAGES or Path(key).name != key:
        return None
    path = folder(locale) / f'{key}.txt'
    return parse(path.read_text(encoding='utf-8')) if path.is_file() else None


def default(key: str, locale: str = DEFAULT) -> tuple[str, str]:
    """The shipped text in `locale`, else the English one."""
    found = shipped(key, locale) or shipped(key, DEFAULT)
    if found is None:
        raise KeyError(f'no email template {key!r}')
    return found


def effective(key: str, locale: str = DEFAULT) -> tuple[str, str, bool]:
    """(subject, body, overridden) as they will be sent in `locale`."""
    override = EmailTemplate.get_or_none((EmailTemplate.key == key) & (EmailTemplate.locale == locale))
    if override is not None:
        return override.subject, override.body, True
    return (*default(key, locale), False)


def origin(key: str, locale: str, overridden: bool) -> str:
    """EDITED (the admin's version in that language), SHIPPED (the file of that language) or ENGLISH (no file
    of that language: the English one is sent)."""
    if overridden:
        return EDITED
    return SHIPPED if shipped(key, locale) is not None else ENGLISH


def overrides(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """The admin's (subject, body) of those of these (key, locale) templates that are overridden, in one query."""
    wanted = set(keys)
    if not wanted:
        return {}
    names = sorted({key for key, _ in wanted})
    locales = sorted({locale for _, locale in wanted})
    rows = EmailTemplate.select().where(EmailTemplate.key.in_(names) & EmailTemplate.locale.in_(locales))
    return {(row.key, row.locale): (row.subject, row.body) for row in rows if (row.key, row.locale) in wanted}


def render(key: str, context: dict, found: dict[tuple[str, str], tuple[str, str]] | None = None,
           locale: str = DEFAULT) -> tuple[str, str]:
    """The message in `locale`; `found` is what `overrides` answered for a batch (else the database is read now)."""
    if found is None:
        subject, body, _ = effective(key, locale)
    else:
        subject, body = found.get((key, locale)) or default(key, locale)
    return substitute(subject, context), substitute(body, context)


def substitute(text: str, context: dict) -> str:
    return Template(text).safe_substitute({k: str(v) for k, v in context.items()})


def placeholders(text: str) -> set[str]:
    return {match[1] or match[2] for match in Template.pattern.findall(text) if match[1] or match[2]}
