"""Invite codes (issue 15; 003 "Invite Codes"): a code lets up to `quota` people register straight into a
team, and so its organisation, without an approval: a partner company's developers, a hackathon.

A code is long and random (`inv_` + 32 random bytes). The table keeps its SHA-256 for the look-up at
registration and a copy encrypted with a key derived from the portal's secret, so that those who manage
the code can copy it (and its link) again later, as with API keys; a copy of the database alone holds no
usable code. Every change and every use writes an audit event. A place is taken by the conditional
UPDATE `used < quota` in the registration's own transaction, so parallel registrations never take more
places than there are.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import quote

import peewee as pw

from db import clock
from db.connection import database
from db.models import InviteCode, InviteCodeState, Organisation, OrgStatus, Team, User
from domain.at_rest import InvalidToken, Seal, digest, new_secret
from permissions import PermissionDenied, can, invite_code_scope
from domain import events
from domain.errors import Conflict, DomainError, NotFound
from domain.i18n import N_, lazy_number
from workflows import is_clean_text, settings, throttle

PREFIX = 'inv_'
QUOTA_MAX = 100_000
NOTE_MAX = 200
CODE_MAX = 200  # longer input is refused before it is hashed
FIELD = 'invite_code'  # the registration form's field
NEAR_QUOTA_DIVISOR = 10  # the overview lists codes with at most a tenth of their places left ...
NEAR_EXPIRY = timedelta(days=3)  # ... or that expire within this time

GUESS_LIMIT = N_('Too many wrong invite codes from here. Please wait an hour and try again.')


class InvalidCode(DomainError):
    """A code that does not let anyone register (now); the message goes next to the field."""

    def __init__(self, message: str, *, known: bool = False, **params) -> None:
        super().__init__(message, FIELD, **params)
        self.known = known  # a real code that is expired, inactive or used up: not a guess


UNKNOWN = N_('This invite code is not valid. Check it, or ask the person who gave it to you for the link.')


# --- the code itself --------------------------------------------------------------------------------

SEAL = Seal(b'portico-invite-codes', b'display')


def _new_code() -> tuple[str, dict]:
    code = new_secret(PREFIX, SEAL)
    return code.raw, dict(code_prefix=code.prefix, code_hash=code.digest, code_encrypted=code.sealed)


def link(raw: str) -> str:
    """The ready registration link for a code."""
    return f'{settings.base_url()}/register?code={quote(raw, safe="")}'


def reveal(code: InviteCode, by: User) -> str:
    """The plain code, for someone who may manage it (Copy code, Copy link)."""
    code = find(code.id, by)
    try:
        return SEAL.open(code.code_encrypted)
    except InvalidToken:
        raise DomainError('This code was encrypted with another secret key: it still works for registration, '
                          'but cannot be copied again. Add a new code to share.') from None


# --- who manages which codes --------------------------------------------------------------------------

def scoped(query: pw.Query, by: User | None) -> pw.Query:
    """Narrow a query joined to Team to the codes `by` may see (another organisation's: none)."""
    return invite_code_scope(by).filter(query, Team.organisation)


def find(code_id: int, by: User | None) -> InviteCode:
    """A code by ID, as far as `by` may see it: another organisation's code is 'not found'."""
    code = scoped(InviteCode.select(InviteCode, Team, Organisation).join(Team).join(Organisation)
                  .where(InviteCode.id == code_id), by).first()
    if code is None:
        raise NotFound('This invite code')
    return code


def teams_for(by: User | None) -> dict[int, str]:
    """The teams `by` may create codes for, labelled 'Organisation · Team'."""
    query = (Team.select(Team, Organisation).join(Organisation)
             .where(Organisation.status == OrgStatus.ACTIVE).order_by(Organisation.name, Team.name))
    return {team.id: f'{team.organisation.name} · {team.name}' for team in scoped(query, by)}


def _team(team_id: int | None, by: User) -> Team:
    team = Team.get_or_none(Team.id == (team_id or 0))
    if team is None or team.organisation.status != OrgStatus.ACTIVE:
        raise DomainError('Choose a team from the list.', 'team')
    if not can(by, 'manage_invite_codes', team.organisation_id):
        if can(by, 'manage_invite_codes', getattr(by, 'organisation_id', None)):
            raise DomainError('Choose a team from the list.', 'team')  # another organisation's: not offered
        raise PermissionDenied()
    return team


# --- input ----------------------------------------------------------------------------------------------

def clean_quota(quota, used: int = 0) -> int:
    try:
        value = int(str(quota).strip())
    except (TypeError, ValueError):
        raise DomainError('Enter the quota as a whole number: how many people may use the code.', 'quota') from None
    if value < 1 or value > QUOTA_MAX:
        raise DomainError('The quota must be between 1 and {limit}.', 'quota', limit=lazy_number(QUOTA_MAX))
    if value < used:
        raise Conflict('{used} people have used this code already: the quota cannot be lower.', 'quota', used=used)
    return value


def clean_expiry(expires_on) -> datetime:
    """The expiry date (YYYY-MM-DD): the code works until the end of that day (UTC)."""
    if isinstance(expires_on, datetime):
        expires_on = expires_on.date()
    if not isinstance(expires_on, date):
        text = str(expires_on or '').strip()
        if not text:
            raise DomainError('Enter the expiry date (YYYY-MM-DD).', 'expires_on')
        try:
            expires_on = date.fromisoformat(text[:10]) if len(text) <= 10 else None
        except ValueError:
            expires_on = None
        if expires_on is None:
            raise DomainError('Enter the expiry date as YYYY-MM-DD, e.g. 2030-12-31.', 'expires_on')
    if expires_on.year > clock.now().year + 10:  # before any date arithmetic: 9999-12-31 + 1 day overflows
        raise DomainError('The expiry date is too far ahead (ten years at most).', 'expires_on')
    end = datetime.combine(expires_on + timedelta(days=1), time())
    if end <= clock.now():
        raise DomainError('The expiry date is in the past: choose today or a later day.', 'expires_on')
    return end


def expiry_day(code: InviteCode) -> date:
    """The last day the code works (what the admin entered)."""
    return (code.expires_at - timedelta(days=1)).date()


def clean_note(note: str | None) -> str:
    note = ' '.join((note or '').split())
    if len(note) > NOTE_MAX:
        raise DomainError('The note is too long ({limit} characters at most).', 'note', limit=NOTE_MAX)
    if not is_clean_text(note):
        raise DomainError('The note contains characters that are not allowed.', 'note')
    return note


def clean_state(state: str | None) -> str:
    if state not in InviteCodeState.LABELS:
        raise DomainError('Choose Active or Inactive.', 'state')
    return state


# --- changes --------------------------------------------------------------------------------------------

def create(team_id: int | None, quota, expires_on, state: str, note: str, by: User) -> tuple[InviteCode, str]:
    """Add: returns the code and its plain value (shown to its creator at once, with its link)."""
    team = _team(team_id, by)
    fields = dict(quota=clean_quota(quota), expires_at=clean_expiry(expires_on), state=clean_state(state),
                  note=clean_note(note))
    with database.atomic():
        raw, secret_fields = _new_code()
        code = InviteCode.create(team=team, created_by=by, **fields, **secret_fields)
        events.announce(by, 'invite_code.create', code, team=team.name, organisation=team.organisation.name,
                     quota=code.quota, expires_on=str(expiry_day(code)), state=code.state, note=code.note)
    return code, raw


def edit(code_id: int, quota, expires_on, state: str, note: str, by: User) -> InviteCode:
    """Change the quota (never below the places used), the expiry, the state and the note."""
    code = find(code_id, by)
    expires_at, state, note = clean_expiry(expires_on), clean_state(state), clean_note(note)
    quota = clean_quota(quota)
    with database.atomic():
        # conditional on the places used at this moment: a registration in between cannot be squeezed out
        won = (InviteCode.update(quota=quota, expires_at=expires_at, state=state, note=note)
               .where((InviteCode.id == code.id) & (InviteCode.used <= quota)).execute())
        if not won:
            used = InviteCode.get_by_id(code.id).used
            raise Conflict('{used} people have used this code already: the quota cannot be lower.', 'quota', used=used)
        events.announce(by, 'invite_code.edit', code, quota=quota, expires_on=str((expires_at - timedelta(days=1)).date()),
                     state=state, note=note)
    return InviteCode.get_by_id(code.id)


def deactivate(code_id: int, by: User) -> InviteCode:
    """Nobody can register with the code any more (until it is activated again)."""
    return _set_state(code_id, InviteCodeState.ACTIVE, InviteCodeState.INACTIVE, by)


def activate(code_id: int, by: User) -> InviteCode:
    return _set_state(code_id, InviteCodeState.INACTIVE, InviteCodeState.ACTIVE, by)


def _set_state(code_id: int, expected: str, new: str, by: User) -> InviteCode:
    code = find(code_id, by)
    with database.atomic():
        won = (InviteCode.update(state=new)
               .where((InviteCode.id == code.id) & (InviteCode.state == expected)).execute())
        if not won:
            if new == InviteCodeState.ACTIVE:
                raise Conflict('This code is active already.')
            raise Conflict('This code is inactive already.')
        events.announce(by, f'invite_code.{"activate" if new == InviteCodeState.ACTIVE else "deactivate"}', code)
    code.state = new
    return code


# --- lists ----------------------------------------------------------------------------------------------

def listing(by: User | None, search: str = '', offset: int = 0, limit: int = 20) -> tuple[list[InviteCode], int]:
    """The codes `by` may see, newest first, with their team and organisation: one query and a count."""
    query = scoped(InviteCode.select(InviteCode, Team, Organisation).join(Team).join(Organisation), by)
    search = (search or '').strip().lower()[:100]
    if search:
        query = query.where(pw.fn.LOWER(InviteCode.note).contains(search) | pw.fn.LOWER(Team.name).contains(search)
                            | Organisation.name_key.contains(search) | InviteCode.code_prefix.contains(search))
    rows = list(query.order_by(InviteCode.id.desc()).offset(offset).limit(limit))  # newest first, by the key
    return rows, query.count()


def is_expired(code: InviteCode) -> bool:
    return code.expires_at <= clock.now()


def near_limits(limit: int = 10) -> list[InviteCode]:
    """Active, unexpired codes with few places left or a close expiry (the admin overview)."""
    now = clock.now()
    left = InviteCode.quota - InviteCode.used
    # integers only: peewee would pass a float through the IntegerField's converter (0.1 -> 0)
    few_left = (left <= 1) | (left * NEAR_QUOTA_DIVISOR <= InviteCode.quota)
    return list(InviteCode.select(InviteCode, Team, Organisation).join(Team).join(Organisation)
                .where((InviteCode.state == InviteCodeState.ACTIVE) & (InviteCode.expires_at > now)
                       & (few_left | (InviteCode.expires_at <= now + NEAR_EXPIRY)))
                .order_by(InviteCode.expires_at).limit(limit))


# --- registration ---------------------------------------------------------------------------------------

def redeem(raw: str) -> InviteCode:
    """Take one place of the code for a registration; call inside the registration's transaction, before
    the account is created, so that a refusal leaves nothing behind. Raises InvalidCode with a message
    for the field (the caller counts wrong codes with `count_guess`)."""
    raw = (raw or '').strip()
    if not raw or len(raw) > CODE_MAX:
        raise InvalidCode(UNKNOWN)
    found = (InviteCode.select(InviteCode, Team, Organisation).join(Team).join(Organisation)
             .where(InviteCode.code_hash == digest(raw)).first())
    if found is None:
        raise InvalidCode(UNKNOWN)
    now = clock.now()
    # the place is taken in the UPDATE that checks it: two registrations cannot take the last place twice
    won = (InviteCode.update(used=InviteCode.used + 1)
           .where((InviteCode.id == found.id) & (InviteCode.state == InviteCodeState.ACTIVE)
                  & (InviteCode.used < InviteCode.quota) & (InviteCode.expires_at > now)).execute())
    if not won:
        current = InviteCode.get_by_id(found.id)
        if current.state != InviteCodeState.ACTIVE:
            raise InvalidCode('This invite code is no longer active. Ask the person who gave it to you.', known=True)
        if current.expires_at <= now:
            raise InvalidCode('This invite code expired on {day}.', known=True, day=f'{expiry_day(current):%Y-%m-%d}')
        raise InvalidCode('This invite code has been used by as many people as it allows. '
                          'Ask the person who gave it to you for another one.', known=True)
    if found.team.organisation.status != OrgStatus.ACTIVE:
        raise InvalidCode('This invite code is no longer active. Ask the person who gave it to you.', known=True)
    found.used += 1
    return found


def check_guesses(client: str) -> None:
    """Refuse a client that gave too many wrong codes lately, before its code is looked up (so that a
    guesser past the bound learns nothing, even with a right code)."""
    if client and throttle.exceeded([f'invite-code-client:{client}']):
        raise throttle.TooManyAttempts(GUESS_LIMIT, FIELD)


def count_guess(client: str) -> None:
    """Count a wrong code (outside the registration's transaction, which its refusal rolls back). Right
    codes are never counted: a hackathon's room shares one address and registers all at once."""
    if client:
        try:
            throttle.attempt([f'invite-code-client:{client}'], GUESS_LIMIT)
        except throttle.TooManyAttempts:
            pass  # the next attempt is refused by check_guesses; this one is told why its code is wrong


def give_back(code: InviteCode) -> None:
    """Return the place taken in this transaction (the address had an account: nothing was created)."""
    InviteCode.update(used=InviteCode.used - 1).where(InviteCode.id == code.id).execute()
    code.used -= 1


def release(code_id: int, email: str, *, reason: str) -> None:
    """Give back the place an unverified registration took (its link expired, or the code was withdrawn
    before the verification); call inside the transaction that deletes or changes the registration."""
    if InviteCode.update(used=InviteCode.used - 1).where((InviteCode.id == code_id) & (InviteCode.used > 0)) \
            .execute():
        events.announce(None, 'invite_code.release', InviteCode.get_by_id(code_id), email=email, reason=reason)
