"""The refusals of the rules: a DomainError's message is shown to the user, next to its field if it names one.

The message is translated when it is shown (issue 28): `DomainError('The {label} is too long.', 'name',
label=lazy('name'))` keeps the English text with its placeholders (the catalogs' key, and the REST API's machine
message) and `str(error)` is it in the reader's language."""
from __future__ import annotations

from domain.i18n import N_, Lazy, lazy


class DomainError(Exception):
    """Something a user asked for that the rules do not allow; the message is shown to them."""

    def __init__(self, message: str | Lazy, field: str | None = None, /, **params) -> None:
        self.message = message if isinstance(message, Lazy) else Lazy(str(message), params)
        super().__init__(self.message.message)
        self.field = field  # the form field the message belongs next to, if any

    def __str__(self) -> str:
        return str(self.message)

    def english(self) -> str:
        """The message in English, whatever the reader's language (machine messages, logs)."""
        return self.message.english()


class NotFound(DomainError):
    def __init__(self, what: str | Lazy = N_('This item')) -> None:
        super().__init__(lazy('{what} was not found.', what=what if isinstance(what, Lazy) else lazy(what)))


class AlreadyDecided(DomainError):
    def __init__(self, what: str | Lazy = N_('This request')) -> None:
        super().__init__(lazy('{what} was already decided by someone else.',
                              what=what if isinstance(what, Lazy) else lazy(what)))


class PermissionDenied(DomainError):
    def __init__(self, message: str | Lazy = N_('You are not allowed to do this.')) -> None:
        super().__init__(message)


class Conflict(DomainError):
    """Refused by the state of things rather than by the input's form: a name taken, the last super admin, an
    item in another state (the API answers 409 Conflict)."""
