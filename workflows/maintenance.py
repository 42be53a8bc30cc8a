"""Periodic clean-up: registrations made with an invite code whose verification link expired (their places
go back), expired one-time tokens, old throttle windows, the consumed key-change feed, emails
delivered longer ago than the retention (Admin -> Settings).

Every instance runs the loop; on PostgreSQL a try-lock lets one instance do a round while the others
skip it, and on SQLite there is one instance. Each step is an idempotent DELETE, so a round repeated
after a crash does no harm.
"""
from __future__ import annotations

from datetime import timedelta

from db import clock
from db.connection import database, is_postgres
from db.models import Token, UserSession
from gateway import key_feed
from mail.outbox import prune_outbox
from workflows import api_versions, credentials, throttle, unverified

LOCK_KEY = 7_270_400_002
KEEP_USED_TOKENS = timedelta(days=7)


def run_once() -> dict[str, int] | None:
    """One round; None when another instance holds the lock."""
    if is_postgres():
        if not database.execute_sql('SELECT pg_try_advisory_lock(%s)', (LOCK_KEY,)).fetchone()[0]:
            return None
    try:
        now = clock.now()
        return {
            # before the tokens go: an expired verification token names the invite code whose place returns
            'code_registrations': unverified.drop_expired_code_registrations(),
            'tokens': Token.delete().where((Token.expires_at < now - KEEP_USED_TOKENS)).execute(),
            'throttle': throttle.prune(),
            'key_changes': key_feed.prune_changes(),
            'sessions': UserSession.delete().where(UserSession.last_seen_at < now - timedelta(days=30)).execute(),
            'outbox': prune_outbox(now),
            'key_reminders': credentials.remind_ending(),
            'sunset_notices': api_versions.remind_sunsets(),  # issue 26, item 5
        }
    finally:
        if is_postgres():
            database.execute_sql('SELECT pg_advisory_unlock(%s)', (LOCK_KEY,))
