"""One page of a long list in a time that does not grow with the page number (issue 14).

The ids of the page are found first, on the table alone and along an index (no joins, no wide rows while
skipping); the rows of the page are read afterwards with their joins. A page in the second half of the
list is read from the other end in the reverse order, so the last page costs what the first one does,
and the middle one at most half a scan of an index.

A search counts its matches only up to a limit (`count_limit`): past it the list has `MoreThan` that many
rows and its pages are read forwards only. With many matches SQLite reads the page by walking the list's
ordered index and testing each row (`db.search.walking`) instead of sorting every match; PostgreSQL finds the
matches first (a bitmap of its GIN index) and sorts them in a separate step (`_read_fenced`), since it cannot
tell how many rows a word prefix matches and otherwise picks either plan blindly.
"""
from __future__ import annotations

import contextlib
from collections.abc import Sequence

import peewee as pw

from db import search
from db.connection import is_postgres

Order = Sequence[tuple[pw.Node, bool]]  # (column or expression, descending)
COUNT_LIMIT = 10_000  # a search counts this many matches past the page read, no more
WALK_ABOVE = 5_000  # more matches than this: the page is found along the list's index (see the module)


class MoreThan(int):
    """A count that stopped at its limit: the list has more rows than this number."""


def count_limit(offset: int) -> int:
    """How far a search counts when its page starts at `offset`: always past that page, so later pages open."""
    return offset + COUNT_LIMIT


def _ordering(order: Order, reverse: bool) -> list[pw.Node]:
    return [expression.desc() if descending != reverse else expression.asc() for expression, descending in order]


def page_ids(query: pw.Select, order: Order, offset: int, limit: int, total: int,
             walk: bool | None = None) -> list[int]:
    """The ids of rows offset..offset+limit of `query` (a select of the model's id) in `order`, which must
    end with a unique column (the id) so that both directions give the same list. `walk`: the plan of a
    search (None: walk when it has more than WALK_ABOVE matches); both give the same ids."""
    if offset >= total or limit <= 0:
        return []
    searched = search.used_in(query)
    if walk is None:
        # PostgreSQL reads a search's matches from its GIN index as one bitmap either way, and sorting them
        # (top-N) measured faster than testing the rows of the walk against them (36 against 65 ms for a word
        # of 100,000 users): it walks only when told to
        walk = searched and not is_postgres() and (isinstance(total, MoreThan) or total > WALK_ABOVE)
    read = _read_fenced if searched and not walk and is_postgres() else _read
    with search.walking() if walk else contextlib.nullcontext():
        if isinstance(total, MoreThan) or offset + limit / 2 <= total / 2:
            return read(query, order, False, offset, limit)
        size = min(limit, total - offset)
        return read(query, order, True, total - offset - size, size)[::-1]


def _read(query: pw.Select, order: Order, reverse: bool, offset: int, limit: int) -> list[int]:
    return [row[0] for row in query.order_by(*_ordering(order, reverse)).offset(offset).limit(limit).tuples()]


def _read_fenced(query: pw.Select, order: Order, reverse: bool, offset: int, limit: int) -> list[int]:
    """`_read` with the rows found first and sorted afterwards: PostgreSQL cannot estimate how many rows a word
    prefix matches (it guesses 2,000 whatever the word), and along an index with LIMIT it may test 40,000 rows
    one by one to find a page of a few thousand matches; OFFSET 0 keeps the planner from merging the two."""
    inner = query.select_extend(*[expression.alias(f'_order{i}') for i, (expression, _) in enumerate(order)]) \
        .order_by().offset(0).alias('_found')
    ordering = [(pw.SQL(f'"_found"."_order{i}"'), descending) for i, (_, descending) in enumerate(order)]
    outer = pw.Select([inner], [pw.SQL('"_found"."id"')]).order_by(*_ordering(ordering, reverse))
    return [row[0] for row in outer.offset(offset).limit(limit).bind(query.model._meta.database).tuples()]


def in_order(query: pw.Select, model: type[pw.Model], ids: list[int]) -> list:
    """The rows of `query` with these ids, in the order of `ids` (one query, none for an empty page)."""
    if not ids:
        return []
    found = {row.id: row for row in query.where(model.id.in_(ids))}
    return [found[row_id] for row_id in ids if row_id in found]


def count(query: pw.Select, limit: int | None = None) -> int:
    """The number of rows of `query`, counted without its order, joins for display or sub-selects; with a
    `limit`, counted no further: `MoreThan(limit)` when there are more."""
    if limit is None:
        return query.order_by().count(clear_limit=True)
    found = query.order_by().limit(limit + 1).count()
    return MoreThan(limit) if found > limit else found


class CountWhenChanged:
    """The number of rows of a table that only grows at one end and shrinks at the other (the outbox):
    counted again only when its lowest or highest id changed, so a page that refreshes every few seconds
    reads two ends of an index instead of counting every row each time."""

    def __init__(self, model: type[pw.Model]) -> None:
        self.model = model
        self.ends: tuple | None = None
        self.total = 0

    def __call__(self) -> int:
        ends = self.model.select(pw.fn.MIN(self.model.id), pw.fn.MAX(self.model.id)).tuples().get()
        if ends != self.ends:
            self.ends, self.total = ends, self.model.select().count()
        return self.total


def page_of(ids: pw.Select, order: Order, rows: pw.Select, offset: int, limit: int, *,
            searched: bool = False) -> tuple[list, int]:
    """One page of a list and how many rows it has: `ids` selects the matching ids on the table alone (filters,
    search), `order` ends with the id, `rows` reads the page's rows with the joins its cells show. `searched`:
    count only up to `count_limit` (a search may match most of a big table)."""
    total = count(ids, count_limit(offset) if searched else None)
    return in_order(rows, rows.model, page_ids(ids, order, offset, limit, total)), total
