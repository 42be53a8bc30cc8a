"""Admin actions on email: edit and reset templates, retry a failed message, send a test."""
from __future__ import annotations

from db import clock, settings
from db.connection import database
from db.models import EmailTemplate, User
from mail import outbox, templates
from permissions import ensure
from domain import events, i18n
from domain.errors import DomainError
from workflows.accounts import clean_email

MAX_BODY = 20_000
SUBJECT_MAX = 255


def send_test(recipient: str, by: User) -> None:
    ensure(by, 'view_outbox')
    recipient = clean_email(recipient)
    with database.atomic():
        outbox.queue('test', recipient, sender_name=by.full_name)
        events.announce(by, 'mail.test', None, recipient=recipient)


def retry(message_id: int, by: User) -> None:
    ensure(by, 'view_outbox')
    with database.atomic():
        if not outbox.retry(message_id):
            raise DomainError('Only a failed message can be retried.')
        events.announce(by, 'mail.retry', None, message_id=message_id)


def template_language(locale: str | None) -> str:
    """The language a template is edited in: the one asked for (a shipped language), else the portal's default."""
    if not locale:
        return settings.default_language()
    if locale not in settings.SHIPPED_LANGUAGES:
        raise DomainError('Unknown language: {codes}.', 'locale', codes=str(locale)[:20])
    return locale


class _Number:
    """A number written in the reader's locale when the message is shown (20,000 / 20.000 / 20 000)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __str__(self) -> str:
        return i18n.number(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def save_template(key: str, subject: str, body: str, by: User, locale: str | None = None) -> None:
    """Store an admin's version of a template in a language (default: the portal's default language); unknown
    placeholders are refused. Only that language's emails use it."""
    ensure(by, 'manage_templates')
    if key not in templates.DESCRIPTIONS:
        raise DomainError('Unknown template.')
    locale = template_language(locale)
    subject, body = (subject or '').strip(), (body or '').strip()
    if not subject:
        raise DomainError('The subject cannot be empty.', 'subject')
    if len(subject) > SUBJECT_MAX or '\n' in subject:
        raise DomainError('The subject must be one line of at most {limit} characters.', 'subject',
                          limit=SUBJECT_MAX)
    if not body:
        raise DomainError('The body cannot be empty.', 'body')
    if len(body) > MAX_BODY:
        raise DomainError('The body is too long ({limit} characters at most).', 'body', limit=_Number(MAX_BODY))
    default_subject, default_body = templates.default(key)
    allowed = templates.placeholders(default_subject + default_body) | {'portal_name'}
    unknown = templates.placeholders(subject + body) - allowed
    if unknown:
        raise DomainError('Unknown placeholder: {unknown}. Available: {available}.', 'body',
                          unknown=', '.join('${' + name + '}' for name in sorted(unknown)),
                          available=', '.join('${' + name + '}' for name in sorted(allowed)))
    if '${link}' in default_body and '${link}' not in body:
        raise DomainError('The body must keep the ${link} placeholder: without it the email is useless.', 'body')
    with database.atomic():
        EmailTemplate.insert(key=key, locale=locale, subject=subject, body=body, updated_by=by,
                             updated_at=clock.now()).on_conflict(
            conflict_target=[EmailTemplate.key, EmailTemplate.locale],
            update={EmailTemplate.subject: subject, EmailTemplate.body: body, EmailTemplate.updated_by: by,
                    EmailTemplate.updated_at: clock.now()}).execute()
        events.announce(by, 'template.save', None, key=key, locale=locale)


def reset_template(key: str, by: User, locale: str | None = None) -> None:
    """Delete the admin's version of a template in a language: the shipped text of that language is sent again."""
    ensure(by, 'manage_templates')
    locale = template_language(locale)
    with database.atomic():
        EmailTemplate.delete().where((EmailTemplate.key == key) & (EmailTemplate.locale == locale)).execute()
        events.announce(by, 'template.reset', None, key=key, locale=locale)
