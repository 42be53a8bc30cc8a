"""API keys: long random strings with a short recognisable prefix. The table keeps a SHA-256 for the
gateway's look-up and a copy encrypted with a key derived from the portal's secret, for display to
those who may use the app; a copy of the database alone reveals no key."""
from __future__ import annotations


from datetime import timedelta

from db import clock
from db import settings
from db.connection import database
from db.models import AccessRequest, App, Credential, CredentialStatus, Plan, Role, User, UserStatus
from mail import outbox
from gateway import key_feed
from permissions import ensure
from gateway.keys import PREFIX
from domain import events
from domain.at_rest import InvalidToken, Seal, new_secret
from domain.errors import Conflict, DomainError, NotFound
from domain.i18n import N_, lazy_plural
from workflows import visibility


SEAL = Seal(b'portico-api-keys', b'display')


def _new_key() -> tuple[str, dict]:
    key = new_secret(PREFIX, SEAL)
    return key.raw, dict(key_prefix=key.prefix, key_hash=key.digest, key_encrypted=key.sealed)


def issue(request: AccessRequest) -> Credential:
    """The credential of an approved request (call inside the approving transaction); its plan's key lifetime
    gives it an end."""
    _, fields = _new_key()
    plan, now = Plan.get_by_id(request.plan_id), clock.now()
    if plan.key_lifetime_days:
        fields.update(expires_at=lifetime_end(plan, now), end_reason=LIFETIME)
    return Credential.create(access_request=request, app=request.app_id, created_at=now, **fields)


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
OVERLAPS = {0: N_('now'), 3600: N_('in 1 hour'), 86400: N_('in 24 hours'), 7 * 86400: N_('in 7 days')}
ROTATED, LIFETIME = 'rotated', 'lifetime'  # Credential.end_reason
# the reminders before a key stops: a rotated key's owners once a day before; a key at the end of its plan's
# lifetime 14 and 3 days before
REMINDERS = {ROTATED: (timedelta(days=1),), LIFETIME: (timedelta(days=14), timedelta(days=3))}


def lifetime_end(plan: Plan, start):
    """When a key issued under `plan` at `start` stops (None: never)."""
    return start + timedelta(days=plan.key_lifetime_days) if plan.key_lifetime_days else None


def is_current(credential: Credential) -> bool:
    """An active key without a successor (it may have reached its lifetime's end: then it can be renewed)."""
    return credential.status == CredentialStatus.ACTIVE and credential.end_reason != ROTATED


def rotate(credential: Credential, by: User, old_key_stops_in: int = 0) -> Credential:
    """A new key for the same access. The old key stops at once (`old_key_stops_in` 0: its row takes the new
    key), or keeps working beside the new one for that many seconds (one of OVERLAPS; never past the end it had
    already), so that clients can switch without an outage. Returns the credential of the new key."""
    return _rotate(find_visible(credential.id, by), by, old_key_stops_in)


def renew(credential: Credential, by: User) -> Credential:
    """One click for a key whose plan gives keys a lifetime: a new key with a new lifetime, and the old key keeps
    working until its own end (or stops now, when that has passed)."""
    credential = find_visible(credential.id, by)
    if credential.end_reason != LIFETIME:
        raise DomainError('This key does not expire; rotate it to get a new one.')
    left = (credential.expires_at - clock.now()).total_seconds()
    return _rotate(credential, by, 0, old_key_ends=credential.expires_at if left > 0 else None)


def rotate_by_admin(credential: Credential, by: User, old_key_stops_in: int = 0) -> Credential:
    """A portal admin rotates any key (the admin API); the app's members see the new key in My apps."""
    ensure(by, 'view_admin')
    return _rotate(Credential.get_by_id(credential.id), by, old_key_stops_in)


def _rotate(credential: Credential, by: User, old_key_stops_in: int, old_key_ends=None) -> Credential:
    if old_key_stops_in not in OVERLAPS:
        # the choices of OVERLAPS, in words
        raise DomainError('Choose when the old key stops: now, in 1 hour, in 24 hours, in 7 days.', 'old_key_stops_in')
    if not is_current(credential):
        raise Conflict('Only the current key can be rotated: this one is revoked or being replaced already.')
    with database.atomic():
        now = clock.now()
        if old_key_ends is None and old_key_stops_in:
            old_key_ends = now + timedelta(seconds=old_key_stops_in)
            if credential.expires_at is not None and credential.expires_at > now:
                old_key_ends = min(old_key_ends, credential.expires_at)
        plan = Plan.select().join(AccessRequest).where(AccessRequest.id == credential.access_request_id).get()
        _, fields = _new_key()
        fields.update(created_at=now, expires_at=lifetime_end(plan, now), reminded_at=None,
                      end_reason=LIFETIME if plan.key_lifetime_days else None)
        current = ((Credential.id == credential.id) & (Credential.status == CredentialStatus.ACTIVE)
                   & ((Credential.end_reason != ROTATED) | Credential.end_reason.is_null()))
        if old_key_ends is None:  # the old key stops now: its row takes the new key (one rotation wins)
            won = Credential.update(**fields).where(current).execute()
            new_id = credential.id
        else:
            won = (Credential.update(expires_at=old_key_ends, end_reason=ROTATED,
                                     # an end a day away or nearer was just chosen: no reminder needed before it
                                     reminded_at=now if old_key_ends - now <= REMINDERS[ROTATED][0] else None)
                   .where(current).execute())
            new_id = won and Credential.insert(access_request=credential.access_request_id, app=credential.app_id,
                                               **fields).execute()
        if not won:
            raise DomainError('This key was rotated or revoked meanwhile; reload to see its successor.')
        # the old key everywhere: evicted, then reloaded with its end, or gone (its hash was replaced)
        key_feed.publish([credential.key_hash])
        new = Credential.get_by_id(new_id)
        events.announce(by, 'credential.rotate', new, old_credential_id=credential.id,
                        old_key_stops_at=old_key_ends.isoformat(timespec='seconds') + 'Z' if old_key_ends else 'now')
        return new


def shown(credentials_: list[Credential], now=None) -> list[Credential]:
    """The keys of one access request that My apps shows: the current one (also when its lifetime has ended, to
    renew it) and the replaced ones still working (the newest first); a request with none of them shows its
    latest key (revoked) for its status."""
    now = now or clock.now()
    ordered = sorted(credentials_, key=lambda credential: credential.id, reverse=True)
    working = [credential for credential in ordered if credential.status == CredentialStatus.ACTIVE
               and (credential.end_reason != ROTATED or credential.expires_at > now)]
    return working or ordered[:1]


def remind_ending() -> int:
    """Email the owners of keys that stop soon (the maintenance loop): a replaced key once a day before, a key
    at the end of its lifetime 14 and 3 days before (unless it was renewed). Returns how many keys."""
    now = clock.now()
    due = list(Credential.select(Credential, App).join(App)
               .where((Credential.status == CredentialStatus.ACTIVE) & Credential.end_reason.is_null(False)
                      & (Credential.expires_at > now) & (Credential.expires_at <= now + REMINDERS[LIFETIME][0]))
               .order_by(Credential.expires_at).limit(1000))
    sent = 0
    for credential in due:
        ahead = [before for before in REMINDERS.get(credential.end_reason, ())
                 if credential.expires_at - before <= now
                 and (credential.reminded_at is None or credential.reminded_at < credential.expires_at - before)]
        if not ahead:
            continue
        with database.atomic():
            if not (Credential.update(reminded_at=now)
                    .where((Credential.id == credential.id) & (Credential.reminded_at.is_null()
                                                               | (Credential.reminded_at < now))).execute()):
                continue  # another instance took it
            app, template = credential.app, 'key_ending' if credential.end_reason == ROTATED else 'key_expiring'
            days = max(1, round((credential.expires_at - now) / timedelta(days=1)))
            for person in owners_of(app):
                outbox.queue(template, person.email, first_name=person.first_name, app_name=app.name,
                             key_prefix=credential.key_prefix, days_left=lazy_plural('{count} day', '{count} days', days),
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
            raise Conflict('This key is revoked already.')
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

