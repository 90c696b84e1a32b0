"""Word patterns with Russian and English morphology (automation/rules/text.py)."""

import pytest

from automation.rules.text import Matcher, Words, parse_patterns

EMERGENCY = (
    "пожар, дым, задымл*, лифт, застря*, серверн*, затоп*, протеч*, нет электричества, искрит, "
    "fire, smoke, server room, flood*, leak*, spark*"
)


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("Затопило подвал, вода по щиколотку", "затоп*"),
        ("Затопление в серверной!", "серверн*"),  # the first pattern that matches, in list order
        ("У нас сильное затопление на третьем этаже", "затоп*"),
        ("Соседи сверху затопили", "затоп*"),
        ("Люди застряли в лифте между этажами", "лифт"),
        ("Застрял между 3 и 4 этажом", "застря*"),
        ("Пахнет гарью, много дыма в коридоре", "дым"),
        ("Сработала пожарная сигнализация, похоже на пожар", "пожар"),
        ("В офисе сильное задымление", "задымл*"),
        ("С потолка протечка над кассой", "протеч*"),
        ("Во всём здании нет электричества", "нет электричества"),
        ("Розетка искрит в бухгалтерии", "искрит"),
        ("Smoke in the corridor, smells like burning", "smoke"),
        ("Water is leaking from the ceiling", "leak*"),
        ("The basement flooded overnight", "flood*"),
        ("Sparks from the switchboard", "spark*"),
        ("Alarm in the SERVER ROOM", "server room"),
    ],
)
def test_realistic_emergencies_match_their_pattern(text, matched):
    # given
    patterns = parse_patterns(EMERGENCY)
    # when
    found = Words(text).first_match(patterns)
    # then
    assert found is not None
    assert found.source == matched
    assert Matcher(patterns).matches(Words(text)) is True  # the engine's compiled form agrees


@pytest.mark.parametrize(
    "text",
    [
        "Не работает кондиционер в переговорной",
        "Дымоход требует чистки к зиме",  # another word, not a form of "дым"
        "Нужен пропуск для курьера",
        "The server is slow; the room is cold",  # the words, not the phrase
        "Please update the firewall rules",
    ],
)
def test_ordinary_requests_do_not_match(text):
    assert Words(text).first_match(parse_patterns(EMERGENCY)) is None
    assert Matcher(parse_patterns(EMERGENCY)).matches(Words(text)) is False


def test_yo_and_case_do_not_matter():
    # given
    patterns = parse_patterns("ЗАСТРЯЛ, ёлка")
    # then
    assert [p.source for p in patterns if Words("застрялИ у ёлки").first_match([p])] == ["ЗАСТРЯЛ", "ёлка"]
    assert Words("Елки-палки").first_match(parse_patterns("ёлка")) is not None


def test_empty_items_and_stray_punctuation_are_skipped():
    assert [p.source for p in parse_patterns(" пожар ,, ;\n  дым* \n")] == ["пожар", "дым*"]
    assert parse_patterns(" , ;") == []
