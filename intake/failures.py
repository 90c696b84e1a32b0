"""What an administrator reads about a failed inbound message. The stored error is the exception's
line and its traceback (intake.services._failure), written for whoever fixes the code; the failed
list and the message's page lead with a sentence instead and keep the rest folded."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

# "channels.email.parsing.EmailParseError: no headers: not a mail message" → the class, the text.
_EXCEPTION_LINE = re.compile(
    r"^(?:[A-Za-z_][\w]*\.)*(?P<name>[A-Za-z_]\w*(?:Error|Exception|Busy|Later|Message))(?:: ?(?P<text>.*))?$"
)


def failure_summary(error: str) -> str:
    """One sentence about a stored failure, in the reader's language; "" for none. A text that is
    not an exception's (a quarantine's notice, written for people) is its own first line."""
    first = next((line.strip() for line in (error or "").splitlines() if line.strip()), "")
    match = _EXCEPTION_LINE.match(first)
    if match is None:
        return first
    name, text = match.group("name"), (match.group("text") or "").strip()
    if name in ("EmailParseError", "UnreadableMessage") and text:
        return _("Not a mail message Otklik can read: %(reason)s.") % {"reason": text.rstrip(".")}
    if name == "ValidationError":
        return _("Refused by a check: %(reason)s") % {"reason": text}
    if name in ("ValueError", "JSONDecodeError") and text:
        return _("The message is malformed: %(reason)s") % {"reason": text}
    if name in ("OperationalError", "InterfaceError"):
        return _("The database was not available; process it again.")
    return _(
        "Otklik failed while processing it (%(error)s). The details below are for whoever maintains "
        "the installation; process it again after an update fixes it, or set it aside."
    ) % {"error": name}
