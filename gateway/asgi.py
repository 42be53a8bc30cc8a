"""The gateway paths, answered in front of the web app (sessions, pages, middlewares): these calls carry no
browser state, and every microsecond counts. Installed by wrapping the app once, at start.

    GET  /api/gateway/auth            nginx auth_request, Caddy forward_auth, Traefik forwardAuth, Kong...
    GET  /api/gateway/auth/<path>     Envoy ext_authz (HTTP service, path_prefix: /api/gateway/auth)
    GET  /api/gateway/nginx-auth      nginx auth_request: a 429 (or 410) is sent as a 403 marked X-Portico-Status
    POST /oauth/introspect            RFC 7662 token introspection
    GET  /api/gateway/ping            an empty answer, for benchmarks and health checks of the gateway

With PORTICO_GATEWAY_SECRET set, every one of them answers only callers presenting it: the decision paths
in the `X-Portico-Gateway-Secret` header, introspection as HTTP Basic password or Bearer token (RFC 7662
section 2.1 asks for client authentication).
"""
from __future__ import annotations

import asyncio
import base64
import hmac
import json
import time
from time import perf_counter
from urllib.parse import parse_qs

import config
from db import clock
from domain import metrics
from gateway import access_tokens, keys, limits, usage, wire
from gateway.decision import Decision, Facts, decide, facts_from_headers, facts_from_prefix

AUTH = '/api/gateway/auth'
NGINX = '/api/gateway/nginx-auth'
PING = '/api/gateway/ping'
INTROSPECT = '/oauth/introspect'
ENVOY_PREFIX = AUTH + '/'
SECRET_HEADER = 'x-portico-gateway-secret'
# the only request headers any gateway path reads: the others are not even decoded
READ = {name.encode(): name for name in ('x-api-key', 'authorization', 'x-forwarded-uri', 'x-forwarded-method',
                                         'x-original-uri', 'x-original-method', SECRET_HEADER)}

Answer = wire.Answer  # status, headers (encoded), body: never changed


def read_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The headers a gateway path reads (the last of repeated ones), by lower-case name."""
    found = {}
    for name, value in raw:
        wanted = READ.get(name)
        if wanted is None:
            if name.islower():  # servers give names in lower case (ASGI): other names are looked at once more
                continue
            wanted = READ.get(name.lower())
            if wanted is None:
                continue
        found[wanted] = value.decode('latin-1')
    return found


def answer_now(facts: Facts, for_nginx: bool) -> Answer | None:
    """The answer when the key's is in the cache (or when the key cannot be valid), without a coroutine;
    None when the key must be loaded first (`answer_call`)."""
    key = facts.key
    key_hash = keys.digests.get(key)
    if key_hash is not None:
        info = keys.cached(key_hash, clock.monotonic(), True)
        if info is None:  # retired since: the memo keeps keys with access only
            keys.digests.pop(key, None)
    elif not key or not keys.plausible(key):
        return settle(facts, None, for_nginx=for_nginx)
    else:
        key_hash = keys.digest(key)
        info = keys.cached(key_hash, clock.monotonic(), True)
        if info is not None and info is not keys.MISS:
            keys.memo(key, key_hash)
    if info is keys.MISS:
        return None
    metrics.key_cache(True)
    return settle(facts, info, for_nginx=for_nginx)


async def answer_call(facts: Facts, *, for_nginx: bool) -> Answer:
    """Look the key up (from the cache, or never blocking the loop), decide, count."""
    info = None
    key = facts.key
    if key and keys.plausible(key):
        key_hash = keys.digest(key)
        info = keys.cached(key_hash, clock.monotonic(), True)
        if info is keys.MISS:
            metrics.key_cache(False)
            try:
                info = await keys.lookup(key_hash)
            except keys.LookupFailed:
                return _deny(503, 'the portal cannot reach its database; try again')
    return settle(facts, info, for_nginx=for_nginx)


def settle(facts: Facts, info, *, for_nginx: bool) -> Answer:
    """Decide on a looked-up key, count the call, and build the answer."""
    now = time.time()
    if info is None:
        decision = decide(facts, None, now)
        metrics.decided(decision.status, '')
        return respond(decision, None, for_nginx=for_nginx)
    counters = limits.counters
    rate, quota = limits.keys_of(info, now, limits.shared())
    decision = decide(facts, info, now, (counters.seen(rate), counters.seen(quota, info.quota_used) if quota else 0),
                      clock.monotonic() if info.timed else 0.0)
    metrics.decided(decision.status, decision.product)
    if decision.status == 200:
        counters.count(info, now, rate, quota)
        usage.count(info.credential_id, False, now)
        return info.allowed[decision.route]  # built at the key's load, immutable
    if decision.status != 401:  # a known key refused (403, 429) counts as refused
        usage.count(info.credential_id, True, now)
    return respond(decision, info, for_nginx=for_nginx)


def respond(decision: Decision, info, *, for_nginx: bool) -> Answer:
    if decision.status == 200:
        return info.allowed[decision.route]
    if decision.status == 410:  # issue 26, item 5: past the sunset; nginx gets it as a 403 marked 410
        return info.gone[decision.route][for_nginx]
    if decision.status == 429:
        # nginx auth_request passes only 2xx, 401 and 403 on; its config maps this 403 back to 429
        return _deny(403 if for_nginx else 429, decision.reason,
                     {'retry-after': str(decision.retry_after), 'x-portico-status': '429'})
    return _deny(decision.status, decision.reason)


def _deny(status: int, reason: str, headers: dict | None = None) -> Answer:
    if headers is None:  # the fixed refusals are built once
        known = _denials.get((status, reason))
        if known is None:
            known = _denials[(status, reason)] = _json(status, {'error': reason}, {'x-portico-reason': reason})
        return known
    return _json(status, {'error': reason}, {**headers, 'x-portico-reason': reason})


_denials: dict[tuple[int, str], Answer] = {}


def _json(status: int, payload: dict, headers: dict | None = None) -> Answer:
    body = json.dumps(payload, separators=(',', ':')).encode()
    return _bytes_answer(status, body, headers)


def _bytes_answer(status: int, body: bytes, headers: dict | None = None) -> Answer:
    return Answer(status, tuple((name.encode(), value.encode('latin-1')) for name, value in
                                {'content-type': 'application/json', 'x-content-type-options': 'nosniff',
                                 **(headers or {}), 'content-length': str(len(body))}.items()), body)


def gateway_allowed(headers: dict[str, str], secret: str) -> bool:
    return not secret or hmac.compare_digest(headers.get(SECRET_HEADER, '').encode('latin-1'), secret.encode())


# --- RFC 7662 ---------------------------------------------------------------------------------------

def client_authenticated(headers: dict[str, str], secret: str) -> bool:
    scheme, _, value = headers.get('authorization', '').partition(' ')
    if scheme.lower() == 'bearer':
        given = value.strip()
    elif scheme.lower() == 'basic':
        try:
            given = base64.b64decode(value.strip(), validate=True).decode().partition(':')[2]
        except (ValueError, UnicodeDecodeError):
            return False
    else:
        return False
    return hmac.compare_digest(given.encode(), secret.encode())


async def introspect(headers: dict[str, str], body: bytes) -> Answer:
    """RFC 7662: only registered member types (no `exp` for keys that do not expire); an active answer
    counts as one call in usage (a gateway that caches answers makes fewer)."""
    secret = config.current().gateway_secret
    if not secret:
        return _deny(503, 'introspection is disabled: set PORTICO_GATEWAY_SECRET')
    if not client_authenticated(headers, secret):
        return _deny(401, 'invalid_client', {'www-authenticate': 'Basic realm="portico"'})
    form = parse_qs(body.decode('latin-1'), max_num_fields=10)
    token = (form.get('token') or [''])[0].strip()
    if not keys.plausible(token) and access_tokens.looks_like_jwt(token):  # issue 26: an OAuth access token
        return await _introspect_access_token(token)
    try:
        info = await keys.lookup(keys.digest(token)) if keys.plausible(token) else None
    except keys.LookupFailed:
        return _deny(503, 'temporarily_unavailable')
    if info is None or (info.expires is not None and clock.monotonic() >= info.expires):
        return _json(200, {'active': False})
    now = time.time()
    usage.count(info.credential_id, False, now)
    limits.add(info, now)
    return _bytes_answer(200, info.introspection)  # built once per key, at its load


async def _introspect_access_token(token: str) -> Answer:
    """Issue 26: a JWT access token of the portal's authorisation server is active while its signature and expiry
    are good and its client is still active (a revoked client's tokens stop here at once)."""
    try:
        answer = await asyncio.to_thread(access_tokens.introspect, token)
    except Exception:  # the database cannot be reached: as for keys
        return _deny(503, 'temporarily_unavailable')
    return _json(200, answer or {'active': False})


# --- the adapter ------------------------------------------------------------------------------------

MAX_BODY = 8192
NO_BODY = {'type': 'http.response.body', 'body': b''}  # servers read the messages they are sent, never change them


class GatewayAdapter:
    """Answers the gateway paths; everything else goes to `app` (the web app's middleware stack).

    The decision paths are answered here, before any middleware: only the headers they read are decoded,
    a cached key's whole answer was built at its load, and nothing is logged per call."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        path = scope['path']
        if path == AUTH or path == NGINX:
            started = perf_counter()
            cfg = config.current()
            headers = read_headers(scope['headers'])
            if cfg.gateway_secret and not gateway_allowed(headers, cfg.gateway_secret):
                answer = _deny(401, 'this endpoint answers gateways only (X-Portico-Gateway-Secret)')
            else:
                facts = facts_from_headers(headers, cfg.gateway_path_header)
                answer = answer_now(facts, path == NGINX)  # a cached key: no coroutine, no await
                if answer is None:
                    answer = await answer_call(facts, for_nginx=path == NGINX)
            metrics.observe_decision(perf_counter() - started)
        elif path == PING:  # through uvicorn's send, as any empty answer of the server (the benchmarks' yardstick)
            answer = 204, [], b''
        elif path == INTROSPECT or path.startswith(ENVOY_PREFIX):
            answer = await self.answer(scope, receive, path, read_headers(scope['headers']))
        else:
            await self.app(scope, receive, send)
            return
        if wire.write(send, scope['method'], answer):  # the answer's bytes, encoded at the key's load
            return
        status, answer_headers, body = answer
        await send({'type': 'http.response.start', 'status': status, 'headers': answer_headers})
        await send(NO_BODY if not body or scope['method'] == 'HEAD' else {'type': 'http.response.body', 'body': body})

    async def answer(self, scope, receive, path: str, headers: dict[str, str]) -> Answer:
        """Introspection and Envoy's path prefix."""
        if path == INTROSPECT:
            if scope['method'] != 'POST':
                return _deny(405, 'use POST')
            return await introspect(headers, await _body(receive))
        if not gateway_allowed(headers, config.current().gateway_secret):
            return _deny(401, 'this endpoint answers gateways only (X-Portico-Gateway-Secret)')
        raw = scope.get('raw_path') or path.encode()
        return await answer_call(facts_from_prefix(raw.decode('latin-1')[len(AUTH):], headers), for_nginx=False)


async def _body(receive) -> bytes:
    body = b''
    while True:
        message = await receive()
        body += message.get('body', b'')
        if not message.get('more_body') or len(body) > MAX_BODY:
            return body[:MAX_BODY]


def install(app) -> None:
    """Wrap the app once (call at start, after every middleware was added): its middleware stack, and under
    uvicorn the app it serves, so that gateway calls skip uvicorn's proxy-headers middleware and FastAPI's
    own per-call checks too (the gateway paths read neither the client address nor the scheme)."""
    stack = app.middleware_stack or app.build_middleware_stack()
    if not isinstance(stack, GatewayAdapter):
        app.middleware_stack = GatewayAdapter(stack)
    try:
        from nicegui.server import Server
        served = Server.instance.config
    except (ImportError, AttributeError):
        return  # not run by uvicorn (tests' simulated user): the middleware stack's adapter answers
    loaded = getattr(served, 'loaded_app', None)
    if loaded is not None and not isinstance(loaded, GatewayAdapter):
        served.loaded_app = GatewayAdapter(loaded)
