"""The authorisation server's signing keys (issue 26): RSA 2048 keys, made on first need, the private key sealed
at rest (domain/at_rest), the public one published at /oauth/jwks. Rotating makes a new current key and retires
the old one: it signs nothing more but stays published until every token it signed has expired
(gateway/access_tokens.published_keys), so tokens keep verifying across a rotation.

`python main.py rotate-signing-key` rotates by hand; with PORTICO_OAUTH_SIGNING_KEY_DAYS (default 90) a key older
than that is replaced the next time a token is signed.
"""
from __future__ import annotations

import secrets
import threading
from datetime import timedelta

from joserfc.jwk import RSAKey

import config
from db import clock
from db.connection import database
from db.models import SigningKey
from domain import events
from domain.at_rest import Seal
from gateway import access_tokens

SEAL = Seal(b'portico-oauth-signing-keys', b'private')


def _create() -> SigningKey:
    kid = clock.now().strftime('%Y%m%d') + '-' + secrets.token_urlsafe(6)
    key = RSAKey.generate_key(2048, parameters={'kid': kid, 'use': 'sig', 'alg': access_tokens.ALGORITHM},
                              private=True)
    public = {name: value for name, value in key.as_dict(private=False).items()}
    return SigningKey.create(kid=kid, private_key=SEAL.close(key.as_pem(private=True).decode()), public_jwk=public,
                             created_at=clock.now())


_lock = threading.Lock()  # one new key at a time on this instance (parallel first token requests)
_opened: dict[str, RSAKey] = {}  # kid -> the private key, opened once


def _newest() -> SigningKey | None:
    return SigningKey.select().where(SigningKey.retired_at.is_null()).order_by(SigningKey.id.desc()).first()


def _due(row: SigningKey | None) -> bool:
    days = config.current().oauth_signing_key_days
    return row is None or bool(days and row.created_at <= clock.now() - timedelta(days=days))


def current() -> tuple[str, RSAKey]:
    """The kid and private key to sign with: the newest unretired key, made (or replaced, when older than the
    configured days) here if needed."""
    row = _newest()
    if _due(row):
        with _lock:
            row = _newest()
            if _due(row):
                row = rotate(None)
    key = _opened.get(row.kid)
    if key is None:
        key = _opened[row.kid] = RSAKey.import_key(SEAL.open(row.private_key), parameters={'kid': row.kid})
    return row.kid, key


def rotate(by) -> SigningKey:
    """A new current key; the others are retired now (published until their tokens have expired)."""
    with database.atomic():
        now = clock.now()
        SigningKey.update(retired_at=now).where(SigningKey.retired_at.is_null()).execute()
        row = _create()
        events.announce(by, 'signing_key.rotate', row, kid=row.kid)
    access_tokens.forget_keys()
    return row


def prune() -> int:
    """Delete retired keys no token of which can still be valid (the maintenance loop may call this)."""
    kept_since = clock.now() - timedelta(seconds=config.current().oauth_token_seconds + 3600)
    return (SigningKey.delete().where(SigningKey.retired_at.is_null(False) & (SigningKey.retired_at < kept_since))
            .execute())
