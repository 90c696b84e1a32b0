"""Fixed-window request counters in the cache, for limits against floods (portal login links,
label requests, the public web form) and the API's rate limits (api/throttling.py)."""

from __future__ import annotations

import hashlib
import math
import time

from django.core.cache import cache


def count_request(identifier: str, *, window: int) -> int:
    """How many times `identifier` was counted in its current fixed window of `window` seconds,
    this time included.

    The window's end is kept in the value and the key re-set with the time left: cache.incr()
    would not do, since the file cache implements it as a set() with the default 5-minute timeout,
    which turned "10 an hour" into "10 every 5 minutes". Two requests at the same moment may
    both read the same count; for limits against floods that is close enough, and it keeps the
    counters out of the database."""
    return count_in_window(identifier, window=window)[0]


def count_in_window(identifier: str, *, window: int) -> tuple[int, float]:
    """`count_request`, and the seconds left in the current window."""
    key = "request-count:" + hashlib.sha256(identifier.encode()).hexdigest()
    now = time.time()
    stored = cache.get(key)
    count, ends_at = stored if isinstance(stored, tuple) and len(stored) == 2 else (0, 0.0)
    if ends_at <= now:
        count, ends_at = 0, now + window
    count += 1
    cache.set(key, (count, ends_at), timeout=max(1, math.ceil(ends_at - now)))
    return count, ends_at - now
