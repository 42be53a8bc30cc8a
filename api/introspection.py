"""The gateway's decision endpoint: is this API key allowed to call this path right now?

Two forms: `/api/gateway/auth` for nginx `auth_request`, Envoy `ext_authz` (HTTP) and similar (the key in
`X-API-Key` or `Authorization: Bearer`, the original path and method in `X-Original-URI` and
`X-Original-Method`), and `POST /oauth/introspect` answering RFC 7662 JSON, protected by the gateway secret.

It is on every API call of every consumer, so it does one indexed look-up by the key's SHA-256 and keeps
the answer in a small cache; revoking, rotating or deleting on this instance evicts the entry at once
(`forget`), other instances see the change when their entry expires (PORTICO_KEY_CACHE_SECONDS, 5 s).
"""
from __future__ import annotations

import base64
import hmac
import time
from dataclasses import dataclass, field
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

import config
from db.models import (AccessRequest, AccessRequestProduct, AccessStatus, Api, ApiStatus, App, AppStatus,
                       Credential, CredentialStatus, Organisation, Plan, Product, ProductApi)
from workflows import limits, usage
from workflows.credentials import digest

router = APIRouter()
MAX_CACHE = 200_000


@dataclass
class KeyInfo:
    credential_id: int
    app_id: int
    app_name: str
    organisation: str
    plan: Plan
    routes: list[tuple[str, str]]  # (base path, product slug), longest path first
    quota_used: int  # calls in the current quota period when loaded
    loaded_at: float = field(default_factory=time.monotonic)


_cache: dict[str, tuple[float, KeyInfo | None]] = {}


def forget(key_hash: str) -> None:
    """Evict a key at once (called on revoke, rotate and delete on this instance)."""
    _cache.pop(key_hash, None)


def clear() -> None:
    _cache.clear()


def lookup(key: str) -> KeyInfo | None:
    key_hash = digest(key)
    now = time.monotonic()
    cached = _cache.get(key_hash)
    if cached is not None and cached[0] > now:
        return cached[1]
    info = _load(key_hash)
    if len(_cache) >= MAX_CACHE:
        _cache.clear()
    _cache[key_hash] = (now + config.current().key_cache_seconds, info)
    return info


def _load(key_hash: str) -> KeyInfo | None:
    row = (Credential.select(Credential, AccessRequest, App, Organisation, Plan)
           .join(AccessRequest).join(Plan).switch(Credential).join(App).join(Organisation)
           .where((Credential.key_hash == key_hash) & (Credential.status == CredentialStatus.ACTIVE)
                  & (AccessRequest.status == AccessStatus.APPROVED) & (App.status == AppStatus.ACTIVE))
           .first())
    if row is None:
        return None
    routes = [(api.base_path, api.product_slug) for api in
              Api.select(Api.base_path, Product.slug.alias('product_slug'))
              .join(ProductApi).join(Product).join(AccessRequestProduct, on=(AccessRequestProduct.product == Product.id))
              .where((AccessRequestProduct.request == row.access_request_id) & (Api.status == ApiStatus.PUBLISHED))
              .objects()]
    routes.sort(key=lambda route: len(route[0]), reverse=True)
    plan = row.access_request.plan
    return KeyInfo(credential_id=row.id, app_id=row.app.id, app_name=row.app.name,
                   organisation=row.app.organisation.name, plan=plan, routes=routes,
                   quota_used=usage.calls_in_period(row.id, plan.quota_period, date.today()) if plan.quota else 0)


def _key_from(request: Request) -> str:
    key = request.headers.get('x-api-key', '')
    if not key:
        scheme, _, value = request.headers.get('authorization', '').partition(' ')
        if scheme.lower() == 'bearer':
            key = value
    return key.strip()[:200]


def _path_from(request: Request) -> str | None:
    """The original path without its query; None for a path that tries to climb out of its prefix."""
    path = request.headers.get('x-original-uri', '').split('?', 1)[0] or '/'
    lowered = path.lower()
    if '/..' in path or '%2e' in lowered or '%2f' in lowered or '\\' in path or not path.startswith('/'):
        return None
    return path


def decide(request: Request, *, for_nginx: bool) -> Response:
    key = _key_from(request)
    if not key:
        return _deny(401, 'missing API key')
    info = lookup(key)
    if info is None:
        return _deny(401, 'unknown or revoked API key')
    path = _path_from(request)
    product = next((slug for base, slug in info.routes if path is not None and
                    (path.startswith(base) or path + '/' == base)), None)
    if product is None:
        usage.count(info.credential_id, refused=True)
        return _deny(403, 'this key does not cover this path')
    refusal = limits.check(info)
    if refusal is not None:
        usage.count(info.credential_id, refused=True)
        headers = {'Retry-After': str(refusal.retry_after), 'X-Portico-Status': '429'}
        # nginx auth_request passes only 2xx, 401 and 403 on; its config maps this 403 back to 429
        return _deny(403 if for_nginx else 429, refusal.reason, headers)
    usage.count(info.credential_id)
    return Response(status_code=200, headers={
        'X-Portico-App': info.app_name.encode('ascii', 'replace').decode(),
        'X-Portico-App-Id': str(info.app_id),
        'X-Portico-Organisation': info.organisation.encode('ascii', 'replace').decode(),
        'X-Portico-Plan': info.plan.name.encode('ascii', 'replace').decode(),
        'X-Portico-Product': product,
        'X-Portico-Credential': str(info.credential_id),
    })


def _deny(status: int, reason: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({'error': reason}, status_code=status, headers=headers)


@router.api_route('/api/gateway/auth', methods=['GET', 'POST', 'HEAD'])
async def gateway_auth(request: Request) -> Response:
    return decide(request, for_nginx=False)


@router.api_route('/api/gateway/nginx-auth', methods=['GET', 'HEAD'])
async def gateway_nginx_auth(request: Request) -> Response:
    return decide(request, for_nginx=True)


@router.get('/api/gateway/ping')
async def gateway_ping() -> Response:
    """An empty endpoint in the same server: the benchmark's baseline."""
    return Response(status_code=204)


@router.post('/oauth/introspect')
async def oauth_introspect(request: Request) -> Response:
    """RFC 7662 token introspection for gateways that speak it (client authentication: the gateway secret)."""
    secret = config.current().gateway_secret
    if not secret:
        return JSONResponse({'error': 'introspection is disabled: set PORTICO_GATEWAY_SECRET'}, status_code=503)
    if not _gateway_authenticated(request, secret):
        return JSONResponse({'error': 'invalid_client'}, status_code=401,
                            headers={'WWW-Authenticate': 'Basic realm="portico"'})
    form = await request.form()
    token = str(form.get('token') or '')[:200]
    info = lookup(token) if token else None
    if info is None:
        return JSONResponse({'active': False})
    return JSONResponse({
        'active': True, 'token_type': 'api_key', 'client_id': str(info.app_id), 'username': info.app_name,
        'scope': ' '.join(sorted({slug for _, slug in info.routes})), 'exp': None,
        'plan': info.plan.name, 'organisation': info.organisation,
        'rate_limit': {'requests': info.plan.rate_limit, 'period_seconds': info.plan.rate_period},
        'base_paths': sorted({base for base, _ in info.routes}),
    })


def _gateway_authenticated(request: Request, secret: str) -> bool:
    scheme, _, value = request.headers.get('authorization', '').partition(' ')
    if scheme.lower() == 'bearer':
        given = value.strip()
    elif scheme.lower() == 'basic':
        try:
            given = base64.b64decode(value.strip()).decode().partition(':')[2]
        except (ValueError, UnicodeDecodeError):
            return False
    else:
        return False
    return hmac.compare_digest(given.encode(), secret.encode())
