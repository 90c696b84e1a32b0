"""Russian mail in every charset it really comes in, labelled rightly, wrongly or not at all."""

import base64

import pytest

from channels.email.charsets import decode_bytes, decode_header_value
from channels.email.headers import header_block, headline
from channels.email.parsing import parse_email

TEXT = "Добрый день! Принтер в бухгалтерии опять не печатает, горит красная лампочка."
CHARSETS = ["utf-8", "koi8-r", "windows-1251", "cp866", "iso-8859-5"]


def _mail(body: bytes, content_type: str, *, headers: str = "") -> bytes:
    head = (
        "From: client@example.org\r\nTo: support@demo.local\r\nSubject: test\r\n"
        f"Message-ID: <m1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: {content_type}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n" + headers + "\r\n"
    )
    return head.encode("ascii") + body


@pytest.mark.parametrize("charset", CHARSETS)
def test_body_in_its_declared_charset_is_read(charset):
    # given a body in one of the charsets used in Russia, correctly labelled
    raw = _mail(TEXT.encode(charset), f"text/plain; charset={charset}")

    # when it is parsed
    parsed = parse_email(raw)

    # then the text is exact
    assert parsed.text == TEXT


@pytest.mark.parametrize("actual", ["koi8-r", "windows-1251", "cp866", "iso-8859-5", "utf-8"])
@pytest.mark.parametrize("declared", ["koi8-r", "windows-1251", "iso-8859-1", "us-ascii", "x-unknown"])
def test_body_labelled_with_the_wrong_charset_is_still_read(declared, actual):
    # given a body whose label lies (a classic: windows-1251 sent as koi8-r or iso-8859-1)
    raw = _mail(TEXT.encode(actual), f"text/plain; charset={declared}")

    # when it is parsed
    parsed = parse_email(raw)

    # then the text is read in the charset that makes sense
    assert parsed.text == TEXT


@pytest.mark.parametrize("actual", CHARSETS)
def test_body_without_charset_is_guessed(actual):
    # given a body with no charset at all
    raw = _mail(TEXT.encode(actual), "text/plain")

    # when it is parsed
    parsed = parse_email(raw)

    # then it is still read right
    assert parsed.text == TEXT


def test_western_text_in_latin1_stays_latin1():
    # given German text honestly labelled iso-8859-1
    raw = _mail("Grüße aus München, die Heizung ist kaputt.".encode("latin-1"), "text/plain; charset=iso-8859-1")

    # when it is parsed
    parsed = parse_email(raw)

    # then the Cyrillic guessing leaves it alone
    assert parsed.text == "Grüße aus München, die Heizung ist kaputt."


def test_html_charset_comes_from_its_meta_tag():
    # given an HTML body in windows-1251 that says so only in <meta>
    html = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head>'
    html += "<body><p>Счёт оплачен</p></body></html>"
    raw = _mail(html.encode("cp1251"), "text/html")

    # when it is parsed
    parsed = parse_email(raw)

    # then it is read with that charset
    assert parsed.html == "<p>Счёт оплачен</p>"
    assert parsed.text == "Счёт оплачен"


def test_utf8_with_a_cut_character_keeps_the_rest():
    # given UTF-8 text whose last character was cut in half
    data = "Привет, мир".encode()[:-1]

    # when decoded as declared UTF-8
    text = decode_bytes(data, "utf-8")

    # then only the broken character is replaced
    assert text == "Привет, ми\ufffd"


HEADERS = [
    ("=?utf-8?B?0J/RgNC40LLQtdGC?=", "Привет"),
    ("=?koi8-r?B?8NLJ18XU?=", "Привет"),
    ("=?windows-1251?Q?=CF=F0=E8=E2=E5=F2?=", "Привет"),
    ("Re: =?utf-8?B?0J/RgNC4?= =?utf-8?B?0LLQtdGC?=", "Re: Привет"),  # split over two words
    ("=?utf-8?B?0J/RgNC4?==?utf-8?B?0LLQtdGC?=", "Привет"),  # no space between words
    ('"=?utf-8?B?0JjQstCw0L0=?=" <ivan@example.org>', '"Иван" <ivan@example.org>'),  # inside quotes
    ("=?utf-8?B?0J/RgNC40LLQ?=", "Прив\ufffd"),  # bad base64 padding and a cut character
    ("=?windows-1251?B?z/Do4uXy?=", "Привет"),
    ("=?koi8-r?B?z/Do4uXy?=", "Привет"),  # labelled KOI8-R, really windows-1251
    ("=?x-unknown?B?z/Do4uXy?=", "Привет"),
    ("Plain\r\n ascii\r\n\tfolded", "Plain ascii folded"),
    # folded after an encoded-word (Python's own generator does so): the space before "20" is text
    ("=?utf-8?b?0YHQtdGB0YHQuNC4?=\r\n 20", "сессии 20"),
    ("=?utf-8?B?0J/RgNC4?=\r\n =?utf-8?B?0LLQtdGC?=\r\n (2)", "Привет (2)"),  # words joined, then text
]


@pytest.mark.parametrize(("raw", "expected"), HEADERS)
def test_header_values_are_decoded(raw, expected):
    # given a header value as mailers write it
    # when it is decoded
    value = decode_header_value(raw)

    # then it reads as intended
    assert value == expected


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r", "utf-8"])
def test_raw_8bit_headers_are_decoded(charset):
    # given a subject and sender name in raw 8-bit bytes (no RFC 2047 at all)
    raw = (
        b"From: " + "Иван Петров".encode(charset) + b" <ivan@example.org>\r\n"
        b"Subject: " + "Не работает сканер".encode(charset) + b"\r\n"
        b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n\r\n" + "Текст".encode(charset)
    )

    # when parsed
    parsed = parse_email(raw)

    # then both read right
    assert parsed.subject == "Не работает сканер"
    assert (parsed.sender.name, parsed.sender.address) == ("Иван Петров", "ivan@example.org")


def test_encoded_display_name_with_a_comma_stays_one_address():
    # given "Петров, Иван" encoded, and a second address
    name = base64.b64encode("Петров, Иван".encode()).decode()
    raw = (
        f"From: =?utf-8?B?{name}?= <ivan@example.org>\r\nTo: a@example.org, =?utf-8?B?{name}?= <B@Example.org>\r\n"
        "Subject: x\r\n\r\nbody"
    ).encode()

    # when parsed
    parsed = parse_email(raw)

    # then the comma inside the name does not split it, and addresses are lowercased
    assert [(a.name, a.address) for a in parsed.to] == [("", "a@example.org"), ("Петров, Иван", "b@example.org")]
    assert parsed.sender.name == "Петров, Иван"


@pytest.mark.parametrize(
    ("raw", "headers"),
    [
        (b"From: a@b.ru\r\nSubject: x\r\n\r\nbody\r\n\r\nmore\n\nlast", b"From: a@b.ru\r\nSubject: x\r\n"),
        (b"From: a@b.ru\nSubject: x\n\nbody\r\n\r\nmore", b"From: a@b.ru\nSubject: x\n"),
        (b"From: a@b.ru\nSubject: x\r\n\nbody\n\nmore", b"From: a@b.ru\nSubject: x\r\n"),
        (b"From: a@b.ru\r\nSubject: x\r\n", b"From: a@b.ru\r\nSubject: x\r\n"),
        (b"\r\nbody", b""),
    ],
    ids=["crlf", "lf", "mixed", "no-body", "no-headers"],
)
def test_the_header_block_ends_at_the_first_empty_line_of_either_form(raw, headers):
    assert header_block(raw) == headers


def test_the_listeners_headline_decodes_from_and_subject_as_the_parser_does():
    raw = (
        b"From: =?koi8-r?b?8MXU0g==?= <petr@example.ru>\r\n"
        b"Subject: =?utf-8?b?0J/RgNC+0LLQtdGA0LrQsCDQv9C+0YHQu9C1INGB0LXRgdGB0LjQuA==?=\r\n 20\r\n\r\nbody"
    )
    assert headline(raw) == ("Петр <petr@example.ru>", "Проверка после сессии 20")
    parsed = parse_email(raw)
    assert parsed.subject == "Проверка после сессии 20"
    assert (parsed.sender.name, parsed.sender.address) == ("Петр", "petr@example.ru")
