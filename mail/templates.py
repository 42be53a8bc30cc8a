"""Email templates: defaults in mail/templates/*.txt, admin overrides in the EmailTemplate table.

A template is a subject and a body with `${name}` placeholders (string.Template: no attribute access,
so an edited template cannot reach into Python objects).
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from string import Template

from db.models import EmailTemplate

FOLDER = Path(__file__).parent / 'templates'

DESCRIPTIONS = {
    'verify': 'Registration: confirm the email address',
    'created': 'Registration approved: the account is active',
    'pending': 'Registration confirmed, waiting for approval',
    'registration_admin_notice': 'To the approver: a registration waits for a decision',
    'rejected': 'Registration rejected',
    'registration_exists': 'Registration attempt with an address that has an account',
    'invite': 'Invitation by a portal admin (Send invite)',
    'reset': 'Password reset link',
    'org_request_admin_notice': 'To the admins: an organization request waits for a decision',
    'org_approved': 'Organization request approved',
    'org_rejected': 'Organization request rejected',
    'sso_joined': 'To the super admins: someone joined the organization through its identity provider',
    'teammate_invite': 'Invitation to join an organization',
    'test': 'Test message from the Outbox page',
    'app_pending_notice': 'To the approvers: a new app waits for a decision',
    'app_created': 'App approved (created)',
    'app_rejected': 'App rejected',
    'access_pending': 'Access request waiting for approval (to the requester)',
    'access_request_notice': 'To the approvers: an access request waits for a decision',
    'access_approved': 'Access request approved: credentials in My apps',
    'access_rejected': 'Access request rejected',
    'api_submitted_notice': 'To the admins: an API waits for approval to be published',
    'api_published': 'Submitted API approved for publishing',
    'api_rejected': 'Submitted API rejected',
    'invite_code_joined': 'To the super admins: someone joined the organization with an invite code',
    'webhook_disabled': 'To the admins: a failing webhook endpoint was disabled',
    'key_ending': 'To the app owners: a rotated key stops within a day',
    'key_expiring': 'To the app owners: a key reaches the end of its lifetime in 14 or 3 days',
    'api_deprecated': 'To the app owners: an API version their app uses is deprecated, with its sunset',
    'api_sunset_soon': 'To the app owners: a deprecated API version stops in 30 or 7 days',
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


def parse(text: str) -> tuple[str, str]:
    first, _, body = text.partition('\n')
    subject = first.removeprefix('Subject:').strip()
    return subject, body.lstrip('\n')


@functools.lru_cache(maxsize=64)  # the files ship with the code: read once per process
def default(key: str) -> tuple[str, str]:
    path = FOLDER / f'{key}.txt'
    if not path.is_file():
        raise KeyError(f'no email template {key!r}')
    return parse(path.read_text(encoding='utf-8'))


def effective(key: str) -> tuple[str, str, bool]:
    """(subject, body, overridden) as they will be sent."""
    override = EmailTemplate.get_or_none((EmailTemplate.key == key) & (EmailTemplate.locale == 'en'))
    if override is not None:
        return override.subject, override.body, True
    return (*default(key), False)


def overrides(keys: Iterable[str]) -> dict[str, tuple[str, str]]:
    """The admin's (subject, body) of those of these templates that are overridden, in one query."""
    return {row.key: (row.subject, row.body)
            for row in EmailTemplate.select().where(EmailTemplate.key.in_(sorted(set(keys)))
                                                    & (EmailTemplate.locale == 'en'))}


def render(key: str, context: dict, found: dict[str, tuple[str, str]] | None = None) -> tuple[str, str]:
    """The message; `found` is what `overrides` answered for a batch (else the database is read now)."""
    if found is None:
        subject, body, _ = effective(key)
    else:
        subject, body = found.get(key) or default(key)
    return substitute(subject, context), substitute(body, context)


def substitute(text: str, context: dict) -> str:
    return Template(text).safe_substitute({k: str(v) for k, v in context.items()})


def placeholders(text: str) -> set[str]:
    return {match[1] or match[2] for match in Template.pattern.findall(text) if match[1] or match[2]}
