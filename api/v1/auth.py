"""Who calls the API: a personal API token in `Authorization: Bearer`, checked on every request.

The token's owner must still be an active portal admin; a read-only token gets 403 on every change.
The dependency is async so that the token's name, set for the audit, reaches the route's thread."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.v1.common import releasing
from api.v1.problems import Problem
from db.models import ApiToken, User
from domain import events
from domain.i18n import lazy
from workflows import api_tokens
from workflows.throttle import TooManyAttempts

bearer = HTTPBearer(auto_error=False, scheme_name='token',
                    description='A personal API token (`ptk_...`) created on your Profile page.')


@dataclass
class Principal:
    user: User
    token: ApiToken


async def reader(request: Request, credentials: HTTPAuthorizationCredentials | None = Security(bearer)) -> Principal:
    raw = credentials.credentials if credentials is not None else None
    client = request.client.host if request.client else ''
    try:
        user, token = await run_in_threadpool(releasing(api_tokens.authenticate), raw, client)
    except TooManyAttempts as error:
        raise Problem(429, error.message, headers={'Retry-After': '900'}) from None
    except api_tokens.InvalidApiToken as error:
        raise Problem(401, error.message, headers={'WWW-Authenticate': 'Bearer'}) from None
    events.via_token.set(f'{token.name} ({token.token_prefix}…, #{token.id})')
    return Principal(user, token)


async def writer(principal: Principal = Depends(reader)) -> Principal:
    if principal.token.read_only:
        raise Problem(403, lazy('This token is read-only; create a read-write token on your Profile page to make changes.'))
    return principal
