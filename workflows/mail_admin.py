"""Admin actions on email: edit and reset templates, retry a failed message, send a test."""
from __future__ import annotations

from db import clock
from db.connection import database
from db.models import EmailTemplate, User
from mail import outbox, templates
from permissions import ensure
from domain import events
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


def save_template(key: str, subject: str, body: str, by: User) -> None:
    """Store an admin's version of a template; unknown placeholders are refused."""
    ensure(by, 'manage_templates')
    if key not in templates.DESCRIPTIONS:
        raise DomainError('Unknown template.')
    subject, body = (subject or '').strip(), (body or '').strip()
    if not subject:
        raise DomainError('The subject cannot be empty.', 'subject')
    if len(subject) > SUBJECT_MAX or '\n' in subject:
        raise DomainError(f'The subject must be one line of at most {SUBJECT_MAX} characters.', 'subject')
    if not body:
        raise DomainError('The body cannot be empty.', 'body')
    if len(body) > MAX_BODY:
        raise DomainError(f'The body is too long ({MAX_BODY:,} characters at most).', 'body')
    default_subject, default_body = templates.default(key)
    allowed = templates.placeholders(default_subject + default_body) | {'portal_name'}
    unknown = templates.placeholders(subject + body) - allowed
    if unknown:
        raise DomainError(f'Unknown placeholder: {", ".join("${" + name + "}" for name in sorted(unknown))}. '
                          f'Available: {", ".join("${" + name + "}" for name in sorted(allowed))}.', 'body')
    if '${link}' in default_body and '${link}' not in body:
        raise DomainError('The body must keep the ${link} placeholder: without it the email is useless.', 'body')
    with database.atomic():
        EmailTemplate.insert(key=key, subject=subject, body=body, updated_by=by, updated_at=clock.now()).on_conflict(
            conflict_target=[EmailTemplate.key, EmailTemplate.locale],
            update={EmailTemplate.subject: subject, EmailTemplate.body: body, EmailTemplate.updated_by: by,
                    EmailTemplate.updated_at: clock.now()}).execute()
        events.announce(by, 'template.save', None, key=key)


def reset_template(key: str, by: User) -> None:
    ensure(by, 'manage_templates')
    with database.atomic():
        EmailTemplate.delete().where((EmailTemplate.key == key) & (EmailTemplate.locale == 'en')).execute()
        events.announce(by, 'template.reset', None, key=key)
