"""The business rules: plain synchronous functions, one transaction each, raising a DomainError."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import peewee as pw

from db.models import violates


class DomainError(Exception):
    """Something a user asked for that the rules do not allow; the message is shown to them."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field  # the form field the message belongs next to, if any


class NotFound(DomainError):
    def __init__(self, what: str = 'This item') -> None:
        super().__init__(f'{what} was not found.')


class AlreadyDecided(DomainError):
    def __init__(self, what: str = 'This request') -> None:
        super().__init__(f'{what} was already decided by someone else.')


def is_clean_text(value: str) -> bool:
    """Encodable as UTF-8 and free of control characters (NUL, escapes) other than newlines and tabs."""
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        return False
    return not any(ord(ch) < 32 and ch not in '\n\t\r' for ch in value) and '\x7f' not in value


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
