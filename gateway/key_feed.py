"""How a key stops working everywhere at once: the KeyChange feed.

Retiring a key (workflows.credentials.retire) publishes its digest inside the retiring transaction and evicts it
from this instance's cache; every instance polls the feed every PORTICO_KEY_CHANGES_POLL_SECONDS and evicts what
any instance retired.
"""
from __future__ import annotations

from datetime import timedelta

import peewee as pw

import background
import config
from db import clock
from db.models import KeyChange
from gateway import keys


def publish(key_hashes: list[str]) -> None:
    """Tell every instance that these keys changed (inside the changing transaction), and evict them here."""
    if not key_hashes:
        return
    KeyChange.insert_many([{'key_hash': key_hash} for key_hash in key_hashes]).execute()
    for key_hash in key_hashes:
        keys.forget(key_hash)


def changes_since(last_id: int) -> tuple[int, list[str]]:
    """Key hashes changed after `last_id`, and the newest id."""
    rows = list(KeyChange.select(KeyChange.id, KeyChange.key_hash).where(KeyChange.id > last_id)
                .order_by(KeyChange.id).limit(10000))
    return (rows[-1].id if rows else last_id), [row.key_hash for row in rows]


def newest_change() -> int:
    return KeyChange.select(pw.fn.MAX(KeyChange.id)).scalar() or 0


def prune_changes(older_than: timedelta = timedelta(hours=1)) -> int:
    return KeyChange.delete().where(KeyChange.changed_at < clock.now() - older_than).execute()


async def follow_changes() -> None:
    """Evict the keys any instance retired (this one too: a load racing a retire is evicted again).
    Runs until cancelled; a failed round is logged and the next one tries again."""
    last: int | None = None

    async def follow() -> None:
        nonlocal last
        if last is None:
            last = await background.in_thread(newest_change)
            return
        last, hashes = await background.in_thread(changes_since, last)
        for key_hash in hashes:  # on the event loop, like every other change of the cache
            keys.forget(key_hash)

    await background.repeat('following key changes', follow, lambda: config.current().key_changes_poll_seconds)
