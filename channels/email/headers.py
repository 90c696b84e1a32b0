from email import policy
from email.message import Message
from email.parser import BytesHeaderParser


def header_block(raw: bytes) -> bytes:
    """The header lines of raw mail: everything before the first empty line (all of it when there
    is none). Parsing the headers of this reads the same headers as parsing the whole message
    headers-only, without first copying and decoding the body (attachments of hundreds of KB)."""
    if raw.startswith((b"\r\n", b"\n")):
        return b""
    ends = [at for at in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if at >= 0]
    return raw[: min(ends) + 1] if ends else raw


def parse_header_block(raw: bytes) -> Message:
    """The headers of raw mail, read leniently (compat32: values as they were written)."""
    return BytesHeaderParser(policy=policy.compat32).parsebytes(header_block(raw))


def headline_of(headers: Message) -> tuple[str, str]:
    """From and Subject, decoded, from headers read by parse_header_block."""
    found = {"from": "", "subject": ""}
    for name, value in headers.raw_items():
        key = name.lower()
        if key in found and not found[key]:
            found[key] = str(policy.default.header_fetch_parse(name, value) or "")[:500]
    return found["from"], found["subject"]


def headline(raw: bytes) -> tuple[str, str]:
    """From and Subject for the failed-inbound list, read before (and whatever) parsing does."""
    try:
        return headline_of(parse_header_block(raw))
    except Exception:
        return "", ""
