"""Raw mail → the stdlib's MIME tree (compat32 `Message`s), faster for mail with big attachments.

The stdlib's feed parser handles a message line by line in Python: a 300 KB attachment is 4,000
base64 lines, and parsing a message carrying one took longer than everything else the worker does
with it. Here, in a big message, each long run of base64 lines is first cut out and replaced by one
marker line; the stdlib parses that much shorter message; then every marker is put back in the text
it landed in (a part's payload, a preamble, an epilogue). The tree is the one the stdlib builds from
the original bytes (tested side by side on a corpus: channels/tests/test_email_mime_tree.py), because
a run is cut only where it cannot change how the parser reads the lines around it:

- a run is whole lines of base64 characters, each ended by CRLF or LF, starting at a line start; no
  such line can be a boundary ("--…"), an empty line (the blocks of message/delivery-status), a
  header line (no colon, no leading whitespace), or be split further (no lone CR): the parser only
  ever appends them to the text it is collecting;
- the marker line shares those properties (it starts with a NUL byte, has no colon, and ends with
  the run's last line ending), so it lands in the same text at the same place;
- the parser may drop the line ending before a boundary (it belongs to the boundary, RFC 2046):
  the marker keeps the run's last line ending, and what is put back is the run without it, so the
  text comes out the same whether or not that ending was dropped.

A message holding the marker's prefix already is parsed as it is.
"""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import Message
from email.policy import Policy

# Smaller messages are parsed as they are: cutting would cost more than it saves.
HOLLOW_FROM_BYTES = 48 * 1024
# A run: at least this many consecutive base64 lines (of 60 to 76 characters, RFC 2045's 76 and
# what mailers write) after a line end.
_RUN = re.compile(rb"\n((?:[A-Za-z0-9+/]{60,76}={0,2}(\r?\n)){32,})")
_MARK_PREFIX = b"\x00otklik-cut-"
_MARK_TEXT = _MARK_PREFIX.decode("ascii")
_MARK = re.compile(re.escape(_MARK_TEXT) + r"(\d+)\x00")


def message_tree(raw: bytes, *, policy: Policy, hollow_from: int = HOLLOW_FROM_BYTES) -> Message:
    """`email.message_from_bytes(raw, policy=policy)`, with long base64 runs cut out for the parse
    and put back after (see the module's docstring). `hollow_from`: the size from which to cut."""
    if len(raw) < hollow_from or _MARK_PREFIX in raw:
        return message_from_bytes(raw, policy=policy)
    runs: list[str] = []

    def cut(match: re.Match[bytes]) -> bytes:
        run, line_end = match.group(1), match.group(2)
        runs.append(run[: -len(line_end)].decode("ascii"))
        return b"\n" + _MARK_PREFIX + str(len(runs) - 1).encode() + b"\x00" + line_end

    hollowed = _RUN.sub(cut, raw)
    message = message_from_bytes(hollowed, policy=policy)
    if runs:
        _put_back(message, runs)
    return message


def _put_back(message: Message, runs: list[str]) -> None:
    def restore(text: str) -> str:
        return _MARK.sub(lambda match: runs[int(match.group(1))], text) if _MARK_TEXT in text else text

    for part in message.walk():
        payload = part._payload  # type: ignore[attr-defined]
        if isinstance(payload, str):
            part._payload = restore(payload)  # type: ignore[attr-defined]
        for name in ("preamble", "epilogue"):
            value = getattr(part, name, None)
            if isinstance(value, str):
                setattr(part, name, restore(value))
