"""What a key may do, read from the database: its app, organisation, plan and the routes of its products, with
every answer a call needs computed once, at load (gateway/keys.py caches these)."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import NamedTuple

import peewee as pw

import config
from db import clock
from db.models import (AccessRequest, AccessRequestProduct, AccessStatus, Api, ApiStatus, App, AppStatus,
                       CatalogPlan, CatalogProduct, Credential, CredentialStatus, Organisation, Plan,
                       Product, ProductApi, User, UserStatus)
from gateway import usage
from gateway.decision import ENDED_KEY, EXPIRED_KEY, Decision
from gateway.wire import Answer  # status, headers (encoded), body: never changed


class PlanLimits(NamedTuple):
    """A plan's name and limits as plain values (read on every call; a model's fields are slower)."""
    name: str
    rate_limit: int
    rate_period: int
    quota: int
    quota_period: str

    @classmethod
    def of(cls, plan: Plan) -> PlanLimits:
        return cls(plan.name, plan.rate_limit, plan.rate_period, plan.quota, plan.quota_period)


@dataclass(eq=False)
class KeyInfo:
    """What a key may do, with everything its answers need computed once, at load."""
    credential_id: int
    app_id: int
    app_name: str
    organisation: str
    plan: PlanLimits
    routes: list[tuple[str, str]]  # (base path, product slug), longest path first
    quota_used: int  # calls stored in the current quota period when loaded
    loaded_at: float = field(default_factory=clock.monotonic)
    counter_names: tuple | None = None  # limits' names for the current window, computed once per window
    identity: list[tuple[bytes, bytes]] = field(default_factory=list)  # the headers of an allowed call
    # base path -> the whole answer to an allowed call (status, headers, body): immutable, sent as it is
    allowed: dict[str, Answer] = field(default_factory=dict)
    granted: dict[str, Decision] = field(default_factory=dict)  # base path -> the decision that allows a call
    # issue 26, item 5: base path -> (deprecated at, sunset, the successor's gateway URL) of a deprecated API's route
    deprecations: dict[str, tuple[datetime, datetime, str]] = field(default_factory=dict)
    # ... base path -> (the monotonic moment of its sunset, the 410 decision): looked at only when not empty
    sunsets: dict[str, tuple[float, Decision]] = field(default_factory=dict)
    gone: dict[str, tuple[Answer, Answer]] = field(default_factory=dict)  # base path -> its 410 (others, nginx)
    timed: bool = False  # the key or a route stops at a moment of its own: decide() needs clock.monotonic()
    introspection: bytes = b''  # the RFC 7662 answer body
    seconds_left: float | None = None  # a rotated key's overlap: how long it still works when loaded (issue 26)
    expires: float | None = None  # ... and the moment it stops, in clock.monotonic() seconds
    ended: Decision = ENDED_KEY  # the refusal once it has stopped (replaced, or expired)


    def __post_init__(self) -> None:
        if isinstance(self.plan, Plan):
            self.plan = PlanLimits.of(self.plan)
        self.identity = [(name.encode(), _header_value(value)) for name, value in (
            ('x-portico-app', self.app_name), ('x-portico-app-id', str(self.app_id)),
            ('x-portico-organisation', self.organisation), ('x-portico-plan', self.plan.name))]
        self.allowed = {base: Answer(200, (*self.identity, (b'x-portico-product', _header_value(slug)),
                                           *_deprecation_headers(self.deprecations.get(base)),
                                           (b'content-length', b'0')), b'') for base, slug in reversed(self.routes)}
        # (reversed: an API in two of the key's products answers as the first route decide() matches)
        self.granted = {base: Decision(200, '', slug, 0, base) for base, slug in reversed(self.routes)}
        now = clock.now()
        for base, slug in reversed(self.routes):  # issue 26, item 5: a deprecated API's route ends at its sunset
            deprecation = self.deprecations.get(base)
            if deprecation is not None:
                _, sunset, successor = deprecation
                self.sunsets[base] = (self.loaded_at + (sunset - now).total_seconds(),
                                      Decision(410, GONE_REASON, slug, 0, base))
                self.gone[base] = gone_answers(successor)
        ends = {}
        self.timed = self.seconds_left is not None or bool(self.sunsets)
        if self.seconds_left is not None:
            self.expires = self.loaded_at + self.seconds_left
            ends = {'exp': int(time.time() + self.seconds_left)}  # RFC 7662's member for a token that ends
        self.introspection = json.dumps({**ends,
            'active': True, 'token_type': 'api_key', 'client_id': str(self.app_id), 'username': self.app_name,
            'scope': ' '.join(sorted({slug for _, slug in self.routes})),
            'plan': self.plan.name, 'organisation': self.organisation,
            'rate_limit': {'requests': self.plan.rate_limit, 'period_seconds': self.plan.rate_period},
            'base_paths': sorted({base for base, _ in self.routes}),
        }, separators=(',', ':')).encode()


GONE_REASON = 'this API version has reached its sunset and no longer answers'


def _deprecation_headers(deprecation) -> tuple[tuple[bytes, bytes], ...]:
    """RFC 9745's Deprecation (a structured date: @ and Unix seconds), RFC 8594's Sunset (an HTTP-date) and the
    successor version's address (RFC 8288 Link, rel="successor-version"), for every allowed call of the route."""
    if deprecation is None:
        return ()
    deprecated, sunset, successor = deprecation
    headers = [(b'deprecation', f'@{_unix(deprecated)}'.encode()), (b'sunset', _http_date(sunset).encode())]
    if successor:
        headers.append((b'link', _header_value(f'<{successor}>; rel="successor-version"')))
    return tuple(headers)


def gone_answers(successor: str) -> tuple[Answer, Answer]:
    """The 410 after the sunset, as a JSON body naming the successor's address and its Link header; for nginx
    (whose auth_request passes only 2xx, 401 and 403) a 403 marked X-Portico-Status: 410 that the shipped
    configuration turns back into the 410."""
    payload = {'error': GONE_REASON, **({'successor': successor} if successor else {})}
    body = json.dumps(payload, separators=(',', ':')).encode()
    headers = [(b'content-type', b'application/json'), (b'x-content-type-options', b'nosniff'),
               (b'x-portico-reason', GONE_REASON.encode()), (b'x-portico-status', b'410')]
    if successor:
        headers.append((b'link', _header_value(f'<{successor}>; rel="successor-version"')))
        headers.append((b'x-portico-successor', _header_value(successor)))
    headers.append((b'content-length', str(len(body)).encode()))
    return Answer(410, tuple(headers), body), Answer(403, tuple(headers), body)


def _unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=timezone.utc).timestamp())


def _http_date(moment: datetime) -> str:
    return moment.replace(tzinfo=timezone.utc).strftime('%a, %d %b %Y %H:%M:%S GMT')


def _header_value(text: str) -> bytes:
    """Printable ASCII only: a name is never able to end a header line or start another."""
    return ''.join(ch if ' ' <= ch < '\x7f' else '?' for ch in text).encode('ascii')


def load_many(key_hashes: list[str]) -> dict[str, KeyInfo]:
    """What the keys among `key_hashes` that have access may do now (one query for all of them, then a
    few per key found): active key, approved request, active app; the products still in the request's
    catalog, with their published APIs; the plan, while the catalog still offers it."""
    # first by the unique index alone (with the other conditions in the same query, SQLite's planner
    # prefers the status index and scans every active key)
    ids = [credential_id for (credential_id,) in
           Credential.select(Credential.id).where(Credential.key_hash.in_(key_hashes)).tuples()]
    if not ids:
        return {}
    rows = (Credential.select(Credential, AccessRequest, App, Organisation, Plan)
            .join(AccessRequest).join(Plan).switch(Credential).join(App).join(Organisation)
            .where((Credential.id.in_(usage.id_list(ids))) & (Credential.status == CredentialStatus.ACTIVE)
                   & (AccessRequest.status == AccessStatus.APPROVED) & (App.status == AppStatus.ACTIVE)))
    rows = list(rows)
    if not rows:
        return {}
    requests = [row.access_request for row in rows]
    gateway = config.current().gateway_url.rstrip('/')
    offered = set(CatalogPlan.select(CatalogPlan.catalog, CatalogPlan.plan)
                  .where(CatalogPlan.catalog.in_(usage.id_list({request.catalog_id for request in requests}))).tuples())
    routes: dict[int, list[tuple[str, str]]] = {}
    deprecations: dict[str, tuple] = {}  # issue 26, item 5: base path -> deprecated at, sunset, successor's URL
    successor = Api.alias()
    for request_id, base_path, slug, deprecated_at, sunset_at, successor_path in (
            Api.select(AccessRequestProduct.request, Api.base_path, Product.slug, Api.deprecated_at, Api.sunset_at,
                       successor.base_path)
            .join(successor, pw.JOIN.LEFT_OUTER, on=(successor.id == Api.successor)).switch(Api)
            .join(ProductApi).join(Product)
            .join(AccessRequestProduct, on=(AccessRequestProduct.product == Product.id))
            .join(AccessRequest, on=(AccessRequest.id == AccessRequestProduct.request))
            .join(CatalogProduct, on=((CatalogProduct.product == Product.id)
                                      & (CatalogProduct.catalog == AccessRequest.catalog)))
            .where((AccessRequestProduct.request.in_(usage.id_list(request.id for request in requests)))
                   & (Api.status == ApiStatus.PUBLISHED)).tuples()):
        routes.setdefault(request_id, []).append((base_path, slug))
        if deprecated_at is not None and sunset_at is not None:
            deprecations[base_path] = (deprecated_at, sunset_at, f'{gateway}{successor_path}' if successor_path else '')
    stored = usage.calls_by_period([row.id for row in rows if row.access_request.plan.quota])
    # an individual developer's apps (default organisation) are theirs alone: they stop with the account
    owners = {row.app.owner_id for row in rows if row.app.organisation.is_default}
    inactive = {user_id for (user_id,) in User.select(User.id).where(
        User.id.in_(usage.id_list(owners - {None})) & (User.status != UserStatus.ACTIVE)).tuples()} if owners else set()
    found = {}
    now = clock.now()
    for row in rows:
        request, app = row.access_request, row.app
        if (request.catalog_id, request.plan_id) not in offered:
            continue  # the catalog no longer offers this plan
        if app.organisation.is_default and (app.owner_id is None or app.owner_id in inactive):
            continue
        plan = request.plan
        left = None if row.expires_at is None else (row.expires_at - now).total_seconds()
        found[row.key_hash] = KeyInfo(seconds_left=left, ended=EXPIRED_KEY if row.end_reason == 'lifetime' else ENDED_KEY,
            credential_id=row.id, app_id=app.id, app_name=app.name, organisation=app.organisation.name, plan=plan,
            routes=sorted(routes.get(request.id, []), key=lambda route: len(route[0]), reverse=True),
            deprecations={base: deprecations[base] for base, _ in routes.get(request.id, []) if base in deprecations},
            quota_used=stored.get((row.id, plan.quota_period), 0) if plan.quota else 0)
    return found
