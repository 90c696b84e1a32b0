"""A reply's text as messenger messages: Telegram and WhatsApp take at most 4,096 characters in
one text message (Telegram counts UTF-16 code units: an emoji is two) and refuse a longer one
outright ("message is too long"), so a long reply goes as several messages, each cut where a
reader would cut it — between paragraphs, else between lines, else between words — never inside a
word when there is a space to cut at. Line ends are "\\n" (a reply typed in a browser's textarea
comes with "\\r\\n", which a chat shows as is)."""

from __future__ import annotations

CHAT_TEXT_LIMIT = 4096


def _units(text: str) -> int:
    """The length of `text` in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _fitting(text: str, limit: int) -> int:
    """The most characters from the start of `text` that fit in `limit` UTF-16 code units."""
    if _units(text) <= limit:
        return len(text)
    low, high = 0, min(len(text), limit)
    while low < high:
        middle = (low + high + 1) // 2
        if _units(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def chat_message_parts(text: str, *, limit: int = CHAT_TEXT_LIMIT) -> list[str]:
    """`text` (line ends made "\\n", outer blank space dropped) in parts of at most `limit` UTF-16
    code units each; [] for a blank text. The parts keep every character of the text in order,
    except the blank space at each cut."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    parts: list[str] = []
    while text:
        end = _fitting(text, limit)
        if end == len(text):
            parts.append(text)
            break
        window = text[:end]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            found = window.rfind(separator)
            if found > end // 2:  # a cut in the first half would leave a mostly empty part
                cut = found
                break
        if cut < 0:
            cut = end  # one long word (a link, a log line): cut where the limit falls
        part, text = window[:cut].rstrip(), text[cut:].lstrip()
        if part:
            parts.append(part)
    return parts
