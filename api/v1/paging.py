"""Cursor paging: `?limit=&cursor=`; the answer's `next_cursor` continues after its last item (a token to
pass back as it is, stable while rows are added or removed)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from api.v1.common import clean_filter

MAX_LIMIT = 200
CURSOR_PATTERN = r'^[0-9]{1,15}$'
T = TypeVar('T')


class Page(BaseModel, Generic[T]):
    """One page of a list: `Page[UserOut]` in a route's `response_model` (`Page_UserOut_` in the OpenAPI
    description, titled `Page[UserOut]`)."""
    items: list[T]
    next_cursor: str | None


class Paging:
    def __init__(self, limit: int = Query(50, ge=1, le=MAX_LIMIT, description='items per page'),
                 cursor: str | None = Query(None, pattern=CURSOR_PATTERN,
                                            description='`next_cursor` of the previous page')):
        self.limit = limit
        self.after = int(cursor) if cursor else None


def _encode(value: int) -> str:
    return str(value)


def page(query, id_field, paging: Paging, show: Callable, *, newest_first: bool = False) -> dict:
    """One page of `query`, ordered by `id_field`, each row shown by `show`."""
    if paging.after is not None:
        query = query.where(id_field < paging.after if newest_first else id_field > paging.after)
    rows = list(query.order_by(id_field.desc() if newest_first else id_field).limit(paging.limit + 1))
    more = len(rows) > paging.limit
    rows = rows[:paging.limit]
    return {'items': [show(row) for row in rows], 'next_cursor': _encode(rows[-1].id) if more and rows else None}


def filtered(query, *filters: tuple):
    """`query` narrowed to the rows whose field equals each filter that was given, as (field, value); a value
    None or empty is a filter left out. A text value is checked first (`clean_filter`, naming the query
    parameter of the field's name)."""
    for field, value in filters:
        if value:
            query = query.where(field == (clean_filter(value, field.name) if isinstance(value, str) else value))
    return query
