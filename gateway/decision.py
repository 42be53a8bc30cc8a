"""The facts of one call as each gateway sends them, and the decision on them.

Which header carries the original path is a setting (PORTICO_GATEWAY_PATH_HEADER), never a guess: a
gateway that passes the client's headers on (Caddy's forward_auth, Traefik's forwardAuth) overwrites only
the headers it sets itself, so the portal must read exactly those.

- `x-forwarded-uri` (the default): Caddy `forward_auth` and Traefik `forwardAuth` as they come, which set
  `X-Forwarded-Uri` (with the query) and `X-Forwarded-Method`; deploy/nginx-gateway.conf sets them too.
- `x-original-uri`: `X-Original-URI` and `X-Original-Method`, for an nginx configuration of your own.
- Envoy's ext_authz HTTP service appends the original path to its path prefix: `/api/gateway/auth/<path>`
  is judged by the path in the URL, whatever the headers say.
The query is never part of the path match.
"""
from __future__ import annotations

from typing import NamedTuple

from gateway.limits import period_end, window_end

PATH_HEADERS = {'x-forwarded-uri': 'x-forwarded-method', 'x-original-uri': 'x-original-method'}


# Named tuples, not dataclasses: as immutable, and built in a fraction of the time on every call (on the hot
# path through tuple.__new__, a fifth of the cost of the generated keyword-taking __new__).
_new = tuple.__new__


class Facts(NamedTuple):
    key: str
    path: str | None  # None: no path given, or one that tries to climb out of its prefix
    method: str = 'GET'


class Decision(NamedTuple):
    status: int  # 200, 401, 403, 410 (a deprecated API past its sunset, issue 26) or 429
    reason: str = ''
    product: str = ''
    retry_after: int = 0
    route: str = ''  # the base path matched: the key of its answer (KeyInfo.allowed, .gone)

    @property
    def counts_as(self) -> str | None:
        """How the call is counted in usage: 'call', 'refused', or not at all (no valid key)."""
        return 'call' if self.status == 200 else 'refused' if self.status in (403, 410, 429) else None


MISSING_KEY = Decision(401, 'missing API key')
UNKNOWN_KEY = Decision(401, 'unknown or revoked API key')
NOT_COVERED = Decision(403, 'this key does not cover this path')
# a key past its end (issue 26): the reason reaches the client (deploy/nginx-gateway.conf passes it on)
ENDED_KEY = Decision(401, 'this API key was replaced and has stopped working; use the new key shown in My apps')
EXPIRED_KEY = Decision(401, 'this API key has expired; renew it in My apps')


def key_from(headers: dict[str, str]) -> str:
    key = headers.get('x-api-key', '')
    if not key:
        scheme, _, value = headers.get('authorization', '').partition(' ')
        if scheme.lower() == 'bearer':
            key = value
    return key.strip()[:200]


def clean_path(raw: str) -> str | None:
    """The path without its query; None for a missing path or one that tries to climb out of a prefix."""
    path = raw.partition('?')[0]
    if not path.startswith('/') or '/..' in path or '\\' in path:
        return None
    if '%' in path:
        lowered = path.lower()
        if '%2e' in lowered or '%2f' in lowered or '%5c' in lowered:
            return None
    return path


def facts_from_headers(headers: dict[str, str], path_header: str) -> Facts:
    """nginx auth_request, Caddy forward_auth, Traefik forwardAuth: the path in the trusted header only."""
    return _new(Facts, (key_from(headers), clean_path(headers.get(path_header, '')),
                        headers.get(PATH_HEADERS[path_header], 'GET').upper()[:16]))


def facts_from_prefix(original_path: str, headers: dict[str, str]) -> Facts:
    """Envoy ext_authz (HTTP service): the original path follows the prefix in the URL itself."""
    return Facts(key=key_from(headers), path=clean_path(original_path), method=headers.get(':method', 'GET'))


def decide(facts: Facts, info, now: float, used: tuple[int, int] = (0, 0), moment: float = 0.0) -> Decision:
    """The answer for one call, from its facts, what its key may do (None: no access), the time (Unix), the
    calls already counted in the key's rate window and quota period, and `moment` (clock.monotonic()) for a key
    that stops at a moment of its own (a rotation's overlap). No I/O, no state."""
    if not facts.key:
        return MISSING_KEY
    if info is None:
        return UNKNOWN_KEY
    if info.expires is not None and moment >= info.expires:
        return info.ended
    path = facts.path
    if path is None:
        return NOT_COVERED
    for base, slug in info.routes:  # longest base path first
        if path.startswith(base) or path + '/' == base:
            product = slug
            break
    else:
        return NOT_COVERED
    if info.sunsets:  # issue 26, item 5: a deprecated API's route, refused (410) from its sunset on
        sunset = info.sunsets.get(base)
        if sunset is not None and moment >= sunset[0]:
            return sunset[1]
    plan = info.plan
    rate_used, quota_used = used
    if rate_used >= plan.rate_limit:
        return Decision(429, f'rate limit of {plan.rate_limit} requests per {plan.rate_period} s exceeded',
                        product, max(1, int(window_end(plan.rate_period, now) - now + 0.999)))
    if plan.quota and quota_used >= plan.quota:
        return Decision(429, f'quota of {plan.quota} requests per {plan.quota_period} used up', product,
                        max(1, int(period_end(plan.quota_period, now) - now + 0.999)))
    granted = info.granted.get(base)  # built once per key and route, at its load
    return granted if granted is not None else Decision(200, '', product, 0, base)
