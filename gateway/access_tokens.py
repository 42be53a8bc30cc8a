"""JWT access tokens of Portico's authorisation server (issue 26, RFC 9068), as the portal checks them: for RFC 7662
introspection (gateway/asgi.py) and nowhere per call otherwise (gateways that verify tokens themselves read the
public keys at /oauth/jwks).

A token is good when its signature is by one of the published signing keys (RS256 only: no `none`, no HMAC with a
public key as secret), its header says `typ: at+jwt`, it has not expired, and its client is still active on an
approved request of an active app, so that a revoked client's tokens stop at once at introspecting gateways.
The public keys are read from the database and kept for KEYS_SECONDS; an unknown `kid` reloads them (at most once
per second), so a key made by another instance is found at once.
"""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

import config
from db import clock
from db.models import AccessRequest, AccessStatus, App, AppStatus, OAuthClient, OAuthClientStatus, SigningKey

ALGORITHM = 'RS256'
TYPE = 'at+jwt'
MAX_TOKEN = 8192  # characters: a token of ours is about 1 kB
KEYS_SECONDS = 30.0
LEEWAY = 30  # seconds of clock difference tolerated for `iat`

_lock = threading.Lock()
_cache: dict = {'keys': None, 'kids': frozenset(), 'loaded': 0.0}


def published_keys(now=None) -> list[dict]:
    """The public JWKs to publish: the current key and the retired ones whose tokens may still be valid."""
    now = now or clock.now()
    kept_since = now - timedelta(seconds=config.current().oauth_token_seconds + 300)
    rows = (SigningKey.select(SigningKey.public_jwk)
            .where(SigningKey.retired_at.is_null() | (SigningKey.retired_at > kept_since))
            .order_by(SigningKey.id.desc()))
    return [row.public_jwk for row in rows]


def _keys(kid: str | None) -> KeySet | None:
    moment = time.monotonic()
    with _lock:
        fresh = moment - _cache['loaded'] < KEYS_SECONDS
        unknown = kid not in _cache['kids'] and moment - _cache['loaded'] >= 1.0
        if _cache['keys'] is None or not fresh or unknown:
            found = published_keys()
            _cache.update(keys=KeySet.import_key_set({'keys': found}) if found else None,
                          kids=frozenset(key['kid'] for key in found), loaded=moment)
        return _cache['keys']


def forget_keys() -> None:
    """Reload the public keys on the next check (after a rotation on this instance)."""
    with _lock:
        _cache['loaded'] = 0.0


def looks_like_jwt(token: str) -> bool:
    return 20 < len(token) <= MAX_TOKEN and token.count('.') == 2 and token.isascii()


def verified_claims(token: str) -> dict | None:
    """The claims of a good token (signature, type, expiry), else None; reads the database (call off the loop)."""
    if not looks_like_jwt(token):
        return None
    try:
        header = jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError):
        return None
    kid = header.get('kid') if isinstance(header, dict) else None
    keys = _keys(kid if isinstance(kid, str) else None)
    if keys is None:
        return None
    try:
        decoded = jwt.decode(token, keys, algorithms=[ALGORITHM])
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    if decoded.header.get('typ', '').lower() not in {TYPE, 'application/' + TYPE}:
        return None
    claims = decoded.claims
    now = time.time()
    exp, iat = claims.get('exp'), claims.get('iat')
    if not isinstance(exp, int) or exp <= now or not isinstance(iat, int) or iat > now + LEEWAY:
        return None
    if not isinstance(claims.get('client_id'), str):
        return None
    return claims


def client_active(client_id: str) -> bool:
    """Whether the client may hold tokens now: active, on an approved request of an active app."""
    return (OAuthClient.select(OAuthClient.id).join(AccessRequest).join(App)
            .where((OAuthClient.client_id == client_id) & (OAuthClient.status == OAuthClientStatus.ACTIVE)
                   & (AccessRequest.status == AccessStatus.APPROVED) & (App.status == AppStatus.ACTIVE))
            .exists())


def introspect(token: str) -> dict | None:
    """RFC 7662's answer for one of our access tokens, or None (inactive)."""
    claims = verified_claims(token)
    if claims is None or not client_active(claims['client_id']):
        return None
    answer = {'active': True, 'token_type': 'Bearer'}
    for name in ('scope', 'client_id', 'sub', 'aud', 'iss', 'exp', 'iat', 'jti', 'plan', 'app', 'app_id',
                 'organisation'):
        if name in claims:
            answer[name] = claims[name]
    answer['username'] = claims.get('app', claims['client_id'])
    return answer
