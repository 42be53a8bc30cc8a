"""API keys: long random strings with a short recognisable prefix. The table keeps a SHA-256 for the
gateway's look-up and a copy encrypted with a key derived from the portal's secret, for display to
those who may use the app; a copy of the database alone reveals no key."""
from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import config
from db import clock
from db.models import AccessRequest, Credential, CredentialStatus, User
from gateway import keys
from gateway.keys import PREFIX, changes_since, digest, newest_change, prune_changes  # noqa: F401 - used by others
from workflows import DomainError, NotFound, audit, visibility


def _fernet() -> Fernet:
    secret = config.current().secret_key.encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b'portico-api-keys', info=b'display').derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


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
        retire(Credential.id == credential.id)  # the old key, before its hash is replaced
        _, fields = _new_key()
        Credential.update(**fields).where(Credential.id == credential.id).execute()
        audit.record(by, 'credential.rotate', credential)


def revoke(credential: Credential, by: User) -> None:
    credential = find_visible(credential.id, by)
    from db.connection import database
    with database.atomic():
        won = (Credential.update(status=CredentialStatus.REVOKED, revoked_at=clock.now())
               .where((Credential.id == credential.id) & (Credential.status == CredentialStatus.ACTIVE)).execute())
        if not won:
            raise DomainError('This key is revoked already.')
        retire(Credential.id == credential.id)
        audit.record(by, 'credential.revoke', credential)


def retire(which) -> int:
    """Take keys away everywhere: every path that removes access calls this, inside its transaction and
    before deleting anything, with a condition on Credential or AccessRequest (for example
    `AccessRequest.app == app`). The keys are written to the feed every instance follows (so each evicts
    them within PORTICO_KEY_CHANGES_POLL_SECONDS) and evicted on this instance at once; their next call is
    judged from the database again. Returns how many keys were retired."""
    hashes = [row.key_hash for row in Credential.select(Credential.key_hash).join(AccessRequest).where(which)]
    keys.publish(hashes)
    return len(hashes)


def revoke_by_admin(credential: Credential, by: User) -> None:
    """A portal admin revokes any key (the admin API): it stops working at once, as with revoke()."""
    from db.connection import database
    from permissions import ensure
    ensure(by, 'view_admin')
    with database.atomic():
        won = (Credential.update(status=CredentialStatus.REVOKED, revoked_at=clock.now())
               .where((Credential.id == credential.id) & (Credential.status == CredentialStatus.ACTIVE)).execute())
        if not won:
            raise DomainError('This key is revoked already.')
        retire(Credential.id == credential.id)
        audit.record(by, 'credential.revoke', credential)
