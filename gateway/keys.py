"""What a key may do, cached per instance, and how a key stops working everywhere at once.

A key's answer is loaded by an indexed look-up by its SHA-256, in the loader's own thread (never on the event
loop), together with the other misses of the moment; concurrent misses for one key share one load. Known keys stay cached for PORTICO_KEY_CACHE_SECONDS; unknown
ones live in a bounded LRU, so a flood of random keys pushes out only other unknown keys.

Retiring a key (`forget`, called by workflows.credentials.retire) evicts it here at once and, through the
KeyChange feed that every instance polls every PORTICO_KEY_CHANGES_POLL_SECONDS, everywhere else.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

import peewee as pw

import background
import config
from db import clock
from db.models import (AccessRequest, AccessRequestProduct, AccessStatus, Api, ApiStatus, App, AppStatus,
                       CatalogPlan, CatalogProduct, Credential, CredentialStatus, KeyChange, Organisation, Plan,
                       Product, ProductApi, User, UserStatus)
from domain.at_rest import digest  # noqa: F401 - keys.digest: the look-up form the gateway paths use
from gateway import usage
from gateway.decision import Decision

PREFIX = 'ptc_'
# a key is the prefix and secrets.token_urlsafe(32): 43 characters of the URL-safe alphabet
KEY_RE = re.compile(r'ptc_[A-Za-z0-9_-]{43}\Z')
MAX_KNOWN = 200_000
MAX_UNKNOWN = 20_000
log = logging.getLogger('portico.gateway')


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
    # product -> the whole answer to an allowed call (status, headers, body): immutable, sent as it is
    allowed: dict[str, tuple[int, tuple[tuple[bytes, bytes], ...], bytes]] = field(default_factory=dict)
    granted: dict[str, Decision] = field(default_factory=dict)  # product -> the decision that allows a call
    introspection: bytes = b''  # the RFC 7662 answer body

    def __post_init__(self) -> None:
        if isinstance(self.plan, Plan):
            self.plan = PlanLimits.of(self.plan)
        self.identity = [(name.encode(), _header_value(value)) for name, value in (
            ('x-portico-app', self.app_name), ('x-portico-app-id', str(self.app_id)),
            ('x-portico-organisation', self.organisation), ('x-portico-plan', self.plan.name))]
        self.allowed = {slug: (200, (*self.identity, (b'x-portico-product', _header_value(slug)),
                                     (b'content-length', b'0')), b'') for _, slug in self.routes}
        self.granted = {slug: Decision(200, '', slug) for _, slug in self.routes}
        self.introspection = json.dumps({
            'active': True, 'token_type': 'api_key', 'client_id': str(self.app_id), 'username': self.app_name,
            'scope': ' '.join(sorted({slug for _, slug in self.routes})),
            'plan': self.plan.name, 'organisation': self.organisation,
            'rate_limit': {'requests': self.plan.rate_limit, 'period_seconds': self.plan.rate_period},
            'base_paths': sorted({base for base, _ in self.routes}),
        }, separators=(',', ':')).encode()


def _header_value(text: str) -> bytes:
    """Printable ASCII only: a name is never able to end a header line or start another."""
    return ''.join(ch if ' ' <= ch < '\x7f' else '?' for ch in text).encode('ascii')


def plausible(key: str) -> bool:
    """Could this be a key at all? Anything else is refused before any query or cache entry."""
    return KEY_RE.match(key) is not None


_known: dict[str, tuple[float, KeyInfo]] = {}  # insertion order: the oldest first
# key -> its digest, for keys that were found with access: a memo of a pure function (whether the key works is
# decided by the digest's entry above), which spares a cached key its format check and SHA-256 on every call
digests: dict[str, str] = {}
_unknown: OrderedDict[str, float] = OrderedDict()  # LRU of key hashes with no access, with their expiry
_loading: dict[str, asyncio.Future] = {}
_epoch = 0  # bumped by every forget: a load that started before it must not be cached


MISS = object()


def cached(key_hash: str, now: float, refresh: bool = False):
    """The cached answer (a KeyInfo, or None for a key without access), or MISS. With `refresh` (on the event
    loop), a known key's answer that expired less than STALE_SECONDS ago is still given while a reload runs
    in the background, so that no call waits for it (a retired key is never there: `forget` removed it)."""
    entry = _known.get(key_hash)
    if entry is not None:
        if entry[0] > now:
            return entry[1]
        if refresh and entry[0] + STALE_SECONDS > now:
            _reload(key_hash)
            return entry[1]
        del _known[key_hash]
    expires = _unknown.get(key_hash)
    if expires is not None:
        if expires > now:
            _unknown.move_to_end(key_hash)
            return None
        del _unknown[key_hash]
    return MISS


STALE_SECONDS = 10.0


# Expired answers are reloaded together: every key loaded at one moment expires at one moment, and loading
# them one or two at a time as calls notice cost a few ms of CPU each (2,000 busy keys: 5 s a minute). A
# reload waits up to RELOAD_GATHER_SECONDS for others to join its batch, while the old answer is still given.
RELOAD_GATHER_SECONDS = 1.0
_stale: dict[str, None] = {}  # keys whose reload waits for the gathering to end (in the order they expired)
_stale_timer: asyncio.TimerHandle | None = None


def _reload(key_hash: str) -> None:
    """Queue a background load of a known key (once, however many calls see it expired)."""
    global _stale_timer
    if key_hash in _loading:
        return
    reloaded = asyncio.get_running_loop().create_future()
    reloaded.add_done_callback(_no_waiter)
    _loading[key_hash] = reloaded
    _stale[key_hash] = None
    if _stale_timer is None:
        _stale_timer = asyncio.get_running_loop().call_later(RELOAD_GATHER_SECONDS, _load_stale)


def _load_stale() -> None:
    global _stale_timer
    _stale_timer = None
    _queue.extend(_stale)
    _stale.clear()
    _ensure_loader()


def _no_waiter(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()  # nobody awaits a background reload: its failure is logged by the loader only


def memo(key: str, key_hash: str) -> None:
    """Remember the digest of a key that was found with access (the oldest go first past MAX_KNOWN)."""
    digests[key] = key_hash
    if len(digests) > MAX_KNOWN:
        del digests[next(iter(digests))]


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
    """The key's answer: from the cache, or loaded with the other misses of the moment in one query, in the
    loader's own thread (concurrent misses for one key share one load)."""
    found = cached(key_hash, clock.monotonic(), refresh=True)
    if found is not MISS:
        return found
    pending = _loading.get(key_hash)
    if pending is None:
        pending = asyncio.get_running_loop().create_future()
        _start_load(key_hash, pending)
    elif _stale.pop(key_hash, MISS) is None:  # a gathering reload, and now a call waits for it: load it now
        _queue.append(key_hash)
        _ensure_loader()
    return await asyncio.shield(pending)


def _start_load(key_hash: str, pending: asyncio.Future) -> None:
    _loading[key_hash] = pending
    _queue.append(key_hash)
    _ensure_loader()


def _ensure_loader() -> None:
    global _loader
    if _loader is None or _loader.done():
        _loader = asyncio.ensure_future(_load_queued())


_queue: list[str] = []
_loader: asyncio.Future | None = None
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix='portico-keys')
BATCH = 500
ANSWERS_PER_TURN = 32  # waiting calls answered per turn of the event loop, so that others get their turn


async def _load_queued() -> None:
    """Load what is queued, a batch at a time: one thread, one query per batch, however many misses arrive
    (a flood of random keys costs one query per batch, not one thread hop and query per key)."""
    loop = asyncio.get_running_loop()
    while _queue:
        batch = _queue[:BATCH]
        del _queue[:BATCH]
        epoch = _epoch
        try:
            infos = await loop.run_in_executor(_executor, load_many, batch)
        except Exception as error:  # noqa: BLE001 - every waiting call gets the error, the next ones try again
            log.warning('loading keys failed: %s', error)
            for key_hash in batch:
                entry = _known.get(key_hash)
                if entry is not None and entry[0] <= clock.monotonic():
                    del _known[key_hash]  # an expired answer is not given on once its reload failed
                waiting = _loading.pop(key_hash, None)
                if waiting is not None and not waiting.done():
                    waiting.set_exception(LookupFailed(str(error)))
            continue
        now = clock.monotonic()
        answers = []
        for key_hash in batch:
            info = infos.get(key_hash)
            if epoch == _epoch:  # nothing was retired meanwhile: the answer is current
                remember(key_hash, info, now)
            answers.append((_loading.pop(key_hash, None), info))
        for position, (waiting, info) in enumerate(answers, 1):
            if waiting is not None and not waiting.done():
                waiting.set_result(info)
            if position % ANSWERS_PER_TURN == 0:
                # a flood of misses wakes hundreds of calls per batch: let the other calls in between
                await asyncio.sleep(0)


class LookupFailed(Exception):
    """The database did not answer; the call gets a 503 and the next one tries again."""


def lookup_blocking(key_hash: str) -> KeyInfo | None:
    """For callers outside the event loop (tests of workflows, scripts)."""
    found = cached(key_hash, clock.monotonic())
    if found is not MISS:
        return found
    epoch = _epoch
    info = load_many([key_hash]).get(key_hash)
    if epoch == _epoch:
        remember(key_hash, info, clock.monotonic())
    return info


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
    offered = set(CatalogPlan.select(CatalogPlan.catalog, CatalogPlan.plan)
                  .where(CatalogPlan.catalog.in_(usage.id_list({request.catalog_id for request in requests}))).tuples())
    routes: dict[int, list[tuple[str, str]]] = {}
    for request_id, base_path, slug in (
            Api.select(AccessRequestProduct.request, Api.base_path, Product.slug)
            .join(ProductApi).join(Product)
            .join(AccessRequestProduct, on=(AccessRequestProduct.product == Product.id))
            .join(AccessRequest, on=(AccessRequest.id == AccessRequestProduct.request))
            .join(CatalogProduct, on=((CatalogProduct.product == Product.id)
                                      & (CatalogProduct.catalog == AccessRequest.catalog)))
            .where((AccessRequestProduct.request.in_(usage.id_list(request.id for request in requests)))
                   & (Api.status == ApiStatus.PUBLISHED)).tuples()):
        routes.setdefault(request_id, []).append((base_path, slug))
    stored = usage.calls_by_period([row.id for row in rows if row.access_request.plan.quota])
    # an individual developer's apps (default organisation) are theirs alone: they stop with the account
    owners = {row.app.owner_id for row in rows if row.app.organisation.is_default}
    inactive = {user_id for (user_id,) in User.select(User.id).where(
        User.id.in_(usage.id_list(owners - {None})) & (User.status != UserStatus.ACTIVE)).tuples()} if owners else set()
    found = {}
    for row in rows:
        request, app = row.access_request, row.app
        if (request.catalog_id, request.plan_id) not in offered:
            continue  # the catalog no longer offers this plan
        if app.organisation.is_default and (app.owner_id is None or app.owner_id in inactive):
            continue
        plan = request.plan
        found[row.key_hash] = KeyInfo(
            credential_id=row.id, app_id=app.id, app_name=app.name, organisation=app.organisation.name, plan=plan,
            routes=sorted(routes.get(request.id, []), key=lambda route: len(route[0]), reverse=True),
            quota_used=stored.get((row.id, plan.quota_period), 0) if plan.quota else 0)
    return found


def forget(key_hash: str) -> None:
    """Evict a key on this instance at once (the feed takes care of the others)."""
    global _epoch
    _epoch += 1
    _known.pop(key_hash, None)
    _unknown.pop(key_hash, None)


def clear() -> None:
    """Forget everything, loads under way included (at start, and between tests with their own loops)."""
    global _epoch, _loader, _stale_timer
    _epoch += 1
    _known.clear()
    digests.clear()
    _unknown.clear()
    _queue.clear()
    _loading.clear()
    _stale.clear()
    if _stale_timer is not None:
        _stale_timer.cancel()
    _loader = _stale_timer = None


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
    """Evict the keys any instance retired (this one too: a load racing a retire is evicted again).
    Runs until cancelled; a failed round is logged and the next one tries again."""
    last: int | None = None

    async def follow() -> None:
        nonlocal last
        if last is None:
            last = await background.in_thread(newest_change)
            return
        last, hashes = await background.in_thread(changes_since, last)
        for key_hash in hashes:  # on the event loop, like every other change of the cache
            forget(key_hash)

    await background.repeat('following key changes', follow, lambda: config.current().key_changes_poll_seconds)
