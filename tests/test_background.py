"""Background work: the loops stop when asked, failures are logged, and SIGTERM loses no email."""
from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time

import background
from db.models import OutboxMessage, OutboxStatus
from mail import outbox
from tests.servers import Portal
from tests.utils import Mailbox, free_port


async def test_a_loop_stops_at_once_when_cancelled_even_while_its_thread_works() -> None:
    rounds: list[float] = []
    stopping = threading.Event()

    def work() -> None:  # blocking work that looks at `stopping` between its steps, as the mail worker does
        rounds.append(time.monotonic())
        for _ in range(100):
            if stopping.is_set():
                return
            time.sleep(0.01)

    task = asyncio.ensure_future(background.repeat('test loop', work, 0.01, stopping=stopping, grace=2))
    while not rounds:
        await asyncio.sleep(0.01)
    started = time.monotonic()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done and task.cancelled()
    assert time.monotonic() - started < 0.5  # the thread saw `stopping` and the cancellation went through
    assert stopping.is_set()


async def test_a_failing_round_is_logged_with_its_traceback_and_the_loop_goes_on(caplog) -> None:
    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError('the database went away')

    with caplog.at_level(logging.ERROR, logger='portico.background'):
        task = asyncio.ensure_future(background.repeat('flaky loop', work, 0.01))
        while len(calls) < 3:
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.wait({task})
    [record] = [r for r in caplog.records if r.name == 'portico.background']
    assert 'flaky loop failed' in record.getMessage()
    assert record.exc_info and record.exc_info[0] is ValueError
    caplog.clear()  # logged on purpose


async def test_stop_all_ends_every_started_loop() -> None:
    background.start('one', background.repeat('one', lambda: None, 0.01))
    background.start('two', background.repeat('two', lambda: None, 60, wait_first=True))
    await asyncio.sleep(0.05)
    assert background.running() == ['one', 'two']
    started = time.monotonic()
    await background.stop_all()
    assert background.running() == [] and time.monotonic() - started < 1


def test_sigterm_mid_batch_stops_within_5_s_and_each_email_is_delivered_once(db, tmp_path) -> None:
    """A slow SMTP server (0.2 s a message) and 24 queued emails; SIGTERM after the first few: the instance
    ends within 5 s, finishing the message it was sending; after a restart every message has arrived once."""
    smtp = Mailbox(delay=0.2)
    smtp.start()
    try:
        recipients = [f'reader{number:02}@consumer.test' for number in range(24)]
        for recipient in recipients:
            outbox.queue('test', recipient, sender_name='Ada')
        env = {'PORTICO_SMTP_URL': smtp.url, 'PORTICO_MAIL_POLL_SECONDS': '0.2'}
        portal = Portal(free_port(), tmp_path / 'first.log', **env)
        deadline = time.monotonic() + 30
        while len(smtp.messages) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(smtp.messages) >= 3, portal.log_text()[-3000:]
        seconds = portal.stop()
        assert seconds < 5, f'SIGTERM took {seconds:.1f} s'
        delivered_before = len(smtp.messages)
        assert delivered_before < len(recipients)  # it was stopped mid-way
        rows = list(OutboxMessage.select())
        assert sum(row.status == OutboxStatus.SENT for row in rows) == delivered_before  # each one marked
        assert not [row for row in rows if row.status == OutboxStatus.SENDING]  # the rest went back to the queue
        assert 'Traceback' not in (tmp_path / 'first.log').read_text()

        portal = Portal(free_port(), tmp_path / 'second.log', **env)
        try:
            deadline = time.monotonic() + 60
            while len(smtp.messages) < len(recipients) and time.monotonic() < deadline:
                time.sleep(0.05)
            while OutboxMessage.select().where(OutboxMessage.status != OutboxStatus.SENT).exists() \
                    and time.monotonic() < deadline:
                time.sleep(0.05)  # the last message is marked just after the server took it
        finally:
            portal.stop()
        copies = collections.Counter(message.message_id for message in smtp.messages)
        assert len(copies) == len(recipients) and set(copies.values()) == {1}, copies
        assert sorted(message.to for message in smtp.messages) == recipients
        assert {row.status for row in OutboxMessage.select()} == {OutboxStatus.SENT}
    finally:
        smtp.stop()


def test_the_mail_worker_reads_the_portal_name_and_the_templates_once_per_batch(db, smtp_server) -> None:
    from db.connection import database
    from db.models import EmailTemplate
    from mail import transports, worker
    from tests.utils import set_settings
    set_settings(portal_name='Acme APIs')
    EmailTemplate.create(key='test', subject='Ping from ${portal_name}', body='Sent by ${sender_name}.')
    for number in range(6):
        outbox.queue('test', f'reader{number}@consumer.test', sender_name='Ada')
        outbox.queue('reset', f'reader{number}@consumer.test', first_name='Ann', secret={'link': 'http://portal.test/x'})
    statements: list[str] = []
    execute_sql = database.obj.execute_sql

    def counting(sql, *args, **kwargs):
        statements.append(sql)
        return execute_sql(sql, *args, **kwargs)

    database.obj.execute_sql = counting
    try:
        assert worker.deliver_due(transports.SmtpTransport(smtp_server.url, 'portal@provider.test')) == 12
    finally:
        del database.obj.execute_sql
    assert len([sql for sql in statements if '"setting"' in sql]) == 1
    assert len([sql for sql in statements if '"email_template_text"' in sql]) == 1  # issue 28: per language
    assert len(smtp_server.to('reader0@consumer.test', 'Ping from Acme APIs')) == 1  # the override, the name
    assert len(smtp_server.to('reader5@consumer.test', 'Reset your Acme APIs password')) == 1  # the default file
