"""Split a reply into what is new and what is folded away: quoted history and the trailing
signature (docs/architecture/email.md, "Quotes and signatures").

The same line rules serve plain text and HTML: HTML is cut into blocks (div, p, br…), each
block's text is one "line", and a rule that fires on block N cuts the HTML where block N starts.
HTML also has structural hints (gmail_quote, divRplyFwdMsg, blockquote type=cite, an Outlook
border-top header) that fire on the tag itself. The earliest hint wins. Forwarded mail is never
folded (the forwarded message is what the sender wants us to read), and neither is a message
whose new part would come out empty.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass

_MAX_LINE = 400  # a quote header is a short line; longer ones are not even looked at

_ORIGINAL_MESSAGE = re.compile(
    r"^[\s>]*[-_=*]{2,}\s*(original message|исходное сообщение|исходное письмо|оригинальное сообщение"
    r"|reply message|ответное сообщение)\s*[-_=*]{2,}\s*$",
    re.I,
)
_SEPARATOR = re.compile(r"^\s*(_{8,}|-{8,})\s*$")
_HEADER_FROM = re.compile(r"^\s*\*?\s*(from|от|від|відправник)\s*\*?\s*:\s*\*?\s*\S", re.I)
_HEADER_OTHER = re.compile(
    r"^\s*\*?\s*(sent|date|to|cc|subject|отправлено|дата|кому|копия|тема|надіслано)\s*\*?\s*:", re.I
)
_FORWARD = re.compile(
    r"forwarded message|begin forwarded message|forwarded by|пересылаемое сообщение|пересланное сообщение"
    r"|переадресованное сообщение|начало переадресованного сообщения",
    re.I,
)
# "On Wed, 12 Mar 2025 at 10:15, Ivan <a@b> wrote:", "12.03.2025 10:15, Иван пишет:",
# "12 марта 2025 г., в 10:15, Иван <a@b> написал(а):" (Gmail, Thunderbird, Apple Mail…).
_ATTRIBUTION = re.compile(
    r"(wrote|writes|написал\(а\)|написала?|написал\(-а\)|пишет|писал\(а\)|schrieb|a écrit)\s*:\s*$", re.I
)
# "12.03.2025, 10:15, "Имя" <a@b>:" (Yandex), "Среда, 12 марта 2025, 10:15 +03:00 от Имя <a@b>:"
# (Mail.ru), "ср, 12 мар. 2025 г. в 10:15, Имя <a@b>:" (Gmail in Russian): a time and an address
# right before the closing colon.
_ADDRESS_COLON = re.compile(r"[\w.+'-]+@[\w-]+(\.[\w-]+)+>?\s*\)?\s*:\s*$")
_TIME = re.compile(r"\d{1,2}:\d{2}")
_DATE = re.compile(r"\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2}|\b(19|20)\d{2}\b")

_DELIMITER = re.compile(r"^--\s*$")
_MOBILE = re.compile(
    r"^(sent from my [\w .-]{1,40}|sent from (mail|outlook|yandex|gmail|mail\.ru|my mobile)\b.{0,60}"
    r"|get outlook for \w.{0,30}|sent with .{1,40}|sent via .{1,40}"
    r"|отправлено (с|со|из) .{1,60}|получено с помощью .{1,40}|скачайте outlook для .{1,30}"
    r"|получите outlook для .{1,30}|получить outlook для .{1,30})$",
    re.I,
)
# The closing phrase alone on its line, or followed by a comma and a name ("С уважением, Иван"):
# "С уважением относимся к вашей работе…" is a sentence, not a signature.
_CLOSING = re.compile(
    r"^(с уважением|с наилучшими пожеланиями|всего (хорошего|доброго)|best regards|kind regards|warm regards"
    r"|regards|best wishes|sincerely|yours sincerely|thanks and regards|with regards|cheers)"
    r"\s*([,.!]?\s*$|,\s*\S.{0,60}$)",
    re.I,
)
_SIGNATURE_MAX_LINES = 10
_SIGNATURE_MAX_WIDTH = 120


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _forward_before(lines: list[str], index: int) -> bool:
    seen = 0
    for previous in range(index - 1, -1, -1):
        if lines[previous].strip():
            if _FORWARD.search(lines[previous]):
                return True
            seen += 1
            if seen == 2:
                break
    return False


def _header_block(lines: list[str], index: int) -> bool:
    """Outlook's reply header: From: then at least two of Sent/Date/To/Cc/Subject within six lines."""
    found = 0
    for following in lines[index + 1 : index + 8]:
        if _HEADER_OTHER.match(following):
            found += 1
            if found >= 2:
                return True
    return False


def _attribution_at(lines: list[str], index: int) -> bool:
    """A reply attribution starting at this line, possibly wrapped over up to three lines by the
    mailer (only a line that already has the date or time may continue on the next one)."""
    joined = ""
    for offset in range(3):
        if index + offset >= len(lines):
            return False
        line = lines[index + offset].strip()
        if not line or _is_quoted(line) or len(line) > _MAX_LINE:
            return False
        if offset and (joined.endswith((".", "!", "?")) or not (_TIME.search(joined) or _DATE.search(joined))):
            return False
        joined = f"{joined} {line}".strip()
        if len(joined) > _MAX_LINE:
            return False
        if line.endswith(":"):
            has_date = bool(_TIME.search(joined) or _DATE.search(joined))
            if _ATTRIBUTION.search(joined) and (has_date or "@" in joined):
                return True
            return bool(_ADDRESS_COLON.search(joined) and _TIME.search(joined))
    return False


def quote_start(lines: list[str]) -> int | None:
    """Index of the line where quoted history begins, or None."""
    for index, raw in enumerate(lines):
        line = raw.strip()
        if not line or len(line) > _MAX_LINE:
            continue
        if _ORIGINAL_MESSAGE.match(line):
            return _back_over_separator(lines, index)
        if _HEADER_FROM.match(line) and _header_block(lines, index) and not _forward_before(lines, index):
            return _back_over_separator(lines, index)
        if not _is_quoted(line) and _attribution_at(lines, index) and not _forward_before(lines, index):
            return index
        if _is_quoted(line) and all(_is_quoted(rest) or not rest.strip() for rest in lines[index + 1 :]):
            return index
    return None


def _back_over_separator(lines: list[str], index: int) -> int:
    previous = index - 1
    while previous >= 0 and not lines[previous].strip():
        previous -= 1
    if previous >= 0 and _SEPARATOR.match(lines[previous]):
        return previous
    return index


def signature_start(lines: list[str]) -> int | None:
    """Index where a trailing signature begins ("-- ", "Sent from my iPhone", "С уважением,"
    and a short block after it), or None. Never the first content line: a message that is only
    a signature keeps it."""
    content = [index for index, line in enumerate(lines) if line.strip()]
    if len(content) < 2:
        return None
    first = content[0]
    candidates = []
    for index in content[1:]:
        if _DELIMITER.match(lines[index]) and len(content) - content.index(index) <= 25:
            candidates.append(index)
            break
    for index in content[-3:]:
        if index != first and _MOBILE.match(lines[index].strip()):
            candidates.append(index)
            break
    for index in content[-_SIGNATURE_MAX_LINES:]:
        line = lines[index].strip()
        if index == first or len(line) > 80 or not _CLOSING.match(line):
            continue
        if all(len(lines[i].strip()) <= _SIGNATURE_MAX_WIDTH for i in content if i >= index):
            candidates.append(index)
            break
    return min(candidates) if candidates else None


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").rstrip()


def split_text(text: str, *, forwarded: bool = False) -> tuple[str, str]:
    """(new, folded) parts of a plain-text body."""
    lines = text.split("\n")
    start = None if forwarded else quote_start(lines)
    new_lines = lines if start is None else lines[:start]
    folded_lines = [] if start is None else lines[start:]
    quoted = _join(folded_lines)
    signature = signature_start(new_lines)
    if signature is not None:
        folded_signature = _join(new_lines[signature:])
        quoted = f"{folded_signature}\n\n{quoted}" if quoted else folded_signature
        new_lines = new_lines[:signature]
    new = _join(new_lines)
    if not new.strip():
        return text.strip("\n").rstrip(), ""
    return new, quoted


# --- HTML ---------------------------------------------------------------------------------------

_STRUCTURAL_QUOTE = re.compile(
    r"<(?:div|blockquote|table|p|span|section)\b[^>]*?"
    r"(?:class=\"[^\"]*\b(?:gmail_quote|gmail_quote_container|yahoo_quoted|moz-cite-prefix|mail-quote-collapse"
    r"|OutlookMessageHeader|protonmail_quote|zmail_extra)\b[^\"]*\""
    r"|id=\"(?:x_)?(?:divRplyFwdMsg|appendonsend|mail-editor-reference-message-container|OLK_SRC_BODY_SECTION)\""
    r"|type=\"cite\")[^>]*>",
    re.I,
)
_OUTLOOK_BORDER = re.compile(r"<(?:div|p)\b[^>]*style=\"[^\"]*border-top:\s*(?:solid|1px|1\.0pt)[^\"]*\"[^>]*>", re.I)
_STRUCTURAL_SIGNATURE = re.compile(
    r"<(?:div|pre|span|table|p)\b[^>]*?(?:class=\"[^\"]*\b(?:gmail_signature|moz-signature)\b[^\"]*\""
    r"|id=\"(?:x_)?Signature\")[^>]*>",
    re.I,
)
_BOUNDARY = re.compile(r"<(/?)(div|p|br|blockquote|table|tr|td|th|li|ul|ol|h[1-6]|pre|hr|center)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[^>]*>")
_WHITESPACE = re.compile(r"\s+")
_WRAPPER_TAG = re.compile(r"<(?:br|hr|div|p|span|blockquote|font|center)\b[^>]*>$", re.I)


@dataclass(frozen=True)
class _Block:
    offset: int  # where to cut the HTML to start with this block
    text: str


def _text_of(fragment: str) -> str:
    return _WHITESPACE.sub(" ", htmllib.unescape(_ANY_TAG.sub("", fragment))).strip()


def _blocks(html: str) -> list[_Block]:
    blocks = []
    position = 0
    cut = 0
    for match in _BOUNDARY.finditer(html):
        text = _text_of(html[position : match.start()])
        if text:
            blocks.append(_Block(offset=cut, text=text))
        opening = not match.group(1) and match.group(2).lower() not in ("br", "hr")
        cut = match.start() if opening else match.end()
        position = match.end()
    text = _text_of(html[position:])
    if text:
        blocks.append(_Block(offset=cut, text=text))
    return blocks


def _back_over_wrappers(html: str, position: int) -> int:
    """Move a cut back over the tags that open the folded part (an <hr> or <br> before an Outlook
    header, the <div> wrapping an attribution), never over text."""
    for _ in range(50):
        before = html[:position].rstrip()
        start = before.rfind("<")
        if not before.endswith(">") or start < 0 or not _WRAPPER_TAG.match(before, start):
            break
        position = start
    return position


def _not_forward(html: str, start: int) -> bool:
    return not _FORWARD.search(_text_of(html[start : start + 600])[:200])


def split_html(html: str, *, forwarded: bool = False) -> tuple[str, str]:
    """(new, folded) parts of normalized HTML (see sanitize.normalize_html); both are fragments
    to be sanitized again."""
    if not html:
        return "", ""
    cuts: list[int] = []
    blocks = _blocks(html)
    if not forwarded:
        for match in _STRUCTURAL_QUOTE.finditer(html):
            if _not_forward(html, match.start()):
                cuts.append(match.start())
                break
        for match in _OUTLOOK_BORDER.finditer(html):
            following = _text_of(html[match.end() : match.end() + 800])
            if _HEADER_FROM.match(following) and _not_forward(html, match.start()):
                cuts.append(match.start())
                break
        start = quote_start([block.text for block in blocks])
        if start is not None:
            cuts.append(blocks[start].offset)
    quote_cut = min(cuts) if cuts else len(html)
    new_blocks = [block for block in blocks if block.offset < quote_cut]
    signature_cuts = []
    signature = signature_start([block.text for block in new_blocks])
    if signature is not None:
        signature_cuts.append(new_blocks[signature].offset)
    for match in _STRUCTURAL_SIGNATURE.finditer(html, 0, quote_cut):
        if _text_of(html[: match.start()]):
            signature_cuts.append(match.start())
            break
    cut = min([quote_cut, *signature_cuts])
    if cut >= len(html):
        return html, ""
    cut = _back_over_wrappers(html, cut)
    if not _text_of(html[:cut]) and "<img" not in html[:cut]:
        return html, ""
    return html[:cut], html[cut:]
