"""Webhook endpoints (issue 16): what portal admins set up under Admin -> Webhooks, and what happens to an
endpoint that keeps failing.

An endpoint has a URL (checked by workflows/webhook_address.py when saved and again at every send), the events it
wants (workflows/webhook_events.py), and a Standard Webhooks signing secret, kept sealed (domain/at_rest.py) and
shown to portal admins. The worker that delivers is api/webhooks.py.
"""
from __future__ import annotations

import base64
import secrets
from datetime import timedelta

from db import clock, settings
from db.connection import database
from db.models import DeliveryStatus, User, WebhookDelivery, WebhookEndpoint
from domain.events import announce
from domain.at_rest import InvalidToken, Seal
from domain.errors import DomainError, NotFound
from domain.i18n import N_, lazy
from mail import outbox
from permissions import ensure
from workflows import is_clean_text, webhook_address

# the webhook events an endpoint may ask for (issue 16, point 6); webhook_events.py says which announced
# events raise them
EVENTS = {
    'user.registered': N_('A user registered'),
    'user.activated': N_('A user account became active'),
    'user.deactivated': N_('A user account was deactivated'),
    'user.password_reset_requested': N_('A password reset was requested'),
    'organisation.registration_requested': N_('A consumer asked for a new organization'),
    'organisation.approved': N_('An organization request was approved'),
    'organisation.rejected': N_('An organization request was rejected'),
    'app.created': N_('An app was created'),
    'app.approved': N_('An app was approved'),
    'app.rejected': N_('An app was rejected'),
    'access_request.created': N_('An access request was made'),
    'access_request.approved': N_('An access request was approved'),
    'access_request.rejected': N_('An access request was rejected'),
    'access_request.revoked': N_('Granted access was revoked'),
    'access_request.plan_changed': N_('Granted access moved to another plan (the key stays)'),
    'credential.created': N_('A key was issued'),
    'credential.rotated': N_('A key was rotated'),
    'credential.revoked': N_('A key was revoked'),
    'invite_code.used': N_('Someone registered with an invite code'),
    'oauth_client.created': N_('An OAuth client was issued'),  # issue 26
    'oauth_client.revoked': N_('An OAuth client was revoked'),
    'api.version_added': N_('A new version of an API was added'),
    'api.deprecated': N_('An API version was deprecated, or its sunset is 30 or 7 days away'),
    'api.deprecation_withdrawn': N_("An API version's deprecation was undone"),
    'plan.created': N_('A plan was created'),
    'plan.updated': N_("A plan's limits, approval, key lifetime or credential kind changed"),
}
ALLOW_PRIVATE = 'webhooks_allow_private_addresses'
DISABLE_AFTER = 'webhooks_disable_after_hours'


# --- settings of the Webhooks page ------------------------------------------------------------------

def allow_private() -> bool:
    return bool(settings.get(ALLOW_PRIVATE))


def disable_after() -> timedelta:
    return timedelta(hours=settings.get(DISABLE_AFTER))


def update_settings(allow_private_addresses: bool, disable_after_hours, by: User) -> None:
    ensure(by, 'manage_settings')
    try:
        hours = float(disable_after_hours)
    except (TypeError, ValueError):
        raise DomainError('Give the time in hours, e.g. 72.', 'disable_after') from None
    if not 0.01 <= hours <= 24 * 90:
        raise DomainError('Between 0.01 hours and 90 days (2,160 hours).', 'disable_after')
    with database.atomic():
        settings.put(ALLOW_PRIVATE, bool(allow_private_addresses))
        settings.put(DISABLE_AFTER, hours)
        announce(by, 'webhooks.settings', None, allow_private_addresses=bool(allow_private_addresses),
                        disable_after_hours=hours)


# --- endpoints --------------------------------------------------------------------------------------

SEAL = Seal(b'portico-webhooks', b'secrets')


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return 'whsec_' + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_of(endpoint: WebhookEndpoint) -> str:
    try:
        return SEAL.open(endpoint.secret_encrypted)
    except InvalidToken:
        raise DomainError('This secret was encrypted with another secret key; rotate it.') from None


def check_url(url: str, *, allow_private_addresses: bool | None = None) -> str:
    """The URL if it may receive webhooks (workflows/webhook_address.py), by the setting unless told.
    Blocking (DNS): called off the event loop by pages."""
    allowed = allow_private() if allow_private_addresses is None else allow_private_addresses
    return webhook_address.check(url, allowed)[0]


def delivery_target(url: str) -> tuple[str, dict[str, str], dict]:
    """Where the worker sends this endpoint's deliveries, checked again at every send."""
    return webhook_address.delivery_target(url, allow_private())


def _clean_events(events: list[str]) -> list[str]:
    chosen = sorted(set(events or []))
    if not chosen:
        raise DomainError('Choose at least one event.', 'events')
    unknown = [event for event in chosen if event not in EVENTS]
    if unknown:
        raise DomainError('Unknown event: {names}.', 'events', names=', '.join(unknown[:3]))
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
            announce(by, 'webhook.update', endpoint, url=url, events=chosen, enabled=bool(enabled))
            return find(endpoint.id), None
        secret = new_secret()
        endpoint = WebhookEndpoint.create(url=url, events=chosen, enabled=bool(enabled), description=description,
                                          secret_encrypted=SEAL.close(secret), created_by=by)
        announce(by, 'webhook.create', endpoint, url=url, events=chosen)
    return endpoint, secret


def rotate_secret(endpoint_id: int, by: User) -> str:
    ensure(by, 'manage_settings')
    secret = new_secret()
    with database.atomic():
        endpoint = find(endpoint_id)
        (WebhookEndpoint.update(secret_encrypted=SEAL.close(secret))
         .where(WebhookEndpoint.id == endpoint.id).execute())
        announce(by, 'webhook.rotate_secret', endpoint)
    return secret


def reveal_secret(endpoint_id: int, by: User) -> str:
    ensure(by, 'manage_settings')
    return secret_of(find(endpoint_id))


def delete_endpoint(endpoint_id: int, by: User) -> None:
    ensure(by, 'manage_settings')
    with database.atomic():
        endpoint = find(endpoint_id)
        endpoint.delete_instance(recursive=True)
        announce(by, 'webhook.delete', endpoint, url=endpoint.url)


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
        announce(by, 'webhook.redeliver', None, delivery_id=delivery_id)


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
            outbox.queue('webhook_disabled', address, webhook_url=endpoint.url,
                         failing_since=lazy('failing since {moment} UTC', moment=f'{endpoint.failing_since:%Y-%m-%d %H:%M}'),
                         webhooks_link=f'{settings.base_url()}/admin/webhooks')
        announce(None, 'webhook.disable', endpoint, reason=reason)
