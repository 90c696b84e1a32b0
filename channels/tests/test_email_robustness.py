"""parse_email returns a ParsedEmail or raises EmailParseError, for any bytes at all.

Proved on the real-world messages of CPython's own email test suite, and on malformed MIME built
by hypothesis: broken boundaries, bad base64, wrong charsets, huge headers, deep nesting, noise."""

import base64
import os
import sysconfig
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.email_parse_bench import typical_message
from channels.email.parsing import EmailParseError, ParsedEmail, parse_email


def _stdlib_email_corpus() -> Path | None:
    candidates = []
    try:
        import test  # the interpreter's own test package, when it is installed

        candidates.append(Path(os.path.dirname(test.__file__)))
    except ImportError:
        pass
    candidates.append(Path(sysconfig.get_paths()["stdlib"]) / "test")
    for base in candidates:
        data = base / "test_email" / "data"
        if data.is_dir():
            return data
    return None


CORPUS = _stdlib_email_corpus()
CORPUS_FILES = sorted(CORPUS.iterdir()) if CORPUS else []


def _parses_or_refuses(raw: bytes) -> ParsedEmail | None:
    try:
        parsed = parse_email(raw)
    except EmailParseError:
        return None
    assert isinstance(parsed, ParsedEmail)
    assert isinstance(parsed.text, str) and isinstance(parsed.html, str)
    assert all(isinstance(a.data, bytes) and a.filename for a in parsed.attachments)
    return parsed


@pytest.mark.skipif(
    CORPUS is None, reason="this Python has no test/test_email/data (the test package is not installed)"
)
@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.name for p in CORPUS_FILES])
def test_stdlib_email_corpus(path):
    # given one of CPython's real-world test messages (or one of its non-mail data files)
    raw = path.read_bytes()

    # when parsed
    # then it becomes a ParsedEmail or an EmailParseError, nothing else
    _parses_or_refuses(raw)


def test_stdlib_corpus_mail_parses_and_non_mail_is_refused():
    # given the corpus: msg_*.txt are mail (msg_19 is a body without headers), the rest are images and sounds
    if CORPUS is None:
        pytest.skip("this Python has no test/test_email/data")
    messages = [p for p in CORPUS_FILES if p.name.startswith("msg_")]

    # when all are parsed
    parsed = {p.name: _parses_or_refuses(p.read_bytes()) for p in CORPUS_FILES}

    # then every message with headers parses, and only headerless data is refused
    assert len(messages) >= 40
    assert sorted(name for name, result in parsed.items() if result is None and name.startswith("msg_")) == [
        "msg_19.txt"
    ]
    assert parsed["msg_16.txt"] is not None and parsed["msg_16.txt"].bounce is not None
    assert parsed["msg_16.txt"].bounce.recipient == "jangel1@cougar.noc.ucla.edu"


# --- fuzzing ------------------------------------------------------------------------------------

_CHARSETS = st.sampled_from(
    ["utf-8", "koi8-r", "windows-1251", "cp866", "iso-8859-5", "us-ascii", "x-bogus", "utf-16", "", "utf-7"]
)
_ENCODINGS = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary", "bogus"])
_TYPES = st.sampled_from(
    [
        "text/plain",
        "text/html",
        "application/octet-stream",
        "image/png",
        "message/rfc822",
        "application/ms-tnef",
        "message/delivery-status",
        "text/rfc822-headers",
        "multipart/mixed",
        "multipart/alternative",
        "multipart/related",
        "multipart/report",
        "text/calendar",
    ]
)
_NOISE = st.binary(max_size=300)
_TEXT = st.text(
    alphabet=st.sampled_from(list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГД abcXYZ<>=?&;:\"'/\\\n\r\t-_@.")),
    max_size=200,
)


@st.composite
def _header_value(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 5))
    text = draw(_TEXT)
    charset = draw(_CHARSETS) or "utf-8"
    if kind == 0:
        return text.encode("utf-8", "replace")
    if kind == 1:
        try:
            encoded = base64.b64encode(text.encode(charset)).decode()
        except (LookupError, UnicodeError):
            encoded = "!!!"
        cut = draw(st.integers(0, len(encoded)))
        return f"=?{charset}?B?{encoded[:cut]}?=".encode()
    if kind == 2:
        return text.encode("cp1251", "replace")
    if kind == 3:
        return b"x" * draw(st.integers(0, 20000))  # a huge header
    if kind == 4:
        return draw(_NOISE).replace(b"\n", b" ")
    return f'"{text}" <{draw(_TEXT)}@{draw(_TEXT)}>'.encode("utf-8", "replace")


@st.composite
def _part(draw: st.DrawFn, depth: int = 0) -> bytes:
    content_type = draw(_TYPES)
    boundary = draw(st.sampled_from(["b", "b" * 80, "", "=_?", "b b"])) + str(depth)
    headers = [
        b"Content-Type: "
        + content_type.encode()
        + b"; charset="
        + draw(_CHARSETS).encode()
        + b'; boundary="'
        + boundary.encode()
        + b'"; name="'
        + draw(_header_value())
        + b'"'
    ]
    if draw(st.booleans()):
        headers.append(b"Content-Transfer-Encoding: " + draw(_ENCODINGS).encode())
    if draw(st.booleans()):
        headers.append(
            b"Content-Disposition: "
            + draw(st.sampled_from([b"attachment", b"inline", b"bogus"]))
            + b"; filename*="
            + draw(_header_value())
        )
    if draw(st.booleans()):
        headers.append(b"Content-ID: <" + draw(_header_value()) + b">")
    if content_type.startswith("multipart/") and depth < 4:
        children = draw(st.lists(_part(depth + 1), max_size=3))
        closing = draw(st.sampled_from([b"--", b"", b"-"]))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + child + b"\r\n" for child in children)
        body += b"--" + boundary.encode() + closing + b"\r\n"
    elif content_type == "message/rfc822" and depth < 4:
        body = draw(_message(depth + 1))
    else:
        text = draw(_TEXT)
        charset = draw(st.sampled_from(["utf-8", "koi8-r", "cp1251", "cp866"]))
        body = text.encode(charset, "replace")
        style = draw(st.integers(0, 4))
        if style == 1:
            body = base64.b64encode(body)[: draw(st.integers(0, 400))] + draw(_NOISE)  # bad base64
        elif style == 2:
            body = b"begin 644 f.bin\r\n" + draw(_NOISE) + b"\r\nend\r\n"
        elif style == 3:
            body = b"<html><body>" + body + b'<script>x</script><div class="gmail_quote">' + draw(_NOISE)
        elif style == 4:
            body = b"\x78\x9f\x3e\x22" + draw(_NOISE)  # a TNEF signature and noise
    return b"\r\n".join(headers) + b"\r\n\r\n" + body


@st.composite
def _message(draw: st.DrawFn, depth: int = 0) -> bytes:
    headers = []
    for name in draw(
        st.lists(
            st.sampled_from(
                [
                    b"From",
                    b"To",
                    b"Cc",
                    b"Subject",
                    b"Message-ID",
                    b"In-Reply-To",
                    b"References",
                    b"Date",
                    b"Reply-To",
                    b"Auto-Submitted",
                    b"Precedence",
                    b"X-Failed-Recipients",
                    b"Return-Path",
                    b"List-Id",
                ]
            ),
            max_size=10,
        )
    ):
        headers.append(name + b": " + draw(_header_value()))
    headers.append(b"MIME-Version: 1.0")
    return b"\r\n".join(headers) + b"\r\n" + draw(_part(depth))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(raw=_message())
def test_malformed_mime_parses_or_raises_parse_error(raw):
    # given a malformed message built from broken parts
    # when parsed
    # then the contract holds
    _parses_or_refuses(raw)


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=3000))
def test_random_bytes_parse_or_raise_parse_error(raw):
    # given any bytes at all
    # when parsed
    # then the contract holds
    _parses_or_refuses(raw)


@settings(max_examples=100, deadline=None)
@given(prefix=st.binary(max_size=200), raw=_message())
def test_mail_with_noise_in_front_parses_or_raises_parse_error(prefix, raw):
    # given a message with random bytes glued in front (a broken transport)
    # when parsed
    # then the contract holds
    _parses_or_refuses(prefix + raw)


def test_deep_nesting_is_cut_not_fatal():
    # given a message nested 2,000 levels deep
    raw = b"From: a@example.org\r\nSubject: deep\r\n"
    for level in range(2000):
        raw += f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'.encode()
    raw += b"Content-Type: text/plain\r\n\r\ninnermost\r\n"

    # when parsed
    # then it becomes a message or a parse error, and does not blow the stack
    _parses_or_refuses(raw)


def test_a_typical_message_parses_fast():
    # given a typical 20 KB reply
    raw = typical_message()
    assert 15_000 < len(raw) < 30_000
    parse_email(raw)  # warm-up: imports, regex compilation

    # when parsed many times
    rounds = 50
    started = time.perf_counter()
    for _ in range(rounds):
        parsed = parse_email(raw)
    per_message = (time.perf_counter() - started) / rounds

    # then it is read right, and fast (about 1.5 ms here; the bound leaves room for slow CI machines)
    assert parsed.text == "Картридж заменили, принтер снова пишет «Замятие бумаги»."
    assert per_message < 0.02, f"{per_message * 1000:.1f} ms per message"
