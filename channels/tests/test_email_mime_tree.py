"""channels.email.mime_tree builds the tree the stdlib's parser builds, from less text.

Every message is parsed both ways — cut (with no size threshold, so every message has its base64
runs cut) and as it is — and the trees are compared part by part: headers, payload text,
preamble, epilogue and defects."""

import base64
import random
from email import message_from_bytes
from email.message import EmailMessage, Message
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.email import mime_tree
from channels.email.parsing import _POLICY, parse_email
from channels.tests.test_email_robustness import CORPUS_FILES

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "mail").glob("**/*.eml"))


def _shape(message: Message) -> object:
    payload = message._payload  # type: ignore[attr-defined]
    return {
        "headers": message._headers,  # type: ignore[attr-defined]
        "unixfrom": message.get_unixfrom(),
        "preamble": message.preamble,
        "epilogue": message.epilogue,
        "defects": [type(defect).__name__ for defect in message.defects],
        "payload": [_shape(part) for part in payload] if isinstance(payload, list) else payload,
    }


def _same_tree(raw: bytes) -> None:
    cut = mime_tree.message_tree(raw, policy=_POLICY, hollow_from=0)
    assert _shape(cut) == _shape(message_from_bytes(raw, policy=_POLICY))


def _b64_lines(size: int, *, seed: int, line_end: bytes = b"\r\n") -> bytes:
    data = random.Random(seed).randbytes(size)
    return base64.encodebytes(data).replace(b"\n", line_end)


def test_mail_with_an_attachment_is_parsed_from_a_fraction_of_its_lines():
    # given a message with a 200 KB attachment
    message = EmailMessage()
    message["From"] = "a@b.ru"
    message["Subject"] = "Акт"
    message.set_content("Во вложении.")
    message.add_attachment(
        random.Random(1).randbytes(200_000), maintype="application", subtype="pdf", filename="акт.pdf"
    )
    raw = bytes(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))

    # when it is parsed above the threshold
    tree = mime_tree.message_tree(raw, policy=_POLICY)

    # then the tree is the stdlib's, the attachment intact, and the parser saw one line for it
    assert _shape(tree) == _shape(message_from_bytes(raw, policy=_POLICY))
    assert tree.get_payload()[1].get_payload(decode=True) == random.Random(1).randbytes(200_000)
    hollowed = mime_tree._RUN.sub(b"\n-\r\n", raw)
    assert len(hollowed) < 2_000
    assert parse_email(raw).attachments[0].data == random.Random(1).randbytes(200_000)


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.name for p in CORPUS_FILES])
def test_the_stdlib_corpus_gives_the_same_trees(path):
    _same_tree(path.read_bytes())


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_our_fixtures_give_the_same_trees(path):
    _same_tree(path.read_bytes())


RUN = _b64_lines(9_000, seed=2)
RUN_LF = _b64_lines(9_000, seed=3, line_end=b"\n")


@pytest.mark.parametrize(
    "raw",
    [
        # a run as a part's whole body, right before the boundary (its last line end belongs to it)
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + RUN
        + b"--b--\r\n",
        # a run followed by a short last line, and an epilogue after the closing boundary
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\npreamble\r\n--b\r\n\r\n'
        + RUN
        + b"QUJD\r\n--b--\r\nepilogue\r\n"
        + RUN,
        # runs in the preamble, in a nested message/rfc822 and in a single-part message with LF ends
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        + RUN
        + b"--b\r\nContent-Type: message/rfc822\r\n\r\n"
        + b'Subject: inner\r\nContent-Type: multipart/mixed; boundary="c"\r\n\r\n'
        + b"--c\r\n\r\n"
        + RUN
        + b"--c--\r\n--b--\r\n",
        b"Subject: lf\nContent-Transfer-Encoding: base64\n\n" + RUN_LF,
        # base64 right after the headers, no empty line between (a defect, the same either way)
        b"Subject: no separator\r\n" + RUN,
        # no line end after the last line; a body with no headers at all
        b"Subject: x\r\n\r\n" + RUN.rstrip(b"\r\n"),
        b"\r\n" + RUN,
        # a closing boundary missing; a boundary inside the run's lines would end it
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\n' + RUN,
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\n'
        + RUN[:3000]
        + b"--b\r\n\r\n"
        + RUN
        + b"--b--",
        # the marker's own prefix in the mail: parsed as it is
        b"Subject: x\r\n\r\n\x00otklik-cut-0\x00\r\n" + RUN,
    ],
    ids=[
        "body",
        "short-last-line",
        "nested",
        "lf",
        "no-separator",
        "no-final-eol",
        "no-headers",
        "unclosed",
        "two-parts",
        "marker",
    ],
)
def test_cut_runs_anywhere_in_the_tree_come_back_where_they_were(raw):
    assert mime_tree._RUN.search(raw)  # a run is there to cut (the marker case: but not cut)
    _same_tree(raw)


_PIECES = st.sampled_from(
    [
        b"--b\r\n",
        b"--b--\r\n",
        b"--c\r\n",
        b"\r\n",
        b"\n",
        b"\r",
        b"Content-Type: multipart/mixed; boundary=c\r\n",
        b"Content-Type: message/rfc822\r\n",
        b"Content-Type: message/delivery-status\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"X-Header: value\r\n",
        b" folded\r\n",
        b"text line\r\n",
        RUN[: 78 * 40],
        RUN_LF[: 77 * 40],
        RUN[:2000],
        RUN[:77] * 40,
        b"=\r\n",
        b"QUJD==\r\n",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, min_size=1, max_size=30))
def test_any_mix_of_boundaries_headers_and_runs_gives_the_same_tree(pieces):
    raw = b'Subject: fuzz\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n' + b"".join(pieces)
    _same_tree(raw)
    _same_tree(b"Subject: fuzz\r\n" + b"".join(pieces))
