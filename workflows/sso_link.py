"""Linking an identity provider to an account that exists (issue 24): a first sign-in through a provider whose
verified address is an existing account's never signs that account in by itself, since a provider can assert
anyone's address (a portal admin's as well). The callback gives the browser a one-time link token instead
(workflows/sso.py), bound to the browser that signed in at the provider, and the link page asks for the account's
password once: checked by accounts.authenticate, so it is throttled like every password. Then the identity is
linked, and every later sign-in through the provider signs the account in at once.

A link token opened in another browser is worthless (a victim lured to someone else's link page would otherwise
link the attacker's identity to their own account). An account without a password (an invitation not yet
accepted) cannot be linked."""
from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from db.connection import database
from db.models import ExternalIdentity, IdentityProvider, Token, User, UserStatus
from domain import events
from domain.at_rest import digest
from domain.errors import DomainError
from workflows import accounts, second_factor, sso, tokens


@dataclass(frozen=True)
class Offer:
    """What the link page shows: the account's address and the provider's name; `needs_code`: the account has a
    second factor, so a code from its app (or a recovery code) proves it too."""
    email: str
    provider_name: str
    needs_code: bool = False


def _valid(raw: str, browser_secret: str) -> tuple[Token, User, IdentityProvider]:
    token = tokens.peek(tokens.SSO_LINK, raw)
    if not browser_secret or digest(browser_secret) != token.data.get('browser'):
        raise DomainError('This link belongs to a sign-in in another browser. Start again from Log in.')
    user = User.get_or_none((User.id == token.user_id) & (User.status == UserStatus.ACTIVE))
    provider = IdentityProvider.get_or_none((IdentityProvider.id == token.data.get('provider'))
                                            & IdentityProvider.enabled)
    if user is None or provider is None or not user.password_hash:
        raise tokens.InvalidToken()
    return token, user, provider


def offer(raw: str, browser_secret: str) -> Offer:
    """The link page's question, or DomainError when the token is no good (used, expired, another browser's)."""
    _token, user, provider = _valid(raw, browser_secret)
    return Offer(user.email, provider.name, second_factor.has_any(user))


def link(raw: str, browser_secret: str, password: str, client: str = '', code: str = '') -> sso.Finished:
    """Check the account's password (and, when it has a second factor, a code: else the provider would become a
    way in with the password alone), then link the provider's identity to it and sign it in (the caller starts
    the session). A wrong password or code: DomainError (field `password` or `code`), nothing linked. Blocking."""
    token, user, provider = _valid(raw, browser_secret)
    try:
        accounts.authenticate(user.email, password or '', client)
    except accounts.ProviderRequired:
        pass  # the organisation signs its members in through a provider: linking one is the way there
    except accounts.SignInError as error:
        raise DomainError(str(error), 'password') from None
    if second_factor.has_any(user):
        second_factor.check_code(user, code, client)  # throttled, once per code
    data = token.data
    try:
        with database.atomic():
            tokens.consume(tokens.SSO_LINK, raw)
            identity = ExternalIdentity.create(provider=provider, subject=data['subject'], user=user)
            events.announce(user, 'identity.link', user, provider=provider.name)
            signed = sso.signed_in(provider, identity, user, {provider.groups_claim: data.get('groups') or []})
    except pw.IntegrityError:  # linked meanwhile (another tab): to this account or to another one
        raise DomainError('This {provider} account is linked already. Log in again.', provider=provider.name) from None
    return sso.Finished(provider, data.get('next') or '/dashboard', signed, data.get('sid'))
