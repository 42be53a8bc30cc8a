"""Webhook events (issue 16, point 6): which announced events become which webhook events, and what they say.

`emit` listens to every domain event (domain/events.py) and writes a WebhookEvent with one WebhookDelivery per
enabled endpoint that wants it, in the transaction of the change, as an email lands in the outbox; events that are
no webhook event write nothing. The worker (api/webhooks.py) signs and delivers them per Standard Webhooks.
"""
from __future__ import annotations

import json
import secrets

from db import clock
from db.models import (AccessRequest, Api, App, Credential, InviteCode, OAuthClient, Organisation, Plan, User,
                       WebhookDelivery, WebhookEndpoint, WebhookEvent)
from domain import events
from workflows.grants import products_of

# the announced events (domain/events.py) that raise webhook events (webhook_endpoints.EVENTS)
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
    'access.change_plan': ('access_request.plan_changed',),
    'credential.rotate': ('credential.rotated',),
    'credential.revoke': ('credential.revoked',),
    'invite_code.redeem': ('invite_code.used',),
    'oauth_client.create': ('oauth_client.created',),  # issue 26
    'oauth_client.revoke': ('oauth_client.revoked',),
    # issue 26, item 5: API versions and deprecation
    'api.add_version': ('api.version_added',),
    'api.deprecate': ('api.deprecated',),
    'api.sunset_reminder': ('api.deprecated',),
    'api.undeprecate': ('api.deprecation_withdrawn',),
    # issue 26, item 6: a plan's key lifetime (and its other terms) changes
    'plan.create': ('plan.created',),
    'plan.update': ('plan.updated',),
}


def emit(event: events.Event) -> None:
    """The listener that writes the webhook events of an announced event for every enabled endpoint that wants
    them (in the caller's transaction; listeners.py registers it). Cheap when there are no webhooks: one small
    query."""
    types = ACTIONS.get(event.name)
    target, actor, detail = event.target, event.actor, event.detail
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
        if 'old_plan' in detail:  # a plan change: the plan it left
            data['previous_plan_name'] = detail['old_plan']
        for name in ('app_ids', 'days_left'):  # issue 26, item 5: the apps a deprecation concerns; days to its sunset
            if name in detail:
                data[name] = detail[name]
        if 'old_key_stops_at' in detail:  # a rotation: which key it replaced, and when that one stops
            data['replaces'] = {'credential_id': detail['old_credential_id'], 'stops_at': detail['old_key_stops_at']}
        message_id = 'msg_' + secrets.token_urlsafe(18)
        now = clock.now()
        payload = json.dumps({'type': event_type, 'timestamp': now.isoformat(timespec='seconds') + 'Z', 'data': data},
                             sort_keys=True, separators=(',', ':'), default=str)
        row = WebhookEvent.create(message_id=message_id, type=event_type, payload=payload, created_at=now)
        WebhookDelivery.insert_many([{'event': row.id, 'endpoint': endpoint_id, 'next_attempt_at': now,
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
        request = AccessRequest.get_by_id(target.id)
        return {'access_request': {'id': request.id, 'status': request.status, 'app_id': request.app_id,
                                   'app_name': request.app.name, 'catalog_id': request.catalog_id,
                                   'plan_id': request.plan_id, 'plan_name': request.plan.name,
                                   'products': [{'id': p.id, 'name': p.name} for p in products_of(request)],
                                   'requested_by_id': request.requested_by_id, 'reason': request.reason,
                                   'changes_access_request_id': request.changes_id}}
    if isinstance(target, Credential):
        credential = Credential.get_by_id(target.id)
        return {'credential': {'id': credential.id, 'app_id': credential.app_id,
                               'access_request_id': credential.access_request_id, 'key_prefix': credential.key_prefix,
                               'status': credential.status,
                               'expires_at': credential.expires_at.isoformat(timespec='seconds') + 'Z'
                               if credential.expires_at else None}}
    if isinstance(target, Api):  # issue 26, item 5
        api = Api.get_or_none(Api.id == target.id) or target
        successor = Api.get_or_none(Api.id == api.successor_id) if api.successor_id else None
        return {'api': {'id': api.id, 'name': api.name, 'version': api.version, 'base_path': api.base_path,
                        'version_of': api.version_of_id, 'deprecated_at': _iso(api.deprecated_at),
                        'sunset_at': _iso(api.sunset_at),
                        'successor': {'id': successor.id, 'version': successor.version,
                                      'base_path': successor.base_path} if successor else None}}
    if isinstance(target, InviteCode):  # never the code itself; the registering user is the event's actor
        code = InviteCode.get_by_id(target.id)
        return {'invite_code': {'id': code.id, 'code_prefix': code.code_prefix, 'team_id': code.team_id,
                                'organisation_id': code.team.organisation_id, 'used': code.used, 'quota': code.quota}}
    if isinstance(target, OAuthClient):  # issue 26: never the secret
        client = OAuthClient.get_by_id(target.id)
        return {'oauth_client': {'id': client.id, 'client_id': client.client_id, 'app_id': client.app_id,
                                 'access_request_id': client.access_request_id, 'status': client.status,
                                 'private_key_jwt': bool(client.jwks)}}
    if isinstance(target, Plan):  # issue 26, item 6: keys issued from now on live key_lifetime_days (0: forever)
        plan = Plan.get_by_id(target.id)
        return {'plan': {'id': plan.id, 'name': plan.name, 'rate_limit': plan.rate_limit,
                         'rate_period': plan.rate_period, 'quota': plan.quota, 'quota_period': plan.quota_period,
                         'requires_approval': plan.requires_approval, 'key_lifetime_days': plan.key_lifetime_days,
                         'credential_kind': plan.credential_kind}}
    return {}


def _iso(moment) -> str | None:
    return moment.isoformat(timespec='seconds') + 'Z' if moment else None
