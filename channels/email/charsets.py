"""Bytes → text for mail written in Russia, whatever charset it claims (docs/architecture/email.md).

Russian mail arrives in UTF-8, windows-1251, KOI8-R, CP866 and ISO-8859-5, and often says so
wrongly: a windows-1251 body labelled iso-8859-1, a KOI8-R header with no label at all, a
filename in raw 8-bit bytes. We decode with the declared charset when that gives plausible text
and otherwise pick the decoding whose letters look most like Russian (letter frequencies and
sane letter case inside words), falling back to charset-normalizer for other scripts.
"""

from __future__ import annotations

import codecs
import math
import re
from email.header import decode_header

# Russian letter frequencies (%, National Corpus); a decoding is scored by the log-likelihood of
# its Cyrillic letters against a uniform alphabet, so a wrong 8-bit decoding (a permutation of
# the alphabet) scores low even when its words happen to have sane letter case.
_FREQUENCIES = {
    "о": 10.97, "е": 8.45, "а": 8.01, "и": 7.35, "н": 6.70, "т": 6.26, "с": 5.47, "р": 4.73,
    "в": 4.54, "л": 4.40, "к": 3.49, "м": 3.21, "д": 2.98, "п": 2.81, "у": 2.62, "я": 2.01,
    "ы": 1.90, "ь": 1.74, "г": 1.70, "з": 1.65, "б": 1.59, "ч": 1.44, "й": 1.21, "х": 0.97,
    "ж": 0.94, "ш": 0.73, "ю": 0.64, "ц": 0.48, "щ": 0.36, "э": 0.32, "ф": 0.26, "ъ": 0.04,
    "ё": 0.5,  # typed far more often in mail than in the corpus, which mostly writes е
}  # fmt: skip
# Floored so that one rare letter (ё, ъ, ф) in a short filename does not outweigh the rest.
_WEIGHTS = {letter: max(math.log(frequency / 3.0), -1.0) for letter, frequency in _FREQUENCIES.items()}
for _letter in "іїєґў":  # Ukrainian and Belarusian letters are real text too
    _WEIGHTS[_letter] = 0.0

# The 8-bit charsets a Russian correspondent may really have used, most likely first.
CYRILLIC_CHARSETS = ("cp1251", "koi8-r", "cp866", "iso8859-5")

# Labels seen in the wild that Python does not know, or knows by another name.
_ALIASES = {
    "win-1251": "cp1251",
    "win1251": "cp1251",
    "windows1251": "cp1251",
    "x-cp1251": "cp1251",
    "cp-1251": "cp1251",
    "windows-1251r": "cp1251",
    "koi8r": "koi8_r",
    "koi-8r": "koi8_r",
    "koi8": "koi8_r",
    "x-koi8-r": "koi8_r",
    "koi8-ru": "koi8_u",
    "dos-866": "cp866",
    "ibm-866": "cp866",
    "x-cp866": "cp866",
    "ibm866": "cp866",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-unknown": "",
    "unknown-8bit": "",
    "x-user-defined": "",
    "unknown": "",
    "default": "",
    "charset": "",
    "utf8": "utf-8",
    "x-utf8": "utf-8",
    "utf-8-sig": "utf-8",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}

_UPPER = re.compile("[А-ЯЁ]")
_CASE_MIX = re.compile("[а-яё][А-ЯЁ]")
_SCRIPT_MIX = re.compile("[À-ÿ][А-яЁё]|[А-яЁё][À-ÿ]")
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2500-\u259f\ufffd]")


def normalize_charset(label: str | None) -> str:
    """A Python codec name for a MIME charset label, or "" when unknown or meaningless."""
    if not label:
        return ""
    name = label.strip().strip("\"'").lower()
    if not name or len(name) > 40:
        return ""
    name = _ALIASES.get(name, name)
    if not name:
        return ""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return ""
    # Codecs that are not text encodings (base64, rot13, zlib...) are not charsets.
    if not getattr(info, "_is_text_encoding", True):
        return ""
    return info.name


def russian_score(text: str) -> float:
    """How much the text looks like Russian (or at least like sane text): a total, not a mean.

    Cyrillic letters add their log-frequency weight; an upper-case Cyrillic letter right after a
    lower-case one, Cyrillic next to Latin-1 letters, and control or box-drawing characters
    (all typical of a wrong 8-bit decoding) subtract. Counting is done by C code (Counter,
    regex) so scoring a 20 KB body costs well under a millisecond."""
    if not text:
        return 0.0
    lower = text.lower()
    score = sum(lower.count(letter) * weight for letter, weight in _WEIGHTS.items())
    score -= 0.3 * len(_UPPER.findall(text))
    score -= 3 * len(_CASE_MIX.findall(text))
    score -= 3 * len(_SCRIPT_MIX.findall(text))
    score -= 4 * len(_BAD_CHARACTER.findall(text))
    return score


def _try(data: bytes, charset: str) -> str | None:
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError, ValueError):
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text of bytes that claim to be in `declared` (or nothing): the declared charset unless a
    Cyrillic decoding is clearly more plausible, valid UTF-8 whatever the label, else the best
    Cyrillic guess, else charset-normalizer's, else UTF-8 with replacement characters. Never raises."""
    if not data:
        return ""
    charset = normalize_charset(declared)
    if charset in _WIDE:
        text = _try(data, charset)
        if text is not None:
            return text
    if data.isascii():
        return data.decode("ascii")
    utf8 = _try(data, "utf-8")
    if utf8 is not None:
        # windows-1251/KOI8-R text is almost never valid UTF-8: trust the bytes over the label.
        return utf8
    if charset == "utf-8":
        # Declared UTF-8 with a few broken sequences (a cut multi-byte character) stays UTF-8.
        repaired = data.decode("utf-8", errors="replace")
        if repaired.count("\ufffd") <= max(2, len(repaired) // 200):
            return repaired
    declared_text = _try(data, charset) if charset and charset != "utf-8" else None
    sample = _sample(data)
    best_charset, best_score = _best_cyrillic(sample)
    best_text = _try(data, best_charset) if best_charset else None
    if declared_text is not None:
        declared_score = russian_score(sample.decode(charset, errors="replace"))
        if best_text is not None and best_score > max(declared_score, 0.0) + _MARGIN:
            return best_text
        return declared_text
    if best_text is not None and best_score > (_MARGIN if len(sample) >= 64 else 0.0):
        return best_text
    guess = _normalizer_guess(data)
    if guess is not None:
        return guess
    if best_text is not None:
        return best_text
    return data.decode("utf-8", errors="replace")


_WIDE = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "utf-7"})
# How much more Russian-looking (total log-likelihood) a guess must be to overrule the label.
_MARGIN = 1.0


# Runs of 8-bit bytes (Cyrillic words in any 8-bit charset): all a charset decision needs to
# look at (an Outlook HTML body is mostly ASCII markup and styles).
_EIGHT_BIT_WORD = re.compile(rb"[\x80-\xff]+")
# A small preference for what Russian mail actually uses today, to settle short ambiguous
# words (a filename of three letters reads as a word in two charsets).
_PRIOR = {"cp1251": 1.0, "koi8-r": 0.5, "cp866": 0.0, "iso8859-5": 0.0}


def _sample(data: bytes) -> bytes:
    if len(data) <= 1024:
        return data
    words = _EIGHT_BIT_WORD.findall(data, 0, 16384)
    return b" ".join(words)[:1024]


def _best_cyrillic(sample: bytes) -> tuple[str, float]:
    best_charset = ""
    best_score = -math.inf
    for candidate in CYRILLIC_CHARSETS:
        text = _try(sample, candidate)
        if text is None:
            continue
        score = russian_score(text) + _PRIOR.get(candidate, 0.0)
        if score > best_score:
            best_score = score
            best_charset = candidate
    return best_charset, best_score


def _normalizer_guess(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes

        match = from_bytes(data[:65536]).best()
    except Exception:
        return None
    if match is None or match.encoding is None:
        return None
    return _try(data, match.encoding)


def to_bytes(value: str) -> bytes:
    """The original bytes of a header string from the stdlib parser (8-bit bytes arrive as
    surrogate escapes, RFC 2231 values as Latin-1 characters)."""
    try:
        return value.encode("latin-1", errors="surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", errors="surrogateescape")


_ENCODED_WORD = re.compile(r"=\?[^?\s]{1,40}\?[bBqQ]\?[^?\s]*\?=")
_SPACE = re.compile(r"\s+")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def decode_header_value(value: object) -> str:
    """A header's text: RFC 2047 encoded-words decoded (also inside quotes, where broken mailers
    put them), raw 8-bit bytes decoded by guessing, folding whitespace collapsed. Never raises."""
    if value is None:
        return ""
    raw = str(value)
    if not raw:
        return ""
    if not raw.isascii():
        raw = decode_bytes(to_bytes(raw))
    if "=?" in raw and _ENCODED_WORD.search(raw):
        raw = _decode_encoded_words(raw)
    return _SPACE.sub(" ", raw).strip()


def _decode_encoded_words(raw: str) -> str:
    # Unfolded first (RFC 5322 2.2.3: the CRLF goes, the whitespace stays): decode_header reads a
    # folded value line by line and drops the whitespace that begins a line after an encoded-word,
    # so "=?utf-8?b?…?=\r\n 20" lost the space before "20".
    raw = _FOLD.sub("", raw)
    try:
        chunks = decode_header(raw)
    except Exception:
        return _decode_words_one_by_one(raw)
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(chunk)
        elif charset is None:
            parts.append(decode_bytes(chunk))
        else:
            parts.append(decode_bytes(chunk, charset))
    return "".join(parts)


def _decode_words_one_by_one(raw: str) -> str:
    """Encoded-words the strict decoder rejected (bad base64 padding and the like), one by one."""

    def replace(match: re.Match[str]) -> str:
        word = match.group()
        try:
            (chunk, charset), *_ = decode_header(word)
        except Exception:
            _, charset_label, encoding, payload, _ = word.split("?", 4)
            charset = charset_label
            chunk = _lenient_b64(payload) if encoding.lower() == "b" else payload.replace("_", " ").encode()
        if isinstance(chunk, str):
            return chunk
        return decode_bytes(chunk, charset)

    return _ENCODED_WORD.sub(replace, raw)


def _lenient_b64(payload: str) -> bytes:
    import binascii

    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
    cleaned = cleaned[: len(cleaned) - len(cleaned) % 4] if len(cleaned) % 4 == 1 else cleaned
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return binascii.a2b_base64(cleaned)
    except binascii.Error:
        return b""
