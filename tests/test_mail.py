"""The outbox, the worker, both transports, templates, and the admin's Outbox page."""
from __future__ import annotations

import asyncio
import io
from datetime import timedelta

import pytest

import config
from db import clock
from db.connection import database
from db.models import EmailTemplate, OutboxMessage, OutboxStatus
from mail import outbox, templates, transports, worker
from tests.utils import a_user, admin_opens, an_admin, opens_as
from domain.errors import DomainError, PermissionDenied
from workflows import mail_admin


def test_outbox_row_is_part_of_the_callers_transaction(db) -> None:
    with pytest.raises(RuntimeError):
        with database.atomic():
            outbox.queue('test', 'someone@example.com', sender_name='Ada')
            raise RuntimeError('the change failed')
    assert OutboxMessage.select().count() == 0


def test_smtp_transport_delivers_to_a_real_smtp_server(db, smtp_server) -> None:
    with database.atomic():
        outbox.queue('reset', 'Ada@Example.com', first_name='Ada', secret={'link': 'http://portal.test/x?token=abc'})
    sent = worker.deliver_due(transports.SmtpTransport(smtp_server.url, 'portal@provider.test'))
    assert sent == 1
    [message] = smtp_server.to('ada@example.com')
    assert message.subject == 'Reset your Portico password'
    assert 'http://portal.test/x?token=abc' in message.body
    row = OutboxMessage.get()
    assert row.status == OutboxStatus.SENT and row.sent_at is not None
    assert row.secret_context == {'link': None}  # the link is not kept once delivered


def test_a_message_queued_while_smtp_is_down_arrives_after_it_starts(db, smtp_server) -> None:
    smtp_server.stop()
    transport = transports.SmtpTransport(smtp_server.url, 'portal@provider.test', timeout=2)
    with database.atomic():
        outbox.queue('test', 'ops@example.com', sender_name='Ada')
    assert worker.deliver_due(transport) == 0
    row = OutboxMessage.get()
    assert row.status == OutboxStatus.QUEUED and row.attempts == 1
    assert 'cannot reach the SMTP server' in row.last_error
    assert worker.deliver_due(transport) == 0  # not due yet: back-off
    smtp_server.start()
    clock.advance(worker.backoff(1) + timedelta(seconds=1))
    assert worker.deliver_due(transport) == 1
    assert smtp_server.to('ops@example.com', 'Test message')
    assert OutboxMessage.get().status == OutboxStatus.SENT


def test_a_message_fails_for_good_after_the_last_attempt_and_can_be_retried(db, smtp_server) -> None:
    smtp_server.stop()
    admin = a_user('admin@provider.test', admin=True)
    transport = transports.SmtpTransport(smtp_server.url, 'portal@provider.test', timeout=2)
    with database.atomic():
        outbox.queue('test', 'ops@example.com', sender_name='Ada')
    for attempt in range(worker.MAX_ATTEMPTS):
        worker.deliver_due(transport)
        clock.advance(timedelta(minutes=11))
    assert OutboxMessage.get().status == OutboxStatus.FAILED
    mail_admin.retry(OutboxMessage.get().id, by=admin)
    smtp_server.start()
    assert worker.deliver_due(transport) == 1


def test_a_claimed_message_of_a_dead_instance_is_picked_up_again(db) -> None:
    with database.atomic():
        outbox.queue('test', 'ops@example.com', sender_name='Ada')
    assert [m.id for m in worker.claim('instance-a')]
    assert worker.claim('instance-b') == []  # claimed, not yet stale
    clock.advance(worker.claim_timeout() + timedelta(seconds=1))
    [message] = worker.claim('instance-b')
    assert message.claimed_by == 'instance-b'


def test_console_transport_prints_the_message(db) -> None:
    stream = io.StringIO()
    with database.atomic():
        outbox.queue('test', 'ops@example.com', sender_name='Ada')
    assert worker.deliver_due(transports.ConsoleTransport('portal@provider.test', stream)) == 1
    assert 'To: ops@example.com' in stream.getvalue()
    assert 'Subject: Test message from Portico' in stream.getvalue()


def test_an_admin_override_of_a_template_is_used(db, smtp_server) -> None:
    admin = a_user('admin@provider.test', admin=True)
    mail_admin.save_template('test', 'Hello from ${portal_name}', 'Custom body by ${sender_name}.', by=admin)
    with database.atomic():
        outbox.queue('test', 'ops@example.com', sender_name='Ada')
    worker.deliver_due(transports.SmtpTransport(smtp_server.url, 'portal@provider.test'))
    [message] = smtp_server.to('ops@example.com')
    assert message.subject == 'Hello from Portico' and 'Custom body by Ada.' in message.body
    mail_admin.reset_template('test', by=admin)
    assert templates.effective('test')[2] is False


def test_template_edits_with_unknown_placeholders_or_without_the_link_are_refused(db) -> None:
    admin = a_user('admin@provider.test', admin=True)
    with pytest.raises(DomainError, match='Unknown placeholder'):
        mail_admin.save_template('reset', 'Reset', 'Use ${link} and ${password}', by=admin)
    with pytest.raises(DomainError, match='must keep the'):
        mail_admin.save_template('reset', 'Reset', 'No link here', by=admin)
    assert EmailTemplate.select().count() == 0


def test_template_edits_are_for_admins_only(db) -> None:
    developer = a_user('dev@consumer.test')
    with pytest.raises(PermissionDenied):
        mail_admin.save_template('test', 'Subject', 'Body', by=developer)
    assert EmailTemplate.select().count() == 0


async def test_admin_sees_the_outbox_and_a_test_message_arrives(mailbox, user) -> None:
    await admin_opens(user, '/admin/outbox')
    await user.should_see(marker='outbox-empty')
    user.find(marker='outbox-test-to').clear().type('ops@provider.test')
    user.find(marker='outbox-test').click()
    message = await mailbox.wait_for('ops@provider.test', 'Test message')
    assert 'Ada Admin' in message.body
    await user.open('/admin/outbox')
    await user.should_see('ops@provider.test')
    await user.should_see(marker='status-sent')


async def test_outbox_preview_hides_link_tokens(smtp_server, user) -> None:
    an_admin('admin@provider.test')
    with database.atomic():
        message = outbox.queue('reset', 'dev@consumer.test', first_name='Dana',
                               secret={'link': 'http://portal.test/auth/reset/code?token=SECRET123'})
    await opens_as(user, 'admin@provider.test', '/admin/outbox')
    user.find(marker=f'outbox-view-{message.id}').click()
    await user.should_see(marker='outbox-preview-body')
    await user.should_not_see('SECRET123')
    await user.should_see('(link hidden: only the recipient sees it)')


async def test_mail_worker_runs_with_the_app(mailbox, user) -> None:
    await user.open('/login')
    with database.atomic():
        outbox.queue('test', 'ops@example.com', sender_name='Ada')
    await mailbox.wait_for('ops@example.com')
    for _ in range(50):  # the worker marks the row right after the server accepted the message
        if OutboxMessage.get().status == OutboxStatus.SENT:
            break
        await asyncio.sleep(0.05)
    assert OutboxMessage.get().status == OutboxStatus.SENT
    assert config.current().smtp_url == mailbox.url
