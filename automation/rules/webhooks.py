"""The webhook action's sender: the outbox (notifications/outbox.py) hands it claimed rows of
channel "webhook"; each row holds the URL (recipient) and the JSON body (payload), and is POSTed
as is. 2xx is sent; 408, 429, 5xx and network errors are retried on the outbox's schedule (a
429/503 Retry-After in seconds is honoured); any other 4xx is a permanent failure, kept on the
row with the response's first bytes for the administrator."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import datetime, timedelta

from notifications.models import OutboxMessage
from notifications.outbox import record_deferred, record_failure, record_sent

TIMEOUT_SECONDS = 10
RETRYABLE = frozenset({408, 429})
USER_AGENT = "Otklik-Webhook/1"


def webhook_deliver(rows: list[OutboxMessage], now: datetime) -> dict[int, str]:
    statuses: dict[int, str] = {}
    for row in sorted(rows, key=lambda r: r.pk):
        if not row.recipient.startswith(("http://", "https://")):
            statuses[row.pk] = record_failure(row, "not an http(s) address", now, permanent=True)
            continue
        request = urllib.request.Request(  # noqa: S310 (http and https only, checked above)
            row.recipient,
            data=bytes(row.payload),
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                response.read(1024)
        except urllib.error.HTTPError as exc:
            text = f"HTTP {exc.code}: {exc.read(500).decode('utf-8', 'replace')}"
            retry_after = exc.headers.get("Retry-After", "") if exc.headers else ""
            if exc.code in (429, 503) and retry_after.isdigit():
                statuses[row.pk] = record_deferred(row, now + timedelta(seconds=int(retry_after)), note=text)
            else:
                permanent = exc.code < 500 and exc.code not in RETRYABLE
                statuses[row.pk] = record_failure(row, text, now, permanent=permanent)
            continue
        except (OSError, ValueError) as exc:  # refused, timed out, DNS, a malformed address
            statuses[row.pk] = record_failure(row, f"{type(exc).__name__}: {exc}", now)
            continue
        statuses[row.pk] = record_sent(row)
    return statuses
