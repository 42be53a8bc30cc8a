"""The gateway's decision endpoint: is this API key allowed to call this path right now?

Two forms: `/api/gateway/auth` (and `/api/gateway/nginx-auth`, the same for nginx) for nginx `auth_request`, Envoy `ext_authz` (HTTP) and similar (the key in
`X-API-Key` or `Authorization: Bearer`, the original path and method in `X-Original-URI` and
`X-Original-Method`), and `POST /oauth/introspect` answering RFC 7662 JSON, protected by the gateway secret.

It is on every API call of every consumer, so it does one indexed look-up by the key's SHA-256 and keeps
the answer in a cache. Revoking, rotating or deleting a key evicts it at once on the instance that did it,
and writes it to the KeyChange feed, which every instance polls (PORTICO_KEY_CHANGES_POLL_SECONDS, 1 s):
elsewhere the change holds within about a second. Entries also expire (PORTICO_KEY_CACHE_SECONDS, 60 s),
which bounds anything else that changes a key's answer (a plan's limits, an app's approval).
"""
from __future__ import annotations

import base64
import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

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


async def follow_key_changes() -> None:
    """Evict the keys other instances changed; runs in the background on every instance."""
    import asyncio
    import logging

    from nicegui import run

    from workflows import credentials
    last = await run.io_bound(credentials.newest_change) or 0
    rounds = 0
    while True:
        await asyncio.sleep(config.current().key_changes_poll_seconds)
        try:
            last, hashes = await run.io_bound(credentials.changes_since, last)
            for key_hash in hashes:
                forget(key_hash)
            rounds += 1
            if rounds % 3600 == 0:
                await run.io_bound(credentials.prune_changes)
        except Exception:  # noqa: BLE001 - the gateway must keep answering through a database hiccup
            logging.getLogger('portico.gateway').exception('following key changes failed')


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


def _key_from(headers: dict[str, str]) -> str:
    key = headers.get('x-api-key', '')
    if not key:
        scheme, _, value = headers.get('authorization', '').partition(' ')
        if scheme.lower() == 'bearer':
            key = value
    return key.strip()[:200]


def _path_from(headers: dict[str, str]) -> str | None:
    """The original path without its query; None for a path that tries to climb out of its prefix."""
    path = headers.get('x-original-uri', '').split('?', 1)[0] or '/'
    lowered = path.lower()
    if '/..' in path or '%2e' in lowered or '%2f' in lowered or '\\' in path or not path.startswith('/'):
        return None
    return path


Decision = tuple[int, dict[str, str], bytes]


def decide(headers: dict[str, str], *, for_nginx: bool) -> Decision:
    """The answer for one call: (status, headers, JSON body). `headers` has lower-case names."""
    key = _key_from(headers)
    if not key:
        return _deny(401, 'missing API key')
    info = lookup(key)
    if info is None:
        return _deny(401, 'unknown or revoked API key')
    path = _path_from(headers)
    product = next((slug for base, slug in info.routes if path is not None and
                    (path.startswith(base) or path + '/' == base)), None)
    if product is None:
        usage.count(info.credential_id, refused=True)
        return _deny(403, 'this key does not cover this path')
    refusal = limits.check(info)
    if refusal is not None:
        usage.count(info.credential_id, refused=True)
        # nginx auth_request passes only 2xx, 401 and 403 on; its config maps this 403 back to 429
        return _deny(403 if for_nginx else 429, refusal.reason,
                     {'retry-after': str(refusal.retry_after), 'x-portico-status': '429'})
    usage.count(info.credential_id)
    return 200, {
        'x-portico-app': _ascii(info.app_name),
        'x-portico-app-id': str(info.app_id),
        'x-portico-organisation': _ascii(info.organisation),
        'x-portico-plan': _ascii(info.plan.name),
        'x-portico-product': product,
        'x-portico-credential': str(info.credential_id),
    }, b''


def _ascii(text: str) -> str:
    return text.encode('ascii', 'replace').decode()


def _deny(status: int, reason: str, headers: dict | None = None) -> Decision:
    return status, {'content-type': 'application/json', **(headers or {})}, json.dumps({'error': reason}).encode()


FAST_PATHS = {'/api/gateway/auth': False, '/api/gateway/nginx-auth': True, '/api/gateway/ping': None}


class GatewayFastPath:
    """Answers the gateway paths in front of the whole web stack (sessions, pages, middlewares): these
    calls carry no browser state, and every microsecond counts. Everything else goes to `app`."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get('path', '')
        if scope['type'] != 'http' or path not in FAST_PATHS:
            await self.app(scope, receive, send)
            return
        for_nginx = FAST_PATHS[path]
        if for_nginx is None:
            status, headers, body = 204, {}, b''
        else:
            raw = {name.decode('latin-1').lower(): value.decode('latin-1') for name, value in scope['headers']}
            status, headers, body = decide(raw, for_nginx=for_nginx)
        await send({'type': 'http.response.start', 'status': status,
                    'headers': [(k.encode(), v.encode('latin-1')) for k, v in
                                {**headers, 'content-length': str(len(body))}.items()]})
        await send({'type': 'http.response.body', 'body': b'' if scope['method'] == 'HEAD' else body})


def install_fast_path(app) -> None:
    """Put GatewayFastPath outside the app's middleware stack (built lazily on the first request)."""
    original = getattr(app, '_portico_build_middleware_stack', None) or app.build_middleware_stack
    app._portico_build_middleware_stack = original
    app.build_middleware_stack = lambda: GatewayFastPath(original())
    app.middleware_stack = None


@router.post('/oauth/introspect')
async def oauth_introspect(request: Request) -> JSONResponse:
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
