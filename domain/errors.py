"""The refusals of the rules: a DomainError's message is shown to the user, next to its field if it names one."""
from __future__ import annotations


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


class PermissionDenied(DomainError):
    def __init__(self, message: str = 'You are not allowed to do this.') -> None:
        super().__init__(message)


class Conflict(DomainError):
    """Refused by the state of things rather than by the input's form: a name taken, the last super admin, an
    item in another state (the API answers 409 Conflict)."""
