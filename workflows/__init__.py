"""The business rules: plain synchronous functions, one transaction each, raising a DomainError
(domain/errors.py) and announcing what happened (domain/events.py)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import peewee as pw

from db.models import violates
from domain.errors import DomainError


def is_clean_text(value: str) -> bool:
    """Encodable as UTF-8 and free of control characters (NUL, escapes) other than newlines and tabs."""
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        return False
    return not any(ord(ch) < 32 and ch not in '\n\t\r' for ch in value) and '\x7f' not in value


REASON_MAX = 500


def clean_reason(reason: str | None) -> str:
    """The one rule for the reason given with a decision (reject, revoke), in pages and API alike: plain text
    of at most REASON_MAX characters, refused rather than cut (the requester would get half a sentence)."""
    reason = (reason or '').strip()
    if len(reason) > REASON_MAX:
        raise DomainError('The reason is too long ({limit} characters at most).', 'reason', limit=REASON_MAX)
    if not is_clean_text(reason):
        raise DomainError('The reason contains characters that are not allowed.', 'reason')
    return reason


@contextmanager
def taken(*rules: tuple[pw.ModelIndex, DomainError]) -> Iterator[None]:
    """The database's refusal of a duplicate (a unique index, migration 4) as the message the workflow's own
    check gives: two requests that both passed that check at the same moment get one success and one
    clear error. Put it around the transaction, which is then rolled back whole."""
    try:
        yield
    except pw.IntegrityError as error:
        for index, refusal in rules:
            if violates(error, index):
                raise refusal from None
        raise
