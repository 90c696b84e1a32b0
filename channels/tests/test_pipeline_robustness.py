"""Nothing is lost and nothing escapes the pipeline: any bytes delivered to a mailbox are stored,
then either become an article or land in the failed-inbound list with the error. Proved on
CPython's real-world test messages and on malformed MIME built by hypothesis, through the same
store-then-process path the LMTP and IMAP listeners use."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.email.parsing import dedup_key_for
from channels.tests.conftest import deliver
from channels.tests.test_email_robustness import CORPUS, CORPUS_FILES, _message
from intake.choices import InboundStatus
from intake.models import InboundMessage
from tickets.models import Article

FINISHED = {InboundStatus.PROCESSED, InboundStatus.FAILED}


def _assert_kept_and_finished(raw: bytes, row: InboundMessage) -> None:
    row.refresh_from_db()
    assert bytes(row.raw) == raw  # the message as delivered, byte for byte
    assert row.dedup_key == dedup_key_for(raw)[:500]
    assert row.status in FINISHED
    if row.status == InboundStatus.FAILED:
        assert row.error.strip()  # an administrator sees why
    elif row.article_id is not None:
        assert Article.objects.filter(pk=row.article_id, ticket_id=row.ticket_id).exists()


@pytest.mark.skipif(CORPUS is None, reason="this Python has no test/test_email/data")
@pytest.mark.django_db
def test_every_stdlib_test_message_becomes_an_article_or_a_failed_inbound_row(mailbox):
    # given CPython's email test messages (real-world mail, and some non-mail files; a few share a
    # Message-ID, and the same Message-ID is the same message: stored once)
    first_of: dict[str, tuple[int, bytes]] = {}
    for path in CORPUS_FILES:
        raw = path.read_bytes()

        # when each is delivered to the mailbox
        row = deliver(raw, mailbox=mailbox)

        # then it is stored as delivered (or is the message of that id already stored) and finished
        key = dedup_key_for(raw)[:500]
        first_pk, first_raw = first_of.setdefault(key, (row.pk, raw))
        assert row.pk == first_pk
        _assert_kept_and_finished(first_raw, row)
    assert InboundMessage.objects.count() == len(first_of)
    assert InboundMessage.objects.filter(status=InboundStatus.RECEIVED).count() == 0


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(_message(), st.binary(max_size=4000)))
def test_malformed_mail_never_raises_out_of_the_pipeline_and_is_never_lost(mailbox, raw):
    # given malformed MIME (or noise) delivered to the mailbox (the database is shared by all of
    # hypothesis's examples: an id drawn twice is the message already stored)
    earlier = InboundMessage.objects.filter(channel="email", dedup_key=dedup_key_for(raw)[:500]).first()

    # when stored and processed
    row = deliver(raw, mailbox=mailbox)

    # then nothing raised, and the message is kept and finished
    _assert_kept_and_finished(bytes(earlier.raw) if earlier else raw, row)


@pytest.mark.django_db
def test_nul_characters_in_headers_and_body_become_replacement_characters_not_errors(mailbox):
    # given mail whose From name, Subject, Message-ID and body carry NUL characters (PostgreSQL
    # keeps none in text: storing them raised, and the listener refused the mail again and again)
    raw = (
        b"From: =?utf-8?q?=D0=9F=D1=91=D1=82=D1=80=00?= <petr@romashka.test>\r\n"
        b"To: support@otklik.test\r\n"
        b"Subject: =?utf-8?q?=D0=9B=D0=B8=D1=84=D1=82=00_=D1=81=D1=82=D0=BE=D0=B8=D1=82?=\r\n"
        b"Message-ID: <nul\x00id@client.test>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"=D0=9B=D0=B8=D1=84=D1=82=00 =D1=81=D1=82=D0=BE=D0=B8=D1=82 =D1=81 =D1=83=D1=82=D1=80=D0=B0.\r\n"
    )

    # when delivered and processed
    row = deliver(raw, mailbox=mailbox)

    # then it is kept as delivered and became a ticket; the texts show where the NULs were
    _assert_kept_and_finished(raw, row)
    assert row.status == InboundStatus.PROCESSED, row.error
    assert "\x00" not in row.from_address + row.subject + row.dedup_key
    article = Article.objects.get(pk=row.article_id)
    assert article.body == "Лифт\ufffd стоит с утра."
    assert article.ticket.title == "Лифт\ufffd стоит"
    assert article.author_contact.full_name == "Пётр\ufffd"
