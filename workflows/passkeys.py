"""Passkeys (WebAuthn, through py_webauthn) of local accounts (issue 24): register one on Profile -> Security, sign
in with one without a password, or give one as the second factor after the password.

The relying party is the portal's public address, the base URL (Admin -> Settings, else PORTICO_BASE_URL): its
host is the RP id and its origin the only origin accepted. Behind a proxy the request's own Host may be an
internal name, so it is never used; a browser that opened the portal at another address is told to use the base
URL. Each ceremony's challenge is a one-time token (workflows/tokens.py, five minutes) that names its kind and,
but for the sign-in without a password, its account; the credential that comes back is verified against it once.
A credential is registered as discoverable (resident key required), so every passkey signs in without a
password; that sign-in requires user verification (the device's PIN or biometrics), the second factor after a
password prefers it. The signature counter must go up when the authenticator counts (py_webauthn checks it); it
is stored by a conditional UPDATE, so of two parallel uses of the same response at most one is accepted.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import peewee as pw
import webauthn
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (AuthenticatorSelectionCriteria, AuthenticatorTransport,
                                      PublicKeyCredentialDescriptor, ResidentKeyRequirement,
                                      UserVerificationRequirement)

import config
from db import clock, settings
from db.connection import database
from db.models import Passkey, RecoveryCode, TotpFactor, User, UserStatus
from domain import events
from domain.errors import DomainError, NotFound
from domain.i18n import N_
from permissions import ensure
from workflows import is_clean_text, second_factor, throttle, tokens

log = logging.getLogger('portico.passkeys')

REGISTER, SIGN_IN, SECOND_STEP = 'register', 'sign_in', 'second_factor'
TIMEOUT_MS = 120_000
NAME_MAX = 100
NOT_VERIFIED = N_('This passkey could not be verified. Please try again.')
TOO_MANY = N_('Too many passkey sign-ins from here. Please wait a few minutes and try again.')
_TRANSPORTS = {transport.value for transport in AuthenticatorTransport}


def relying_party() -> tuple[str, str]:
    """(RP id, origin): the host of the portal's base URL and its scheme://host[:port]."""
    parts = urlsplit(settings.base_url())
    return parts.hostname or 'localhost', f'{parts.scheme}://{parts.netloc}'


def of(user: User) -> list[Passkey]:
    """The account's passkeys, oldest first (Profile -> Security)."""
    return list(Passkey.select().where(Passkey.user == user.id).order_by(Passkey.created_at, Passkey.id))


def _user_handle(user: User) -> bytes:
    """The account's WebAuthn user handle: stable, and saying nothing about the person (not the address or id)."""
    return hmac.new(config.current().secret_key.encode(), f'webauthn-user:{user.id}'.encode(), hashlib.sha256).digest()


def clean_name(name: str | None) -> str:
    name = ' '.join((name or '').split())
    if not name:
        raise DomainError('Give the passkey a name, e.g. the device it is on.', 'name')
    if len(name) > NAME_MAX:
        raise DomainError('The name is too long ({limit} characters at most).', 'name', limit=NAME_MAX)
    if not is_clean_text(name):
        raise DomainError('The name contains characters that are not allowed.', 'name')
    return name


def _ceremony(kind: str, user: User | None, challenge: bytes) -> str:
    rp_id, origin = relying_party()
    with database.atomic():
        return tokens.issue(tokens.WEBAUTHN, user, kind=kind, challenge=bytes_to_base64url(challenge), rp_id=rp_id,
                            origin=origin)


def _use_ceremony(raw: str | None, kind: str, user: User | None) -> dict:
    """Use the ceremony's token once (its own transaction): its data (challenge, RP id, origin); another kind or
    account is refused."""
    with database.atomic():
        token = tokens.consume(tokens.WEBAUTHN, raw)
    data = token.data or {}
    if data.get('kind') != kind or (user is not None and token.user_id != user.id):
        raise tokens.InvalidToken()
    return data


# --- registering -----------------------------------------------------------------------------------------

def begin_registration(user: User) -> tuple[str, str]:
    """(the ceremony's token, the options for navigator.credentials.create as JSON)."""
    ensure(user, 'edit_profile', user)
    rp_id, _origin = relying_party()
    options = webauthn.generate_registration_options(
        rp_id=rp_id, rp_name=settings.get('portal_name') or 'Portico', user_name=user.email,
        user_id=_user_handle(user), user_display_name=user.full_name or user.email, timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(resident_key=ResidentKeyRequirement.REQUIRED,
                                                               user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id))
                             for passkey in of(user)])
    return _ceremony(REGISTER, user, options.challenge), webauthn.options_to_json(options)


def finish_registration(user: User, raw: str | None, credential: dict[str, Any],
                        name: str | None) -> tuple[Passkey, list[str]]:
    """Keep the credential the browser made (verified against the ceremony's challenge and origin) as a passkey;
    with the account's first second factor come its recovery codes (returned to be shown once, else [])."""
    ensure(user, 'edit_profile', user)
    name = clean_name(name)
    data = _use_ceremony(raw, REGISTER, user)  # used up even when what follows fails: one try per challenge
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=base64url_to_bytes(data['challenge']),
            expected_rp_id=data['rp_id'], expected_origin=data['origin'])
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        log.warning('passkey registration of user %s refused: %s', user.id, error)
        raise DomainError(NOT_VERIFIED) from None
    transports = (credential.get('response') or {}).get('transports') or []
    with database.atomic():
        try:
            with database.atomic():
                passkey = Passkey.create(
                    user=user, credential_id=bytes_to_base64url(verified.credential_id),
                    public_key=bytes_to_base64url(verified.credential_public_key), sign_count=verified.sign_count,
                    name=name, transports=[t for t in transports if isinstance(t, str) and t in _TRANSPORTS])
        except pw.IntegrityError:
            raise DomainError('This passkey is registered already.') from None
        codes = [] if RecoveryCode.select().where(RecoveryCode.user == user.id).exists() \
            else second_factor.new_recovery_codes(user)
        events.announce(user, 'user.second_factor_add', user, kind=second_factor.METHOD_PASSKEY, name=name)
    return passkey, codes


def rename(user: User, passkey_id: int, name: str | None) -> None:
    ensure(user, 'edit_profile', user)
    name = clean_name(name)
    with database.atomic():
        if not Passkey.update(name=name).where((Passkey.id == passkey_id) & (Passkey.user == user.id)).execute():
            raise NotFound('This passkey')
        events.announce(user, 'user.passkey_rename', user, name=name)


def remove(user: User, passkey_id: int) -> str:
    """Remove one of the account's passkeys; returns its name. Recovery codes go with the last second factor."""
    ensure(user, 'edit_profile', user)
    with database.atomic():
        passkey = Passkey.get_or_none((Passkey.id == passkey_id) & (Passkey.user == user.id))
        if passkey is None or not Passkey.delete().where(Passkey.id == passkey.id).execute():
            raise NotFound('This passkey')
        if not Passkey.select().where(Passkey.user == user.id).exists() and \
                not TotpFactor.select().where((TotpFactor.user == user.id)
                                              & TotpFactor.confirmed_at.is_null(False)).exists():
            RecoveryCode.delete().where(RecoveryCode.user == user.id).execute()
        events.announce(user, 'user.second_factor_remove', user, kind=second_factor.METHOD_PASSKEY, name=passkey.name)
    return passkey.name


# --- signing in --------------------------------------------------------------------------------------------

def begin_sign_in(client: str = '') -> tuple[str, str]:
    """Sign-in without a password: any passkey of this portal may answer (a discoverable credential), and the
    device must verify its user. Bounded per client, since each begin writes a ceremony token."""
    throttle.attempt([f'passkey-client:{client[:100]}'], TOO_MANY)
    rp_id, _origin = relying_party()
    options = webauthn.generate_authentication_options(rp_id=rp_id, timeout=TIMEOUT_MS,
                                                       user_verification=UserVerificationRequirement.REQUIRED)
    return _ceremony(SIGN_IN, None, options.challenge), webauthn.options_to_json(options)


def begin_second_step(user: User) -> tuple[str, str]:
    """The second factor after the password: one of this account's passkeys."""
    rp_id, _origin = relying_party()
    options = webauthn.generate_authentication_options(
        rp_id=rp_id, timeout=TIMEOUT_MS, user_verification=UserVerificationRequirement.PREFERRED,
        allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id),
                                                         transports=[AuthenticatorTransport(t) for t in
                                                                     passkey.transports or [] if t in _TRANSPORTS])
                           for passkey in of(user)])
    return _ceremony(SECOND_STEP, user, options.challenge), webauthn.options_to_json(options)


def _authenticate(raw: str | None, credential: dict[str, Any], kind: str, user: User | None) -> User:
    """Verify the browser's assertion against the ceremony once and move the passkey's counter; the owner."""
    if not isinstance(credential, dict):
        raise DomainError(NOT_VERIFIED)
    data = _use_ceremony(raw, kind, user)  # used up even when what follows fails: one try per challenge
    with database.atomic():
        credential_id = str(credential.get('rawId') or credential.get('id') or '')[:1400]
        passkey = Passkey.get_or_none(Passkey.credential_id == credential_id)
        if passkey is None or (user is not None and passkey.user_id != user.id):
            raise DomainError('This passkey is not registered here (it may have been removed).')
        try:
            verified = webauthn.verify_authentication_response(
                credential=credential, expected_challenge=base64url_to_bytes(data['challenge']),
                expected_rp_id=data['rp_id'], expected_origin=data['origin'],
                credential_public_key=base64url_to_bytes(passkey.public_key),
                credential_current_sign_count=passkey.sign_count, require_user_verification=kind == SIGN_IN)
        except (WebAuthnException, ValueError, KeyError, TypeError) as error:
            log.warning('passkey %s of user %s refused: %s', passkey.id, passkey.user_id, error)
            raise DomainError(NOT_VERIFIED) from None
        moved = (Passkey.update(sign_count=verified.new_sign_count, last_used_at=clock.now())
                 .where((Passkey.id == passkey.id) & (Passkey.sign_count == passkey.sign_count)).execute())
        if not moved:
            raise DomainError(NOT_VERIFIED)
        owner = User.get_or_none((User.id == passkey.user_id) & (User.status == UserStatus.ACTIVE))
        if owner is None:
            raise DomainError('This account cannot sign in.')
        User.update(last_login_at=clock.now()).where(User.id == owner.id).execute()
    return owner


def sign_in(raw: str | None, credential: dict[str, Any]) -> User:
    """The account whose passkey answered the sign-in without a password."""
    return _authenticate(raw, credential, SIGN_IN, None)


def second_step(pending_raw: str | None, raw: str | None, credential: dict[str, Any]) -> tuple[User, str, str]:
    """The second factor after the password, with a passkey: (the user, where to go, the session's method)."""
    user, _ = second_factor.pending(pending_raw)
    _authenticate(raw, credential, SECOND_STEP, user)
    user, target = second_factor.finish_sign_in(pending_raw)
    return user, target, f'password+{second_factor.METHOD_PASSKEY}'


def parse(result: Any) -> dict[str, Any]:
    """The browser's answer (static/passkeys.js): the credential, or a DomainError with the browser's reason."""
    if isinstance(result, str):
        try:
            result = json.loads(result)
        except ValueError:
            result = None
    if not isinstance(result, dict):
        raise DomainError('The browser gave no answer to the passkey request.')
    if result.get('error'):
        raise DomainError(str(result['error'])[:300])
    credential = result.get('credential')
    if not isinstance(credential, dict):
        raise DomainError('The browser gave no answer to the passkey request.')
    return credential
