"""What a key may do, cached per instance.

A key's answer is loaded by an indexed look-up by its SHA-256, in the loader's own thread (never on the event
loop), together with the other misses of the moment; concurrent misses for one key share one load. Known keys stay
cached for PORTICO_KEY_CACHE_SECONDS (on db.clock); unknown ones live in a bounded LRU, so a flood of random keys
pushes out only other unknown keys. `forget` evicts a retired key here at once; gateway/key_feed.py carries the
retirement to every other instance.
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import config
from db import clock
from domain.at_rest import digest  # noqa: F401 - keys.digest: the look-up form the gateway paths use
from gateway.key_info import KeyInfo, load_many

PREFIX = 'ptc_'
# a key is the prefix and secrets.token_urlsafe(32): 43 characters of the URL-safe alphabet
KEY_RE = re.compile(r'ptc_[A-Za-z0-9_-]{43}\Z')
MAX_KNOWN = 200_000
MAX_UNKNOWN = 20_000
log = logging.getLogger('portico.gateway')


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
