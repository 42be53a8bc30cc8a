"""What admins write, in other languages (issue 28, item 4): a product's name, summary and description, a page's title
and text, a guide's title and text may each have a translation per language; a reader sees the one of their
language, else the text as written.

The text as written is the portal's own; a translation is stored per (kind, object, language, field) in
ContentTranslation. Reading is one query per list (`texts`), and `shown` picks a field for the reader."""
from __future__ import annotations

from collections.abc import Iterable

from db import clock
from db.connection import database
from db.models import ContentPage, ContentTranslation, Guide, PageRevision, Product, User
from domain import events, i18n
from domain.errors import DomainError, NotFound
from permissions import ensure
from workflows import is_clean_text

# kind -> (model, permission, {field: (label, longest)})
KINDS: dict[str, tuple[type, str, dict[str, tuple[str, int]]]] = {
    'product': (Product, 'manage_catalog', {'name': (i18n.N_('name'), 100), 'summary': (i18n.N_('summary'), 300),
                                            'description': (i18n.N_('description'), 100_000)}),
    'page': (ContentPage, 'manage_pages', {'title': (i18n.N_('title'), 100), 'body': (i18n.N_('text'), 200_000)}),
    'guide': (Guide, 'manage_catalog', {'title': (i18n.N_('title'), 100), 'body': (i18n.N_('text'), 200_000)}),
}
ONE_LINE = {'name', 'summary', 'title'}


def _kind(kind: str) -> tuple[type, str, dict[str, tuple[str, int]]]:
    if kind not in KINDS:
        raise DomainError('Unknown kind of content.', 'kind')
    return KINDS[kind]


def languages_to_translate() -> list[str]:
    """The languages an admin may write translations for: every shipped one (a language offered later finds its
    translations ready)."""
    return list(i18n.LANGUAGES)


def of(kind: str, object_id: int) -> dict[str, dict[str, str]]:
    """Every translation of one object: {language: {field: text}} (the admin's editor)."""
    _kind(kind)
    found: dict[str, dict[str, str]] = {}
    for row in ContentTranslation.select().where((ContentTranslation.kind == kind)
                                                 & (ContentTranslation.object_id == object_id)):
        found.setdefault(row.locale, {})[row.field] = row.text
    return found


def written(kind: str, object_id: int) -> dict[str, str]:
    """The text as written of each translatable field (a page's: its latest revision, the one being edited)."""
    model, _permission, fields = _kind(kind)
    if kind == 'page':
        revision = PageRevision.select().where(PageRevision.page == object_id).order_by(PageRevision.id.desc()).first()
        if revision is None:
            raise NotFound('This page')
        return {'title': revision.title, 'body': revision.body}
    target = model.get_or_none(model.id == object_id)
    if target is None:
        raise NotFound('This item')
    return {field: getattr(target, field) or '' for field in fields}


def save(kind: str, object_id: int, locale: str, values: dict[str, str | None], by: User) -> dict[str, str]:
    """An admin's translation of one object into `locale`; a field left empty falls back to the text as written.
    Returns the translation as stored."""
    model, permission, fields = _kind(kind)
    ensure(by, permission)
    if locale not in i18n.LANGUAGES:
        raise DomainError('Choose one of the languages the portal ships with.', 'locale')
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise DomainError('Unknown field: {fields}.', 'field', fields=', '.join(map(str, unknown)))
    cleaned: dict[str, str] = {}
    for field, value in values.items():
        label, longest = fields[field]
        text = (value or '').strip() if field in ONE_LINE else (value or '').rstrip()
        if len(text) > longest:
            raise DomainError('The {label} is too long ({limit} characters at most).', field,
                              label=i18n.lazy(label), limit=i18n.number(longest))
        if text and (not is_clean_text(text) or (field in ONE_LINE and ('\n' in text or '\r' in text))):
            raise DomainError('The {label} contains characters that are not allowed.', field, label=i18n.lazy(label))
        cleaned[field] = text
    with database.atomic():
        target = model.get_or_none(model.id == object_id)
        if target is None:
            raise NotFound('This item')
        for field, text in cleaned.items():
            where = ((ContentTranslation.kind == kind) & (ContentTranslation.object_id == object_id)
                     & (ContentTranslation.locale == locale) & (ContentTranslation.field == field))
            if not text:
                ContentTranslation.delete().where(where).execute()
                continue
            ContentTranslation.insert(kind=kind, object_id=object_id, locale=locale, field=field, text=text,
                                      updated_by=by, updated_at=clock.now()).on_conflict(
                conflict_target=[ContentTranslation.kind, ContentTranslation.object_id, ContentTranslation.locale,
                                 ContentTranslation.field],
                update={ContentTranslation.text: text, ContentTranslation.updated_by: by,
                        ContentTranslation.updated_at: clock.now()}).execute()
        events.announce(by, 'content.translate', target, kind=kind, locale=locale,
                        fields=sorted(field for field, text in cleaned.items() if text))
    return of(kind, object_id).get(locale, {})


def texts(kind: str, object_ids: Iterable[int], locale: str | None = None) -> dict[tuple[int, str], str]:
    """The translations of these objects into the reader's language (or `locale`), in one query:
    {(object_id, field): text}. Nothing for the portal's default language when it has none."""
    ids = sorted({int(object_id) for object_id in object_ids})
    language = locale or i18n.current()
    if not ids:
        return {}
    rows = ContentTranslation.select(ContentTranslation.object_id, ContentTranslation.field, ContentTranslation.text) \
        .where((ContentTranslation.kind == kind) & (ContentTranslation.locale == language)
               & (ContentTranslation.object_id.in_(ids)))
    return {(row.object_id, row.field): row.text for row in rows}


def shown(found: dict[tuple[int, str], str], target, field: str, written: str | None = None) -> str:
    """A field of `target` as the reader sees it: its translation among `found` (from `texts`), else as written."""
    return found.get((target.id, field)) or (written if written is not None else getattr(target, field, '') or '')
