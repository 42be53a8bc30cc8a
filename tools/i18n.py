"""The message catalogs (issue 28): extract the messages of the code, bring every language's catalogs up to date, and
check that they are complete.

    .venv/bin/python tools/i18n.py update [AREA...]  # after changing messages: new ones are added untranslated
    .venv/bin/python tools/i18n.py check [AREA...]   # what tests/test_i18n.py asserts: nothing untranslated or
                                                     # fuzzy, the English placeholders, no f-string messages

Catalogs are `locales/<language>/LC_MESSAGES/<area>.po`, one per area below, so that the people translating one part
of the portal never edit the file of another. English is the source: its catalogs carry every message as written.
"""
from __future__ import annotations

import ast
import contextlib
import io
import string
import sys
import warnings
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.i18n import FOLDER, LANGUAGES  # noqa: E402

# area -> the files whose messages its catalog holds (globs from the repository's root)
AREAS: dict[str, list[str]] = {
    'portal': ['pages/*.py', 'components/*.py', 'session.py', 'main.py'],
    'admin': ['pages/admin/*.py'],
    'rules': ['workflows/*.py', 'domain/*.py', 'permissions.py', 'gateway/*.py', 'db/*.py'],
    'api': ['api/*.py', 'api/v1/*.py', 'hardening.py'],
    'mail': ['mail/*.py'],
}
# the calls whose string arguments are messages (Babel's keyword specs: argument positions; 'c' marks a context)
KEYWORDS = {
    '_': None, 'gettext': None, 'N_': None, 'lazy': None,
    'ngettext': (1, 2), 'lazy_plural': (1, 2), 'pgettext': ((1, 'c'), 2),
    'DomainError': None, 'NotFound': None, 'AlreadyDecided': None, 'PermissionDenied': None, 'Conflict': None,
}
# exceptions of the workflows that pass their first argument on as a DomainError's message
KEYWORDS.update({name: None for name in ('SignInError', 'InvalidApiToken', 'InvalidToken', 'SignInRefused',
                                         'TooManyAttempts', 'InvalidLogoutToken', 'InvalidCode', 'InvalidDocument')})


def files(area: str) -> list[Path]:
    found: set[Path] = set()
    for pattern in AREAS[area]:
        found.update(path for path in ROOT.glob(pattern) if path.is_file())
    return sorted(found)


def extract(area: str) -> Catalog:
    """The messages of an area's code, in a template catalog."""
    catalog = Catalog(project='Portico', fuzzy=False)
    warnings.filterwarnings('ignore', message='Skipping f-string')  # formatted_messages() names them
    for path in files(area):
        relative = path.relative_to(ROOT).as_posix()
        with contextlib.redirect_stderr(io.StringIO()):  # Babel prints its f-string warnings there
            found = list(extract_from_file('python', path, keywords=KEYWORDS, comment_tags=('translators:',)))
        for line, message, comments, context in found:
            if not message or (isinstance(message, tuple) and not message[0]):
                continue
            catalog.add(message, None, [(relative, line)], auto_comments=comments, context=context)
    return catalog


def po_path(language: str, area: str) -> Path:
    return FOLDER / language / 'LC_MESSAGES' / f'{area}.po'


def read(language: str, area: str) -> Catalog | None:
    path = po_path(language, area)
    if not path.is_file():
        return None
    with path.open('rb') as file:
        return read_po(file, locale=language)


def write(catalog: Catalog, language: str, area: str) -> None:
    path = po_path(language, area)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open('wb') as file:
        write_po(file, catalog, width=120, omit_header=False, sort_output=False, ignore_obsolete=True,
                 include_previous=False)


def update(areas: list[str] | None = None) -> None:
    """Every language's catalogs of these areas (default: all) follow the code: new messages added (English: as
    written; others: untranslated), gone ones removed, translations kept."""
    for area in areas or AREAS:
        for language in LANGUAGES:
            template = extract(area)  # per language: Catalog.update shares the template's messages with it
            catalog = read(language, area) or Catalog(locale=language, project='Portico', fuzzy=False)
            catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
            if language == 'en':
                for message in catalog:
                    if message.id:
                        message.string = message.id
            write(catalog, language, area)


def fields(text: str) -> set[str]:
    """The `{placeholders}` of a message ('{{' is a brace, not one)."""
    try:
        return {name for _literal, name, _spec, _conversion in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {'<unbalanced braces>'}


def problems(areas: list[str] | None = None) -> list[str]:
    """What is wrong with the catalogs of these areas (default: all) against the code (empty: complete)."""
    found = []
    for area in areas or AREAS:
        template = extract(area)
        wanted = {message.id: message for message in template if message.id}
        for language in LANGUAGES:
            catalog = read(language, area)
            if catalog is None:
                found.append(f'{language}/{area}.po is missing: run tools/i18n.py update')
                continue
            for key, source in wanted.items():
                message = catalog.get(key, source.context)
                shown = key if isinstance(key, str) else key[0]
                if message is None:
                    found.append(f'{language}/{area}: not in the catalog: {shown!r}')
                    continue
                if message.fuzzy:
                    found.append(f'{language}/{area}: fuzzy: {shown!r}')
                strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
                if not all(strings):
                    found.append(f'{language}/{area}: untranslated: {shown!r}')
                    continue
                originals = key if isinstance(key, (list, tuple)) else (key,)
                expected = set().union(*(fields(text) for text in originals)) - {'count'}
                for text in strings:
                    if fields(text) - {'count'} != expected:
                        found.append(f'{language}/{area}: placeholders {sorted(fields(text))} differ from the '
                                     f'English {sorted(expected)}: {shown!r}')
        for language in LANGUAGES:
            if language == 'en' or read(language, area) is None:
                continue
            catalog = read(language, area)
            same = [key for key in wanted if (message := catalog.get(key, wanted[key].context)) is not None
                    and message.string == key and len(key) > 12]
            if len(same) > max(3, len(wanted) // 20):  # names like "Webhooks" stay; sentences do not
                found.append(f'{language}/{area}: {len(same)} messages are the English text, e.g. {same[:3]!r}')
    found += formatted_messages(areas)
    return found


def formatted_messages(areas: list[str] | None = None) -> list[str]:
    """Messages built with an f-string or % before translation: their text is not in any catalog."""
    found = []
    for area in areas or AREAS:
        for path in files(area):
            for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, 'attr', '')
                if name in KEYWORDS and name not in ('N_',):
                    first = node.args[0]
                    if isinstance(first, ast.JoinedStr) or (isinstance(first, ast.BinOp)
                                                            and isinstance(first.left, (ast.Constant, ast.JoinedStr))):
                        found.append(f'{path.relative_to(ROOT)}:{node.lineno}: {name}() of an f-string or a '
                                     'formatted string: pass the placeholders as keywords instead')
    return found


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else 'check'
    areas = sys.argv[2:] or None  # e.g. `tools/i18n.py update portal`: only that area's catalogs
    unknown = [area for area in areas or [] if area not in AREAS]
    if unknown:
        print(f'unknown area {unknown}; the areas are {", ".join(AREAS)}')
        return 2
    if command == 'update':
        update(areas)
        return 0
    found = problems(areas)
    for line in found:
        print(line)
    print(f'{len(found)} problems' if found else 'catalogs complete')
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
