"""Errors as RFC 9457 problem details (`application/problem+json`), naming the field when there is one."""
from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from permissions import PermissionDenied
from domain.errors import AlreadyDecided, Conflict, DomainError, NotFound
from workflows.throttle import TooManyAttempts

MEDIA_TYPE = 'application/problem+json'
TITLES = {400: 'Bad request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 405: 'Method not allowed',
          409: 'Conflict', 412: 'Precondition failed', 413: 'Request body too large', 415: 'Unsupported media type', 422: 'Invalid input',
          428: 'Precondition required', 429: 'Too many requests', 500: 'Internal server error'}
MISSING_IF_MATCH = ('Send the ETag of the version you read in the If-Match header (read the item first; '
                    '`If-Match: *` to change it whatever its version).')


class FieldError(BaseModel):
    field: str
    detail: str


class ProblemDetails(BaseModel):
    """RFC 9457: `field` names the input at fault (also in `errors` when there are several)."""
    type: str = 'about:blank'
    title: str
    status: int
    detail: str = ''
    instance: str = ''
    field: str | None = None
    errors: list[FieldError] = []


class Problem(Exception):
    def __init__(self, status: int, detail: str, *, field: str | None = None, headers: dict | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.field, self.headers = status, detail, field, headers or {}


def response(request: Request, status: int, detail: str, *, field: str | None = None,
             errors: list[dict] | None = None, headers: dict | None = None) -> JSONResponse:
    body = ProblemDetails(title=TITLES.get(status, 'Error'), status=status, detail=detail,
                          instance=request.url.path, field=field, errors=errors or [])
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=MEDIA_TYPE,
                        headers=headers)


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
        return response(request, _status_of(error), str(error), field=error.field)

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        if any(tuple(item.get('loc', ()))[:2] == ('header', 'If-Match') and item.get('type') == 'missing'
               for item in error.errors()):  # RFC 6585: an update must say which version it changes
            return response(request, 428, MISSING_IF_MATCH, field='If-Match')
        errors = [{'field': _field_of(tuple(item.get('loc', ()))), 'detail': str(item.get('msg', 'invalid'))}
                  for item in error.errors()]
        first = errors[0] if errors else {'field': None, 'detail': 'Invalid input.'}
        return response(request, 422, f'{first["field"]}: {first["detail"]}' if first['field'] else first['detail'],
                        field=first['field'], errors=errors)

    @api.exception_handler(StarletteHTTPException)
    async def http(request: Request, error: StarletteHTTPException):
        headers = dict(getattr(error, 'headers', None) or {})
        if error.status_code == 405:  # Starlette names the methods of one route; a path has several
            headers['Allow'] = ', '.join(allowed_methods(api, request.scope))
        return response(request, error.status_code, str(error.detail), headers=headers)


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
