"""API keys: long random strings with a short recognisable prefix. The table keeps a SHA-256 for the
gateway's look-up and a copy encrypted with a key derived from the portal's secret, for display to
those who may use the app; a copy of the database alone reveals no key."""
from __future__ import annotations


from datetime import timedelta

from db import clock
from db import settings
from db.connection import database
from db.models import AccessRequest, App, Credential, CredentialStatus, Role, User, UserStatus
from mail import outbox
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


# when the old key of a rotation stops: seconds after the rotation -> the words of My apps (issue 26)
OVERLAPS = {0: 'now', 3600: 'in 1 hour', 86400: 'in 24 hours', 7 * 86400: 'in 7 days'}
REMIND_BEFORE = timedelta(days=1)


def live(now=None):
    """The condition of keys that have not reached their end (a rotation's overlap)."""
    return Credential.expires_at.is_null() | (Credential.expires_at > (now or clock.now()))


def rotate(credential: Credential, by: User, old_key_stops_in: int = 0) -> Credential:
    """A new key for the same access. The old key stops at once (`old_key_stops_in` 0: its row takes the new
    key), or keeps working beside the new one for that many seconds (one of OVERLAPS), so that clients can
    switch without an outage. Returns the credential of the new key."""
    return _rotate(find_visible(credential.id, by), by, old_key_stops_in)


def rotate_by_admin(credential: Credential, by: User, old_key_stops_in: int = 0) -> Credential:
    """A portal admin rotates any key (the admin API); the app's members see the new key in My apps."""
    ensure(by, 'view_admin')
    return _rotate(Credential.get_by_id(credential.id), by, old_key_stops_in)


def _rotate(credential: Credential, by: User, old_key_stops_in: int) -> Credential:
    if old_key_stops_in not in OVERLAPS:
        raise DomainError('Choose when the old key stops: ' + ', '.join(OVERLAPS.values()) + '.',
                          field='old_key_stops_in')
    if credential.status != CredentialStatus.ACTIVE or credential.expires_at is not None:
        raise DomainError('Only the current key can be rotated: this one is revoked or being replaced already.')
    with database.atomic():
        now = clock.now()
        ends = now + timedelta(seconds=old_key_stops_in) if old_key_stops_in else None
        # one rotation wins: the key is still current in the same UPDATE
        won = (Credential.update(expires_at=ends) if ends else Credential.update(key_prefix=Credential.key_prefix)) \
            .where((Credential.id == credential.id) & (Credential.status == CredentialStatus.ACTIVE)
                   & Credential.expires_at.is_null()).execute()
        if not won:
            raise DomainError('This key was rotated or revoked meanwhile; reload to see its successor.')
        retire(Credential.id == credential.id)  # evicted everywhere: reloaded with its end, or gone
        _, fields = _new_key()
        if ends is None:
            Credential.update(**fields, created_at=now).where(Credential.id == credential.id).execute()
            new = Credential.get_by_id(credential.id)
        else:
            new = Credential.create(access_request=credential.access_request_id, app=credential.app_id,
                                    created_at=now, **fields)
            if old_key_stops_in <= REMIND_BEFORE.total_seconds():
                # the one who rotated chose an end a day away or nearer: no reminder needed before it
                Credential.update(reminded_at=now).where(Credential.id == credential.id).execute()
        events.announce(by, 'credential.rotate', new, old_credential_id=credential.id,
                        old_key_stops_at=ends.isoformat(timespec='seconds') + 'Z' if ends else 'now')
        return new


def shown(credentials_: list[Credential], now=None) -> list[Credential]:
    """The keys of one access request that My apps shows: the current one and the ones still in their overlap
    (the newest first); a request with none of them shows its latest key (revoked or ended) for its status."""
    now = now or clock.now()
    ordered = sorted(credentials_, key=lambda credential: credential.id, reverse=True)
    working = [credential for credential in ordered if credential.status == CredentialStatus.ACTIVE
               and (credential.expires_at is None or credential.expires_at > now)]
    return working or ordered[:1]


def remind_ending() -> int:
    """Email the owners of keys that stop within a day, once per key (the maintenance loop); returns how many."""
    now = clock.now()
    due = list(Credential.select(Credential, App).join(App)
               .where((Credential.status == CredentialStatus.ACTIVE) & Credential.reminded_at.is_null()
                      & (Credential.expires_at > now) & (Credential.expires_at <= now + REMIND_BEFORE)).limit(500))
    sent = 0
    for credential in due:
        with database.atomic():
            if not (Credential.update(reminded_at=now)
                    .where((Credential.id == credential.id) & Credential.reminded_at.is_null()).execute()):
                continue  # another instance took it
            app = credential.app
            for person in owners_of(app):
                outbox.queue('key_ending', person.email, first_name=person.first_name, app_name=app.name,
                             key_prefix=credential.key_prefix,
                             ends_at=credential.expires_at.strftime('%Y-%m-%d %H:%M UTC'),
                             apps_link=f'{settings.base_url()}/apps/{app.id}')
            sent += 1
    return sent


def owners_of(app: App) -> list[User]:
    """Who is told about an app's keys: its owner while active, else the super admins of its organisation."""
    owner = User.get_or_none((User.id == app.owner_id) & (User.status == UserStatus.ACTIVE)) if app.owner_id else None
    if owner is not None:
        return [owner]
    return list(User.select().where((User.organisation == app.organisation_id) & (User.role == Role.SUPER_ADMIN)
                                    & (User.status == UserStatus.ACTIVE)))


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

