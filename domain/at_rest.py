"""How a secret is kept at rest, for every kind of secret the portal stores.

A secret that is only checked (link tokens, session tokens, API keys, invite codes, personal API tokens) is
kept as `digest(raw)`, its SHA-256: a copy of the database alone gives none back. A secret that must be shown
again (an API key to those who may use the app, an invite code, a webhook's signing secret, the link in a
queued email) is sealed with Fernet under a key derived from the portal's secret key by HKDF, one salt and
info per kind, so that a key leaked for one kind opens no other. The formats are those of the rows written
before this module existed (tests/test_at_rest.py opens a database written by that code).
"""
from __future__ import annotations

import base64
import functools
import hashlib
import secrets
from typing import NamedTuple

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import config

__all__ = ['InvalidToken', 'NewSecret', 'Seal', 'digest', 'new_secret']


def digest(raw: str) -> str:
    """The look-up form of a secret (text that may hold lone surrogates: what a browser can send)."""
    return hashlib.sha256(raw.encode('utf-8', 'surrogatepass')).hexdigest()


@functools.lru_cache(maxsize=32)
def _fernet(secret_key: str, salt: bytes, info: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class NewSecret(NamedTuple):
    raw: str  # shown once (or again, opened from `sealed`), never stored
    prefix: str  # the kind's prefix and six characters more: enough to recognise it in a list
    digest: str
    sealed: str | None  # None for a secret that is never shown again


def new_secret(prefix: str, seal: Seal | None = None) -> NewSecret:
    """A random secret, `prefix` and 32 random bytes (URL-safe base64), with the forms the table keeps."""
    raw = prefix + secrets.token_urlsafe(32)
    return NewSecret(raw, raw[:len(prefix) + 6], digest(raw), seal.close(raw) if seal else None)


class Seal:
    """Sealing for one kind of secret: `Seal(b'portico-webhooks', b'secrets').close(text)`."""

    def __init__(self, salt: bytes, info: bytes) -> None:
        self.salt, self.info = salt, info

    def _fernet(self) -> Fernet:
        return _fernet(config.current().secret_key, self.salt, self.info)

    def close(self, text: str) -> str:
        return self._fernet().encrypt(text.encode()).decode()

    def open(self, sealed: str) -> str:
        """The text; raises InvalidToken when it was sealed under another secret key."""
        return self._fernet().decrypt(sealed.encode()).decode()
