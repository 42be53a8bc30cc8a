"""OAuth 2.0 clients beside API keys (issue 26, item 4): a plan may issue clients instead of keys, and the portal is
their authorisation server (the client credentials grant, RFC 6749 section 4.4).

A client is issued on approval, like a key: a public client ID (`pcl_...`) and a secret kept as a SHA-256 for
checking and sealed for display to those who may see the app. It authenticates at POST /oauth/token with
client_secret_basic, or with private_key_jwt (RFC 7523) once a public JWK of its own was registered; it gets a
short-lived JWT access token (RFC 9068) naming its products as the scope and its plan and app as claims.
Revoking the client stops new tokens at once; gateways that introspect refuse its old ones at once too
(gateway/access_tokens.py), gateways that verify tokens themselves until they expire.
"""
from __future__ import annotations

import base64
import hmac
import json
import secrets
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote_plus

import peewee as pw
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

import config
from db import clock, settings
from db.connection import database
from db.models import (AccessRequest, AccessRequestProduct, AccessStatus, App, AppStatus, ClientAssertion,
                       OAuthClient, OAuthClientStatus, Organisation, Plan, Product, User)
from domain import events
from domain.at_rest import InvalidToken, Seal, digest, new_secret
from domain.errors import Conflict, DomainError, NotFound
from domain.i18n import N_, lazy_number
from gateway import access_tokens
from permissions import ensure
from workflows import signing_keys, throttle, visibility

SEAL = Seal(b'portico-oauth-clients', b'display')
CLIENT_PREFIX, SECRET_PREFIX = 'pcl_', 'pcs_'
API_KEY, OAUTH_CLIENT = 'api_key', 'oauth_client'  # Plan.credential_kind
KINDS = {API_KEY: N_('API keys'), OAUTH_CLIENT: N_('OAuth clients (client credentials)')}
JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']
ASSERTION_MAX_SECONDS = 300  # an assertion's exp is at most this far ahead
MAX_JWKS = 20_000  # characters of a pasted JWK or JWK Set
MAX_KEYS = 5
throttle.LIMITS.setdefault('oauth-client', throttle.Limit(60, timedelta(minutes=15)))
TOO_MANY = N_('Too many failed client authentications from this address; try again in 15 minutes.')


def token_endpoint() -> str:
    return settings.base_url() + '/oauth/token'


def issuer() -> str:
    return settings.base_url()


def audience() -> str:
    cfg = config.current()
    return cfg.oauth_audience or cfg.gateway_url


# --- the clients ------------------------------------------------------------------------------------

def issue(request: AccessRequest, by: User | None) -> OAuthClient:
    """The client of an approved request on a plan issuing clients (call inside the approving transaction)."""
    secret = new_secret(SECRET_PREFIX, SEAL)
    client = OAuthClient.create(access_request=request, app=request.app_id,
                                client_id=CLIENT_PREFIX + secrets.token_urlsafe(16), secret_prefix=secret.prefix,
                                secret_hash=secret.digest, secret_encrypted=secret.sealed, created_at=clock.now())
    events.announce(by, 'oauth_client.create', client, client_id=client.client_id)
    return client


def find_visible(client_id: int, user: User) -> OAuthClient:
    client = OAuthClient.get_or_none(OAuthClient.id == client_id) if 0 < client_id < 2 ** 63 else None
    if client is None or visibility.can_see_app(user, client.app_id) is None:
        raise NotFound('This OAuth client')
    return client


def reveal_secret(client: OAuthClient, user: User) -> str:
    """The plain client secret, for a user who may see the app."""
    client = find_visible(client.id, user)
    try:
        return SEAL.open(client.secret_encrypted)
    except InvalidToken:
        raise DomainError('This secret was encrypted with another secret key; ask for access again.') from None


def revoke(client: OAuthClient, by: User) -> None:
    """Revoke a client of an app one may see (My apps): no new tokens from now on, and introspection answers
    its tokens as inactive at once."""
    _revoke(find_visible(client.id, by), by)


def revoke_by_admin(client: OAuthClient, by: User) -> None:
    ensure(by, 'view_admin')
    _revoke(OAuthClient.get_by_id(client.id), by)


def _revoke(client: OAuthClient, by: User) -> None:
    with database.atomic():
        won = (OAuthClient.update(status=OAuthClientStatus.REVOKED, revoked_at=clock.now())
               .where((OAuthClient.id == client.id) & (OAuthClient.status == OAuthClientStatus.ACTIVE)).execute())
        if not won:
            raise Conflict('This OAuth client is revoked already.')
        events.announce(by, 'oauth_client.revoke', client, client_id=client.client_id)


def parse_jwks(text: str) -> dict | None:
    """A pasted public JWK or JWK Set as a JWK Set (None for an empty text); DomainError on field `jwks`."""
    text = (text or '').strip()
    if not text:
        return None
    if len(text) > MAX_JWKS:
        raise DomainError('Too long: a public key is far shorter than {limit} characters.', 'jwks', limit=lazy_number(MAX_JWKS))
    try:
        value = json.loads(text)
    except ValueError:
        raise DomainError('This is not JSON: paste your public key as a JWK, e.g. {"kty": "RSA", "n": ..., '
                          '"e": "AQAB"}.', 'jwks') from None
    keys = value.get('keys') if isinstance(value, dict) and 'keys' in value else [value]
    if not isinstance(keys, list) or not keys or len(keys) > MAX_KEYS:
        raise DomainError('Paste one public JWK, or a JWK Set of 1 to {limit} keys.', 'jwks', limit=MAX_KEYS)
    for key in keys:
        if not isinstance(key, dict) or key.get('kty') not in {'RSA', 'EC', 'OKP'}:
            raise DomainError('Each key must be an RSA, EC or OKP (Ed25519) public JWK.', 'jwks')
        if any(part in key for part in ('d', 'p', 'q', 'dp', 'dq', 'qi', 'k')):
            raise DomainError('This is a private key: paste the public key only, and keep the private one secret.',
                              'jwks')
    try:
        KeySet.import_key_set({'keys': keys})
    except (JoseError, ValueError, TypeError, KeyError):
        raise DomainError('This key cannot be read: check that it is a complete public JWK.', 'jwks') from None
    return {'keys': keys}


def set_jwks(client: OAuthClient, text: str, by: User) -> OAuthClient:
    """Register (or, with an empty text, remove) the public key(s) the client signs its assertions with."""
    client = find_visible(client.id, by)
    keys = parse_jwks(text)
    if client.status != OAuthClientStatus.ACTIVE:
        raise DomainError('This OAuth client is revoked.')
    with database.atomic():
        OAuthClient.update(jwks=keys).where(OAuthClient.id == client.id).execute()
        events.announce(by, 'oauth_client.update', client, client_id=client.client_id,
                        private_key_jwt=keys is not None, kids=[key.get('kid') for key in (keys or {}).get('keys', [])])
    return OAuthClient.get_by_id(client.id)


def scopes_of(request_id: int) -> list[str]:
    """The product slugs an access request covers: the scopes its client may ask for."""
    return sorted(slug for (slug,) in Product.select(Product.slug).join(AccessRequestProduct)
                  .where(AccessRequestProduct.request == request_id).tuples())


# --- the token endpoint -----------------------------------------------------------------------------

class OAuthError(Exception):
    """An error answer of RFC 6749 section 5.2."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def body(self) -> dict:
        return {'error': self.error, 'error_description': self.description}


def _one(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise OAuthError('invalid_request', f'The parameter {name} is given more than once.')
    return values[0]


def token(form: dict[str, list[str]], authorization: str, client_address: str) -> dict:
    """Answer a token request (the parsed form, the Authorization header, the caller's address) with RFC 6749
    section 5.1's JSON, or raise OAuthError. Failed client authentications count against the address."""
    keys = [f'oauth-client:{client_address[:100]}']
    if throttle.exceeded(keys):
        raise OAuthError('invalid_client', TOO_MANY, 429)
    grant_type = _one(form, 'grant_type')
    if not grant_type:
        raise OAuthError('invalid_request', 'grant_type is missing.')
    if grant_type != 'client_credentials':
        raise OAuthError('unsupported_grant_type', 'Only the client_credentials grant is supported.')
    try:
        client = _authenticate(form, authorization)
    except OAuthError:
        throttle.attempt(keys, TOO_MANY)
        raise
    request = (AccessRequest.select(AccessRequest, Plan, App, Organisation).join(Plan).switch(AccessRequest)
               .join(App).join(Organisation).where(AccessRequest.id == client.access_request_id).get())
    if request.status != AccessStatus.APPROVED or request.app.status != AppStatus.ACTIVE:
        throttle.attempt(keys, TOO_MANY)
        raise OAuthError('invalid_client', 'This client has no access now.', 401)
    granted = scopes_of(request.id)
    asked = _one(form, 'scope')
    if asked is not None:
        wanted = sorted(set(asked.split()))
        if not wanted or any(scope not in granted for scope in wanted):
            raise OAuthError('invalid_scope', 'Ask for some of the products of this access: ' + ' '.join(granted))
    else:
        wanted = granted
    lifetime = config.current().oauth_token_seconds
    now = int(time.time())
    claims = {'iss': issuer(), 'sub': client.client_id, 'client_id': client.client_id, 'aud': audience(),
              'iat': now, 'nbf': now, 'exp': now + lifetime, 'jti': secrets.token_urlsafe(18),
              'scope': ' '.join(wanted), 'plan': request.plan.name, 'app': request.app.name,
              'app_id': request.app_id, 'organisation': request.app.organisation.name}
    kid, key = signing_keys.current()
    access_token = jwt.encode({'alg': access_tokens.ALGORITHM, 'typ': access_tokens.TYPE, 'kid': kid}, claims, key)
    return {'access_token': access_token, 'token_type': 'Bearer', 'expires_in': lifetime, 'scope': claims['scope']}


def _authenticate(form: dict[str, list[str]], authorization: str) -> OAuthClient:
    scheme, _, value = (authorization or '').partition(' ')
    assertion_type, assertion = _one(form, 'client_assertion_type'), _one(form, 'client_assertion')
    if _one(form, 'client_secret') is not None:
        raise OAuthError('invalid_client', 'Send the client secret with HTTP Basic (client_secret_basic).', 401)
    if scheme.lower() == 'basic':
        if assertion is not None:
            raise OAuthError('invalid_request', 'Use one way of client authentication, not two.')
        return _by_secret(value.strip(), _one(form, 'client_id'))
    if assertion is not None or assertion_type is not None:
        if assertion_type != JWT_BEARER or not assertion:
            raise OAuthError('invalid_client', f'client_assertion_type must be {JWT_BEARER}.', 401)
        return _by_assertion(assertion, _one(form, 'client_id'))
    raise OAuthError('invalid_client', 'Authenticate the client: HTTP Basic with the client ID and secret, or '
                     'a client assertion (private_key_jwt).', 401)


def _active(client_id: str) -> OAuthClient | None:
    if not client_id.startswith(CLIENT_PREFIX) or len(client_id) > 64:
        return None
    client = OAuthClient.get_or_none(OAuthClient.client_id == client_id)
    return client if client is not None and client.status == OAuthClientStatus.ACTIVE else None


def _by_secret(credentials: str, form_client_id: str | None) -> OAuthClient:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise OAuthError('invalid_client', 'The Basic credentials cannot be read.', 401) from None
    client_id, colon, secret = decoded.partition(':')
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)  # RFC 6749 section 2.3.1
    if not colon or (form_client_id is not None and form_client_id != client_id):
        raise OAuthError('invalid_client', 'The client ID or secret is wrong.', 401)
    client = _active(client_id)
    if client is None or not hmac.compare_digest(digest(secret).encode(), client.secret_hash.encode()):
        raise OAuthError('invalid_client', 'The client ID or secret is wrong, or the client was revoked.', 401)
    return client


def _by_assertion(assertion: str, form_client_id: str | None) -> OAuthClient:
    wrong = OAuthError('invalid_client', 'The client assertion is not valid.', 401)
    if len(assertion) > 8192:
        raise wrong
    try:
        unverified = json.loads(jws.extract_compact(assertion.encode()).payload)
    except (JoseError, ValueError, TypeError, UnicodeDecodeError):
        raise wrong from None
    client_id = unverified.get('iss') if isinstance(unverified, dict) else None
    if not isinstance(client_id, str) or (form_client_id is not None and form_client_id != client_id):
        raise wrong
    client = _active(client_id)
    if client is None:
        raise OAuthError('invalid_client', 'Unknown or revoked client.', 401)
    if not client.jwks:
        raise OAuthError('invalid_client', 'This client has no public key for private_key_jwt: add one in My apps.',
                         401)
    try:
        claims = jwt.decode(assertion, KeySet.import_key_set(client.jwks), algorithms=ASSERTION_ALGORITHMS).claims
    except (JoseError, ValueError, TypeError, KeyError):
        raise wrong from None
    now = time.time()
    audiences = claims.get('aud')
    audiences = [audiences] if isinstance(audiences, str) else audiences if isinstance(audiences, list) else []
    exp, jti = claims.get('exp'), claims.get('jti')
    if (claims.get('iss') != client_id or claims.get('sub') != client_id
            or not {token_endpoint(), issuer()} & {a for a in audiences if isinstance(a, str)}
            or not isinstance(exp, int) or exp <= now or exp > now + ASSERTION_MAX_SECONDS + 30
            or (isinstance(claims.get('nbf'), int) and claims['nbf'] > now + 30)
            or not isinstance(jti, str) or not 0 < len(jti) <= 200):
        raise wrong
    try:
        with database.atomic():
            ClientAssertion.delete().where(ClientAssertion.expires_at < clock.now()).execute()
            ClientAssertion.create(client_id=client_id, jti=jti,
                                   expires_at=datetime.fromtimestamp(exp, timezone.utc).replace(tzinfo=None))
    except pw.IntegrityError:
        raise OAuthError('invalid_client', 'This client assertion was used already (its jti).', 401) from None
    return client


def clients_for_product(user: User | None, product: Product, limit: int = 20) -> list[tuple[str, str, str]]:
    """(app name, client ID, secret) of the active OAuth clients of the apps `user` may see whose access covers
    `product`: the API reference's Try it gets a token for one of them (as keys_for_product gives keys)."""
    if user is None:
        return []
    rows = (OAuthClient.select(OAuthClient, App).join(App, on=(OAuthClient.app == App.id))
            .join_from(OAuthClient, AccessRequest).join(AccessRequestProduct)
            .where((OAuthClient.status == OAuthClientStatus.ACTIVE) & (AccessRequest.status == AccessStatus.APPROVED)
                   & (AccessRequestProduct.product == product.id) & (App.status == AppStatus.ACTIVE)
                   & App.id.in_(visibility.apps_visible_to(user).select(App.id)))
            .order_by(App.name, OAuthClient.id).limit(limit))
    found = []
    for client in rows:
        try:
            found.append((client.app.name, client.client_id, SEAL.open(client.secret_encrypted)))
        except InvalidToken:
            continue
    return found
