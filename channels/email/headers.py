from email import policy
from email.parser import BytesHeaderParser


def headline(raw: bytes) -> tuple[str, str]:
    """From and Subject for the failed-inbound list, read before (and whatever) parsing does."""
    try:
        headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
        return str(headers.get("From", "") or "")[:500], str(headers.get("Subject", "") or "")[:500]
    except Exception:
        return "", ""
