"""Registrations that were never verified (000 case 1: the link in the verification email proves the address).

An address stays taken while its verification link still works; after that the unverified registration goes as
soon as the address registers again, and a registration made with an invite code goes at the periodic clean-up
too, so that its place in the code comes back (issue 15).
"""
from __future__ import annotations

from db import clock
from db.connection import database
from db.models import Token, User, UserStatus
from workflows import invite_codes, tokens


def free_address(email: str) -> bool:
    """Whether the address can register: a rejected address may register again, and so may one whose
    verification link expired unused (the old row goes); any other existing row keeps it."""
    existing = User.get_or_none(User.email == email)
    if existing is None:
        return True
    if existing.status == UserStatus.REJECTED:
        existing.delete_instance(recursive=True)
        return True
    if existing.status == UserStatus.PENDING_VERIFICATION and not _has_open_link(existing):
        return _drop(existing)
    return False


def _drop(user: User) -> bool:
    """Delete a registration whose verification link expired unused; a place it took from an invite code
    goes back in the same transaction. The expired token is marked used first, by a conditional UPDATE, so
    two clean-ups at once (a new registration of the address, the periodic one) give the place back once.
    Call inside a transaction. Whether this call deleted the registration."""
    now = clock.now()
    claimed = False
    for token in Token.select().where((Token.user == user) & (Token.purpose == tokens.VERIFY)
                                      & Token.used_at.is_null()):
        if token.expires_at > now:
            return False  # a link that still works: the registration stays
        if Token.update(used_at=now).where((Token.id == token.id) & Token.used_at.is_null()).execute():
            claimed = True
            if (token.data or {}).get('invite_code'):
                invite_codes.release(token.data['invite_code'], user.email, reason='expired')
    if not claimed and User.get_or_none((User.id == user.id)
                                        & (User.status == UserStatus.PENDING_VERIFICATION)) is None:
        return True  # another clean-up deleted it first
    user.delete_instance(recursive=True)
    return True


def drop_expired_code_registrations() -> int:
    """The periodic clean-up: registrations made with an invite code whose verification link expired
    unused are deleted, and their places go back (each its own transaction). Made-up addresses therefore
    hold a code's places for the link's lifetime (two days) at most. Returns how many went."""
    now = clock.now()
    candidates = (Token.select(Token.user, Token.data).join(User)
                  .where((Token.purpose == tokens.VERIFY) & Token.used_at.is_null() & (Token.expires_at <= now)
                         & (User.status == UserStatus.PENDING_VERIFICATION)))
    dropped = 0
    for user_id in {token.user_id for token in candidates if (token.data or {}).get('invite_code')}:
        with database.atomic():
            user = User.get_or_none((User.id == user_id) & (User.status == UserStatus.PENDING_VERIFICATION))
            if user is not None and _drop(user):
                dropped += 1
    return dropped


def _has_open_link(user: User) -> bool:
    return Token.select().where((Token.user == user) & (Token.purpose == tokens.VERIFY) & Token.used_at.is_null()
                                & (Token.expires_at > clock.now())).exists()
