"""What a key may do, cached per instance, and how a key stops working everywhere at once.

A key's answer is loaded by one indexed look-up by its SHA-256, in a worker thread (never on the event loop);
concurrent misses for one key share one load. Known keys stay cached for PORTICO_KEY_CACHE_SECONDS; unknown
ones live in a bounded LRU, so a flood of random keys pushes out only other unknown keys.

Retiring a key (`forget`, called by workflows.credentials.retire) evicts it here at once and, through the
KeyChange feed that every instance polls every PORTICO_KEY_CHANGES_POLL_SECONDS, everywhere else.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta

import peewee as pw

import config
from db import clock
from db.models import (AccessRequest, AccessRequestProduct, AccessStatus, Api, ApiStatus, App, AppStatus,
                       CatalogPlan, CatalogProduct, Credential, CredentialStatus, KeyChange, Organisation, Plan,
                       Product, ProductApi)
from gateway import usage

PREFIX = 'ptc_'
# a key is the prefix and secrets.token_urlsafe(32): 43 characters of the URL-safe alphabet
KEY_RE = re.compile(r'ptc_[A-Za-z0-9_-]{43}\Z')
MAX_KNOWN = 200_000
MAX_UNKNOWN = 20_000
log = logging.getLogger('portico.gateway')


@dataclass
class KeyInfo:
    credential_id: int
    app_id: int
    app_name: str
    organisation: str
    plan: Plan
    routes: list[tuple[str, str]]  # (base path, product slug), longest path first
    quota_used: int  # calls stored in the current quota period when loaded
    loaded_at: float = field(default_factory=time.monotonic)
    counter_names: tuple | None = None  # limits' names for the current window, computed once per window
    identity: list[tuple[bytes, bytes]] = field(default_factory=list)  # the headers of an allowed call

    def __post_init__(self) -> None:
        self.identity = [(name.encode(), value.encode('ascii', 'replace')) for name, value in (
            ('x-portico-app', self.app_name), ('x-portico-app-id', str(self.app_id)),
            ('x-portico-organisation', self.organisation), ('x-portico-plan', self.plan.name),
            ('x-portico-credential', str(self.credential_id)))]


def digest(key: str) -> str:
    return hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()


def plausible(key: str) -> bool:
    """Could this be a key at all? Anything else is refused before any query or cache entry."""
    return KEY_RE.match(key) is not None


_known: dict[str, tuple[float, KeyInfo]] = {}  # insertion order: the oldest first
_unknown: OrderedDict[str, float] = OrderedDict()  # LRU of key hashes with no access, with their expiry
_loading: dict[str, asyncio.Future] = {}
_epoch = 0  # bumped by every forget: a load that started before it must not be cached


MISS = object()


def cached(key_hash: str, now: float):
    """The cached answer (a KeyInfo, or None for a key without access), or MISS."""
    entry = _known.get(key_hash)
    if entry is not None:
        if entry[0] > now:
            return entry[1]
        del _known[key_hash]
    expires = _unknown.get(key_hash)
    if expires is not None:
        if expires > now:
            _unknown.move_to_end(key_hash)
            return None
        del _unknown[key_hash]
    return MISS


def remember(key_hash: str, info: KeyInfo | None, now: float) -> None:
    expires = now + config.current().key_cache_seconds
    if info is None:
        _unknown[key_hash] = expires
        _unknown.move_to_end(key_hash)
        while len(_unknown) > MAX_UNKNOWN:
            _unknown.popitem(last=False)
    else:
        _known[key_hash] = (expires, info)
        while len(_known) > MAX_KNOWN:
            del _known[next(iter(_known))]


async def lookup(key_hash: str) -> KeyInfo | None:
    """The key's answer: from the cache, or loaded in a worker thread (one load for concurrent misses)."""
    now = time.monotonic()
    found = cached(key_hash, now)
    if found is not MISS:
        return found
    pending = _loading.get(key_hash)
    if pending is None:
        pending = asyncio.ensure_future(_load_and_remember(key_hash))
        _loading[key_hash] = pending
        pending.add_done_callback(lambda _: _loading.pop(key_hash, None))
    return await asyncio.shield(pending)


async def _load_and_remember(key_hash: str) -> KeyInfo | None:
    from nicegui import run
    epoch = _epoch
    info = await run.io_bound(load, key_hash)
    if epoch == _epoch:  # nothing was retired meanwhile: the answer is current
        remember(key_hash, info, time.monotonic())
    return info


def lookup_blocking(key_hash: str) -> KeyInfo | None:
    """For callers outside the event loop (tests of workflows, scripts)."""
    found = cached(key_hash, time.monotonic())
    if found is not MISS:
        return found
    epoch = _epoch
    info = load(key_hash)
    if epoch == _epoch:
        remember(key_hash, info, time.monotonic())
    return info


def load(key_hash: str) -> KeyInfo | None:
    """Read what a key may do now: active key, approved request, active app; the products still in the
    request's catalog, with their published APIs; the plan, while the catalog still offers it."""
    row = (Credential.select(Credential, AccessRequest, App, Organisation, Plan)
           .join(AccessRequest).join(Plan).switch(Credential).join(App).join(Organisation)
           .where((Credential.key_hash == key_hash) & (Credential.status == CredentialStatus.ACTIVE)
                  & (AccessRequest.status == AccessStatus.APPROVED) & (App.status == AppStatus.ACTIVE))
           .first())
    if row is None:
        return None
    request = row.access_request
    if not CatalogPlan.select().where((CatalogPlan.catalog == request.catalog_id)
                                      & (CatalogPlan.plan == request.plan_id)).exists():
        return None  # the catalog no longer offers this plan
    routes = [(api.base_path, api.product_slug) for api in
              Api.select(Api.base_path, Product.slug.alias('product_slug'))
              .join(ProductApi).join(Product)
              .join(AccessRequestProduct, on=(AccessRequestProduct.product == Product.id))
              .join(CatalogProduct, on=((CatalogProduct.product == Product.id)
                                        & (CatalogProduct.catalog == request.catalog_id)))
              .where((AccessRequestProduct.request == request.id) & (Api.status == ApiStatus.PUBLISHED))
              .objects()]
    routes.sort(key=lambda route: len(route[0]), reverse=True)
    plan = request.plan
    return KeyInfo(credential_id=row.id, app_id=row.app.id, app_name=row.app.name,
                   organisation=row.app.organisation.name, plan=plan, routes=routes,
                   quota_used=usage.calls_in_period(row.id, plan.quota_period) if plan.quota else 0)


def forget(key_hash: str) -> None:
    """Evict a key on this instance at once (the feed takes care of the others)."""
    global _epoch
    _epoch += 1
    _known.pop(key_hash, None)
    _unknown.pop(key_hash, None)


def clear() -> None:
    global _epoch
    _epoch += 1
    _known.clear()
    _unknown.clear()


# --- the feed of retired keys ----------------------------------------------------------------------

def publish(key_hashes: list[str]) -> None:
    """Tell every instance that these keys changed (inside the changing transaction), and evict them here."""
    if not key_hashes:
        return
    KeyChange.insert_many([{'key_hash': key_hash} for key_hash in key_hashes]).execute()
    for key_hash in key_hashes:
        forget(key_hash)


def changes_since(last_id: int) -> tuple[int, list[str]]:
    """Key hashes changed after `last_id`, and the newest id."""
    rows = list(KeyChange.select(KeyChange.id, KeyChange.key_hash).where(KeyChange.id > last_id)
                .order_by(KeyChange.id).limit(10000))
    return (rows[-1].id if rows else last_id), [row.key_hash for row in rows]


def newest_change() -> int:
    return KeyChange.select(pw.fn.MAX(KeyChange.id)).scalar() or 0


def prune_changes(older_than: timedelta = timedelta(hours=1)) -> int:
    return KeyChange.delete().where(KeyChange.changed_at < clock.now() - older_than).execute()


async def follow_changes() -> None:
    """Evict the keys any instance retired (this one too: a load racing a retire is evicted again)."""
    from nicegui import run
    last = await run.io_bound(newest_change) or 0
    while True:
        await asyncio.sleep(config.current().key_changes_poll_seconds)
        try:
            last, hashes = await run.io_bound(changes_since, last)
            for key_hash in hashes:
                forget(key_hash)
        except Exception:  # noqa: BLE001 - the gateway must keep answering through a database hiccup
            log.exception('following key changes failed')
