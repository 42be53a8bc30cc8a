"""Outbox: every email the portal queued, its state, and retry for failed ones."""
from __future__ import annotations

import peewee as pw
from nicegui import ui

import config
import session
from components import dialogs
from components.chips import status_chip
from components.forms import Feedback, attempt
from components.frame import admin_frame, admin_page
from components.tables import Column, PagedTable
from db import paging
from db.models import OutboxMessage, OutboxStatus
from mail import worker
from domain.errors import DomainError
from domain import i18n
from domain.i18n import _
from workflows import mail_admin


def fetch(search: str, offset: int, limit: int,
          counted: paging.CountWhenChanged | None = None) -> tuple[list[OutboxMessage], int]:
    query = OutboxMessage.select()
    if not search and counted is not None:
        return list(query.order_by(OutboxMessage.id.desc()).offset(offset).limit(limit)), counted()
    if search:
        pattern = f'%{search.lower()}%'
        query = query.where(pw.fn.LOWER(OutboxMessage.recipient).contains(search.lower())
                            | OutboxMessage.template_key.contains(search.lower())
                            | OutboxMessage.status.contains(search.lower())
                            | pw.fn.LOWER(OutboxMessage.subject) ** pattern)
    return list(query.order_by(OutboxMessage.id.desc()).offset(offset).limit(limit)), query.count()


@admin_page('/admin/outbox')
def outbox_page() -> None:
    cfg = config.current()
    with admin_frame(_('Outbox')) as me:
        if cfg.smtp_url:
            transport = _('Emails are delivered through SMTP ({server}). Failed deliveries are retried with back-off.',
                          server=cfg.smtp_url.split('@')[-1])
        else:
            transport = _('Emails are delivered through the console (no SMTP server configured: messages are printed '
                          'by the portal process). Failed deliveries are retried with back-off.')
        ui.label(transport) \
            .classes('text-grey-8').mark('outbox-transport')

        def show(message: OutboxMessage) -> None:
            if not session.still_allowed():
                return
            subject, body = worker.render(message, reveal_secrets=False)
            with dialogs.dialog() as dialog, ui.card().classes('w-[40rem] max-w-full'):
                ui.label(subject).classes('text-lg font-semibold').mark('outbox-preview-subject')
                ui.label(_('To: {address}', address=message.recipient)).classes('text-grey-8')
                ui.label(body).classes('whitespace-pre-wrap font-mono text-sm').mark('outbox-preview-body')
                if message.last_error:
                    ui.label(_('Last error: {error}', error=message.last_error)).classes('text-negative text-sm')
                ui.button(_('Close'), on_click=dialog.close).props('flat no-caps')
            dialog.open()

        def retry(message: OutboxMessage) -> None:
            def act() -> str:
                mail_admin.retry(message.id, by=session.current_user())
                return _('The message is queued again.')
            attempt(act, table.refresh)

        def actions(message: OutboxMessage) -> None:
            with ui.row().classes('gap-1 no-wrap'):
                preview = ui.button(icon='visibility', on_click=lambda m=message: show(m)) \
                    .props('flat dense round').tooltip(_('Preview')).mark(f'outbox-view-{message.id}')
                preview.props['aria-label'] = _('Preview the email to {address}', address=message.recipient)
                if message.status == OutboxStatus.FAILED:
                    ui.button(_('Retry'), on_click=lambda m=message: retry(m)).props('flat dense no-caps') \
                        .mark(f'outbox-retry-{message.id}')

        with ui.row().classes('items-end gap-2'):
            test_to = ui.input(_('Send a test message to'), value=me.email).props('outlined dense').classes('w-80') \
                .mark('outbox-test-to')
            feedback = Feedback({'email': test_to})

            def send_test() -> None:
                feedback.clear()
                try:
                    mail_admin.send_test(test_to.value, by=session.current_user())
                except DomainError as error:
                    feedback.show(error)
                    return
                ui.notify(_('Test message queued.'), type='positive')
                table.refresh()

            ui.button(_('Send test'), icon='send', on_click=send_test).props('outline no-caps').mark('outbox-test')
        counted = paging.CountWhenChanged(OutboxMessage)  # the timer below must not count everything each time
        table = PagedTable([
            Column(_('Created'), lambda m: ui.label(i18n.moment(m.created_at, style='short')), '10rem'),
            Column(_('To'), lambda m: ui.label(m.recipient), '1.3fr'),
            Column(_('Template'), lambda m: ui.label(m.template_key), '1fr'),
            Column(_('Status'), lambda m: status_chip(m.status), '7rem'),
            Column(_('Tries'), lambda m: ui.label(i18n.number(m.attempts)), '4rem'),
            Column('', actions, '7rem'),
        ], lambda search, offset, limit: fetch(search, offset, limit, counted),
            empty=_('No email was queued yet. Registrations, invitations and approvals will appear here.'),
            marker='outbox')
        ui.timer(5, table.refresh)
