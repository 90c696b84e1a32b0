"""Delivery failure reports about our own mail (docs/architecture/email.md, "Bounces").

Standard reports (RFC 3464: multipart/report; report-type=delivery-status) are read field by
field. Many servers still send plain text ("Mail delivery failed", "Недоставленное сообщение")
with the original headers pasted below; for those we take the failed address, the status and
the server's words from the text above the pasted headers, and the original Message-ID from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser

from channels.email.charsets import decode_bytes, decode_header_value


@dataclass
class Bounce:
    """A delivery status notification (RFC 3464) about one of our messages."""

    original_message_id: str  # of the message that bounced, without brackets ("" if unknown)
    recipient: str
    status: str  # e.g. "5.1.1"
    diagnostic: str  # the remote server's words


_ANGLE_ID = re.compile(r"<([^<>\s]{1,490})>")
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_SMTP_CODE = re.compile(r"\b([45])\d\d\b")
_ADDRESS = re.compile(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+")
_SPACE = re.compile(r"\s+")
_ORIGINAL_HEADER = re.compile(r"^(message-id|received|from|to|subject|date|return-path|mime-version)\s*:", re.I | re.M)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|delivery failure|delivery has failed|mail delivery failed"
    r"|returned mail|failure notice|could not be delivered|не доставлен|недоставлен|возвращ[её]нное"
    r"|ошибка доставки|не удалось доставить|письмо не доставлено",
    re.I,
)


def _one_id(value: object) -> str:
    match = _ANGLE_ID.search(str(value or ""))
    if match:
        return match.group(1)
    bare = str(value or "").strip()
    return bare if bare and " " not in bare and "@" in bare and len(bare) <= 490 else ""


def _after_type(value: object) -> str:
    """ "rfc822; user@example.com" → "user@example.com"; "smtp; 550 …" → "550 …"."""
    text = decode_header_value(value)
    kind, semicolon, rest = text.partition(";")
    return _SPACE.sub(" ", rest if semicolon else kind).strip()


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    raw = part.get_payload(decode=True)
    text = decode_bytes(raw) if isinstance(raw, bytes) else str(payload or "")
    parser = HeaderParser()
    return [parser.parsestr(block) for block in re.split(r"\r?\n\s*\r?\n", text) if block.strip()]


def _original_id(part: Message) -> str:
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return _one_id(payload[0].get("Message-ID"))
        return ""
    raw = part.get_payload(decode=True)
    text = decode_bytes(raw) if isinstance(raw, bytes) else str(part.get_payload() or "")
    return _one_id(HeaderParser().parsestr(text).get("Message-ID"))


def bounce_from_report(report: Message) -> Bounce | None:
    """The failure a multipart/report; report-type=delivery-status describes, or None when no
    recipient failed (a delay or a delivery notice is not a bounce)."""
    original_id = ""
    failed: Message | None = None
    for index, part in enumerate(report.walk()):
        if index > 50:
            break
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            blocks = _status_blocks(part)
            for block in blocks[1:] or blocks:
                action = str(block.get("Action", "")).strip().lower()
                status = str(block.get("Status", "")).strip()
                if action == "failed" or (not action and status.startswith("5")):
                    failed = block
                    break
        elif content_type in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers") and not original_id:
            original_id = _original_id(part)
    if failed is None:
        return None
    recipient = _after_type(failed.get("Final-Recipient") or failed.get("Original-Recipient") or "")
    status_field = decode_header_value(failed.get("Status", ""))
    status_match = _STATUS.search(status_field)
    # Without a Diagnostic-Code, the comment some servers put after the status code says why.
    diagnostic = _after_type(failed.get("Diagnostic-Code") or "") or status_field[
        status_match.end() if status_match else 0 :
    ].strip(" ()")
    return Bounce(
        original_message_id=original_id,
        recipient=recipient.strip("<>").lower(),
        status=status_match.group(1) if status_match else "",
        diagnostic=diagnostic[:1000],
    )


def looks_like_bounce(subject: str, sender: str, message: Message) -> bool:
    """A plain-text bounce: from a mail system (or with the null return path) and titled as one."""
    local = sender.rsplit("@", 1)[0].lower()
    from_system = local in ("mailer-daemon", "postmaster", "mail-daemon", "maildaemon") or str(
        message.get("Return-Path", "")
    ).strip() in ("<>", "< >")
    if message.get("X-Failed-Recipients") is not None and from_system:
        return True
    return from_system and bool(_BOUNCE_SUBJECT.search(subject))


def bounce_from_text(text: str, message: Message) -> Bounce | None:
    """What a non-standard bounce (Exim, Postfix, Exchange, Yandex, Mail.ru) says, when it says
    enough: the failed address or the original Message-ID."""
    header_start = _ORIGINAL_HEADER.search(text)
    explanation = text[: header_start.start()] if header_start else text
    pasted = text[header_start.start() :] if header_start else ""
    original_id = ""
    if pasted:
        for line in pasted.splitlines():
            name, colon, value = line.partition(":")
            if colon and name.strip().lower() == "message-id":
                original_id = _one_id(value)
                if original_id:
                    break
    if not original_id:
        for index, part in enumerate(message.walk()):
            if index > 50:
                break
            if part.get_content_type() in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
                original_id = _original_id(part)
                if original_id:
                    break
    recipient = ""
    failed_header = message.get("X-Failed-Recipients")
    if failed_header is not None:
        found = _ADDRESS.search(str(failed_header))
        recipient = found.group().lower() if found else ""
    if not recipient:
        found = _ADDRESS.search(explanation)
        recipient = found.group().lower() if found else ""
    if not recipient and not original_id:
        return None
    diagnostic = ""
    for line in explanation.splitlines():
        if _SMTP_CODE.search(line) or _STATUS.search(line):
            diagnostic = _SPACE.sub(" ", line).strip()
            break
    status_match = _STATUS.search(explanation)
    if status_match:
        status = status_match.group(1)
    else:
        code = _SMTP_CODE.search(diagnostic)
        status = f"{code.group(1)}.0.0" if code else "5.0.0"
    return Bounce(original_message_id=original_id, recipient=recipient, status=status, diagnostic=diagnostic[:1000])
