"""Text from outside made storable everywhere.

PostgreSQL keeps no NUL character in a text column (nor a \\u0000 escape in jsonb); SQLite does.
Mail headers and bodies, Telegram's and WhatsApp's JSON and call events may carry one — noise,
a broken client, a fuzzer — and storing such a string raised DataError on PostgreSQL alone: an
LMTP delivery refused again and again, a message failed for one invisible character. What comes
from a sender passes through `nul_free` before it is stored; the NUL becomes U+FFFD, the
replacement character, so that the text shows something was there. Raw bytes (the stored
message, attachment data) are kept as received."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, TypeVar

NUL = "\x00"
REPLACEMENT = "\ufffd"

T = TypeVar("T")


def nul_free(value: T) -> T:
    """`value` with every NUL in its strings replaced: a str, or lists, tuples, dicts (keys too)
    and dataclass instances holding strings, rebuilt only where something changes. Other values
    (bytes, numbers, datetimes, None) are returned as they are."""
    return _clean(value)  # type: ignore[no-any-return]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT) if NUL in value else value
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_clean(item) for item in value)
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            if not field.init:
                continue
            old = getattr(value, field.name)
            new = _clean(old)
            if new is not old and new != old:
                changes[field.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value


def json_storable(raw: bytes) -> Any:
    """A stored webhook body (Telegram, WhatsApp, the web form) decoded, its strings `nul_free`."""
    return nul_free(json.loads(raw))
