"""Extension points of the inbound email pipeline (docs/architecture/email.md).

`acknowledgement_hooks`: callables the inbound processor calls, inside its transaction, for a
new ticket made from an email, with keyword arguments `ticket`, `article` and `parsed` (a
channels.email.parsing.ParsedEmail) — and `mailbox` when it knows it. The outbound side registers
`channels.email.outbound.ticket_acknowledge` here (ChannelsConfig.ready); each hook decides itself
whether it may answer (auto_reply_refused, the mailbox's settings, the daily cap)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

acknowledgement_hooks: list[Callable[..., Any]] = []
