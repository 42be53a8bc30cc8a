"""Counts of what waits for a decision, for the admin navigation badges."""
from __future__ import annotations

import peewee as pw

from db.models import (AccessRequest, AccessStatus, Api, ApiStatus, App, AppStatus, Organisation, OrgStatus,
                       OutboxMessage, OutboxStatus, User, UserStatus)


def admin_counts() -> dict[str, int]:
    users = User.select().where(User.status == UserStatus.PENDING_APPROVAL).count()
    organisations = Organisation.select().where(Organisation.status == OrgStatus.PENDING).count()
    failed = OutboxMessage.select().where(OutboxMessage.status == OutboxStatus.FAILED).count()
    access = AccessRequest.select().where(AccessRequest.status == AccessStatus.PENDING).count()
    apps = App.select().where(App.status == AppStatus.PENDING).count()
    apis = Api.select().where(Api.status == ApiStatus.PENDING).count()
    return {'users': users, 'organisations': organisations, 'outbox_failed': failed, 'access': access,
            'apps': apps, 'apis': apis}


def outbox_counts() -> dict[str, int]:
    rows = (OutboxMessage.select(OutboxMessage.status, pw.fn.COUNT(OutboxMessage.id).alias('n'))
            .group_by(OutboxMessage.status).tuples())
    return dict(rows)
