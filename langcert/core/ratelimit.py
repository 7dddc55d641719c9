"""Counting attempts in the shared cache (Redis or the database), so every web process
sees the same counts. Keys are hashed: no personal data ends up in cache keys."""

import hashlib
from collections.abc import Iterable

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache


def _key(scope: str, ident: str) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def is_limited(scope: str, ident: str, limit: int) -> bool:
    return (cache.get(_key(scope, ident)) or 0) >= limit


def any_limited(limits: Iterable[tuple[str, str, int]]) -> bool:
    """Whether any (scope, ident, limit) is reached, read in one cache round trip."""
    return room_left(limits) <= 0


def room_left(limits: Iterable[tuple[str, str, int]]) -> int:
    """How many more attempts fit under every (scope, ident, limit), read in one round trip."""
    limits = list(limits)
    return min((limit - count for count, (_s, _i, limit)
                in zip(counts(limits), limits, strict=True)), default=1 << 62)


def count_attempt(scope: str, ident: str, window_seconds: int) -> int:
    return _count_by(scope, ident, window_seconds, 1)


def count_attempts(attempts: Iterable[tuple[str, str]], window_seconds: int,
                   by: int = 1) -> list[int]:
    """`count_attempt` for each (scope, ident), each counting `by` attempts: the counts, in
    one round trip on Redis."""
    attempts = list(attempts)
    client = _redis_client()
    if client is None:
        return [_count_by(scope, ident, window_seconds, by) for scope, ident in attempts]
    pipe = client.pipeline()  # MULTI/EXEC: a new key gets its window, then every key counts
    for scope, ident in attempts:
        key = cache.make_and_validate_key(_key(scope, ident))
        pipe.set(key, 0, ex=window_seconds, nx=True)
        pipe.incrby(key, by)
    return pipe.execute()[1::2]


def _count_by(scope: str, ident: str, window_seconds: int, by: int) -> int:
    key = _key(scope, ident)
    if cache.add(key, by, timeout=window_seconds):
        return by
    try:
        return cache.incr(key, by)
    except ValueError:  # expired between add and incr
        cache.set(key, by, timeout=window_seconds)
        return by


def counts(limits: Iterable[tuple[str, str, int]]) -> list[int]:
    """The current count of each (scope, ident, limit), read in one cache round trip."""
    keys = [_key(scope, ident) for scope, ident, _limit in limits]
    found = cache.get_many(keys)
    return [found.get(key) or 0 for key in keys]


def _redis_client():
    """The cache's own Redis client, or None when the cache is not Redis (Django's cache API
    has no batched increment: each key would cost three round trips)."""
    backend = caches["default"]
    return backend._cache.get_client(write=True) if isinstance(backend, RedisCache) else None


def reset(scope: str, ident: str) -> None:
    cache.delete(_key(scope, ident))
