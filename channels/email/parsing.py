"""Raw RFC 5322 bytes → ParsedEmail: the pipeline's only view of a message (docs/architecture/email.md).

parse_email never raises anything but EmailParseError: whatever the bytes, the caller either gets
a ParsedEmail or a reason to put the message in the failed-inbound list.

The MIME tree is read with the stdlib's compat32 parser (lenient, fast, and it leaves header
bytes alone so that we can decode them ourselves: charsets.py); the walk below turns it into an
ordered list of body segments and a list of attachments. Then quotes.py splits the body into
new and folded parts, sanitize.py makes the HTML safe, loops.py and bounces.py classify it.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.policy import Compat32
from email.utils import getaddresses, parsedate_to_datetime

from django.utils.translation import pgettext

from channels.email import quotes, tnef
from channels.email.attachments import (
    attachment_filename,
    content_type_for,
    default_filename,
    extract_uuencoded,
)
from channels.email.bounces import Bounce, bounce_from_report, bounce_from_text, looks_like_bounce
from channels.email.charsets import decode_bytes, decode_header_value, to_bytes
from channels.email.headers import headline_of, parse_header_block
from channels.email.loops import auto_reply_refusal
from channels.email.mime_tree import message_tree
from channels.email.sanitize import (
    cid_references,
    has_remote_images,
    html_for_display,
    html_to_text,
    normalize_html,
    sanitize_html,
)
from core.text import nul_free
from intake.services import UnreadableMessage

__all__ = [
    "Address",
    "Bounce",
    "EmailParseError",
    "ParsedAttachment",
    "ParsedEmail",
    "dedup_key_for",
    "html_for_display",
    "parse_email",
    "sanitize_html",
]


class EmailParseError(UnreadableMessage):
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


def dedup_key_for(raw: bytes, *, headers: Message | None = None) -> str:
    """The idempotency key of raw mail: its Message-ID, or the hash of the bytes without one.
    `headers`: the message's headers when the caller has read them (parse_header_block)."""
    try:
        # The headers only: the listener calls this for every message, and parsing the body
        # (attachments of hundreds of KB) would cost more than everything else it does.
        if headers is None:
            headers = parse_header_block(raw)
        value = str(headers.get("Message-ID", "") or "")
    except Exception:
        value = ""
    ids = _message_ids(nul_free(value))
    return ids[0] if ids else "sha256:" + hashlib.sha256(raw).hexdigest()


def headline_and_dedup_key(raw: bytes) -> tuple[str, str, str]:
    """headline() and dedup_key_for() of raw mail, its headers read once (the listener's use)."""
    try:
        headers = parse_header_block(raw)
    except Exception:
        return "", "", dedup_key_for(raw, headers=Message())
    try:
        from_address, subject = headline_of(headers)
    except Exception:
        from_address, subject = "", ""
    return from_address, subject, dedup_key_for(raw, headers=headers)


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


class _RussianMailPolicy(Compat32):
    """compat32 (lenient, fast, leaves RFC 2047 to us) except for raw 8-bit header bytes, which
    compat32 would turn into U+FFFD: they are decoded by guessing their charset instead."""

    def header_fetch_parse(self, name: str, value: str) -> str:  # type: ignore[override]
        if isinstance(value, str) and not value.isascii():
            return decode_bytes(to_bytes(value))
        return super().header_fetch_parse(name, value)  # type: ignore[return-value]


_POLICY = _RussianMailPolicy()


# --- the MIME walk ------------------------------------------------------------------------------

_MAX_DEPTH = 20  # deeper nesting is an attack or a loop, not mail
_MAX_PARTS = 500
_SKIPPED_TYPES = frozenset(
    {
        "application/pgp-signature",
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "message/delivery-status",
        "message/disposition-notification",
        "text/rfc822-headers",
        "message/rfc822-headers",
    }
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w:.-]{1,40})""", re.I)
_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|fw|пересл|переслать|пересылка|tr|wg|rv)\s*(\[\d+\])?\s*:", re.I)


@dataclass
class _Segment:
    """One stretch of body in reading order, as text, as HTML, or both (an alternative)."""

    text: str | None = None
    html: str | None = None


@dataclass
class _Collected:
    segments: list[_Segment] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)


class _Walker:
    def __init__(self) -> None:
        self.parts = 0

    def walk(self, part: Message, into: _Collected, depth: int) -> None:
        self.parts += 1
        if depth > _MAX_DEPTH or self.parts > _MAX_PARTS:
            return
        content_type = part.get_content_type()
        payload = part.get_payload()
        if content_type == "message/rfc822" or (content_type.startswith("message/") and isinstance(payload, list)):
            self._forwarded(part, into, depth)
        elif content_type.startswith("multipart/") and isinstance(payload, list):
            children = [child for child in payload if isinstance(child, Message)]
            if content_type == "multipart/alternative":
                self._alternative(children, into, depth)
            elif content_type == "multipart/related":
                self._related(part, children, into, depth)
            elif content_type == "multipart/report":
                for child in children[:1]:
                    self.walk(child, into, depth + 1)
            else:
                for child in children:
                    self.walk(child, into, depth + 1)
        else:
            self._leaf(part, into)

    def _alternative(self, children: list[Message], into: _Collected, depth: int) -> None:
        best_text: _Collected | None = None
        best_html: _Collected | None = None
        extras: list[ParsedAttachment] = []
        for child in children:
            collected = _Collected()
            self.walk(child, collected, depth + 1)
            if any(segment.html is not None for segment in collected.segments):
                best_html = collected
            elif collected.segments:
                best_text = collected
            else:
                extras.extend(collected.attachments)  # text/calendar and the like
        text = _joined_text(best_text.segments) if best_text else None
        html = _joined_html(best_html.segments) if best_html else None
        if text is not None and not text.strip() and html:
            text = None  # an empty plain alternative next to real HTML says nothing
        if text is not None or html is not None:
            into.segments.append(_Segment(text=text, html=html))
        for chosen in (best_text, best_html):
            if chosen is not None:
                into.attachments.extend(chosen.attachments)
        into.attachments.extend(extras)

    def _related(self, part: Message, children: list[Message], into: _Collected, depth: int) -> None:
        if not children:
            return
        start = str(part.get_param("start", "") or "").strip().strip("<>")
        root = children[0]
        if start:
            for child in children:
                if str(child.get("Content-ID", "")).strip().strip("<>") == start:
                    root = child
                    break
        self.walk(root, into, depth + 1)
        for child in children:
            if child is not root:
                resources = _Collected()
                self.walk(child, resources, depth + 1)
                into.attachments.extend(resources.attachments)
                for segment in resources.segments:  # a text part among the resources is still body
                    into.segments.append(segment)

    def _forwarded(self, part: Message, into: _Collected, depth: int) -> None:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
        if inner is None:
            self._leaf(part, into)
            return
        collected = _Collected()
        self.walk(inner, collected, depth + 1)
        title = pgettext("email", "Forwarded message")
        header_lines = [f"---------- {title} ----------"]
        labels = (
            (pgettext("email header", "From"), "From"),
            (pgettext("email header", "Date"), "Date"),
            (pgettext("email header", "Subject"), "Subject"),
        )
        for label, name in labels:
            value = decode_header_value(inner.get(name))
            if value:
                header_lines.append(f"{label}: {value}")
        for label, name in ((pgettext("email header", "To"), "To"), (pgettext("email header", "Cc"), "Cc")):
            value = decode_header_value(", ".join(str(v) for v in inner.get_all(name, [])))
            if value:
                header_lines.append(f"{label}: {value}")
        header_text = "\n".join(header_lines)
        inner_text = _joined_text(collected.segments)
        has_html = any(segment.html is not None for segment in collected.segments)
        header_html = "<div>" + "<br>".join(htmllib.escape(line) for line in header_lines) + "</div>"
        into.segments.append(
            _Segment(
                text=f"{header_text}\n\n{inner_text}".rstrip(),
                html=header_html + (_joined_html(collected.segments) if has_html else _text_to_html(inner_text)),
            )
        )
        into.attachments.extend(collected.attachments)

    def _leaf(self, part: Message, into: _Collected) -> None:
        content_type = part.get_content_type()
        if content_type in _SKIPPED_TYPES:
            return
        filename = attachment_filename(part)
        disposition = (part.get_content_disposition() or "").lower()
        data = _payload_bytes(part)
        if tnef.is_tnef(content_type, filename, data):
            unpacked = tnef.unpack(data)
            if unpacked is not None:
                into.attachments.extend(_named_attachment(name, blob) for name, blob in unpacked.files)
                if unpacked.html.strip():
                    into.segments.append(_Segment(text=unpacked.text or None, html=unpacked.html))
                elif unpacked.text.strip():
                    into.segments.append(_Segment(text=unpacked.text))
                return
        is_text = content_type in ("text/plain", "text/html") or content_type.startswith("multipart/")
        # A named text part is an attachment (a log, a letter), unless it is explicitly inline and
        # the message has no other body yet (old mailers send the body itself that way).
        is_body = is_text and (
            (not filename and disposition != "attachment") or (disposition == "inline" and not into.segments)
        )
        if is_body:
            charset = part.get_content_charset() or None
            if content_type == "text/html":
                if charset is None:
                    meta = _META_CHARSET.search(data[:4096])
                    charset = meta.group(1).decode("ascii", "replace") if meta else None
                into.segments.append(_Segment(html=decode_bytes(data, charset)))
                return
            text = decode_bytes(data, charset).replace("\r\n", "\n").replace("\r", "\n")
            if str(part.get_param("format", "")).lower() == "flowed":
                text = _unflow(text, delsp=str(part.get_param("delsp", "")).lower() == "yes")
            text, uuencoded = extract_uuencoded(text)
            into.segments.append(_Segment(text=text))
            into.attachments.extend(_named_attachment(name, blob) for name, blob in uuencoded)
            return
        content_id = str(part.get("Content-ID", "") or "").strip().strip("<>").strip()
        into.attachments.append(
            ParsedAttachment(
                filename=filename or default_filename(content_type, len(into.attachments) + 1),
                content_type=content_type_for(content_type, filename),
                data=data,
                content_id=decode_header_value(content_id)[:250],
            )
        )


def _named_attachment(name: str, data: bytes) -> ParsedAttachment:
    return ParsedAttachment(filename=name, content_type=content_type_for("application/octet-stream", name), data=data)


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return to_bytes(payload)
    return b""


def _unflow(text: str, *, delsp: bool) -> str:
    """RFC 3676 format=flowed: lines ending in a space continue on the next line."""
    out: list[str] = []
    current = ""
    for line in text.split("\n"):
        if line == "-- ":
            if current:
                out.append(current)
                current = ""
            out.append(line)
            continue
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if line.endswith(" "):
            current += line[:-1] if delsp else line
        else:
            out.append(current + line)
            current = ""
    if current:
        out.append(current)
    return "\n".join(out)


def _text_to_html(text: str) -> str:
    return "<div>" + htmllib.escape(text).replace("\n", "<br>") + "</div>"


def _joined_text(segments: list[_Segment]) -> str:
    parts = []
    for segment in segments:
        if segment.text is not None:
            parts.append(segment.text.strip("\n"))
        elif segment.html is not None:
            parts.append(html_to_text(normalize_html(segment.html)))
    return "\n\n".join(part for part in parts if part.strip())


def _joined_html(segments: list[_Segment]) -> str:
    parts = []
    for segment in segments:
        if segment.html is not None:
            parts.append(segment.html)
        elif segment.text is not None and segment.text.strip():
            parts.append(_text_to_html(segment.text.strip("\n")))
    return "\n".join(parts)


# --- headers ------------------------------------------------------------------------------------


_PARAGRAPH_TAG = re.compile(r"<p\b[^>]*>")


def _outlook_paragraphs(html: str) -> str:
    """Outlook's paragraphs with the margin its own stylesheet gives them (`p.MsoNormal
    {margin:0}`, in a <style> block the sanitizer drops): Outlook writes each line as a paragraph
    and a blank line as an empty one (`<p class="MsoNormal"><o:p>&nbsp;</o:p></p>`), so with a
    browser's default margins every gap showed three times as tall."""
    if "MsoNormal" not in html:
        return html

    def margin(match: re.Match[str]) -> str:
        tag = match.group(0)
        if 'class="MsoNormal"' not in tag:
            return tag
        if ' style="' in tag:
            return tag.replace(' style="', ' style="margin:0;', 1)
        return tag[:-1] + ' style="margin:0">'

    return _PARAGRAPH_TAG.sub(margin, html)


_UNDECODED_WORD = re.compile(r"=\?[^?\s]{1,40}\?[bBqQ]\?")


def _addresses(message: Message, name: str) -> list[Address]:
    values = [str(value) for value in message.get_all(name, [])]
    if not values:
        return []
    result = []
    for display, address in getaddresses(values):
        address = decode_header_value(address).strip().lower() if address else ""
        if " " in address or "@" not in address:
            address = "" if not address or " " in address else address
        display = decode_header_value(display).strip().strip('"').strip()
        if _UNDECODED_WORD.search(display):
            # An RFC 2047 word that would not decode ("=?utf-8?B?broken base64!!!?="): not a name
            # anyone can read; the contact is named after the address instead.
            display = ""
        if address or display:
            result.append(Address(name=display, address=address))
    return result


def _date(message: Message) -> datetime | None:
    value = message.get("Date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(decode_header_value(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# --- the entry point ----------------------------------------------------------------------------


def parse_email(raw: bytes, *, own_domains: Iterable[str] = ()) -> ParsedEmail:
    """Everything the pipeline needs from raw mail. `own_domains`: the domains of our own
    Message-IDs (mail carrying one is our own coming back: no auto-reply to it).

    Raises EmailParseError, and nothing else, when the bytes are not a mail message."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise EmailParseError(f"expected bytes, got {type(raw).__name__}")
    try:
        return nul_free(_parse(bytes(raw), own_domains=tuple(own_domains)))
    except EmailParseError:
        raise
    except RecursionError as exc:
        raise EmailParseError("the message is nested too deeply") from exc
    except Exception as exc:
        raise EmailParseError(f"{type(exc).__name__}: {exc}") from exc


def _parse(raw: bytes, *, own_domains: tuple[str, ...]) -> ParsedEmail:
    if not raw.strip():
        raise EmailParseError("empty message")
    message = message_tree(raw, policy=_POLICY)
    if not message.keys():
        raise EmailParseError("no headers: not a mail message")
    senders = _addresses(message, "From") or _addresses(message, "Sender")
    sender = senders[0] if senders else Address(name="", address="")
    subject = decode_header_value(message.get("Subject"))
    message_id = next(iter(_message_ids(str(message.get("Message-ID", "") or ""))), "")

    collected = _Collected()
    _Walker().walk(message, collected, 0)
    segments = collected.segments
    forwarded = bool(_FORWARD_SUBJECT.match(subject))

    html = quoted_html = ""
    if any(segment.html is not None for segment in segments):
        normalized = _outlook_paragraphs(normalize_html(_joined_html(segments)))
        new_html, folded_html = quotes.split_html(normalized, forwarded=forwarded)
        html = sanitize_html(new_html)
        quoted_html = sanitize_html(folded_html)
    if segments and all(segment.text is None for segment in segments):
        text = html_to_text(html)
        quoted_text = html_to_text(quoted_html)
        full_text = f"{text}\n\n{quoted_text}"
    else:
        full_text = _joined_text(segments)
        text, quoted_text = quotes.split_text(full_text, forwarded=forwarded)

    referenced = cid_references(html + quoted_html) if "cid:" in html + quoted_html else set()
    for attachment in collected.attachments:
        attachment.inline = bool(attachment.content_id) and attachment.content_id.lower() in referenced

    bounce = None
    if message.get_content_type() == "multipart/report":
        if str(message.get_param("report-type", "") or "delivery-status").lower() == "delivery-status":
            bounce = bounce_from_report(message)
    elif looks_like_bounce(subject, sender.address, message):
        bounce = bounce_from_text(full_text, message)

    return ParsedEmail(
        message_id=message_id,
        in_reply_to=_message_ids(str(message.get("In-Reply-To", "") or "")),
        references=_message_ids(str(message.get("References", "") or "")),
        subject=subject,
        sender=sender,
        reply_to=_addresses(message, "Reply-To"),
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        date=_date(message),
        text=text,
        quoted_text=quoted_text,
        html=html,
        quoted_html=quoted_html,
        has_remote_images=has_remote_images(html) or has_remote_images(quoted_html),
        attachments=collected.attachments,
        auto_reply_refused=auto_reply_refusal(
            message,
            sender=sender.address,
            message_id=message_id,
            own_domains=own_domains,
            is_bounce=bounce is not None or message.get_content_type() == "multipart/report",
        ),
        bounce=bounce,
    )
