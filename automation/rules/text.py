"""Word patterns for text conditions, with Russian and English morphology.

A pattern list is written as words and phrases separated by commas or new lines:
"пожар, дым*, нет электричества, server room". Each word of a pattern is either
- a prefix, ending in "*": it matches a word of the text starting with it ("затоп*" matches
  "затопило", "затопление", "затопили"), or
- a plain word: it matches a word of the text with the same Snowball stem (the stemmer search
  uses, tickets/search.py), so "пожар" matches "пожара", "пожаре" and "smoke" matches "smoking".
A phrase matches its words in a row. Letter case and ё/е do not matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tickets.search import _stem

WORD_RE = re.compile(r"\w+", re.UNICODE)


def normalize(word: str) -> str:
    return word.casefold().replace("ё", "е")


@dataclass(frozen=True)
class Part:
    text: str  # the normalized prefix, or the stem
    prefix: bool

    def matches(self, word: str, stem: str) -> bool:
        return word.startswith(self.text) if self.prefix else stem == self.text


@dataclass(frozen=True)
class Pattern:
    source: str
    parts: tuple[Part, ...]


def parse_patterns(text: str) -> list[Pattern]:
    """The patterns of a comma/newline separated list; empty items are skipped."""
    patterns = []
    for item in re.split(r"[,;\n]+", text or ""):
        item = item.strip()
        if not item:
            continue
        parts = []
        for raw in item.split():
            prefix = raw.endswith("*")
            words = WORD_RE.findall(raw)
            if not words:
                continue
            word = normalize("".join(words))
            parts.append(Part(text=word if prefix else _stem(word), prefix=prefix))
        if parts:
            patterns.append(Pattern(source=item, parts=tuple(parts)))
    return patterns


class Words:
    """A text split into normalized words and their stems, once per evaluation."""

    __slots__ = ("joined", "stem_set", "stems", "words")

    def __init__(self, text: str) -> None:
        self.words = [normalize(w) for w in WORD_RE.findall(text or "")]
        self.stems = [_stem(w) for w in self.words]
        self.stem_set = frozenset(self.stems)
        self.joined = " " + " ".join(self.words)  # for prefix regexes: every word follows a space

    def first_match(self, patterns: list[Pattern]) -> Pattern | None:
        for pattern in patterns:
            if self._has(pattern):
                return pattern
        return None

    def _has(self, pattern: Pattern) -> bool:
        parts = pattern.parts
        first = parts[0]
        if len(parts) == 1 and not first.prefix:
            return first.text in self.stem_set
        words, stems = self.words, self.stems
        for start in range(len(words) - len(parts) + 1):
            if all(part.matches(words[start + i], stems[start + i]) for i, part in enumerate(parts)):
                return True
        return False


class Matcher:
    """A pattern list compiled for speed (200 rules' word lists run on every ticket event): single
    plain words are one set intersection on the stems, single prefixes one regex over the words,
    and only phrases are scanned word by word."""

    __slots__ = ("phrases", "prefixes", "stems")

    def __init__(self, patterns: list[Pattern]) -> None:
        singles = [p.parts[0] for p in patterns if len(p.parts) == 1]
        self.stems = frozenset(part.text for part in singles if not part.prefix)
        prefixes = [re.escape(part.text) for part in singles if part.prefix]
        self.prefixes = re.compile(" (?:" + "|".join(prefixes) + ")") if prefixes else None
        self.phrases = [p for p in patterns if len(p.parts) > 1]

    def matches(self, words: Words) -> bool:
        if not self.stems.isdisjoint(words.stem_set):
            return True
        if self.prefixes is not None and self.prefixes.search(words.joined):
            return True
        return any(words._has(phrase) for phrase in self.phrases)
