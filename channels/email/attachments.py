"""Attachment names and payloads the way mailers really send them (docs/architecture/email.md).

Filenames come as RFC 2231 (`filename*=utf-8''%D0%90…`, continuations, a wrong or missing
charset), as RFC 2047 encoded-words inside quotes (Outlook, The Bat!, Mail.ru; not allowed but
everywhere), or as raw 8-bit bytes in windows-1251/KOI8-R. uuencoded blocks inside a text/plain
body (old Outlook Express, scripts) become attachments of their own.
"""

from __future__ import annotations

import binascii
import mimetypes
import re
import unicodedata
from email.message import Message

from channels.email.charsets import decode_bytes, decode_header_value, to_bytes

_MAX_FILENAME = 200


def _param(part: Message, name: str, header: str) -> str:
    try:
        value = part.get_param(name, header=header, unquote=True)
    except Exception:
        return ""
    if value is None or value == "":
        return ""
    if isinstance(value, tuple):
        # RFC 2231: (charset, language, value) where value holds the percent-decoded bytes as
        # Latin-1 characters; a missing or wrong charset is settled by guessing.
        charset, _language, text = value
        return decode_bytes(to_bytes(str(text or "")), charset or None)
    return decode_header_value(str(value))


def attachment_filename(part: Message) -> str:
    """The part's filename from Content-Disposition, else Content-Type's name ("" when none)."""
    for name, header in (("filename", "content-disposition"), ("name", "content-type")):
        value = _param(part, name, header)
        if value:
            return safe_filename(value)
    return ""


_UNSAFE_CHARACTERS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def safe_filename(name: str) -> str:
    """A name fit to store and to offer for download: no directories, no control characters,
    not hidden, at most 200 characters with the extension kept."""
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_CHARACTERS.sub("_", name).strip().lstrip(".").strip()
    if len(name) > _MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: _MAX_FILENAME - len(extension) - 1] + "." + extension
        else:
            name = name[:_MAX_FILENAME]
    return name


def default_filename(content_type: str, index: int) -> str:
    """A name for a nameless part: "attachment-2.png", "message-1.eml"."""
    extension = {"message/rfc822": ".eml", "text/plain": ".txt", "image/jpeg": ".jpg"}.get(content_type)
    if extension is None:
        extension = mimetypes.guess_extension(content_type) or ".bin"
    stem = "message" if content_type == "message/rfc822" else "attachment"
    return f"{stem}-{index}{extension}"


def content_type_for(declared: str, filename: str) -> str:
    """The declared type, unless it says nothing (octet-stream) and the name tells more."""
    if declared in ("application/octet-stream", "application/x-octet-stream", "application/unknown") and filename:
        guessed, _ = mimetypes.guess_type(filename, strict=False)
        if guessed:
            return guessed
    return declared


_UU_BEGIN = re.compile(r"^begin(?:-base64)? +([0-7]{3,4}) +(.+?)\s*$", re.M)
_UU_END = re.compile(r"^end\s*$", re.M)


def extract_uuencoded(text: str) -> tuple[str, list[tuple[str, bytes]]]:
    """(text without uuencoded blocks, [(filename, data)]). A block that does not decode stays
    in the text untouched."""
    if "begin " not in text:
        return text, []
    files: list[tuple[str, bytes]] = []
    kept: list[str] = []
    position = 0
    for begin in _UU_BEGIN.finditer(text):
        if begin.start() < position:
            continue
        end = _UU_END.search(text, begin.end())
        if end is None:
            break
        data = _uudecode(text[begin.end() : end.start()])
        if data is None:
            continue
        kept.append(text[position : begin.start()])
        files.append((safe_filename(begin.group(2)) or "attachment.bin", data))
        position = end.end()
    kept.append(text[position:])
    return "".join(kept), files


def _uudecode(block: str) -> bytes | None:
    out = bytearray()
    lines = [line for line in block.strip("\r\n").splitlines() if line.strip()]
    if not lines:
        return None
    for line in lines:
        if line in ("`", " "):
            break
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            # Trailing garbage from encoders that pad lines oddly: decode the length the line
            # announces (what the uu module used to do).
            count = ((ord(line[0]) - 32) & 63) * 4 + 5
            try:
                out += binascii.a2b_uu(line[: count // 3])
            except binascii.Error:
                return None
        except (ValueError, IndexError):
            return None
    return bytes(out)


def header_bytes(part: Message) -> bytes:
    """The part's raw header block (for the human-readable original of a bounce)."""
    return b"".join(to_bytes(f"{name}: {value}\n") for name, value in part.items())
