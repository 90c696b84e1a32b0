"""Why no automatic reply may go to a message: mail loops and bulk mail (docs/architecture/email.md).

An auto-reply to an auto-reply is how two help desks fill each other's queues overnight; an
acknowledgement to a mailing list spams its members. The reason is a short machine word kept on
the message, so the pipeline's log says why no acknowledgement went out.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.message import Message

_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply", "auto-reply"})
_SUPPRESS = frozenset({"all", "autoreply", "oof"})
# Local parts of addresses that are machines, not people.
_MACHINE_LOCAL_PARTS = frozenset(
    {
        "mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
        "do_not_reply", "dontreply", "dont-reply", "nereply", "bounce", "bounces", "mail-daemon",
        "maildaemon", "mailerdaemon", "auto-reply", "autoreply", "robot", "notreply", "not-reply",
    }
)  # fmt: skip


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    return "" if value is None else str(value).strip()


def machine_sender(address: str) -> bool:
    local = address.rsplit("@", 1)[0].lower()
    if local in _MACHINE_LOCAL_PARTS:
        return True
    return local.startswith(_MACHINE_PREFIXES)


# auto_reply_refusal's reasons that say a machine wrote the mail (an out-of-office, an autoresponder,
# a bulk mailing, a loop), not a person: such mail into a ticket is kept but does not reopen it.
# Not among them: "mailing-list" and "auto-response-suppress" (a person may write through a list;
# Outlook sets the header on people's mail too).
AUTOMATIC_REASONS = frozenset(
    {
        "auto-submitted",
        "x-autoreply",
        "x-loop",
        "precedence-auto-reply",
        "precedence-bulk",
        "precedence-junk",
        "machine-sender",
        "null-sender",
    }
)

_MACHINE_PREFIXES = ("noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "bounce+", "bounces+", "bounce-")


def auto_reply_refusal(
    message: Message, *, sender: str, message_id: str, own_domains: Iterable[str], is_bounce: bool
) -> str:
    """A short reason why this message must not get an automatic reply, "" when it may:
    "bounce", "auto-submitted", "x-loop", "precedence-bulk" (-junk, -list), "auto-response-suppress",
    "x-autoreply", "mailing-list", "machine-sender", "null-sender", "own-message-id"."""
    if is_bounce:
        return "bounce"
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";", 1)[0].strip() != "no":
        return "auto-submitted"
    if message.get("X-Loop") is not None:
        return "x-loop"
    precedence = _header(message, "Precedence").lower()
    if precedence in _BULK_PRECEDENCE:
        return "precedence-" + precedence.replace("_", "-")
    suppress = {token.strip().lower() for token in _header(message, "X-Auto-Response-Suppress").split(",")}
    if suppress & _SUPPRESS:
        return "auto-response-suppress"
    if message.get("X-Autoreply") is not None or message.get("X-Autorespond") is not None:
        return "x-autoreply"
    if message.get("List-Id") is not None or message.get("List-Unsubscribe") is not None:
        return "mailing-list"
    if sender and machine_sender(sender):
        return "machine-sender"
    if _header(message, "Return-Path") in ("<>", "< >"):
        return "null-sender"
    if not sender:
        return "no-sender"
    domains = {domain.strip().lower().lstrip("@") for domain in own_domains if domain.strip()}
    if message_id and "@" in message_id and message_id.rsplit("@", 1)[1].lower() in domains:
        return "own-message-id"
    return ""
