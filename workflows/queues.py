"""Counts of what waits for a decision, for the admin navigation badges."""
from __future__ import annotations

import peewee as pw

from db.models import Organisation, OrgStatus, OutboxMessage, OutboxStatus, User, UserStatus


def admin_counts() -> dict[str, int]:
    users = User.select().where(User.status == UserStatus.PENDING_APPROVAL).count()
    organisations = Organisation.select().where(Organisation.status == OrgStatus.PENDING).count()
    failed = OutboxMessage.select().where(OutboxMessage.status == OutboxStatus.FAILED).count()
    return {'users': users, 'organisations': organisations, 'outbox_failed': failed}


def outbox_counts() -> dict[str, int]:
    rows = (OutboxMessage.select(OutboxMessage.status, pw.fn.COUNT(OutboxMessage.id).alias('n'))
            .group_by(OutboxMessage.status).tuples())
    return dict(rows)
