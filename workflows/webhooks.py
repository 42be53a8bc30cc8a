"""Webhooks (issue 16): endpoints portal admins set up under Admin -> Webhooks, and the events they get.

An event is written by `emit`, which the audit trail calls for every recorded action (workflows/audit.py),
so it lands in the same transaction as the change, as an email lands in the outbox; actions that are no
webhook event write nothing. The worker (api/webhooks.py) signs and delivers it per Standard Webhooks.

Endpoints on loopback, link-local, private or otherwise non-public addresses are refused unless the
setting allows them, so that a webhook cannot be aimed at the portal's own network.
"""
from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import socket
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import config
from db import clock
from db.connection import database
from db.models import (AccessRequest, App, Credential, DeliveryStatus, InviteCode, Organisation, Setting, User,
                       WebhookDelivery, WebhookEndpoint, WebhookEvent)
from mail import outbox
from permissions import ensure
from workflows import DomainError, NotFound, audit, is_clean_text, settings

# the events (issue 16, point 6) and the audited actions that raise them
EVENTS = {
    'user.registered': 'A user registered',
    'user.activated': 'A user account became active',
    'user.deactivated': 'A user account was deactivated',
    'user.password_reset_requested': 'A password reset was requested',
    'organisation.registration_requested': 'A consumer asked for a new organization',
    'organisation.approved': 'An organization request was approved',
    'organisation.rejected': 'An organization request was rejected',
    'app.created': 'An app was created',
    'app.approved': 'An app was approved',
    'app.rejected': 'An app was rejected',
    'access_request.created': 'An access request was made',
    'access_request.approved': 'An access request was approved',
    'access_request.rejected': 'An access request was rejected',
    'access_request.revoked': 'Granted access was revoked',
    'credential.created': 'A key was issued',
    'credential.rotated': 'A key was rotated',
    'credential.revoked': 'A key was revoked',
    'invite_code.used': 'Someone registered with an invite code',
}
ACTIONS: dict[str, tuple[str, ...]] = {
    'registration.create': ('user.registered',),
    'registration.activate': ('user.activated',),
    'registration.approve': ('user.activated',),
    'user.activate': ('user.activated',),
    'user.accept_invite': ('user.activated',),
    'user.deactivate': ('user.deactivated',),
    'password.reset_request': ('user.password_reset_requested',),
    'organisation.request': ('organisation.registration_requested',),
    'organisation.approve': ('organisation.approved',),
    'organisation.reject': ('organisation.rejected',),
    'app.create': ('app.created',),
    'app.approve': ('app.approved',),
    'app.reject': ('app.rejected',),
    'access.request': ('access_request.created',),
    'access.approve': ('access_request.approved', 'credential.created'),
    'access.reject': ('access_request.rejected',),
    'access.revoke': ('access_request.revoked',),
    'credential.rotate': ('credential.rotated',),
    'credential.revoke': ('credential.revoked',),
    'invite_code.redeem': ('invite_code.used',),
}
ALLOW_PRIVATE = 'webhooks_allow_private_addresses'
DISABLE_AFTER = 'webhooks_disable_after_hours'
DEFAULT_DISABLE_AFTER_HOURS = 72
MAX_URL = 2000


# --- settings of the Webhooks page ------------------------------------------------------------------

def allow_private() -> bool:
    row = Setting.get_or_none(Setting.key == ALLOW_PRIVATE)
    return bool(row and row.value)


def disable_after() -> timedelta:
    row = Setting.get_or_none(Setting.key == DISABLE_AFTER)
    return timedelta(hours=row.value if row is not None else DEFAULT_DISABLE_AFTER_HOURS)


def update_settings(allow_private_addresses: bool, disable_after_hours, by: User) -> None:
    ensure(by, 'manage_settings')
    try:
        hours = float(disable_after_hours)
    except (TypeError, ValueError):
        raise DomainError('Give the time in hours, e.g. 72.', 'disable_after') from None
    if not 0.01 <= hours <= 24 * 90:
        raise DomainError('Between 0.01 hours and 90 days (2,160 hours).', 'disable_after')
    with database.atomic():
        for key, value in ((ALLOW_PRIVATE, bool(allow_private_addresses)), (DISABLE_AFTER, hours)):
            Setting.insert(key=key, value=value).on_conflict(conflict_target=[Setting.key],
                                                             update={Setting.value: value}).execute()
        audit.record(by, 'webhooks.settings', None, allow_private_addresses=bool(allow_private_addresses),
                     disable_after_hours=hours)


# --- endpoints --------------------------------------------------------------------------------------

def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b'portico-webhooks', info=b'secrets') \
        .derive(config.current().secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return 'whsec_' + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_of(endpoint: WebhookEndpoint) -> str:
    try:
        return _fernet().decrypt(endpoint.secret_encrypted.encode()).decode()
    except InvalidToken:
        raise DomainError('This secret was encrypted with another secret key; rotate it.') from None


def check_url(url: str, *, allow_private_addresses: bool | None = None) -> str:
    """The URL if it may receive webhooks: http(s), a host that resolves, and (unless allowed) only to
    public addresses. Blocking (DNS): called off the event loop by pages."""
    return _checked(url, allow_private_addresses)[0]


def delivery_target(url: str) -> tuple[str, dict[str, str], dict]:
    """Where the worker sends: the URL with the host replaced by the address just checked, the Host header,
    and the TLS server name; so the name cannot resolve to another (internal) address between the check
    and the connection (DNS rebinding)."""
    url, parts, addresses = _checked(url, None)
    address = addresses[0]
    host = f'[{address}]' if address.version == 6 else str(address)
    netloc = host + (f':{parts.port}' if parts.port else '')
    target = urlunsplit((parts.scheme, netloc, parts.path or '/', parts.query, ''))
    host_header = parts.hostname + (f':{parts.port}' if parts.port else '')
    return target, {'host': host_header}, ({'sni_hostname': parts.hostname} if parts.scheme == 'https' else {})


def _checked(url: str, allow_private_addresses: bool | None):
    url = (url or '').strip()
    if not url:
        raise DomainError('Enter the URL that receives the webhooks.', 'url')
    if len(url) > MAX_URL or not is_clean_text(url) or any(ch.isspace() for ch in url):
        raise DomainError(f'The URL must be one line of at most {MAX_URL:,} characters without spaces.', 'url')
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DomainError('This is not a valid URL.', 'url') from None
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise DomainError('The URL must start with https:// (or http://) and name a host.', 'url')
    if parts.username or parts.password:
        raise DomainError('Put no user name or password in the URL; the signature authenticates the portal.', 'url')
    allowed = allow_private() if allow_private_addresses is None else allow_private_addresses
    addresses = resolve(parts.hostname, port or (443 if parts.scheme == 'https' else 80))
    for address in addresses:
        if not allowed and not is_public(address):
            raise DomainError(f'{parts.hostname} is a loopback, link-local or private address ({address}); '
                              'webhooks go to public addresses only unless the setting below allows them.', 'url')
    if not addresses:
        raise DomainError(f'The host {parts.hostname} cannot be found.', 'url')
    return url, parts, addresses


NAT64 = ipaddress.ip_network('64:ff9b::/96')  # RFC 6052: the IPv4 address is the last 32 bits
LOCAL_NAT64 = ipaddress.ip_network('64:ff9b:1::/48')  # RFC 8215: local use, the IPv4 anywhere in it: refused
IPV4_COMPATIBLE = ipaddress.ip_network('::/96')  # deprecated (RFC 4291): ::7f00:1 is 127.0.0.1


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and may lead to: IPv4-mapped, IPv4-compatible, 6to4,
    NAT64 and Teredo (its server and its client)."""
    found = []
    if address.ipv4_mapped:
        found.append(address.ipv4_mapped)
    if address in IPV4_COMPATIBLE or address in NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour:
        found.append(address.sixtofour)
    if address.teredo:
        found.extend(address.teredo)
    return found


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Global, and so is every IPv4 address it embeds (Python counts 64:ff9b::a9fe:a9fe, 2002:7f00:1::
    and ::7f00:1 as global, though they reach 169.254.169.254 and 127.0.0.1)."""
    if not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address in LOCAL_NAT64:
            return False
        return all(inner.is_global for inner in embedded_ipv4(address))
    return True


def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise DomainError(f'The host {host} cannot be found.', 'url') from None
    addresses = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split('%')[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        addresses.append(address)
    return addresses


def _clean_events(events: list[str]) -> list[str]:
    chosen = sorted(set(events or []))
    if not chosen:
        raise DomainError('Choose at least one event.', 'events')
    unknown = [event for event in chosen if event not in EVENTS]
    if unknown:
        raise DomainError(f'Unknown event: {", ".join(unknown[:3])}.', 'events')
    return chosen


def save_endpoint(endpoint_id: int | None, url: str, events: list[str], enabled: bool, by: User,
                  description: str = '') -> tuple[WebhookEndpoint, str | None]:
    """Add or edit an endpoint; a new one gets its secret, returned once here (shown by the page)."""
    ensure(by, 'manage_settings')
    url = check_url(url)
    chosen = _clean_events(events)
    description = ' '.join((description or '').split())
    if len(description) > 200 or not is_clean_text(description):
        raise DomainError('The description is one line of at most 200 characters.', 'description')
    with database.atomic():
        if endpoint_id:
            endpoint = find(endpoint_id)
            (WebhookEndpoint.update(url=url, events=chosen, enabled=bool(enabled), description=description,
                                    **({'failing_since': None, 'disabled_reason': ''} if enabled else {}))
             .where(WebhookEndpoint.id == endpoint.id).execute())
            audit.record(by, 'webhook.update', endpoint, url=url, events=chosen, enabled=bool(enabled))
            return find(endpoint.id), None
        secret = new_secret()
        endpoint = WebhookEndpoint.create(url=url, events=chosen, enabled=bool(enabled), description=description,
                                          secret_encrypted=_fernet().encrypt(secret.encode()).decode(), created_by=by)
        audit.record(by, 'webhook.create', endpoint, url=url, events=chosen)
    return endpoint, secret


def rotate_secret(endpoint_id: int, by: User) -> str:
    ensure(by, 'manage_settings')
    secret = new_secret()
    with database.atomic():
        endpoint = find(endpoint_id)
        (WebhookEndpoint.update(secret_encrypted=_fernet().encrypt(secret.encode()).decode())
         .where(WebhookEndpoint.id == endpoint.id).execute())
        audit.record(by, 'webhook.rotate_secret', endpoint)
    return secret


def reveal_secret(endpoint_id: int, by: User) -> str:
    ensure(by, 'manage_settings')
    return secret_of(find(endpoint_id))


def delete_endpoint(endpoint_id: int, by: User) -> None:
    ensure(by, 'manage_settings')
    with database.atomic():
        endpoint = find(endpoint_id)
        endpoint.delete_instance(recursive=True)
        audit.record(by, 'webhook.delete', endpoint, url=endpoint.url)


def find(endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.get_or_none(WebhookEndpoint.id == endpoint_id) if 0 < endpoint_id < 2 ** 62 else None
    if endpoint is None:
        raise NotFound('This webhook endpoint')
    return endpoint


def redeliver(delivery_id: int, by: User) -> None:
    """Send a delivery again (the same webhook-id: a receiver that got it already can tell)."""
    ensure(by, 'manage_settings')
    with database.atomic():
        won = (WebhookDelivery.update(status=DeliveryStatus.QUEUED, attempts=0, next_attempt_at=clock.now(),
                                      claimed_by=None, claimed_at=None)
               .where((WebhookDelivery.id == delivery_id) & (WebhookDelivery.status != DeliveryStatus.SENDING))
               .execute())
        if not won:
            raise DomainError('This delivery is being sent right now, or it does not exist.')
        audit.record(by, 'webhook.redeliver', None, delivery_id=delivery_id)


def count_failure(endpoint_id: int, now) -> None:
    """A delivery failed (in the worker's transaction): the endpoint's failing time starts, and past the
    setting the endpoint is disabled and the admins are emailed, once."""
    (WebhookEndpoint.update(failing_since=now)
     .where((WebhookEndpoint.id == endpoint_id) & WebhookEndpoint.failing_since.is_null()).execute())
    endpoint = WebhookEndpoint.get_by_id(endpoint_id)
    if not endpoint.enabled or endpoint.failing_since > now - disable_after():
        return
    reason = f'failing since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC'
    won = (WebhookEndpoint.update(enabled=False, disabled_reason=reason)
           .where((WebhookEndpoint.id == endpoint_id) & WebhookEndpoint.enabled).execute())
    if won:
        for address in settings.admin_addresses():
            outbox.queue('webhook_disabled', address, webhook_url=endpoint.url, failing_since=reason,
                         webhooks_link=f'{settings.base_url()}/admin/webhooks')
        audit.record(None, 'webhook.disable', endpoint, reason=reason)


# --- events -----------------------------------------------------------------------------------------

def emit(action: str, target, actor: User | None, detail: dict) -> None:
    """Write the events of an audited action for every enabled endpoint that wants them (in the caller's
    transaction). Cheap when there are no webhooks: one small query."""
    types = ACTIONS.get(action)
    if not types:
        return
    endpoints = list(WebhookEndpoint.select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.enabled))
    for event_type in types:
        wanted = [endpoint.id for endpoint in endpoints if event_type in (endpoint.events or [])]
        if not wanted:
            continue
        data = describe(event_type, target)
        if actor is not None:
            data['actor'] = {'id': actor.id, 'email': actor.email}
        if 'api_token' in detail:
            data['api_token'] = detail['api_token']
        if detail.get('reason'):
            data['reason'] = detail['reason']
        message_id = 'msg_' + secrets.token_urlsafe(18)
        now = clock.now()
        payload = json.dumps({'type': event_type, 'timestamp': now.isoformat(timespec='seconds') + 'Z', 'data': data},
                             sort_keys=True, separators=(',', ':'), default=str)
        event = WebhookEvent.create(message_id=message_id, type=event_type, payload=payload, created_at=now)
        WebhookDelivery.insert_many([{'event': event.id, 'endpoint': endpoint_id, 'next_attempt_at': now,
                                      'created_at': now} for endpoint_id in wanted]).execute()


def describe(event_type: str, target) -> dict:
    """The event's `data`: what a system outside needs, never a key or a password."""
    kind = event_type.split('.', 1)[0]
    if kind == 'credential' and isinstance(target, AccessRequest):
        target = Credential.select().where(Credential.access_request == target).order_by(Credential.id.desc()).first()
    if isinstance(target, User):
        return {'user': {'id': target.id, 'email': target.email, 'first_name': target.first_name,
                         'last_name': target.last_name, 'status': User.get_by_id(target.id).status,
                         'organisation_id': target.organisation_id}}
    if isinstance(target, Organisation):
        org = Organisation.get_or_none(Organisation.id == target.id) or target
        return {'organisation': {'id': org.id, 'name': org.name, 'status': org.status,
                                 'requested_by_id': org.requested_by_id}}
    if isinstance(target, App):
        app = App.get_or_none(App.id == target.id) or target
        return {'app': {'id': app.id, 'name': app.name, 'status': app.status, 'organisation_id': app.organisation_id,
                        'owner_id': app.owner_id}}
    if isinstance(target, AccessRequest):
        from workflows.access import products_of
        request = AccessRequest.get_by_id(target.id)
        return {'access_request': {'id': request.id, 'status': request.status, 'app_id': request.app_id,
                                   'app_name': request.app.name, 'catalog_id': request.catalog_id,
                                   'plan_id': request.plan_id, 'plan_name': request.plan.name,
                                   'products': [{'id': p.id, 'name': p.name} for p in products_of(request)],
                                   'requested_by_id': request.requested_by_id, 'reason': request.reason}}
    if isinstance(target, Credential):
        credential = Credential.get_by_id(target.id)
        return {'credential': {'id': credential.id, 'app_id': credential.app_id,
                               'access_request_id': credential.access_request_id, 'key_prefix': credential.key_prefix,
                               'status': credential.status}}
    if isinstance(target, InviteCode):  # never the code itself; the registering user is the event's actor
        code = InviteCode.get_by_id(target.id)
        return {'invite_code': {'id': code.id, 'code_prefix': code.code_prefix, 'team_id': code.team_id,
                                'organisation_id': code.team.organisation_id, 'used': code.used, 'quota': code.quota}}
    return {}
