"""Cursor paging: `?limit=&cursor=`; the answer's `next_cursor` continues after its last item (an opaque
token, stable while rows are added or removed)."""
from __future__ import annotations

import base64
from collections.abc import Callable

from fastapi import Query

from api.v1.problems import Problem

MAX_LIMIT = 200


class Paging:
    def __init__(self, limit: int = Query(50, ge=1, le=MAX_LIMIT, description='items per page'),
                 cursor: str | None = Query(None, max_length=64, description='`next_cursor` of the previous page')):
        self.limit = limit
        self.after = _decode(cursor) if cursor else None


def _encode(value: int) -> str:
    return base64.urlsafe_b64encode(f'id:{value}'.encode()).decode().rstrip('=')


def _decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + '=' * (-len(cursor) % 4)).decode()
        kind, value = text.split(':', 1)
        number = int(value)
        if kind != 'id' or not 0 <= number < 2 ** 62:
            raise ValueError
        return number
    except (ValueError, UnicodeDecodeError):
        raise Problem(422, 'This cursor is not one this API gave out.', field='cursor') from None


def page(query, id_field, paging: Paging, show: Callable, *, newest_first: bool = False) -> dict:
    """One page of `query`, ordered by `id_field`, each row shown by `show`."""
    if paging.after is not None:
        query = query.where(id_field < paging.after if newest_first else id_field > paging.after)
    rows = list(query.order_by(id_field.desc() if newest_first else id_field).limit(paging.limit + 1))
    more = len(rows) > paging.limit
    rows = rows[:paging.limit]
    return {'items': [show(row) for row in rows], 'next_cursor': _encode(rows[-1].id) if more and rows else None}
