"""Counting attempts in the shared cache (Redis or the database), so every web process
sees the same counts. Keys are hashed: no personal data ends up in cache keys.

A count lives for the window given when its first attempt was counted, however many follow
(on Redis the key's TTL; elsewhere the end of the window is kept beside the count, since
Django's generic `incr` re-saves a value with the cache's default timeout)."""

import hashlib
import time
from collections.abc import Iterable, Sequence
from weakref import WeakKeyDictionary

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

Limit = tuple[str, str, int]  # (scope, ident, limit)
NO_LIMIT = 1 << 62  # the room left when no limit applies


def _key(scope: str, ident: str) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def is_limited(scope: str, ident: str, limit: int) -> bool:
    return any_limited([(scope, ident, limit)])


def any_limited(limits: Iterable[Limit]) -> bool:
    """Whether any (scope, ident, limit) is reached, read in one cache round trip."""
    return room_left(limits) <= 0


def room_left(limits: Iterable[Limit]) -> int:
    """How many more attempts fit under every (scope, ident, limit), read in one round trip."""
    limits = list(limits)
    counts = _counts([_key(scope, ident) for scope, ident, _limit in limits])
    return min((limit - count for count, (_s, _i, limit) in zip(counts, limits, strict=True)),
               default=NO_LIMIT)


def _counts(keys: list[str]) -> list[int]:
    client = _redis_client()
    if client is None:
        found = cache.get_many(keys)
        return [found.get(key) or 0 for key in keys]
    # The counters are plain integers on Redis (count_attempts), read as they are.
    values = client.mget([cache.make_and_validate_key(key) for key in keys]) if keys else []
    return [int(value or 0) for value in values]


def count_attempt(scope: str, ident: str, window_seconds: int) -> int:
    [count] = count_attempts([(scope, ident)], window_seconds)
    return count


def count_attempts(attempts: Iterable[tuple[str, str]], window_seconds: int,
                   by: int = 1) -> list[int]:
    """Count `by` attempts for each (scope, ident): the new counts (one round trip on Redis)."""
    keys = [_key(scope, ident) for scope, ident in attempts]
    client = _redis_client()
    if client is None:
        return [_add_elsewhere(key, by, window_seconds) for key in keys]
    pipe = client.pipeline()  # MULTI/EXEC: a new key gets its window, then every key counts
    for key in keys:
        full_key = cache.make_and_validate_key(key)
        pipe.set(full_key, 0, ex=window_seconds, nx=True)
        pipe.incrby(full_key, by)
    return pipe.execute()[1::2]


def reserve(limits: Sequence[Limit], window_seconds: int, wanted: int) -> int:
    """Take up to `wanted` attempts under every limit before making them, so that callers
    at the same moment cannot each use the same room: returns how many were granted.
    Every count is raised by that many; `give_back` what was not used."""
    room = min(room_left(limits), wanted)
    if room <= 0:
        return 0
    totals = count_attempts([(scope, ident) for scope, ident, _n in limits], window_seconds,
                            by=room)
    # The totals include whatever others counted meanwhile: take only what is still free.
    granted = max(0, min([room] + [limit - (total - room) for total, (_s, _i, limit)
                                   in zip(totals, limits, strict=True)]))
    give_back(limits, room - granted)
    return granted


def give_back(limits: Sequence[Limit], unused: int) -> None:
    """Return attempts taken by `reserve` and not made (never below zero, window kept)."""
    if unused <= 0:
        return
    keys = [_key(scope, ident) for scope, ident, _limit in limits]
    client = _redis_client()
    if client is None:
        for key in keys:
            _add_elsewhere(key, -unused, None)
        return
    full_keys = [cache.make_and_validate_key(key) for key in keys]
    pipe = client.pipeline()
    for full_key in full_keys:
        pipe.decrby(full_key, unused)
    for full_key, count in zip(full_keys, pipe.execute(), strict=True):
        if count < 0:  # the window ended meanwhile (DECRBY made a key without expiry)
            client.delete(full_key)


def _add_elsewhere(key: str, by: int, window_seconds: int | None) -> int:
    """Add `by` to a count on a cache other than Redis, keeping the window of its first
    attempt (`window_seconds` None: only change a count that exists). Not atomic: the
    database cache offers no atomic increment; Redis is what production uses."""
    until_key = f"{key}:until"
    found = cache.get_many([key, until_key])
    now = time.time()
    if key not in found or until_key not in found or found[until_key] <= now:
        if window_seconds is None:
            return 0
        cache.set_many({key: max(by, 0), until_key: now + window_seconds},
                       timeout=window_seconds)
        return max(by, 0)
    count = max(found[key] + by, 0)
    cache.set(key, count, timeout=max(1, int(found[until_key] - now)))
    return count


def _redis_client():
    """The cache's own Redis client, or None when the cache is not Redis (Django's cache API
    has no batched or windowed increment). `_cache` is private to Django's RedisCache
    (Django 5.2): tests/core/test_ratelimit.py runs every counter on Redis too. Kept per
    cache backend: Django makes a new client (50 us) on every call, on the same pool."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    client = _clients.get(backend)
    if client is None:
        client = _clients[backend] = backend._cache.get_client(write=True)
    return client


_clients: WeakKeyDictionary = WeakKeyDictionary()


def reset(scope: str, ident: str) -> None:
    key = _key(scope, ident)
    cache.delete_many([key, f"{key}:until"])
