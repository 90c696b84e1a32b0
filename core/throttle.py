"""Fixed-window request counters in the cache, for limits against floods (portal login links,
label requests, the public web form) and the API's rate limits (api/throttling.py)."""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

# With Redis as the cache, one atomic round trip: count, start the window's clock on the first
# request, and say how long the window still runs (also setting it should a key have lost its
# expiry, so no counter outlives its window).
_REDIS_COUNT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    left = tonumber(ARGV[1])
end
return {count, left}
"""
_script: Any = None  # registered once; called with each request's client (they share a pool)


def count_request(identifier: str, *, window: int) -> int:
    """How many times `identifier` was counted in its current fixed window of `window` seconds,
    this time included.

    With Redis as the cache the count is one atomic script (INCR, and the window's expiry set by
    the first request). Other caches keep the window's end in the value and re-set the key with
    the time left — cache.incr() would not do, since the file cache implements it as a set() with
    the default 5-minute timeout, which turned "10 an hour" into "10 every 5 minutes"; there two
    requests at the same moment may both read the same count, which for limits against floods
    is close enough."""
    return count_in_window(identifier, window=window)[0]


def count_in_window(identifier: str, *, window: int) -> tuple[int, float]:
    """`count_request`, and the seconds left in the current window."""
    digest = hashlib.sha256(identifier.encode()).hexdigest()
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return _redis_count(backend, f"request-window:{digest}", window=window)
    key = "request-count:" + digest
    now = time.time()
    stored = cache.get(key)
    count, ends_at = stored if isinstance(stored, tuple) and len(stored) == 2 else (0, 0.0)
    if ends_at <= now:
        count, ends_at = 0, now + window
    count += 1
    cache.set(key, (count, ends_at), timeout=max(1, math.ceil(ends_at - now)))
    return count, ends_at - now


def _redis_count(backend: RedisCache, key: str, *, window: int) -> tuple[int, float]:
    full_key = backend.make_and_validate_key(key)
    client = backend._cache.get_client(full_key, write=True)  # type: ignore[attr-defined]  # (Django: a cached_property)
    global _script
    if _script is None:
        _script = client.register_script(_REDIS_COUNT)
    count, left_ms = _script(keys=[full_key], args=[max(1, window) * 1000], client=client)
    return int(count), int(left_ms) / 1000
