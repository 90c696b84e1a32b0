"""Long replies as several messenger messages (channels/chat_text.py)."""

from hypothesis import given
from hypothesis import strategies as st

from channels.chat_text import chat_message_parts


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_a_short_text_is_one_message_with_its_line_ends_made_plain():
    text = "Добрый день.\r\nИнженер приедет завтра.\r\n"
    assert chat_message_parts(text) == ["Добрый день.\nИнженер приедет завтра."]
    assert chat_message_parts("  \r\n ") == []


def test_a_long_text_is_cut_between_paragraphs_then_lines_then_words():
    paragraph = "Абзац " + "слово " * 300  # ~1,800 characters
    text = "\n\n".join(paragraph.strip() for _ in range(4))
    parts = chat_message_parts(text, limit=4096)
    assert parts == ["\n\n".join([paragraph.strip()] * 2)] * 2

    lines = "\n".join(f"Строка {n}: " + "x" * 40 for n in range(200))
    parts = chat_message_parts(lines, limit=1000)
    assert all(part.startswith("Строка ") and part.endswith("x") for part in parts)
    assert "\n".join(parts) == lines

    words = " ".join(["слово"] * 2000)
    parts = chat_message_parts(words, limit=1000)
    assert all(set(part.split(" ")) == {"слово"} for part in parts)
    assert " ".join(parts) == words


def test_emoji_count_twice_and_one_long_word_is_cut_at_the_limit():
    parts = chat_message_parts("🙂" * 3000, limit=4096)
    assert [_units(part) for part in parts] == [4096, 1904]
    link = "https://example.test/" + "a" * 5000
    assert "".join(chat_message_parts(link, limit=4096)) == link


@given(st.text(alphabet=st.sampled_from("ab \n🙂я\r"), max_size=600), st.integers(min_value=4, max_value=80))
def test_no_part_is_over_the_limit_or_blank_and_no_word_is_lost(text, limit):
    parts = chat_message_parts(text, limit=limit)
    assert all(0 < _units(part) <= limit and part == part.strip() for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())
