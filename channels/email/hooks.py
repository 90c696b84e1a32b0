"""Extension points of the inbound mail pipeline (docs/architecture/email.md, "Inbound pipeline").

`acknowledgement_hooks`: called after a new ticket was opened from an email that may be answered
automatically (the parser found no reason to refuse, and the mailbox acknowledges new requests).
Each is called inside the processing transaction as
`hook(ticket=Ticket, article=Article, parsed=ParsedEmail)`, so what it queues (an outbox row)
commits or rolls back with the ticket; the mailbox the mail came to is
`article.email_meta["mailbox"]` (its address). The outbound part of the channel
registers `channels.email.outbound.ticket_acknowledge` here from its AppConfig.ready(); the
pipeline itself does not import the sender, so either can change without the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

AcknowledgementHook = Callable[..., Any]

acknowledgement_hooks: list[AcknowledgementHook] = []


def acknowledgement_hook_register(hook: AcknowledgementHook) -> None:
    """Add `hook` once (AppConfig.ready() may run more than once in tests)."""
    if hook not in acknowledgement_hooks:
        acknowledgement_hooks.append(hook)
