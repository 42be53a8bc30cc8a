"""The reader's language (issue 28): gettext catalogs read with Babel, the locale of the current reader, and dates
and numbers in it.

Catalogs: `locales/<language>/LC_MESSAGES/<area>.po`, one file per area of the code (tools/i18n.py extracts the
messages and checks the catalogs); every area of a language is merged into one set of translations, read once per
process. A message without a translation is shown in English.

Whose language: `use(locale)` sets it for a block (an email to its recipient, a REST API call with its
Accept-Language); otherwise the resolver the pages install (`set_resolver`) says the locale of the browser tab being
served; otherwise the portal's default. Two kinds of messages:

- `_('Saved {name}.', name=...)` translates now, in the reader's locale: pages and components, while they build or
  handle a click.
- `lazy('The {label} is too long.', label=lazy('name'))` translates when it is shown (`str()`): workflows, which run
  in worker threads that know no reader, and module-level texts. A DomainError's message is one.

Placeholders are `{name}` (str.format with keywords only), the same in every language; tools/i18n.py checks it.
"""
from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages import mofile, pofile
from babel.support import NullTranslations, Translations

FOLDER = Path(__file__).resolve().parent.parent / 'locales'
DEFAULT = 'en'
# the languages shipped, by their own name (the language menu shows them so)
LANGUAGES: dict[str, str] = {'en': 'English', 'de': 'Deutsch', 'fr': 'Français', 'es': 'Español'}

_chosen: ContextVar[str | None] = ContextVar('portico_locale', default=None)
_resolver: Callable[[], str | None] | None = None
_default: Callable[[], str] = lambda: DEFAULT  # noqa: E731 - replaced by the settings' default (set_default)
_catalogs: dict[str, NullTranslations] = {}
_lock = threading.Lock()


# --- whose language ------------------------------------------------------------------------------------------

def set_resolver(resolver: Callable[[], str | None]) -> None:
    """The pages' way to know the reader's locale outside `use` (the browser tab being served); None: unknown."""
    global _resolver
    _resolver = resolver


def set_default(default: Callable[[], str]) -> None:
    """The portal's default language (the admin's setting), asked when nothing else says."""
    global _default
    _default = default


def current() -> str:
    """The locale messages are translated into now."""
    chosen = _chosen.get()
    if chosen:
        return chosen
    if _resolver is not None:
        try:
            resolved = _resolver()
        except Exception:  # noqa: BLE001 - no reader in this context: the default
            resolved = None
        if resolved:
            return resolved
    return default()


def default() -> str:
    try:
        value = _default()
    except Exception:  # noqa: BLE001 - no database yet (start-up, CLI): English
        return DEFAULT
    return value if value in LANGUAGES else DEFAULT


@contextmanager
def use(locale: str | None) -> Iterator[str]:
    """Translate into `locale` inside the block (None or an unknown language: the portal's default)."""
    chosen = known(locale) or default()
    token = _chosen.set(chosen)
    try:
        yield chosen
    finally:
        _chosen.reset(token)


def known(locale: str | None) -> str | None:
    """The shipped language a locale names ('de-AT' -> 'de'), or None."""
    if not locale:
        return None
    language = re.split(r'[-_]', locale.strip().lower(), maxsplit=1)[0]
    return language if language in LANGUAGES else None


def negotiate(accept_language: str | None, offered: list[str] | tuple[str, ...]) -> str | None:
    """The best of the `offered` languages for an Accept-Language header (RFC 9110 q-values), or None."""
    if not accept_language:
        return None
    ranked = []
    for position, part in enumerate(accept_language.split(',')[:32]):
        tag, _, params = part.strip().partition(';')
        quality = 1.0
        if params.strip():
            match = re.fullmatch(r'\s*q\s*=\s*([01](?:\.[0-9]{0,3})?)\s*', params)
            if not match:
                continue  # a malformed weight: the tag is left out
            quality = float(match.group(1))
        if quality > 0:
            ranked.append((-quality, position, tag.strip()))
    for _quality, _position, tag in sorted(ranked):
        if tag == '*':
            return offered[0] if offered else None
        language = known(tag)
        if language and language in offered:
            return language
    return None


# --- messages ------------------------------------------------------------------------------------------------

def translations(locale: str) -> NullTranslations:
    """Every area's catalog of a language, merged; read once per process."""
    found = _catalogs.get(locale)
    if found is not None:
        return found
    with _lock:
        if locale not in _catalogs:
            merged: NullTranslations = NullTranslations()
            for path in sorted((FOLDER / locale / 'LC_MESSAGES').glob('*.po')) if locale != DEFAULT else []:
                with path.open('rb') as file:
                    catalog = pofile.read_po(file, locale=locale)
                buffer = io.BytesIO()
                mofile.write_mo(buffer, catalog)  # fuzzy entries are left out: shown in English
                buffer.seek(0)
                loaded = Translations(buffer)
                if isinstance(merged, Translations):
                    merged.merge(loaded)
                else:
                    merged = loaded
            _catalogs[locale] = merged
    return _catalogs[locale]


def _format(text: str, params: dict) -> str:
    if not params:
        return text
    return text.format(**{name: str(value) if isinstance(value, Lazy) else value for name, value in params.items()})


def gettext(message: str, /, **params) -> str:
    """`message` in the reader's language, its `{placeholders}` filled from `params`."""
    return _format(translations(current()).gettext(message), params)


def ngettext(singular: str, plural: str, count: int, /, **params) -> str:
    """The plural form for `count` in the reader's language; `{count}` is the number, written in that locale."""
    locale = current()
    text = translations(locale).ngettext(singular, plural, count)
    return _format(text, {'count': number(count, locale), **params})


def pgettext(context: str, message: str, /, **params) -> str:
    """A message whose translation depends on where it stands ('verb' and 'noun' of the same English word)."""
    return _format(translations(current()).pgettext(context, message), params)


_ = gettext


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark only"
    """Marks a message for extraction where it is defined; it is translated where it is shown (`_(value)`)."""
    return message


class Lazy:
    """A message translated when shown: `str(lazy)` is it in the reader's language at that moment."""

    __slots__ = ('message', 'params', 'plural', 'count')

    def __init__(self, message: str, params: dict | None = None, plural: str | None = None,
                 count: int | None = None) -> None:
        self.message, self.params, self.plural, self.count = message, params or {}, plural, count

    def __str__(self) -> str:
        if self.plural is not None:
            return ngettext(self.message, self.plural, self.count or 0, **self.params)
        return gettext(self.message, **self.params)

    def english(self) -> str:
        """The message in English (machine messages of the REST API, logs)."""
        with use(DEFAULT):
            return str(self)

    def __repr__(self) -> str:
        return f'lazy({self.message!r})'

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.message)

    def __add__(self, other) -> str:
        return str(self) + str(other)

    def __radd__(self, other) -> str:
        return str(other) + str(self)

    def __len__(self) -> int:
        return len(str(self))

    def __contains__(self, item) -> bool:
        return item in str(self)


def lazy(message: str, /, **params) -> Lazy:
    return Lazy(message, params)


def lazy_plural(singular: str, plural: str, count: int, /, **params) -> Lazy:
    return Lazy(singular, params, plural, count)


class LazyNumber:
    """A number shown inside a lazy message, written in the reader's locale when shown ('10,000', '10.000')."""

    __slots__ = ('value', 'pattern')

    def __init__(self, value: int | float, pattern: str | None = None) -> None:
        self.value, self.pattern = value, pattern

    def __str__(self) -> str:
        return babel_numbers.format_decimal(self.value, format=self.pattern, locale=_babel_locale(None))

    def __repr__(self) -> str:
        return f'lazy_number({self.value!r})'


def lazy_number(value: int | float, pattern: str | None = None) -> LazyNumber:
    """`value` for a lazy message's placeholder; `pattern` a CLDR number pattern ('#,##0.0': one decimal)."""
    return LazyNumber(value, pattern)


def english(text) -> str:
    """A message in English, whether lazy or already a str."""
    return text.english() if isinstance(text, Lazy) else str(text)


# --- dates and numbers ---------------------------------------------------------------------------------------

def _babel_locale(locale: str | None) -> Locale:
    try:
        return Locale.parse(locale or current())
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT)


def number(value: int | float, locale: str | None = None) -> str:
    """1234567 -> '1,234,567' in English, '1.234.567' in German, '1 234 567' in French."""
    return babel_numbers.format_decimal(value, locale=_babel_locale(locale))


def day(value: date | datetime | None, locale: str | None = None, style: str = 'medium') -> str:
    """A date in the reader's locale: 'Dec 7, 2026', '07.12.2026', '7 déc. 2026', '7 dic 2026'."""
    if value is None:
        return ''
    if isinstance(value, datetime):
        value = value.date()
    return babel_dates.format_date(value, format=style, locale=_babel_locale(locale))


def moment(value: datetime | None, locale: str | None = None, style: str = 'medium') -> str:
    """A time of the database (naive UTC) in the reader's locale, marked UTC."""
    if value is None:
        return ''
    when = babel_dates.format_datetime(value, format='short' if style == 'short' else 'medium',
                                       tzinfo=babel_dates.UTC, locale=_babel_locale(locale))
    return f'{when} UTC'


def language_name(locale: str) -> str:
    return LANGUAGES.get(locale, locale)
