from rest_framework.throttling import AnonRateThrottle


class LoginRateThrottle(AnonRateThrottle):
    """Every token request, good or bad, counts against the `login` rate of the caller's address;
    repeated *failures* for one email are also locked out by accounts.services (shared with the
    web login form)."""

    scope = "login"
