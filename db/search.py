"""Word-prefix search on indexed text, the same on both databases (issue 14).

A search matches the rows where every word typed is the start of a word of the searched columns:
'dev07' finds dev07@consumer.test, 'wea api' finds "Weather API", 'consumer' finds every address at
consumer.test. Words are runs of letters and digits; anything else separates them.

SQLite: an FTS5 table per searched table (external content: it stores only the index), kept in sync by
triggers. PostgreSQL: a GIN index on a tsvector of the same columns (no extension needed).
`install()` creates them; a fresh database and migration 5 both call it. FTS5 keeps prefix indexes of the
first 1 to 4 characters of every word (migration 8): a short word such as 'user' can start 100,000 different
words ('user1', 'user2', ...), which FTS5 would otherwise merge one by one (170 ms); with them it reads one list.
The operations of every API (issue 25, migration 14) keep prefixes of 1 to 8 characters (TABLE_PREFIXES).

Two plans for one search (`walking()`): by default the matching ids are looked up first and the list's rows
fetched by id (few matches: a handful of look-ups and a small sort); while walking, the list's own ordered
index is read from its start and each row is tested against the matches, so a word in almost every row
gives its first page after a few dozen rows instead of a sort of them all. Both give the same rows in the
same order; `db.paging` chooses by the number of matches (SQLite; PostgreSQL walks only when told to).
"""
from __future__ import annotations

import contextlib
import contextvars
import re

import peewee as pw

from db.connection import database, is_postgres

# table -> the columns searched; the model's table name and column names
SEARCHED: dict[str, tuple[str, ...]] = {
    'user': ('email', 'first_name', 'last_name'),
    'organisation': ('name',),
    'app': ('name',),
    'product': ('name', 'slug', 'summary', 'tags'),
    # issue 25: the operations of every API's document (db/models.ApiOperation), for the portal's search
    'api_operation': ('operation_id', 'path', 'method', 'summary'),
    'guide': ('title', 'body'),  # guides per product (workflows/guides.py)
    'page_revision': ('title', 'body'),  # the admin's pages: every revision; the search keeps the live ones
}
MAX_WORDS = 8
PREFIXES = '1 2 3 4'  # FTS5 prefix indexes: words this long or shorter read one list, not one per word started
# issue 25: a longer prefix query ('group', 'delete') makes FTS5 copy the lists of every word it starts before
# reading the first match (260 ms for a word of all 3,000,000 operations); prefix indexes up to 8 characters cost
# the operations index a quarter more space and answer such a word from its first rows (1 ms)
TABLE_PREFIXES = {'api_operation': '1 2 3 4 5 6 7 8'}
_WORD = re.compile(r'[^\W_]+')
_METHODS = ('get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace')  # workflows/openapi_prepare's


def words(text: str) -> list[str]:
    """The words of a search, lower-cased: letters and digits, at most MAX_WORDS of them."""
    return _WORD.findall((text or '').lower())[:MAX_WORDS]


def _pg_document(table: str) -> str:
    joined = " || ' ' || ".join(f'coalesce("{column}", \'\')' for column in SEARCHED[table])
    return f"to_tsvector('simple'::regconfig, regexp_replace(lower({joined}), '[^[:alnum:]]+', ' ', 'g'))"


def install() -> None:
    """Create the search structures of every searched table (idempotent) and fill them."""
    for table, columns in SEARCHED.items():
        if not database.table_exists(table):  # a migration step before the one that makes it (api_operation: 14)
            continue
        if is_postgres():
            database.execute_sql(f'CREATE INDEX IF NOT EXISTS "{table}_search" ON "{table}" '
                                 f'USING gin (({_pg_document(table)}))')
            continue
        fts = f'{table}_search'
        names = ', '.join(f'"{column}"' for column in columns)
        new = ', '.join(f'new."{column}"' for column in columns)
        old = ', '.join(f'old."{column}"' for column in columns)
        database.execute_sql(f'CREATE VIRTUAL TABLE IF NOT EXISTS "{fts}" USING fts5({names}, '
                             f"content='{table}', content_rowid='id', prefix='{TABLE_PREFIXES.get(table, PREFIXES)}')")
        database.execute_sql(f'CREATE TRIGGER IF NOT EXISTS "{fts}_insert" AFTER INSERT ON "{table}" BEGIN '
                             f'INSERT INTO "{fts}"(rowid, {names}) VALUES (new.id, {new}); END')
        database.execute_sql(f'CREATE TRIGGER IF NOT EXISTS "{fts}_delete" AFTER DELETE ON "{table}" BEGIN '
                             f'INSERT INTO "{fts}"("{fts}", rowid, {names}) VALUES (\'delete\', old.id, {old}); END')
        database.execute_sql(f'CREATE TRIGGER IF NOT EXISTS "{fts}_update" AFTER UPDATE OF {names} ON "{table}" '
                             f'BEGIN INSERT INTO "{fts}"("{fts}", rowid, {names}) VALUES (\'delete\', old.id, {old}); '
                             f'INSERT INTO "{fts}"(rowid, {names}) VALUES (new.id, {new}); END')
        database.execute_sql(f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')')


def uninstall_sqlite() -> None:
    """Drop the FTS5 tables and their triggers (migration 8 makes them again, with prefix indexes)."""
    for table in SEARCHED:
        for suffix in ('insert', 'delete', 'update'):
            database.execute_sql(f'DROP TRIGGER IF EXISTS "{table}_search_{suffix}"')
        database.execute_sql(f'DROP TABLE IF EXISTS "{table}_search"')


_walking = contextvars.ContextVar('search_walking', default=False)


@contextlib.contextmanager
def walking():
    """The statements built inside test each row of the list's order for membership (see the module)."""
    token = _walking.set(True)
    try:
        yield
    finally:
        _walking.reset(token)


class _Within(pw.ColumnBase):
    """`column IN (ids of model's rows matching text)`, written for the plan in force when the SQL is made."""

    def __init__(self, column: pw.Node, model: type[pw.Model], text: str) -> None:
        super().__init__()
        self.column, self.model, self.words = column, model, words(text)
        self.ids = matching_ids(model, text)

    def __sql__(self, ctx):
        if is_postgres():
            return self._postgres(ctx)
        if not _walking.get():  # look-up: the matches first, then the rows by id
            return ctx.sql(pw.Expression(self.column, pw.OP.IN, self.ids))
        # the unary + keeps SQLite from driving the query by the column: it reads the list's index instead
        return ctx.literal('(+').sql(self.column).literal(' IN ').sql(self.ids).literal(')')

    def _postgres(self, ctx):
        if _walking.get():
            # a hashed sub-plan: the matches read once from the GIN index, each row of the walk tested in memory
            # (IS TRUE keeps the planner from turning it back into a join that sorts every match)
            return ctx.literal('((').sql(self.column).literal(' IN ').sql(self.ids).literal(') IS TRUE)')
        if not self.words:
            return ctx.literal('(1 = 0)')
        if self.column is self.model._meta.primary_key:
            # the row's own words: the expression of the GIN index, so that a count or a look-up reads it
            # (a bitmap, combined with the other conditions' indexes)
            query = ' & '.join(f'{word}:*' for word in self.words)
            return ctx.literal('(').sql(_pg_document_of(self.model)) \
                .literal(" @@ to_tsquery('simple', ").sql(pw.Value(query)).literal('))')
        # another table's matches (an organisation's name): their ids, then the rows along the column's index
        return ctx.sql(self.column).literal(' = ANY(ARRAY').sql(self.ids).literal(')')


def _pg_document_of(model: type[pw.Model]) -> pw.Node:
    """`_pg_document` of the model's table with its columns qualified as the query names them."""
    parts: list[pw.Node] = []
    for number, column in enumerate(SEARCHED[model._meta.table_name]):
        if number:
            parts.append(pw.SQL(" || ' ' || "))
        parts += [pw.SQL('coalesce('), model._meta.columns[column], pw.SQL(", '')")]
    return pw.NodeList([pw.SQL("to_tsvector('simple'::regconfig, regexp_replace(lower("), pw.NodeList(parts, glue=''),
                        pw.SQL("), '[^[:alnum:]]+', ' ', 'g'))")], glue='')


def used_in(query: pw.Select) -> bool:
    """Whether `query`'s WHERE holds a search (`matches` or `within`)."""
    def found(node) -> bool:
        if isinstance(node, _Within):
            return True
        if isinstance(node, pw.Expression):
            return found(node.lhs) or found(node.rhs)
        if isinstance(node, pw.NodeList):
            return any(found(part) for part in node.nodes)
        return False
    return found(query._where)


def within(column: pw.Node, model: type[pw.Model], text: str) -> pw.ColumnBase:
    """`WHERE` condition: `column` holds the id of one of `model`'s rows that match `text`."""
    return _Within(column, model, text)


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


def matching_in(model: type[pw.Model], text: str, columns: tuple[str, ...] | None = None, *,
                limit: int | None = None) -> pw.Node:
    """Like `matching_ids`, with every word in one of `columns` (a subset of the table's SEARCHED columns; all of
    them when None), and at most `limit` ids: the first ones of the index (in id order), so that a word found in
    a million rows gives a bounded set of candidates (issue 25's search ranks them, workflows/search.py)."""
    table = model._meta.table_name
    found = words(text)
    if not found:
        return pw.SQL('(SELECT 0 WHERE 1 = 0)')
    columns = tuple(column for column in (columns or SEARCHED[table]) if column in SEARCHED[table])
    bound = f' LIMIT {int(limit)}' if limit else ''
    if is_postgres():
        query = ' & '.join(f'{word}:*' for word in found)
        where = f'{_pg_document(table)} @@ to_tsquery(\'simple\', %s)'
        params: tuple = (query,)
        if columns != SEARCHED[table]:  # the GIN index finds the rows; the columns asked for are checked on them
            joined = " || ' ' || ".join(f'coalesce("{column}", \'\')' for column in columns)
            where += (f" AND to_tsvector('simple'::regconfig, regexp_replace(lower({joined}), '[^[:alnum:]]+', ' ', "
                      f"'g')) @@ to_tsquery('simple', %s)")
            params += (query,)
        return pw.SQL(f'(SELECT "id" FROM "{table}" WHERE {where}{bound})', params)
    query = ' '.join(f'"{word}"*' for word in found)
    if columns != SEARCHED[table]:
        query = '{' + ' '.join(columns) + '} : (' + query + ')'
    return pw.SQL(f'(SELECT rowid FROM "{table}_search" WHERE "{table}_search" MATCH ?{bound})', (query,))


def matches(model: type[pw.Model], text: str) -> pw.Expression:
    """`WHERE` condition: the row's searched columns hold every word of `text` as a word prefix."""
    return within(model.id, model, text)


MAX_PATH, MAX_SUMMARY, MAX_NAME = 500, 300, 200  # the search index's columns (db/models.ApiOperation)


def operation_rows(api_id: int, document: dict | None) -> list[dict]:
    """The rows of the operations index (db/models.ApiOperation) for an API's OpenAPI document (issue 25, item 5):
    method, path, summary (or the description's first line), operationId (and lower-cased, for the exact match)
    and first tag of each operation of its paths, cut to their columns' lengths. Here, below the workflows,
    because migration 14 fills the index from the documents already stored."""
    found: list[dict] = []
    paths = (document or {}).get('paths')
    if not isinstance(paths, dict):
        return found
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            tags = operation.get('tags')
            tag = tags[0] if isinstance(tags, list) and tags and isinstance(tags[0], str) else ''
            summary = operation.get('summary') if isinstance(operation.get('summary'), str) else ''
            if not summary.strip() and isinstance(operation.get('description'), str):
                summary = operation['description'].strip().split('\n', 1)[0]
            operation_id = operation.get('operationId') if isinstance(operation.get('operationId'), str) else ''
            # operationId and tag as written (Swagger UI's deep link names them so), cut to the column
            found.append({'api': api_id, 'method': method, 'path': _one_line(str(path), MAX_PATH),
                          'summary': _one_line(summary, MAX_SUMMARY), 'operation_id': operation_id[:MAX_NAME],
                          'operation_key': operation_id[:MAX_NAME].lower(), 'tag': tag[:MAX_NAME]})
    return found


def _one_line(text: str, limit: int) -> str:
    text = ' '.join(''.join(ch if ch.isprintable() else ' ' for ch in text).split())
    return text if len(text) <= limit else text[:limit - 1] + '…'
