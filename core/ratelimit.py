"""A fixed-window rate limit in the cache: shared by the processes through Redis when it is configured.

``allow(scope, key, limit=..., window=...)`` counts one event of ``key`` (a token, a client address) in
``scope`` and answers whether it is within ``limit`` events for the current window of ``window`` seconds.
Nothing goes to the database: a refused request writes nothing. While the shared cache is unavailable
(``core.redis_cache`` answers ``incr`` as for a missing key), the count falls back to this process's memory,
so the limit still holds per process instead of failing open.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

_local = LocMemCache("ratelimit-fallback", {"OPTIONS": {"MAX_ENTRIES": 10000}})


def _count(store, key: str, timeout: int) -> int:
    store.add(key, 0, timeout=timeout)
    return store.incr(key)


def allow(scope: str, key: str, *, limit: int, window: int, now: float | None = None) -> bool:
    """Count one event; False when it is beyond ``limit`` in the current ``window`` (seconds)."""
    slot = int((time.time() if now is None else now) // window)
    digest = hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()[:40]
    cache_key = f"ratelimit:{scope}:{digest}:{slot}"
    try:
        count = _count(cache, cache_key, window + 60)
    except ValueError:  # the shared cache is unavailable (or evicted the key in between)
        count = _count(_local, cache_key, window + 60)
    return count <= limit
