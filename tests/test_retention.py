"""Retention (issue 14): delivered emails are kept for a number of days (Admin -> Settings, else
PORTICO_OUTBOX_RETENTION_DAYS, 30) and then deleted by the periodic clean-up; queued and failed ones stay."""
from __future__ import annotations

from datetime import timedelta

import pytest

import config
from db import clock
from db.connection import database
from db.models import OutboxMessage, OutboxStatus
from mail import outbox, transports, worker
from tests.utils import an_admin, set_settings
from domain.errors import DomainError
from workflows import maintenance, settings


def delivered_mail(smtp_server, *recipients: str) -> None:
    """Emails that really went out through the loopback SMTP server."""
    with database.atomic():
        for recipient in recipients:
            outbox.queue('test', recipient, sender_name='Ada')
    assert worker.deliver_due(transports.SmtpTransport(smtp_server.url, 'portal@provider.test')) == len(recipients)


def remaining() -> list[str]:
    return sorted(message.recipient for message in OutboxMessage.select())


def test_delivered_emails_go_after_30_days_and_the_others_stay(db, smtp_server) -> None:
    delivered_mail(smtp_server, 'old@consumer.test')
    clock.advance(timedelta(days=29))
    delivered_mail(smtp_server, 'recent@consumer.test')
    with database.atomic():  # waiting for weeks: still due, or failed for an admin to retry
        outbox.queue('test', 'queued@consumer.test', sender_name='Ada')
        failed = outbox.queue('test', 'failed@consumer.test', sender_name='Ada')
    OutboxMessage.update(status=OutboxStatus.FAILED).where(OutboxMessage.id == failed.id).execute()
    OutboxMessage.update(created_at=clock.now() - timedelta(days=40)).execute()
    assert maintenance.run_once()['outbox'] == 0  # 29 days: everything kept
    clock.advance(timedelta(days=1, minutes=1))
    assert maintenance.run_once()['outbox'] == 1
    assert remaining() == ['failed@consumer.test', 'queued@consumer.test', 'recent@consumer.test']


def test_the_admins_setting_replaces_the_configured_retention(db, smtp_server, monkeypatch) -> None:
    monkeypatch.setenv('PORTICO_OUTBOX_RETENTION_DAYS', '60')
    config.use(config.load())
    delivered_mail(smtp_server, 'a@consumer.test')
    clock.advance(timedelta(days=45))
    assert outbox.prune_outbox(clock.now()) == 0  # kept for 60 days
    settings.update({'outbox_retention_days': '7'}, by=an_admin())
    assert outbox.retention_days() == 7
    assert outbox.prune_outbox(clock.now()) == 1
    settings.update({'outbox_retention_days': ''}, by=an_admin('other@provider.test'))
    assert outbox.retention_days() == 60


@pytest.mark.parametrize('typed', ['0', '-1', 'forever', '3651', '1.5'])
def test_a_retention_that_is_not_a_number_of_days_is_refused(db, typed) -> None:
    set_settings(outbox_retention_days='14')
    with pytest.raises(DomainError, match='whole number of days') as refused:
        settings.update({'outbox_retention_days': typed}, by=an_admin())
    assert refused.value.field == 'outbox_retention_days'
    assert outbox.retention_days() == 14


@pytest.mark.parametrize('typed', ['0', 'a month', '99999'])
def test_a_bad_configured_retention_stops_the_start_with_a_message(typed) -> None:
    with pytest.raises(config.ConfigError, match='PORTICO_OUTBOX_RETENTION_DAYS'):
        config.load({'PORTICO_OUTBOX_RETENTION_DAYS': typed, 'PORTICO_DATA_DIR': '/tmp/portico-test-unused',
                     'PORTICO_SECRET_KEY': 'x' * 40})
