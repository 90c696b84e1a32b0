"""The API's rate limits: DRF's throttles (scopes, rates, idents, 429 with Retry-After) counting in
fixed windows (core/throttle.py) instead of DRF's own sliding log.

DRF's log keeps the time of every request of the last period in one cache value — at the default
20,000 an hour, a busy integration's value grows to 20,000 floats (~180 KB) that every request
reads, unpickles, extends, pickles and writes back. A fixed window keeps a count and the window's
end: the same two cache round trips, a few bytes each, whatever the rate. The price is the usual
one of fixed windows: up to twice the rate across a window's boundary. Retry-After is the time
left in the window. A refused request is counted too (it keeps the window, it does not extend it)."""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from core.throttle import count_in_window


class _FixedWindow(SimpleRateThrottle):
    _left = 0.0
    # Set by SimpleRateThrottle.__init__ from the rate (both None without one).
    num_requests: int | None
    duration: int | None

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None or self.num_requests is None or self.duration is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        count, self._left = count_in_window(f"api-throttle:{key}", window=self.duration)
        return count <= self.num_requests

    def wait(self) -> float | None:
        return max(1.0, self._left)


class UserWindowRateThrottle(_FixedWindow, UserRateThrottle):
    """Per user (per address when anonymous), the `user` rate."""


class AnonWindowRateThrottle(_FixedWindow, AnonRateThrottle):
    """Per address of anonymous callers, the `anon` rate."""


class LoginRateThrottle(_FixedWindow, AnonRateThrottle):
    """Every token request, good or bad, counts against the `login` rate of the caller's address;
    repeated *failures* for one email are also locked out by accounts.services (shared with the
    web login form)."""

    scope = "login"
