"""Word-prefix search on indexed text, the same on both databases (issue 14).

A search matches the rows where every word typed is the start of a word of the searched columns:
'dev07' finds dev07@consumer.test, 'wea api' finds "Weather API", 'consumer' finds every address at
consumer.test. Words are runs of letters and digits; anything else separates them.

SQLite: an FTS5 table per searched table (external content: it stores only the index), kept in sync by
triggers. PostgreSQL: a GIN index on a tsvector of the same columns (no extension needed).
`install()` creates them; a fresh database and migration 5 both call it.
"""
from __future__ import annotations

import re

import peewee as pw

from db.connection import database, is_postgres

# table -> the columns searched; the model's table name and column names
SEARCHED: dict[str, tuple[str, ...]] = {
    'user': ('email', 'first_name', 'last_name'),
    'organisation': ('name',),
    'app': ('name',),
    'product': ('name', 'slug', 'summary', 'tags'),
}
MAX_WORDS = 8
_WORD = re.compile(r'[^\W_]+')


def words(text: str) -> list[str]:
    """The words of a search, lower-cased: letters and digits, at most MAX_WORDS of them."""
    return _WORD.findall((text or '').lower())[:MAX_WORDS]


def _pg_document(table: str) -> str:
    joined = " || ' ' || ".join(f'coalesce("{column}", \'\')' for column in SEARCHED[table])
    return f"to_tsvector('simple'::regconfig, regexp_replace(lower({joined}), '[^[:alnum:]]+', ' ', 'g'))"


def install() -> None:
    """Create the search structures of every searched table (idempotent) and fill them."""
    for table, columns in SEARCHED.items():
        if is_postgres():
            database.execute_sql(f'CREATE INDEX IF NOT EXISTS "{table}_search" ON "{table}" '
                                 f'USING gin (({_pg_document(table)}))')
            continue
        fts = f'{table}_search'
        names = ', '.join(f'"{column}"' for column in columns)
        new = ', '.join(f'new."{column}"' for column in columns)
        old = ', '.join(f'old."{column}"' for column in columns)
        database.execute_sql(f'CREATE VIRTUAL TABLE IF NOT EXISTS "{fts}" USING fts5({names}, '
                             f"content='{table}', content_rowid='id')")
        database.execute_sql(f'CREATE TRIGGER IF NOT EXISTS "{fts}_insert" AFTER INSERT ON "{table}" BEGIN '
                             f'INSERT INTO "{fts}"(rowid, {names}) VALUES (new.id, {new}); END')
        database.execute_sql(f'CREATE TRIGGER IF NOT EXISTS "{fts}_delete" AFTER DELETE ON "{table}" BEGIN '
                             f'INSERT INTO "{fts}"("{fts}", rowid, {names}) VALUES (\'delete\', old.id, {old}); END')
        database.execute_sql(f'CREATE TRIGGER IF NOT EXISTS "{fts}_update" AFTER UPDATE OF {names} ON "{table}" '
                             f'BEGIN INSERT INTO "{fts}"("{fts}", rowid, {names}) VALUES (\'delete\', old.id, {old}); '
                             f'INSERT INTO "{fts}"(rowid, {names}) VALUES (new.id, {new}); END')
        database.execute_sql(f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')')


def matching_ids(model: type[pw.Model], text: str) -> pw.Node:
    """A sub-query of the ids of `model`'s rows that match `text` (none when it has no word)."""
    table = model._meta.table_name
    found = words(text)
    if not found:
        return pw.SQL('(SELECT 0 WHERE 1 = 0)')
    if is_postgres():
        query = ' & '.join(f'{word}:*' for word in found)
        return pw.SQL(f'(SELECT "id" FROM "{table}" WHERE {_pg_document(table)} @@ to_tsquery(\'simple\', %s))',
                      (query,))
    query = ' '.join(f'"{word}"*' for word in found)
    return pw.SQL(f'(SELECT rowid FROM "{table}_search" WHERE "{table}_search" MATCH ?)', (query,))


def matches(model: type[pw.Model], text: str) -> pw.Expression:
    """`WHERE` condition: the row's searched columns hold every word of `text` as a word prefix."""
    return model.id.in_(matching_ids(model, text))
