"""Deprovisioning (issue 24): "a person the IdP no longer lets in ... is signed out everywhere at once".

- OpenID Connect Back-Channel Logout 1.0: when a person's session at the provider ends, the provider posts a
  logout token to the portal (/auth/sso/backchannel-logout?provider=<id>, api/sso.py). The token is checked
  like an ID token (the provider's published keys, issuer, audience, time) and as the spec's section 2.6 says
  (the back-channel logout event, no nonce, a `sub` or a `sid`); its `jti` is good once. Then the portal sessions
  that began with that provider session (`UserSession.provider_sid`, from the ID token's `sid`) end, or, with a
  `sub` only, every session of that person.
- Deprovision (the admin REST API): the provider's administrator names a person by `sub` or address; every session
  of that account ends, and an account that has no other way in (no password, no other provider) is deactivated
  as well (its API tokens revoked, like Deactivate on Admin -> Users). An account with a password keeps it: the
  provider no longer vouches for the person, the password still does.

Blocking (the provider's keys): call it off the event loop.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from db.connection import database
from db.models import ExternalIdentity, IdentityProvider, User, UserSession, UserStatus
from domain import events
from domain.errors import DomainError, NotFound
from permissions import ensure
from workflows import activation, sessions, sso, tokens

LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'
MAX_AGE = 600  # seconds: a logout token older than this is refused (its jti is remembered this long)


class InvalidLogoutToken(DomainError):
    """The request is answered 400 (section 2.8): the token is not one this provider sent, or sent already."""


def backchannel_logout(provider_id: int, logout_token: str) -> int:
    """End the portal sessions the logout token names; how many ended. InvalidLogoutToken when it is not valid."""
    provider = IdentityProvider.get_or_none((IdentityProvider.id == provider_id) & IdentityProvider.enabled)
    if provider is None or not logout_token or len(logout_token) > 20000:
        raise InvalidLogoutToken('No such provider, or no logout token.')
    claims = _verified(provider, logout_token)
    subject, sid = claims.get('sub'), claims.get('sid')
    with database.atomic():
        tokens.use_once(tokens.SSO_LOGOUT, f'{provider.id}:{claims["jti"]}', MAX_AGE * 2)
        if isinstance(sid, str):
            query = UserSession.select().where((UserSession.provider_id == provider.id)
                                               & (UserSession.provider_sid == sid))
            if isinstance(subject, str):  # both: the session must be that person's
                query = query.join(ExternalIdentity, on=(ExternalIdentity.user == UserSession.user)).where(
                    (ExternalIdentity.provider == provider) & (ExternalIdentity.subject == subject))
            rows = list(query)
            ended = UserSession.delete().where(UserSession.id.in_([row.id for row in rows])).execute() if rows else 0
            users = {row.user_id for row in rows}
        else:
            identity = ExternalIdentity.get_or_none((ExternalIdentity.provider == provider)
                                                    & (ExternalIdentity.subject == subject))
            users = {identity.user_id} if identity else set()
            ended = UserSession.delete().where(UserSession.user.in_(list(users))).execute() if users else 0
        for user_id in users:
            events.announce(None, 'identity.logout', User.get_by_id(user_id), provider=provider.name, sessions=ended)
    return ended


def _verified(provider: IdentityProvider, logout_token: str) -> dict:
    try:
        document = sso.discover(provider.issuer)
        keys = KeySet.import_key_set(requests.get(document['jwks_uri'], timeout=sso.TIMEOUT).json())
        token = jwt.decode(logout_token, keys, algorithms=sso.ALGORITHMS)
        jwt.JWTClaimsRegistry(iss={'essential': True, 'value': provider.issuer},
                              aud={'essential': True, 'value': provider.client_id},
                              iat={'essential': True}, jti={'essential': True}, leeway=60).validate(token.claims)
    except (DomainError, requests.RequestException, ValueError, JoseError) as error:
        raise InvalidLogoutToken('The logout token is not valid ({problem}).', problem=type(error).__name__) from None
    claims = dict(token.claims)
    event = claims.get('events')
    if not isinstance(event, dict) or not isinstance(event.get(LOGOUT_EVENT), dict):
        raise InvalidLogoutToken('The token is not a logout token (no back-channel logout event).')
    if 'nonce' in claims:
        raise InvalidLogoutToken('A logout token has no nonce (this is an ID token).')
    if not isinstance(claims.get('sub'), str) and not isinstance(claims.get('sid'), str):
        raise InvalidLogoutToken('The logout token names neither a person (sub) nor a session (sid).')
    if not isinstance(claims['jti'], str) or len(claims['jti']) > 200:
        raise InvalidLogoutToken('The logout token has no usable jti.')
    if not isinstance(claims['iat'], (int, float)) or claims['iat'] < time.time() - MAX_AGE:
        raise InvalidLogoutToken('The logout token is too old.')
    return claims


@dataclass(frozen=True)
class Deprovisioned:
    user: User
    sessions_ended: int
    deactivated: bool
    detail: str


def deprovision(provider_id: int, by: User, *, subject: str | None = None, email: str | None = None) -> Deprovisioned:
    """The provider no longer lets this person in: every session of the account ends, in one transaction with its
    deactivation when it has no other way in (no password, no other provider)."""
    ensure(by, 'manage_users')
    provider = sso.find_provider(provider_id)
    if (subject is None) == (email is None):
        raise DomainError('Name the person by subject or by email, not both.', 'subject')
    query = ExternalIdentity.select(ExternalIdentity, User).join(User).where(ExternalIdentity.provider == provider)
    query = query.where(ExternalIdentity.subject == subject) if subject is not None else \
        query.where(User.email == (email or '').strip().lower())
    identity = query.first()
    if identity is None:
        raise NotFound('This person (at this provider)')
    user = identity.user
    with database.atomic():
        ended = sessions.end_all(user)
        deactivated, detail = False, 'Signed out everywhere.'
        others = ExternalIdentity.select().where((ExternalIdentity.user == user)
                                                 & (ExternalIdentity.provider != provider)).exists()
        if user.password_hash or others:
            detail += ' The account has another way in (a password or another provider) and stays active.'
        elif user.status == UserStatus.ACTIVE:
            try:
                with database.atomic():
                    activation.deactivate(user, by=by)
                deactivated, detail = True, 'Signed out everywhere and deactivated.'
            except DomainError as refusal:
                detail += f' Not deactivated: {refusal}'
        events.announce(by, 'identity.deprovision', user, provider=provider.name, sessions=ended,
                        deactivated=deactivated)
    return Deprovisioned(User.get_by_id(user.id), ended, deactivated, detail)
