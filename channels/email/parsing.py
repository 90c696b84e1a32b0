"""Raw RFC 5322 bytes → ParsedEmail: the pipeline's only view of a message (docs/architecture/email.md).

parse_email never raises anything but EmailParseError: whatever the bytes, the caller either gets
a ParsedEmail or a reason to put the message in the failed-inbound list."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, MIMEPart
from email.utils import getaddresses, parsedate_to_datetime

import nh3


class EmailParseError(ValueError):
    """The bytes are not a message we can read at all."""


@dataclass(frozen=True)
class Address:
    name: str
    address: str  # lowercased addr-spec, "" when unparseable


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""  # without angle brackets
    inline: bool = False  # referenced from the HTML body as cid:


@dataclass
class Bounce:
    """A delivery status notification (RFC 3464) about one of our messages."""

    original_message_id: str  # of the message that bounced, without brackets ("" if unknown)
    recipient: str
    status: str  # e.g. "5.1.1"
    diagnostic: str  # the remote server's words


@dataclass
class ParsedEmail:
    message_id: str  # without angle brackets; "" when the message has none
    in_reply_to: list[str]
    references: list[str]
    subject: str
    sender: Address  # From (the first address)
    reply_to: list[Address]
    to: list[Address]
    cc: list[Address]
    date: datetime | None
    text: str  # the new part as plain text (quoted history and signature removed)
    quoted_text: str  # what was folded away, as text
    html: str  # the new part as sanitized HTML ("" when the mail had no HTML)
    quoted_html: str  # the folded part as sanitized HTML
    has_remote_images: bool
    attachments: list[ParsedAttachment] = field(default_factory=list)
    # Loop/bulk protection: why no automatic reply may go to this message ("" when one may).
    auto_reply_refused: str = ""
    bounce: Bounce | None = None

    @property
    def dedup_key(self) -> str:
        return self.message_id


def dedup_key_for(raw: bytes) -> str:
    """The idempotency key of raw mail: its Message-ID, or the hash of the bytes without one."""
    try:
        message = message_from_bytes(raw, policy=policy.compat32)
        value = str(message.get("Message-ID", "") or "")
    except Exception:
        value = ""
    ids = _message_ids(value)
    return ids[0] if ids else "sha256:" + hashlib.sha256(raw).hexdigest()


def _message_ids(value: str) -> list[str]:
    """The ids in a Message-ID / In-Reply-To / References header, without brackets."""
    ids = []
    for part in value.replace("\r", " ").replace("\n", " ").split(">"):
        start = part.find("<")
        if start >= 0:
            candidate = part[start + 1 :].strip()
            if candidate and " " not in candidate and len(candidate) <= 490:
                ids.append(candidate)
    return ids


def _addresses(message: EmailMessage, name: str) -> list[Address]:
    values = [str(v) for v in message.get_all(name, [])]
    result = []
    for display, address in getaddresses(values):
        result.append(Address(name=display.strip(), address=address.strip().lower()))
    return [a for a in result if a.address or a.name]


def _text_of(part: MIMEPart) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return payload.decode("utf-8", errors="replace")


def sanitize_html(html: str) -> str:
    """HTML safe to show inside our pages: no scripts, handlers, forms, frames, javascript:/data:
    URLs; links open a new context without a referrer."""
    return nh3.clean(
        html,
        url_schemes={"http", "https", "mailto", "cid", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


def parse_email(raw: bytes) -> ParsedEmail:
    try:
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        senders = _addresses(message, "From")
        body = message.get_body(preferencelist=("plain", "html"))
        html_part = message.get_body(preferencelist=("html",))
        text = _text_of(body) if body is not None and body.get_content_type() == "text/plain" else ""
        html = sanitize_html(_text_of(html_part)) if html_part is not None else ""
        attachments = []
        for part in message.iter_attachments():
            data = part.get_payload(decode=True)
            if not isinstance(data, bytes):
                data = b""
            attachments.append(
                ParsedAttachment(
                    filename=part.get_filename() or "attachment",
                    content_type=part.get_content_type(),
                    data=data,
                    content_id=(part.get("Content-ID") or "").strip().strip("<>"),
                )
            )
        try:
            date = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
        except (TypeError, ValueError):
            date = None
        return ParsedEmail(
            message_id=next(iter(_message_ids(str(message.get("Message-ID", "")))), ""),
            in_reply_to=_message_ids(str(message.get("In-Reply-To", ""))),
            references=_message_ids(str(message.get("References", ""))),
            subject=str(message.get("Subject", "") or "").strip(),
            sender=senders[0] if senders else Address(name="", address=""),
            reply_to=_addresses(message, "Reply-To"),
            to=_addresses(message, "To"),
            cc=_addresses(message, "Cc"),
            date=date,
            text=text.strip() or (nh3.clean(html, tags=set()).strip() if html else ""),
            quoted_text="",
            html=html,
            quoted_html="",
            has_remote_images=False,
            attachments=attachments,
        )
    except Exception as exc:
        raise EmailParseError(f"{type(exc).__name__}: {exc}") from exc
