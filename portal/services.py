"""Writes of the client portal. Ticket writes themselves are tickets.services; this module
only holds what is specific to the portal: asking for an emailed login link."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db import transaction

from portal.tasks import magic_link_send

MAGIC_LINK_REQUEST_WINDOW = 15 * 60
MAGIC_LINK_REQUESTS_PER_EMAIL = 3
MAGIC_LINK_REQUESTS_PER_IP = 20


def _request_count_key(identifier: str) -> str:
    return "magic-link-request:" + hashlib.sha256(identifier.encode()).hexdigest()


def _count_request(identifier: str) -> int:
    key = _request_count_key(identifier)
    cache.add(key, 0, MAGIC_LINK_REQUEST_WINDOW)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, MAGIC_LINK_REQUEST_WINDOW)
        return 1


def magic_link_request(*, email: str, ip: str, next_path: str = "") -> bool:
    """Queue an emailed login link for `email` once the current transaction commits.

    Whether the address belongs to anyone is decided by the worker, not here, so the request
    takes the same time and gives the same answer for every address (no account enumeration).
    At most MAGIC_LINK_REQUESTS_PER_EMAIL links per address and MAGIC_LINK_REQUESTS_PER_IP per
    client address are queued in MAGIC_LINK_REQUEST_WINDOW, so the form cannot be used to flood
    a mailbox. Returns whether a link was queued; callers must not reveal it to the visitor.
    """
    email = (email or "").strip().lower()
    if not email:
        return False
    per_email = _count_request(f"email:{email}")
    per_ip = _count_request(f"ip:{ip}")
    if per_email > MAGIC_LINK_REQUESTS_PER_EMAIL or per_ip > MAGIC_LINK_REQUESTS_PER_IP:
        return False
    transaction.on_commit(lambda: magic_link_send(email=email, next_path=next_path))
    return True
