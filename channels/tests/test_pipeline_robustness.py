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
