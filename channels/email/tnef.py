"""winmail.dat (TNEF, Outlook's "rich text" wrapper) unpacked into ordinary attachments and, when it
carries one, the message body (docs/architecture/email.md)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from channels.email.attachments import safe_filename
from channels.email.charsets import decode_bytes

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})


@dataclass
class Unpacked:
    files: list[tuple[str, bytes]] = field(default_factory=list)
    text: str = ""
    html: str = ""


def is_tnef(content_type: str, filename: str, data: bytes) -> bool:
    return (content_type in TNEF_TYPES or filename.lower() == "winmail.dat") and data[:4] == b"\x78\x9f\x3e\x22"


def _as_text(value: object) -> str:
    if isinstance(value, bytes):
        return decode_bytes(value.rstrip(b"\x00"))
    if isinstance(value, list):
        return "".join(_as_text(item) for item in value)
    return str(value or "").rstrip("\x00")


def unpack(data: bytes) -> Unpacked | None:
    """The attachments and body inside a TNEF blob, or None when tnefparse cannot read it (the
    caller keeps winmail.dat as it is)."""
    from tnefparse import TNEF

    logging.getLogger("tnefparse").setLevel(logging.CRITICAL)
    try:
        tnef = TNEF(data, do_checksum=False)
    except Exception:
        return None
    unpacked = Unpacked()
    try:
        for index, attachment in enumerate(tnef.attachments, start=1):
            try:
                name = attachment.long_filename() or attachment.name
            except Exception:
                name = ""
            payload = attachment.data if isinstance(attachment.data, bytes) else b""
            unpacked.files.append((safe_filename(_as_text(name)) or f"attachment-{index}.bin", payload))
        unpacked.html = _as_text(tnef.htmlbody)
        unpacked.text = _as_text(tnef.body)
    except Exception:
        return None
    return unpacked
