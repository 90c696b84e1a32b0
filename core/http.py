from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import User


class AuthedHttpRequest(HttpRequest):
    """The request a view behind login_required / agent_required receives: `user` is a signed-in
    User. Only an annotation for type checkers; Django passes a plain HttpRequest."""

    user: User  # type: ignore[assignment]


def client_ip(request: HttpRequest) -> str:
    """The peer address. Behind nginx, configure it to pass the client address as REMOTE_ADDR
    (e.g. uwsgi_param / proxy with the real-ip module); X-Forwarded-For is never trusted here."""
    return request.META.get("REMOTE_ADDR", "")


def safe_next_url(request: HttpRequest) -> str:
    """The `next` page asked for by a login form, when it is on this site; "" otherwise."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


# The largest id a bigint primary key holds; SQLite cannot even bind a larger integer
# (OverflowError), so ids from requests are checked against it before any query.
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """`value` from a request as an id: decimal digits (str.isdecimal, not isdigit, which takes
    "²" that int() refuses) up to MAX_ID; None for anything else."""
    text = str(value).strip()
    if not text.isdecimal() or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if number <= MAX_ID else None
