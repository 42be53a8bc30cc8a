"""The business rules: plain synchronous functions, one transaction each, raising a DomainError."""


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
