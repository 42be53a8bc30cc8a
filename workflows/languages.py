"""The portal's languages (issue 28): which the admin offers and which is the default, and a reader's choice.

Whose language a page is in (session.py asks, in this order): the signed-in user's choice, this browser's choice,
the browser's Accept-Language, the portal's default; each only among the offered languages. An email goes out in
its recipient's language (their choice, else the default)."""
from __future__ import annotations

from db import settings
from db.connection import database
from db.models import User
from domain import events, i18n
from domain.errors import DomainError
from permissions import ensure

DEFAULT_KEY, OFFERED_KEY = 'default_language', 'offered_languages'


def offered() -> list[str]:
    """The languages readers may choose, the default first (db/settings.py reads them for every layer)."""
    return settings.offered_languages()


def default_language() -> str:
    return settings.default_language()


def save(default: str, offered_codes: list[str] | tuple[str, ...], by: User) -> None:
    """The admin's choice: the default language and the ones offered (the default always is)."""
    ensure(by, 'manage_settings')
    if default not in i18n.LANGUAGES:
        raise DomainError('Choose one of the languages the portal ships with.', 'default_language')
    unknown = [code for code in offered_codes if code not in i18n.LANGUAGES]
    if unknown:
        raise DomainError('Unknown language: {codes}.', 'offered_languages', codes=', '.join(sorted(map(str, unknown))))
    codes = [default] + [code for code in i18n.LANGUAGES if code in offered_codes and code != default]
    with database.atomic():
        settings.put(DEFAULT_KEY, default)
        settings.put(OFFERED_KEY, codes)
        events.announce(by, 'settings.languages', None, default_language=default, offered_languages=codes)


def valid_choice(code: str | None) -> str | None:
    """A language a reader may choose now (offered), or None."""
    language = i18n.known(code)
    return language if language in offered() else None


def choose(user: User, code: str | None) -> str | None:
    """A signed-in user's language (None: follow the browser); refused when not offered."""
    language = None
    if code:
        language = valid_choice(code)
        if language is None:
            raise DomainError('This language is not offered here.', 'language')
    with database.atomic():
        User.update(locale=language).where(User.id == user.id).execute()
    return language


def reader(user: User | None, browser_choice: str | None, accept_language: str | None) -> str:
    """The language of a page for this reader (see the module's docstring)."""
    languages = offered()
    for candidate in ((user.locale if user is not None else None), browser_choice):
        if candidate in languages:
            return candidate
    return i18n.negotiate(accept_language, languages) or languages[0]
