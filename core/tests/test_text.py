"""nul_free: what a sender wrote, made storable on PostgreSQL (which keeps no NUL in text)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.text import REPLACEMENT, nul_free


@dataclass(frozen=True)
class _Name:
    name: str


@dataclass
class _Parsed:
    subject: str
    people: list[_Name]
    data: bytes
    when: datetime
    counted: int = field(default=0, init=False)


def test_a_nul_becomes_the_replacement_character_in_strings_lists_dicts_and_dataclasses():
    # given
    parsed = _Parsed(
        subject="Лифт\x00 стоит",
        people=[_Name("Пётр\x00"), _Name("Анна")],
        data=b"bytes\x00kept",
        when=datetime(2026, 12, 7, tzinfo=UTC),
    )
    # when
    clean = nul_free(parsed)
    # then: strings cleaned, bytes and other values kept as they were
    assert clean.subject == f"Лифт{REPLACEMENT} стоит"
    assert clean.people == [_Name(f"Пётр{REPLACEMENT}"), _Name("Анна")]
    assert clean.data == b"bytes\x00kept"
    assert clean.when == parsed.when
    assert nul_free({"te\x00xt": ["a\x00", ("b\x00", 1, None)]}) == {
        f"te{REPLACEMENT}xt": [f"a{REPLACEMENT}", (f"b{REPLACEMENT}", 1, None)]
    }


def test_clean_values_come_back_as_they_are():
    parsed = _Parsed(subject="Лифт", people=[_Name("Пётр")], data=b"", when=datetime(2026, 12, 7, tzinfo=UTC))
    assert nul_free(parsed) is parsed
    assert nul_free("Лифт") == "Лифт"
    assert nul_free(None) is None
