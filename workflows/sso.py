"""Sign in with your company (issue 24): OpenID Connect providers, the authorisation code flow with PKCE,
`state` and `nonce`, and the accounts it signs in.

`begin` stores what the callback must find again (the provider, the nonce, the PKCE verifier, where to go
next and a digest of a secret the browser keeps in a cookie) under the digest of a random `state`, as a
one-time token. `finish` takes that token once, checks the browser's secret (a `state` carried to another
browser is worthless), trades the code at the token endpoint and checks the ID token: its signature against
the provider's published keys, issuer, audience, expiry and nonce. Then:

- a known identity (provider, `sub`) signs its account in;
- a new one needs an email address the provider says it verified; an account with that address already there
  is never taken over (its owner must prove the password first); otherwise the account is created at once,
  active, in the provider's organisation when it has one (the organisation trusts its IdP), and its super
  admins are told.

Blocking (discovery, the token endpoint, the keys): call it off the event loop.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import peewee as pw
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from db import bootstrap, clock
from db import settings as stored_settings
from db.settings import base_url
from db.connection import database
from db.models import ExternalIdentity, IdentityProvider, Membership, Organisation, Role, Team, User, UserStatus
from domain import events
from domain.at_rest import Seal, digest
from domain.errors import Conflict, DomainError, NotFound
from domain.i18n import Lazy, N_, lazy
from mail import outbox
from permissions import ensure
from workflows import accounts, approvers, sso_groups, tokens

SEAL = Seal(b'portico-identity-providers', b'client-secret')
CALLBACK_PATH = '/auth/sso/callback'
TIMEOUT = 10  # seconds for each call to a provider
ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA']  # never "none", never HS256 with the client secret
NAME_MAX, CLIENT_ID_MAX, CLIENT_SECRET_MAX, SCOPES_MAX = 100, 300, 500, 300  # characters
GROUPS_CLAIM_MAX, ADMIN_GROUP_MAX = 100, 200
DOMAIN_RE = re.compile(r'^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$')


class SignInRefused(DomainError):
    """The provider's answer does not sign anyone in; the message says why, for the Log in page."""


# --- providers -------------------------------------------------------------------------------------

def redirect_uri() -> str:
    """What to register at the provider as the client's redirect URI."""
    return base_url() + CALLBACK_PATH


def discover(issuer: str) -> dict:
    """The provider's discovery document; DomainError (field `issuer`) when there is none or it names another
    issuer (OpenID Connect Discovery 1.0, section 4.3)."""
    try:
        answer = requests.get(issuer.rstrip('/') + '/.well-known/openid-configuration', timeout=TIMEOUT)
        answer.raise_for_status()
        document = answer.json()
    except (requests.RequestException, ValueError) as error:
        raise DomainError('No OpenID Connect discovery document at this issuer ({problem}).',
                          'issuer', problem=type(error).__name__) from None
    if not isinstance(document, dict) or document.get('issuer') != issuer:
        raise DomainError('The discovery document names another issuer; enter the issuer exactly as the '
                          'provider states it.', 'issuer')
    for name in ('authorization_endpoint', 'token_endpoint', 'jwks_uri'):
        if not isinstance(document.get(name), str):
            raise DomainError('The discovery document has no {name}.', 'issuer', name=name)
    return document


def _clean_issuer(issuer: str | None) -> str:
    issuer = (issuer or '').strip()
    parts = urlsplit(issuer)
    if parts.scheme not in ('https', 'http') or not parts.hostname or parts.query or parts.fragment:
        raise DomainError('Enter the issuer URL, e.g. https://login.example.com/realms/acme.', 'issuer')
    if parts.scheme == 'http' and parts.hostname not in ('127.0.0.1', 'localhost', '::1'):
        raise DomainError('The issuer must use https.', 'issuer')
    return issuer


def _clean_domains(domains: list[str] | str | None) -> list[str]:
    if isinstance(domains, str):
        domains = re.split(r'[\s,]+', domains)
    cleaned = sorted({domain.strip().lower().lstrip('@') for domain in domains or [] if domain.strip()})
    for domain in cleaned:
        if not DOMAIN_RE.match(domain):
            raise DomainError('"{domain}" is not an email domain (e.g. acme.example).', 'email_domains', domain=domain)
    return cleaned


def _text(value: str | None, label: Lazy, field: str, limit: int, *, required: bool = True) -> str:
    value = (value or '').strip()
    if required and not value:
        raise DomainError('Enter the {label}.', field, label=label)
    if len(value) > limit or any(ch in value for ch in '\r\n\x00'):
        raise DomainError('The {label} is too long or holds characters that are not allowed.', field, label=label)
    return value


def save_provider(provider_id: int | None, *, name: str, issuer: str, client_id: str, client_secret: str = '',
                  scopes: str = 'openid email profile', organisation_id: int | None = None,
                  email_domains: list[str] | str | None = None, for_admins: bool = False,
                  groups_claim: str = 'groups', admin_group: str = '', enabled: bool = True,
                  team_groups: list[dict] | None = None, super_admin_group: str = '', required: bool = False,
                  by: User, discovered: bool = False) -> IdentityProvider:
    """Add or change a provider; its discovery document is read first (blocking). An empty secret on a change
    keeps the stored one. `team_groups` maps groups to teams of the provider's organisation, `super_admin_group`
    makes its super admins (workflows/sso_groups.py); `required`: its members sign in only through it.
    `discovered`: the caller read the issuer's discovery document already, before its transaction (the REST API's
    locked If-Match update)."""
    ensure(by, 'manage_settings')
    name = _text(name, lazy('name'), 'name', NAME_MAX)
    issuer = _clean_issuer(issuer)
    client_id = _text(client_id, lazy('client ID'), 'client_id', CLIENT_ID_MAX)
    client_secret = _text(client_secret, lazy('client secret'), 'client_secret', CLIENT_SECRET_MAX, required=provider_id is None)
    scopes = ' '.join(dict.fromkeys(['openid', *_text(scopes, lazy('scopes'), 'scopes', SCOPES_MAX, required=False).split()]))
    domains = _clean_domains(email_domains)
    if organisation_id is not None and Organisation.get_or_none(Organisation.id == organisation_id) is None:
        raise DomainError('Choose an organization.', 'organisation')
    if domains and organisation_id is None:
        raise DomainError('Email domains send people to an organization\'s provider: choose the organization.',
                          'email_domains')
    team_groups = sso_groups.clean_mapping(team_groups, organisation_id)
    super_admin_group = _text(super_admin_group, lazy('super admin group'), 'super_admin_group', sso_groups.GROUP_MAX,
                              required=False)
    if super_admin_group and organisation_id is None:
        raise DomainError('The super admin group makes super admins of the provider\'s organization: choose the '
                          'organization.', 'super_admin_group')
    if required and organisation_id is None:
        raise DomainError('Only the members of an organization can be required to sign in through it: choose the '
                          'organization.', 'required')
    if not discovered:
        discover(issuer)
    fields = dict(team_groups=team_groups, super_admin_group=super_admin_group, required=bool(required),
                  name=name, issuer=issuer, client_id=client_id, scopes=scopes, organisation=organisation_id,
                  email_domains=domains, for_admins=bool(for_admins),
                  groups_claim=_text(groups_claim, lazy('groups claim'), 'groups_claim', GROUPS_CLAIM_MAX, required=False) or 'groups',
                  admin_group=_text(admin_group, lazy('admin group'), 'admin_group', ADMIN_GROUP_MAX, required=False),
                  enabled=bool(enabled))
    if client_secret:
        fields['client_secret_sealed'] = SEAL.close(client_secret)
    with database.atomic():
        taken = IdentityProvider.select().where(IdentityProvider.name == name)
        if provider_id is not None:
            taken = taken.where(IdentityProvider.id != provider_id)
        if taken.exists():
            raise DomainError('Another provider has this name.', 'name')
        others = [other for other in IdentityProvider.select() if other.id != provider_id]
        for domain in domains:
            if any(domain in other.email_domains for other in others):
                raise Conflict('{domain} already belongs to another provider.', 'email_domains', domain=domain)
        if provider_id is None:
            provider = IdentityProvider.create(**fields)
            events.announce(by, 'identity_provider.create', provider, name=name, issuer=issuer)
        else:
            provider = find_provider(provider_id)
            IdentityProvider.update(fields).where(IdentityProvider.id == provider.id).execute()
            provider = IdentityProvider.get_by_id(provider.id)
            events.announce(by, 'identity_provider.update', provider, name=name, issuer=issuer)
    return provider


def delete_provider(provider_id: int, by: User) -> None:
    """Remove a provider; the accounts it signed in stay, and sign in another way."""
    ensure(by, 'manage_settings')
    with database.atomic():
        provider = find_provider(provider_id)
        provider.delete_instance(recursive=True)
        events.announce(by, 'identity_provider.delete', provider, name=provider.name)


def find_provider(provider_id: int) -> IdentityProvider:
    provider = IdentityProvider.get_or_none(IdentityProvider.id == provider_id)
    if provider is None:
        raise NotFound('This identity provider')
    return provider


def providers() -> list[IdentityProvider]:
    """Every provider with its organisation, in one query (Admin -> Sign-in shows both)."""
    return list(IdentityProvider.select(IdentityProvider, Organisation)
                .join(Organisation, pw.JOIN.LEFT_OUTER).order_by(IdentityProvider.name))


def enabled_providers() -> list[IdentityProvider]:
    """Those shown as "Continue with <name>" on Log in and Register."""
    return list(IdentityProvider.select().where(IdentityProvider.enabled).order_by(IdentityProvider.name))


def provider_for_email(email: str) -> IdentityProvider | None:
    """The enabled provider whose organisation owns the address's domain (Log in sends such people there)."""
    domain = (email or '').strip().lower().rpartition('@')[2]
    if not domain:
        return None
    for provider in enabled_providers():
        if domain in provider.email_domains:
            return provider
    return None


# --- the flow --------------------------------------------------------------------------------------

def begin(provider_id: int, next_path: str = '/dashboard') -> tuple[str, str]:
    """(the provider's authorisation URL, the browser secret to keep in a cookie). Blocking."""
    provider = IdentityProvider.get_or_none((IdentityProvider.id == provider_id) & IdentityProvider.enabled)
    if provider is None:
        raise NotFound('This identity provider')
    document = discover(provider.issuer)
    browser_secret, nonce, verifier = secrets.token_urlsafe(32), generate_token(32), generate_token(64)
    with database.atomic():
        state = tokens.issue(tokens.SSO, None, provider=provider.id, nonce=nonce, verifier=verifier,
                             next=next_path, browser=digest(browser_secret))
    client = OAuth2Session(provider.client_id, scope=provider.scopes, redirect_uri=redirect_uri(),
                           code_challenge_method='S256')
    url, _ = client.create_authorization_url(document['authorization_endpoint'], state=state,
                                             code_verifier=verifier, nonce=nonce)
    return url, browser_secret


@dataclass(frozen=True)
class Finished:
    """What a sign-in through a provider comes to: the account to sign in (with the provider's session id, for
    its back-channel logout), or a link token: an account with the asserted address exists, and its owner must
    prove its password once before the provider signs it in (workflows/sso_link.py)."""
    provider: IdentityProvider
    next: str
    user: User | None = None
    sid: str | None = None
    link: str | None = None
    waiting: Lazy | None = None  # the account was made, and waits for the portal admins' approval (a message)

    @property
    def method(self) -> str:
        """How the session signed in (Profile -> Sessions)."""
        return f'provider:{self.provider.name}'


def finish(state: str, code: str, browser_secret: str, error: str = '') -> Finished:
    """The account signed in and where to go next (or the link to prove a password first), or SignInRefused with
    the reason. Blocking."""
    with database.atomic():
        started = tokens.consume(tokens.SSO, state)  # once: a replayed or forged state stops here
    if not browser_secret or digest(browser_secret) != started.data.get('browser'):
        raise SignInRefused('This sign-in was started in another browser. Start again from Log in.')
    provider = IdentityProvider.get_or_none((IdentityProvider.id == started.data['provider'])
                                            & IdentityProvider.enabled)
    if provider is None:
        raise SignInRefused('This identity provider is no longer available.')
    if error or not code:
        raise SignInRefused('{provider} did not sign you in.', provider=provider.name)
    claims = _id_token_claims(provider, code, started.data)
    return _account_for(provider, claims, started.data.get('next') or '/dashboard', started.data['browser'])


def _id_token_claims(provider: IdentityProvider, code: str, started: dict) -> dict:
    document = discover(provider.issuer)
    client = OAuth2Session(provider.client_id, SEAL.open(provider.client_secret_sealed), scope=provider.scopes,
                           redirect_uri=redirect_uri())
    try:
        answer = client.fetch_token(document['token_endpoint'], code=code, code_verifier=started['verifier'],
                                    timeout=TIMEOUT)
        keys = KeySet.import_key_set(requests.get(document['jwks_uri'], timeout=TIMEOUT).json())
    except (requests.RequestException, ValueError, JoseError) as error:
        raise SignInRefused('{provider} did not confirm the sign-in ({problem}).', provider=provider.name,
                            problem=type(error).__name__) from None
    except Exception as error:  # noqa: BLE001 - Authlib's OAuth errors: the provider refused the code
        raise SignInRefused('{provider} refused the sign-in: {problem}.', provider=provider.name,
                            problem=getattr(error, 'error', 'error')) from None
    id_token = answer.get('id_token')
    if not isinstance(id_token, str):
        raise SignInRefused('{provider} sent no ID token.', provider=provider.name)
    try:
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(iss={'essential': True, 'value': provider.issuer},
                              aud={'essential': True, 'value': provider.client_id},
                              exp={'essential': True}, sub={'essential': True},
                              nonce={'essential': True, 'value': started['nonce']},
                              leeway=60).validate(token.claims)
    except (JoseError, ValueError) as error:
        raise SignInRefused('The ID token from {provider} is not valid ({problem}).', provider=provider.name,
                            problem=type(error).__name__) from None
    claims = dict(token.claims)
    azp = claims.get('azp')
    if isinstance(claims.get('aud'), list) and len(claims['aud']) > 1 and azp != provider.client_id:
        raise SignInRefused('The ID token from {provider} was issued to another client.', provider=provider.name)
    wanted = ('email', 'email_verified', 'given_name', 'family_name', 'name', provider.groups_claim)
    if document.get('userinfo_endpoint') and any(name not in claims for name in wanted):
        claims.update(_userinfo(provider, document['userinfo_endpoint'], answer.get('access_token'), claims['sub']))
    return claims


def _userinfo(provider: IdentityProvider, endpoint: str, access_token, subject: str) -> dict:
    """The claims a provider gives at its UserInfo endpoint only (OpenID Connect Core 5.3); they count only for
    the person of the ID token (5.3.2: the `sub` must be the same)."""
    if not isinstance(access_token, str):
        return {}
    try:
        answer = requests.get(endpoint, headers={'Authorization': f'Bearer {access_token}'}, timeout=TIMEOUT)
        answer.raise_for_status()
        info = answer.json()
    except (requests.RequestException, ValueError):
        raise SignInRefused('{provider} did not say who you are (UserInfo).', provider=provider.name) from None
    if not isinstance(info, dict) or info.get('sub') != subject:
        raise SignInRefused('{provider} described another person than the one signed in.', provider=provider.name)
    return {name: value for name, value in info.items() if name not in ('sub', 'iss', 'aud', 'exp', 'iat', 'nonce')}


def _account_for(provider: IdentityProvider, claims: dict, next_path: str, browser: str) -> Finished:
    """One transaction; when two first sign-ins of one person race (PostgreSQL), the loser finds the winner's
    account on its second try."""
    for attempt in (1, 2):
        try:
            with database.atomic():
                return _account_in_transaction(provider, claims, next_path, browser)
        except pw.IntegrityError:
            if attempt == 2:
                raise SignInRefused('Another sign-in of this account was under way. Please try again.') from None
    raise AssertionError('unreachable')


def _account_in_transaction(provider: IdentityProvider, claims: dict, next_path: str, browser: str) -> Finished:
    subject = str(claims['sub'])
    sid = claims.get('sid') if isinstance(claims.get('sid'), str) and len(claims['sid']) <= 255 else None
    def linked() -> ExternalIdentity | None:
        return ExternalIdentity.get_or_none((ExternalIdentity.provider == provider)
                                            & (ExternalIdentity.subject == subject))

    def sign_in_as(known: ExternalIdentity) -> Finished:
        user = User.get_by_id(known.user_id)
        if user.status != UserStatus.ACTIVE:
            raise SignInRefused(accounts.STATUS_MESSAGES.get(user.status, N_('This account cannot sign in.')))
        return Finished(provider, next_path, signed_in(provider, known, user, claims), sid)

    known = linked()
    if known is not None:
        return sign_in_as(known)
    email = claims.get('email')
    if not isinstance(email, str) or not _verified(provider, claims, email):
        raise SignInRefused('{provider} did not confirm your email address, so no account can be made '
                            'from it.', provider=provider.name)
    try:
        email = accounts.clean_email(email)
    except DomainError:
        raise SignInRefused('{provider} sent an email address Portico cannot use.', provider=provider.name) from None
    existing = User.get_or_none(User.email == email)
    if existing is not None:
        known = linked()  # a parallel first sign-in of this person made the account and its link meanwhile
        if known is not None and known.user_id == existing.id:  # (PostgreSQL: each statement sees new commits)
            return sign_in_as(known)
        # never taken over: its owner proves the password once (workflows/sso_link.py)
        return Finished(provider, next_path, link=_offer_link(provider, existing, subject, sid, claims, next_path, browser))
    organisation = provider.organisation or bootstrap.default_organisation()
    first, last = _names(claims, email)
    waits = _needs_approval(provider, claims)
    user = User.create(email=email, first_name=first, last_name=last, organisation=organisation,
                       role=Role.TEAM_MEMBER, status=UserStatus.PENDING_APPROVAL if waits else UserStatus.ACTIVE,
                       password_hash=None)
    Membership.create(user=user, team=Team.get((Team.organisation == organisation) & Team.is_default))
    identity = ExternalIdentity.create(provider=provider, subject=subject, user=user)
    events.announce(user, 'user.create', user, provider=provider.name, email=email, waits_for_approval=waits)
    if waits:  # as a registration: the person is told, the API admin decides (Admin -> Users)
        outbox.queue('pending', email, first_name=first)
        for recipient in stored_settings.admin_addresses():
            outbox.queue('registration_admin_notice', recipient, registrant_name=user.full_name,
                         registrant_email=email, organisation_part='',
                         review_link=f'{base_url()}/admin/users?status={UserStatus.PENDING_APPROVAL}')
        return Finished(provider, next_path, waiting=lazy('Thanks, {first_name}: your account was made through '
                                                          '{provider} and waits for an administrator to approve '
                                                          'it. We will email you.', first_name=first,
                                                          provider=provider.name))
    if provider.organisation_id is not None:
        for admin in approvers.super_admins_of(organisation.id):
            outbox.queue('sso_joined', admin.email, registrant_name=user.full_name, registrant_email=email,
                         organisation_name=organisation.name, provider_name=provider.name,
                         members_link=f'{base_url()}/dashboard/users')
    return Finished(provider, next_path, signed_in(provider, identity, user, claims), sid)


def _verified(provider: IdentityProvider, claims: dict, email: str) -> bool:
    """Did the provider vouch for this address? `email_verified: true`; or, from an organisation's own provider,
    Microsoft Entra ID's `xms_edov: true` (the tenant verified it owns the address's domain: Entra sends no
    `email_verified`) for an address in the organisation's email domains."""
    if claims.get('email_verified') is True:
        return True
    domain = email.strip().lower().rpartition('@')[2]
    return (claims.get('xms_edov') is True and provider.organisation_id is not None
            and domain in (provider.email_domains or []))


def _needs_approval(provider: IdentityProvider, claims: dict) -> bool:
    """A new person through a provider of no organisation (Google, say: anyone may have an account there) waits
    for the API admin's approval as a registration does, unless Settings approves registrations at once or the
    provider's admin group makes them a portal admin. An organisation's provider needs none: it trusts its IdP."""
    if provider.organisation_id is not None or stored_settings.get('auto_approve_users'):
        return False
    return not (provider.for_admins and provider.admin_group
                and provider.admin_group in sso_groups.groups_of(claims, provider.groups_claim))


def signed_in(provider: IdentityProvider, identity: ExternalIdentity, user: User, claims: dict) -> User:
    """What every sign-in through a provider does to the account, in its transaction: the times, the portal
    admin group, the groups to teams and roles, the audit. The account fresh from the database."""
    now = clock.now()
    ExternalIdentity.update(last_used_at=now).where(ExternalIdentity.id == identity.id).execute()
    User.update(last_login_at=now).where(User.id == user.id).execute()
    _apply_admin_group(provider, user, claims)
    sso_groups.apply(provider, user, claims)
    events.announce(user, 'user.sign_in', user, provider=provider.name)
    return User.get_by_id(user.id)


def _offer_link(provider: IdentityProvider, user: User, subject: str, sid: str | None, claims: dict,
                next_path: str, browser: str) -> str:
    """A one-time token for the link page, bound to this browser, holding what the sign-in needs once the
    password is proved: the provider, the subject, its session and the groups that matter to this provider."""
    if user.status != UserStatus.ACTIVE or not user.password_hash:
        raise SignInRefused('An account with {email} exists already, and it cannot be linked to '
                            '{provider} before it can sign in with a password.', email=user.email,
                            provider=provider.name)
    if ExternalIdentity.select().where((ExternalIdentity.provider == provider)
                                       & (ExternalIdentity.user == user)).exists():
        raise SignInRefused('{email} is linked to another {provider} account already.', email=user.email,
                            provider=provider.name)
    relevant = {row.get('group') for row in provider.team_groups or [] if isinstance(row, dict)}
    relevant |= {provider.super_admin_group, provider.admin_group} - {''}
    groups = sorted(sso_groups.groups_of(claims, provider.groups_claim) & relevant)
    tokens.revoke_all(tokens.SSO_LINK, user)
    return tokens.issue(tokens.SSO_LINK, user, provider=provider.id, subject=subject, sid=sid, next=next_path,
                        browser=browser, groups=groups)


def _names(claims: dict, email: str) -> tuple[str, str]:
    def clean(value) -> str:
        text = value.strip() if isinstance(value, str) else ''
        return text[:100] if text and not any(ch in text for ch in '\r\n\x00') else ''
    first, last = clean(claims.get('given_name')), clean(claims.get('family_name'))
    if not first:
        name = clean(claims.get('name'))
        first, _, rest = name.partition(' ')
        last = last or rest
    return first or email.partition('@')[0][:100], last


def _apply_admin_group(provider: IdentityProvider, user: User, claims: dict) -> None:
    """A provider for admins makes a person a portal admin while its groups claim holds the admin group, and no
    longer once it does not; a provider not for admins never does."""
    if not provider.for_admins or not provider.admin_group:
        return
    groups = claims.get(provider.groups_claim)
    member = isinstance(groups, list) and provider.admin_group in groups
    if member != user.is_portal_admin:
        User.update(is_portal_admin=member).where(User.id == user.id).execute()
        events.announce(user, 'user.promote' if member else 'user.demote', user, provider=provider.name)
