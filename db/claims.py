"""Claiming due rows of a queue (the mail outbox, webhook deliveries) for one instance of the portal, so that no
two instances send the same row: PostgreSQL's FOR UPDATE SKIP LOCKED, and on SQLite (one writer at a time) a
conditional UPDATE per row that only one instance can win. A claim of an instance that died expires: `due` says
when a row being sent counts as due again."""
from __future__ import annotations

from collections.abc import Callable

import peewee as pw

from db import clock
from db.connection import database, is_postgres


def claim(model: type[pw.Model], due: Callable[[], pw.Expression], sending: str, instance: str,
          limit: int) -> list[int]:
    """The ids of up to `limit` rows of `model` that are `due()`, now marked `sending` by `instance`, oldest first."""
    now = clock.now()
    taken = dict(status=sending, claimed_by=instance, claimed_at=now)
    if is_postgres():
        with database.atomic():
            ids = [row.id for row in model.select(model.id).where(due()).order_by(model.id).limit(limit)
                   .for_update('FOR UPDATE SKIP LOCKED')]
            if ids:
                model.update(**taken).where(model.id.in_(ids)).execute()
        return ids
    candidates = [row.id for row in model.select(model.id).where(due()).order_by(model.id).limit(limit)]
    return [row_id for row_id in candidates if model.update(**taken).where((model.id == row_id) & due()).execute()]
