"""Forgot Password? -> email -> Reset -> Login again (003 "Reset Password")."""
from __future__ import annotations

from db.connection import database
from db.models import User, UserStatus
from mail import outbox
from domain import events
from domain.errors import DomainError
from workflows import api_tokens, is_clean_text, passwords, sessions, settings, sso, sso_required, throttle, tokens

ANSWER = 'If an account exists for this address, we have sent it a link to reset the password. ' \
         'The link works once, for one hour.'


def request_reset(email: str, client_key: str = '') -> str:
    """Email a reset link to an active account. The answer is the same whether or not it exists.

    A member of an organisation that requires its identity provider gets no link (workflows/sso_required.py);
    when the address's domain is that provider's, the refusal names it, which says nothing about the account
    (Log in sends every address of the domain there anyway); any other address gets the usual answer."""
    email = (email or '').strip().lower()
    if not email or '@' not in email or len(email) > 254 or not is_clean_text(email):
        raise DomainError('Enter the email address of your account.', 'email')
    company = sso.provider_for_email(email)
    if company is not None and company.required:
        raise DomainError(sso_required.refusal(company), 'email')
    keys = [f'reset:{email}'] + ([f'reset-client:{client_key}'] if client_key else [])
    throttle.attempt(keys, 'Too many reset requests. Please wait a few minutes before asking again.')
    with database.atomic():
        user = User.get_or_none((User.email == email) & (User.status == UserStatus.ACTIVE))
        if user is not None and sso_required.provider_required_for(user) is None:
            tokens.revoke_all(tokens.RESET, user)
            raw = tokens.issue(tokens.RESET, user)
            outbox.queue('reset', user.email, first_name=user.first_name,
                         secret={'link': f'{settings.base_url()}/auth/reset/code?token={raw}'})
            events.announce(user, 'password.reset_request', user)
    return ANSWER


def reset_password(raw_token: str, password: str, confirm: str | None = None) -> User:
    """Set the new password; every session of the user ends (log in again). Blocking (argon2): run it off the
    event loop."""
    owner = User.get_or_none(User.id == tokens.peek(tokens.RESET, raw_token).user_id)
    if owner is None:
        raise tokens.InvalidToken()
    if (required := sso_required.provider_required_for(owner)) is not None:  # a link from before it was required
        raise DomainError(sso_required.refusal(required))
    password_hash = passwords.new_hash(password, confirm, email=owner.email, first_name=owner.first_name,
                                       last_name=owner.last_name)
    with database.atomic():
        token = tokens.consume(tokens.RESET, raw_token)
        user = User.get_or_none((User.id == token.user_id) & (User.status == UserStatus.ACTIVE))
        if user is None:
            raise tokens.InvalidToken()
        User.update(password_hash=password_hash, must_change_password=False).where(User.id == user.id).execute()
        sessions.end_all(user)
        api_tokens.revoke_all_of(user, 'the password was reset', by=user)  # whoever had them may have had the password
        events.announce(user, 'password.reset', user)
    throttle.clear([f'login-address:{user.email}'])  # the owner proved the address: guesses start anew
    return user
