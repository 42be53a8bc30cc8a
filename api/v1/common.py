"""What every resource module uses: the found-or-404 look-up, ETags, locked If-Match updates, UTC times, the
documented errors."""
from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import Header, Path, Query, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from api.v1 import problems
from api.v1.problems import Problem, documented
from db.connection import database, is_postgres
from domain.errors import NotFound
from workflows import accounts, is_clean_text

READ_ERRORS = documented(401, 404, 422, 429)
WRITE_ERRORS = documented(400, 401, 403, 404, 409, 412, 413, 422, 429)
UPDATE_ERRORS = documented(400, 401, 403, 404, 409, 412, 413, 422, 428, 429)  # a PATCH/PUT with If-Match


def utc(value: datetime | None) -> datetime | None:
    """Portico stores naive UTC; the API says so (RFC 3339 with a zone)."""
    return value.replace(tzinfo=timezone.utc) if value is not None else None


def etag_of(representation: BaseModel) -> str:
    data = json.dumps(representation.model_dump(mode='json'), sort_keys=True, separators=(',', ':'))
    return '"' + hashlib.sha256(data.encode()).hexdigest()[:32] + '"'


def with_etag(response: Response, representation: BaseModel) -> BaseModel:
    response.headers['ETag'] = etag_of(representation)
    return representation


def check_if_match(if_match: str | None, current: BaseModel) -> None:
    """An update names the version it changes (If-Match, required: 428 without it, see problems.py) and
    fails with 412 when someone changed it since."""
    if if_match is None:
        raise Problem(428, MISSING_IF_MATCH, field='If-Match')
    tags = {tag.strip().removeprefix('W/') for tag in if_match.split(',')}
    if '*' not in tags and etag_of(current) not in tags:
        raise Problem(412, 'This item was changed since you read it: read it again (its ETag) and retry.',
                      field='If-Match')


def found(model, object_id: int, what: str, *, locked: bool = False):
    """The row of `model` with this ID, or NotFound naming `what` ("This app"), which the API answers 404.
    `locked`: inside a transaction, the row is locked until it ends (PostgreSQL's FOR UPDATE; SQLite's
    writers are serialised by BEGIN IMMEDIATE already)."""
    query = model.select().where(model.id == object_id)
    if locked and is_postgres():
        query = query.for_update()
    row = query.first()
    if row is None:
        raise NotFound(what)
    return row


atomic = database.atomic


@contextmanager
def changing(model, object_id: int, what: str, if_match: str | None, show: Callable[[Any], BaseModel]):
    """A PATCH or PUT of one row, in one transaction: yields the row, locked so that the If-Match check and
    the change are one step, and its representation by `show` (for the fields a PATCH leaves out) once
    `if_match` names that version."""
    with atomic():
        row = found(model, object_id, what, locked=True)
        current = show(row)
        check_if_match(if_match, current)
        yield row, current


def created(response: Response, location: str, representation: BaseModel) -> BaseModel:
    """The answer to a POST that made an item: where it is now (Location) and its version (ETag)."""
    response.headers['Location'] = location
    return with_etag(response, representation)


IF_MATCH_DESCRIPTION = ('required: the ETag of the version you read (`*`: whatever the version); 412 when it '
                        'changed since, 428 without it')
MISSING_IF_MATCH = problems.MISSING_IF_MATCH
# required, so that two admins never overwrite each other silently; its absence is answered 428 (RFC 6585)
IfMatch = Header(alias='If-Match', max_length=1000, description=IF_MATCH_DESCRIPTION)

MAX_ID = 2 ** 53  # beyond any row; larger numbers would not fit the database's integers


def _digits_only(value):
    """An ID in a URL is digits only: not ' 1', '1\\n' or '+1', which Python's int() would take."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError('an ID is a whole number written in digits only')
    return value


Id = Annotated[int, Path(ge=1, le=MAX_ID), BeforeValidator(_digits_only)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID), BeforeValidator(_digits_only)]


def grouped(pairs) -> dict[int, list[int]]:
    """Rows of (owner ID, ID), such as (user, team), as each owner's IDs in the rows' order: what a page of
    items shows of their links, read in one query."""
    ids: dict[int, list[int]] = {}
    for owner_id, item_id in pairs:
        ids.setdefault(owner_id, []).append(item_id)
    return ids


def clean_filter(value: str | None, field: str) -> str | None:
    """A text filter as typed; control characters (which PostgreSQL refuses in text) are bad input."""
    if value is None:
        return None
    if not is_clean_text(value) or '\n' in value:
        raise Problem(422, 'This filter contains characters that are not allowed.', field=field)
    return value.strip()
BodyId = Annotated[int, Field(ge=1, le=MAX_ID, strict=False)]  # 7.0 is the integer 7 in JSON Schema too
# a number in a body: 60.0 is the integer 60 in JSON Schema, "60" is not a number
WholeNumber = Annotated[int, BeforeValidator(lambda value: int(value) if isinstance(value, float) and value.is_integer()
                                             else value)]


NAMED = {'name', 'first_name', 'last_name', 'title', 'subject', 'issuer', 'client_id', 'email', 'url'}

# Issue 27: the description says what the rules in workflows/ accept, so that a client (or schemathesis) that keeps
# to it is refused only by the state of things (409) or by what JSON Schema cannot say. The patterns are built from
# the workflows' own constants and expressions; the rules themselves answer, with their own messages.
BAD = r'\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f'  # control characters (workflows.is_clean_text)


EMAIL_PATTERN = accounts.EMAIL_RE.pattern.replace(r'\s', r'\s' + BAD)  # and clean text (accounts.clean_email)


def clean(refused: str = '') -> str:
    """Text free of control characters and of `refused` (characters, as in a regex class)."""
    return rf'^[^{BAD}{refused}]*$'


def not_blank(refused: str = '') -> str:
    """Like clean(), with at least one character that is not a space (a name)."""
    return rf'^[^{BAD}{refused}]*[^\s{BAD}{refused}][^{BAD}{refused}]*$'


def escaped(characters: str) -> str:
    """Characters as a regex class's members, in JSON Schema's notation."""
    return ''.join(f'\\u{ord(ch):04x}' for ch in characters)


def says(**keywords) -> Callable[[dict], None]:
    """`json_schema_extra` for a field (or a list's items): `keywords` (maxLength, pattern, maximum) in the
    description only, for a rule that lives in workflows/ and answers with its own message. The field's own
    max_length stays the hard cap the API checks before any rule runs."""
    def extra(schema: dict) -> None:
        for option in schema.get('anyOf', [schema]):
            if option.get('type') == 'array' and isinstance(option.get('items'), dict):
                option['items'].update(keywords)
            elif option.get('type') not in (None, 'null', 'array'):
                option.update(keywords)
    return extra


class Input(BaseModel):
    """A request body: types as written (no "1" for 1, no 0 for false) and no unknown fields. Its texts are free
    of control characters and its names are not blank, checked here, before any other step (an If-Match): what
    api/v1/__init__.py's patterns tell clients (issue 27)."""
    model_config = ConfigDict(strict=True, extra='forbid')

    @field_validator('*')
    @classmethod
    def _clean_texts(cls, value, info: ValidationInfo):
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and not is_clean_text(text):
                raise ValueError('contains characters that are not allowed (control characters)')
        if info.field_name in NAMED and isinstance(value, str) and not value.strip():
            raise ValueError('must not be blank')
        return value


def releasing(function):
    """Run `function` and give its thread's PostgreSQL connection back to the pool afterwards: FastAPI runs
    each sync route in any of its 40 threads, and a connection kept by an idle thread would starve the pool
    (PORTICO_DB_POOL_SIZE). SQLite keeps its per-thread connections (no pool to starve)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            if is_postgres() and not database.is_closed():
                database.close()
    return wrapper


class ReleasingRoute(APIRoute):
    def __init__(self, path: str, endpoint, **kwargs) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = releasing(endpoint)
        super().__init__(path, endpoint, **kwargs)
