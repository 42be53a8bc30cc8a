"""API keys: long random strings with a short recognisable prefix. The table keeps a SHA-256 for the
gateway's look-up and a copy encrypted with a key derived from the portal's secret, for display to
those who may use the app; a copy of the database alone reveals no key."""
from __future__ import annotations


from db import clock
from db.connection import database
from db.models import AccessRequest, Credential, CredentialStatus, User
from gateway import key_feed
from permissions import ensure
from gateway.keys import PREFIX
from domain import events
from domain.at_rest import InvalidToken, Seal, new_secret
from domain.errors import DomainError, NotFound
from workflows import visibility


SEAL = Seal(b'portico-api-keys', b'display')


def _new_key() -> tuple[str, dict]:
    key = new_secret(PREFIX, SEAL)
    return key.raw, dict(key_prefix=key.prefix, key_hash=key.digest, key_encrypted=key.sealed)


def issue(request: AccessRequest) -> Credential:
    """The credential of an approved request (call inside the approving transaction)."""
    _, fields = _new_key()
    return Credential.create(access_request=request, app=request.app_id, **fields)


def reveal(credential: Credential, user: User) -> str:
    """The plain key, for a user who may see the app."""
    if visibility.can_see_app(user, credential.app_id) is None:
        raise NotFound('This credential')
    try:
        return SEAL.open(credential.key_encrypted)
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
    with database.atomic():
        retire(Credential.id == credential.id)  # the old key, before its hash is replaced
        _, fields = _new_key()
        Credential.update(**fields).where(Credential.id == credential.id).execute()
        events.announce(by, 'credential.rotate', credential)


def revoke(credential: Credential, by: User) -> None:
    """Revoke a key of an app one may see (My apps): it stops working at once."""
    _revoke(find_visible(credential.id, by), by)


def revoke_by_admin(credential: Credential, by: User) -> None:
    """A portal admin revokes any key (the admin API): it stops working at once, as with revoke()."""
    ensure(by, 'view_admin')
    _revoke(credential, by)


def _revoke(credential: Credential, by: User) -> None:
    with database.atomic():
        won = (Credential.update(status=CredentialStatus.REVOKED, revoked_at=clock.now())
               .where((Credential.id == credential.id) & (Credential.status == CredentialStatus.ACTIVE)).execute())
        if not won:
            raise DomainError('This key is revoked already.')
        retire(Credential.id == credential.id)
        events.announce(by, 'credential.revoke', credential)


def retire(which) -> int:
    """Take keys away everywhere: every path that removes access calls this, inside its transaction and
    before deleting anything, with a condition on Credential or AccessRequest (for example
    `AccessRequest.app == app`). The keys are written to the feed every instance follows (so each evicts
    them within PORTICO_KEY_CHANGES_POLL_SECONDS) and evicted on this instance at once; their next call is
    judged from the database again. Returns how many keys were retired."""
    hashes = [row.key_hash for row in Credential.select(Credential.key_hash).join(AccessRequest).where(which)]
    key_feed.publish(hashes)
    return len(hashes)

