"""One page of a long list in a time that does not grow with the page number (issue 14).

The ids of the page are found first, on the table alone and along an index (no joins, no wide rows while
skipping); the rows of the page are read afterwards with their joins. A page in the second half of the
list is read from the other end in the reverse order, so the last page costs what the first one does,
and the middle one at most half a scan of an index.
"""
from __future__ import annotations

from collections.abc import Sequence

import peewee as pw

Order = Sequence[tuple[pw.Node, bool]]  # (column or expression, descending)


def _ordering(order: Order, reverse: bool) -> list[pw.Node]:
    return [expression.desc() if descending != reverse else expression.asc() for expression, descending in order]


def page_ids(query: pw.Select, order: Order, offset: int, limit: int, total: int) -> list[int]:
    """The ids of rows offset..offset+limit of `query` (a select of the model's id) in `order`, which must
    end with a unique column (the id) so that both directions give the same list."""
    if offset >= total or limit <= 0:
        return []
    if offset + limit / 2 <= total / 2:
        return [row[0] for row in query.order_by(*_ordering(order, False)).offset(offset).limit(limit).tuples()]
    size = min(limit, total - offset)
    from_end = total - offset - size
    ids = [row[0] for row in query.order_by(*_ordering(order, True)).offset(from_end).limit(size).tuples()]
    return ids[::-1]


def in_order(query: pw.Select, model: type[pw.Model], ids: list[int]) -> list:
    """The rows of `query` with these ids, in the order of `ids` (one query, none for an empty page)."""
    if not ids:
        return []
    found = {row.id: row for row in query.where(model.id.in_(ids))}
    return [found[row_id] for row_id in ids if row_id in found]


def count(query: pw.Select) -> int:
    """The number of rows of `query`, counted without its order, joins for display or sub-selects."""
    return query.order_by().count(clear_limit=True)


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
