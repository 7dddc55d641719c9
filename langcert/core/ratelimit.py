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
    wanted = [(_key(scope, ident), limit) for scope, ident, limit in limits]
    counts = cache.get_many([key for key, _limit in wanted])
    return any((counts.get(key) or 0) >= limit for key, limit in wanted)


def count_attempt(scope: str, ident: str, window_seconds: int) -> int:
    key = _key(scope, ident)
    if cache.add(key, 1, timeout=window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        return 1


def count_attempts(attempts: Iterable[tuple[str, str]], window_seconds: int) -> list[int]:
    """`count_attempt` for each (scope, ident): the counts, in one round trip on Redis."""
    attempts = list(attempts)
    client = _redis_client()
    if client is None:
        return [count_attempt(scope, ident, window_seconds) for scope, ident in attempts]
    pipe = client.pipeline()  # MULTI/EXEC: a new key gets its window, then every key counts
    for scope, ident in attempts:
        key = cache.make_and_validate_key(_key(scope, ident))
        pipe.set(key, 0, ex=window_seconds, nx=True)
        pipe.incr(key)
    return pipe.execute()[1::2]


def _redis_client():
    """The cache's own Redis client, or None when the cache is not Redis (Django's cache API
    has no batched increment: each key would cost three round trips)."""
    backend = caches["default"]
    return backend._cache.get_client(write=True) if isinstance(backend, RedisCache) else None


def reset(scope: str, ident: str) -> None:
    cache.delete(_key(scope, ident))
