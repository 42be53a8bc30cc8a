"""Errors as RFC 9457 problem details (`application/problem+json`), naming the field when there is one.

Languages (issue 28): `title` and `message` are English whatever the request (machine text: scripts may match
them); `detail` is the message in the request's language (Accept-Language among the portal's offered languages;
English without the header), named by the Content-Language header."""
from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from db import settings
from permissions import PermissionDenied
from domain import i18n
from domain.errors import AlreadyDecided, Conflict, DomainError, NotFound
from domain.i18n import Lazy, lazy
from workflows.throttle import TooManyAttempts

MEDIA_TYPE = 'application/problem+json'
TITLES = {400: 'Bad request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 405: 'Method not allowed',
          409: 'Conflict', 412: 'Precondition failed', 413: 'Request body too large', 415: 'Unsupported media type', 422: 'Invalid input',
          428: 'Precondition required', 429: 'Too many requests', 500: 'Internal server error'}
MISSING_IF_MATCH = lazy('Send the ETag of the version you read in the If-Match header (read the item first; '
                        '`If-Match: *` to change it whatever its version).')


class FieldError(BaseModel):
    field: str
    detail: str


class ProblemDetails(BaseModel):
    """RFC 9457: `field` names the input at fault (also in `errors` when there are several). `title` and `message`
    are English; `detail` is the message in the language of the request's Accept-Language (the Content-Language
    header names it)."""
    type: str = 'about:blank'
    title: str
    status: int
    detail: str = Field('', description="The message in the request's language (Accept-Language among the "
                                        "portal's languages; English without it); Content-Language names it.")
    message: str = Field('', description='The same message in English, whatever the language asked for: for '
                                         'scripts and logs.')
    instance: str = ''
    field: str | None = None
    errors: list[FieldError] = []


class Problem(Exception):
    """A refusal of the API itself; `detail` is an English str or a lazy message (translated in the answer)."""

    def __init__(self, status: int, detail: str | Lazy, *, field: str | None = None,
                 headers: dict | None = None) -> None:
        super().__init__(i18n.english(detail))
        self.status, self.detail, self.field, self.headers = status, detail, field, headers or {}


def language(request: Request) -> str:
    """The language of the answer: the best offered one for Accept-Language, else English (the API's own)."""
    header = request.headers.get('accept-language')
    if not header:
        return i18n.DEFAULT
    try:
        offered = settings.offered_languages()
    except Exception:  # noqa: BLE001 - no database (a broken start): English
        return i18n.DEFAULT
    return i18n.negotiate(header, offered) or i18n.DEFAULT


def response(request: Request, status: int, detail: str | Lazy | DomainError, *, field: str | None = None,
             errors: list[dict] | None = None, headers: dict | None = None) -> JSONResponse:
    locale = language(request)
    english = detail.english() if isinstance(detail, DomainError) else i18n.english(detail)
    with i18n.use(locale):
        shown = _translated(detail)
    body = ProblemDetails(title=TITLES.get(status, 'Error'), status=status, detail=shown, message=english,
                          instance=request.url.path, field=field, errors=errors or [])
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=MEDIA_TYPE,
                        headers={**(headers or {}), 'Content-Language': locale})


def _translated(detail: str | Lazy | DomainError) -> str:
    """The message in the current language; an English str is looked up too (a message marked with N_() where it
    is raised is translated; any other stays English)."""
    if isinstance(detail, (Lazy, DomainError)):
        return str(detail)
    return i18n.gettext(detail) if detail else ''


def _status_of(error: DomainError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 404  # what the token may not see or touch does not exist for it
    if isinstance(error, (AlreadyDecided, Conflict)):  # refused by the state of things, not by the input's form
        return 409
    if isinstance(error, TooManyAttempts):
        return 429
    return 422


def _field_of(location: tuple) -> str:
    parts = [str(part) for part in location if part not in ('body', 'query', 'path', 'header')]
    return '.'.join(parts) or str(location[-1] if location else '')


def install(api) -> None:
    @api.exception_handler(Problem)
    async def problem(request: Request, error: Problem):
        return response(request, error.status, error.detail, field=error.field, headers=error.headers)

    @api.exception_handler(DomainError)
    async def domain(request: Request, error: DomainError):
        return response(request, _status_of(error), error, field=error.field)

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        if any(tuple(item.get('loc', ()))[:2] == ('header', 'If-Match') and item.get('type') == 'missing'
               for item in error.errors()):  # RFC 6585: an update must say which version it changes
            return response(request, 428, MISSING_IF_MATCH, field='If-Match')
        errors = [{'field': _field_of(tuple(item.get('loc', ()))), 'detail': str(item.get('msg', 'invalid'))}
                  for item in error.errors()]
        first = errors[0] if errors else {'field': None, 'detail': 'Invalid input.'}
        if first['field']:  # the validator's words are English: the field's name stays as sent
            message = lazy('{field}: {detail}', field=first['field'], detail=first['detail'])
        else:
            message = lazy('Invalid input.') if not errors else first['detail']
        return response(request, 422, message, field=first['field'], errors=errors)

    @api.exception_handler(StarletteHTTPException)
    async def http(request: Request, error: StarletteHTTPException):
        headers = dict(getattr(error, 'headers', None) or {})
        if error.status_code == 405:  # Starlette names the methods of one route; a path has several
            headers['Allow'] = ', '.join(allowed_methods(api, request.scope))
        return response(request, error.status_code, _http_detail(error.status_code, str(error.detail)),
                        headers=headers)


# Starlette's own words for the errors it raises before a route runs (its phrases, as it writes them)
HTTP_DETAILS = {'Not Found': lazy('Not Found'), 'Method Not Allowed': lazy('Method Not Allowed')}


def _http_detail(status: int, detail: str) -> str | Lazy:
    return HTTP_DETAILS.get(detail, detail)


def allowed_methods(api, scope) -> list[str]:
    from starlette.routing import Match
    methods: set[str] = set()

    def walk(routes) -> None:
        for route in routes:
            if hasattr(route, 'original_router'):
                walk(route.original_router.routes)
            elif getattr(route, 'methods', None):
                match, _ = route.matches({**scope, 'method': next(iter(route.methods))})
                if match == Match.FULL:
                    methods.update(route.methods)
    walk(api.routes)
    return sorted(methods)


def documented(*statuses: int) -> dict:
    """The `responses` of a route: problem details for each status."""
    return {status: {'model': ProblemDetails, 'description': TITLES.get(status, 'Error'),
                     'content': {MEDIA_TYPE: {'schema': {'$ref': '#/components/schemas/ProblemDetails'}}}}
            for status in statuses}
