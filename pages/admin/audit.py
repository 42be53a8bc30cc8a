"""Audit log: who did what to which object, newest first."""
from __future__ import annotations

import json

import peewee as pw
from nicegui import ui

import session
from components.frame import frame
from components.tables import Column, PagedTable
from db.models import AuditEvent, User

DETAIL_LENGTH = 2000


def fetch(search: str, offset: int, limit: int) -> tuple[list[AuditEvent], int]:
    """One query for the page (the actor joined in), one for the count."""
    query = (AuditEvent.select(AuditEvent, User)
             .join(User, pw.JOIN.LEFT_OUTER, on=(AuditEvent.actor == User.id)))
    if search:
        needle = search.lower()
        query = query.where(AuditEvent.action.contains(needle) | User.email.contains(needle))
    rows = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset(offset).limit(limit)
    return list(rows), query.count()


def _who(event: AuditEvent) -> None:
    if event.actor_id is None:
        ui.label('system').classes('text-grey-8 italic')
    else:
        ui.label(event.actor.email)


def _target(event: AuditEvent) -> None:
    text = event.target_type or '—'
    if event.target_id is not None:
        text += f' #{event.target_id}'
    ui.label(text).classes('text-grey-8')


def _details(event: AuditEvent) -> None:
    if not event.detail:
        return
    text = json.dumps(event.detail, sort_keys=True, ensure_ascii=False, separators=(', ', ': '))[:DETAIL_LENGTH]
    label = ui.label(text).classes('font-mono text-xs text-grey-8 truncate')
    if len(text) > 60:  # one line in the table, all of it on hover
        label.tooltip(text)


@ui.page('/admin/audit')
@session.admin_required
def audit_page() -> None:
    me = session.current_user()
    with frame('Audit log', me, admin=True):
        PagedTable([
            Column('When', lambda e: ui.label(e.at.strftime('%Y-%m-%d %H:%M:%S')).classes('text-sm'), '10rem'),
            Column('Who', _who, '1.2fr'),
            Column('Action', lambda e: ui.label(e.action).classes('font-mono text-sm'), '1fr'),
            Column('Target', _target, '8rem'),
            Column('Details', _details, '2fr'),
        ], fetch, search_label='Search action or email', marker='audit',
            empty='Nothing happened yet. Approvals, invitations and changes will be listed here.')
