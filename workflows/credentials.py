"""API keys: long random strings with a short recognisable prefix. The table keeps a SHA-256 for the
gateway's look-up and a copy encrypted with a key derived from the portal's secret, for display to
those who may use the app; a copy of the database alone reveals no key."""
from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta

import peewee as pw

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import config
from db import clock
from db.models import AccessRequest, Credential, CredentialStatus, KeyChange, User
from workflows import DomainError, NotFound, audit, visibility

PREFIX = 'ptc_'


def _fernet() -> Fernet:
    secret = config.current().secret_key.encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b'portico-api-keys', info=b'display').derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def digest(key: str) -> str:
    return hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()


def _new_key() -> tuple[str, dict]:
    key = PREFIX + secrets.token_urlsafe(32)
    return key, dict(key_prefix=key[:len(PREFIX) + 6], key_hash=digest(key),
                     key_encrypted=_fernet().encrypt(key.encode()).decode())


def issue(request: AccessRequest) -> Credential:
    """The credential of an approved request (call inside the approving transaction)."""
    _, fields = _new_key()
    return Credential.create(access_request=request, app=request.app_id, **fields)


def reveal(credential: Credential, user: User) -> str:
    """The plain key, for a user who may see the app."""
    if visibility.can_see_app(user, credential.app_id) is None:
        raise NotFound('This credential')
    try:
        return _fernet().decrypt(credential.key_encrypted.encode()).decode()
    except InvalidToken:
        raise DomainError('This key was encrypted with another secret key; rotate it to get a new one.') from None


def find_visible(credential_id: int, user: User) -> Credential:
    credential = Credential.get_or_none(Credential.id == credential_id)
    if credential is None or visibility.can_see_app(user, credential.app_id) is None:
        raise NotFound('This credential')
    return credential


def rotate(credential: Credential, by: User) -> None:
    """A new key replaces the old one, which stops working at once."""
    credential = find_visible(credential.id, by)
    if credential.status != CredentialStatus.ACTIVE:
        raise DomainError('Only an active key can be rotated.')
    from db.connection import database
    with database.atomic():
        _, fields = _new_key()
        Credential.update(**fields).where(Credential.id == credential.id).execute()
        invalidate([credential.key_hash])
        audit.record(by, 'credential.rotate', credential)


def revoke(credential: Credential, by: User) -> None:
    credential = find_visible(credential.id, by)
    from db.connection import database
    with database.atomic():
        won = (Credential.update(status=CredentialStatus.REVOKED, revoked_at=clock.now())
               .where((Credential.id == credential.id) & (Credential.status == CredentialStatus.ACTIVE)).execute())
        if not won:
            raise DomainError('This key is revoked already.')
        invalidate([credential.key_hash])
        audit.record(by, 'credential.revoke', credential)


def invalidate(key_hashes: list[str]) -> None:
    """Record changed keys (inside the changing transaction) so every instance evicts them; this
    instance evicts them at once."""
    if not key_hashes:
        return
    KeyChange.insert_many([{'key_hash': key_hash} for key_hash in key_hashes]).execute()
    try:
        from api import introspection
    except ImportError:
        return
    for key_hash in key_hashes:
        introspection.forget(key_hash)


def changes_since(last_id: int) -> tuple[int, list[str]]:
    """Key hashes changed after `last_id`, and the newest id (the gateway cache polls this)."""
    rows = list(KeyChange.select(KeyChange.id, KeyChange.key_hash).where(KeyChange.id > last_id)
                .order_by(KeyChange.id).limit(10000))
    return (rows[-1].id if rows else last_id), [row.key_hash for row in rows]


def newest_change() -> int:
    return KeyChange.select(pw.fn.MAX(KeyChange.id)).scalar() or 0


def prune_changes(older_than: timedelta = timedelta(hours=1)) -> int:
    return KeyChange.delete().where(KeyChange.changed_at < clock.now() - older_than).execute()
