"""The worker's batches (intake.services.inbound_process_batch): many stored messages in one
transaction, with no savepoint per message until one fails (the batch is then processed again with
a savepoint each) — a failure stays with its message, a transient database error leaves the
message to be tried again, and a batch stops taking messages after its time."""

import time

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from channels.email.headers import headline
from channels.email.inbound import email_process
from channels.email.outbound import thread_ids
from channels.email.parsing import dedup_key_for
from channels.models import EmailMessageRef
from channels.tests.conftest import another_worker_test, held_by_another_connection, raw_email
from core.deferred import deferred_queued, deferred_writes
from customers.models import ContactEmail
from intake import services
from intake.choices import InboundStatus
from intake.models import InboundMessage
from intake.services import inbound_process_batch, inbound_store
from tests.factories import make_ticket
from tickets.choices import ArticleKind
from tickets.models import Article, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def unhurried_batches(monkeypatch):
    """A batch stops taking messages after BATCH_SECONDS; a test's first message (imports, caches)
    may take longer than that, and these tests are about the batch's content, not its time."""
    monkeypatch.setattr(services, "BATCH_SECONDS", {"postgresql": 60, "sqlite": 60})


def processing_tasks(callbacks):
    """The processing tasks among what runs after commit (acknowledgements are queued too)."""
    return [callback for callback in callbacks if callback.__qualname__.startswith("_enqueue.")]


def store(raw: bytes, mailbox) -> InboundMessage:
    """Store as the listener does, without processing (the worker's queue is not run in tests)."""
    from_address, subject = headline(raw)
    row, created = inbound_store(
        channel="email", source="lmtp", raw=raw, dedup_key=dedup_key_for(raw), mailbox=mailbox,
        from_address=from_address, subject=subject,
    )  # fmt: skip
    assert created
    return row


def store_broken_update() -> InboundMessage:
    """A stored Telegram update whose body is not an update object (processing raises ValueError)."""
    row, _created = inbound_store(channel="telegram", source="webhook", raw=b"[1, 2]", dedup_key="1:1")
    return row


def statuses() -> list[str]:
    return list(InboundMessage.objects.order_by("id").values_list("status", flat=True))


def test_a_batch_processes_what_waits_in_order_and_a_failure_stays_with_its_message(mailbox, contact):
    # given: a new request, a broken update, a reply to the request and another request, all waiting
    first = store(raw_email(message_id="<first@romashka.test>", subject="Не работает лифт"), mailbox)
    broken = store_broken_update()
    reply = store(raw_email(in_reply_to="<first@romashka.test>", text="Лифт так и стоит."), mailbox)
    second = store(raw_email(subject="Нет света в подъезде"), mailbox)

    # when: one batch runs
    finished = inbound_process_batch()

    # then: all four are finished; the reply (stored after the request) threads to its ticket
    assert finished == 4
    assert statuses() == ["processed", "failed", "processed", "processed"]
    rows = {row.pk: row for row in InboundMessage.objects.all()}
    lift = Ticket.objects.get(title="Не работает лифт")
    assert rows[first.pk].ticket_id == lift.pk == rows[reply.pk].ticket_id
    assert Article.objects.get(pk=rows[reply.pk].article_id).body == "Лифт так и стоит."
    assert Ticket.objects.get(pk=rows[second.pk].ticket_id).title == "Нет света в подъезде"
    # and the broken one carries its error and nothing of it was written
    assert "the update is not a JSON object" in rows[broken.pk].error
    assert (rows[broken.pk].attempts, rows[broken.pk].ticket_id) == (1, None)
    assert Ticket.objects.count() == 2


def test_a_message_processed_by_another_batch_is_not_processed_again(mailbox, contact):
    # given: a message processed already
    row = store(raw_email(subject="Не работает лифт"), mailbox)
    assert inbound_process_batch() == 1

    # when: its queued task runs a batch later
    assert inbound_process_batch() == 0

    # then
    assert (Ticket.objects.count(), Article.objects.count()) == (1, 1)
    assert InboundMessage.objects.get(pk=row.pk).attempts == 1


def test_a_transient_database_error_leaves_the_message_waiting_and_queued_again(
    mailbox, contact, monkeypatch, django_capture_on_commit_callbacks
):
    # given: processing that meets a deadlock with another worker, twice
    real = services._processor
    deadlocks = {"left": 2}

    def flaky(channel):
        process = real(channel)

        def run(row):
            if deadlocks["left"]:
                deadlocks["left"] -= 1
                InboundMessage.objects.filter(pk=row.pk).update(subject="half-done")  # rolled back
                raise OperationalError("deadlock detected")
            return process(row)

        return run

    monkeypatch.setattr(services, "_processor", flaky)
    row = store(raw_email(subject="Не работает лифт"), mailbox)

    # when: the batch meets the error
    with django_capture_on_commit_callbacks() as queued:
        assert inbound_process_batch() == 0

    # then: the message waits, nothing of the attempt stays, and it is queued again
    waiting = InboundMessage.objects.get(pk=row.pk)
    assert (waiting.status, waiting.attempts, waiting.error) == (InboundStatus.RECEIVED, 1, "")
    assert waiting.subject == "Не работает лифт"
    assert Ticket.objects.count() == 0
    assert len(processing_tasks(queued)) == 1

    # (the batch met it twice: with no savepoint per message, which rolled the batch back, then in
    # the message's savepoint, which counted the attempt)
    assert deadlocks["left"] == 0

    # when: the next try gets through
    assert inbound_process_batch() == 1

    # then
    done = InboundMessage.objects.get(pk=row.pk)
    assert (done.status, done.attempts) == (InboundStatus.PROCESSED, 2)
    assert Ticket.objects.get().title == "Не работает лифт"


def test_a_transient_error_that_keeps_coming_ends_as_a_failure(mailbox, contact, monkeypatch):
    # given: a message whose every try meets a lock timeout
    def always(channel):
        def run(row):
            raise OperationalError("canceling statement due to lock timeout")

        return run

    monkeypatch.setattr(services, "_processor", always)
    row = store(raw_email(), mailbox)

    # when: it is tried as often as allowed
    for _try in range(services.TRANSIENT_ATTEMPTS):
        inbound_process_batch()

    # then: it is in the failed list with the error, not retried for ever
    failed = InboundMessage.objects.get(pk=row.pk)
    assert (failed.status, failed.attempts) == (InboundStatus.FAILED, services.TRANSIENT_ATTEMPTS)
    assert "lock timeout" in failed.error


def test_a_batch_past_its_time_leaves_the_rest_waiting_and_queued(
    mailbox, contact, monkeypatch, django_capture_on_commit_callbacks
):
    # given: three waiting messages and a batch whose time is up after the first
    monkeypatch.setattr(services, "BATCH_SECONDS", {"postgresql": 0, "sqlite": 0})
    for n in range(3):
        store(raw_email(subject=f"Заявка {n}"), mailbox)

    # when
    with django_capture_on_commit_callbacks() as queued:
        assert inbound_process_batch() == 1

    # then: the first is processed, the others wait with a task queued for each
    assert statuses() == ["processed", "received", "received"]
    assert len(processing_tasks(queued)) == 2


def test_a_batch_takes_at_most_its_size(mailbox, contact):
    for n in range(4):
        store(raw_email(subject=f"Заявка {n}"), mailbox)

    assert inbound_process_batch(limit=3) == 3
    assert statuses() == ["processed", "processed", "processed", "received"]


def test_messages_are_read_in_chunks_of_bounded_size(mailbox, contact, monkeypatch, django_assert_num_queries):
    # given: a read budget smaller than two messages
    rows = [store(raw_email(subject=f"Заявка {n}"), mailbox) for n in range(3)]
    monkeypatch.setattr(services, "BATCH_READ_BYTES", rows[0].size + 1)

    # then: every message is processed, each read on its own
    chunks = list(services._read_chunks([(row.pk, row.size) for row in rows]))
    assert chunks == [[rows[0].pk], [rows[1].pk], [rows[2].pk]]
    assert inbound_process_batch() == 3
    assert set(statuses()) == {"processed"}


@another_worker_test
def test_a_batch_skips_a_message_another_worker_holds(mailbox, contact):
    # given: two waiting messages, the first held by another worker's open batch
    held, free = (store(raw_email(subject=f"Заявка {n}"), mailbox) for n in range(2))

    # when: this worker runs a batch meanwhile
    with held_by_another_connection(lambda: InboundMessage.objects.select_for_update().get(pk=held.pk)):
        finished = inbound_process_batch()

    # then: it took the free message without waiting, and left the held one to its holder
    assert finished == 1
    assert InboundMessage.objects.get(pk=free.pk).status == InboundStatus.PROCESSED
    assert InboundMessage.objects.get(pk=held.pk).status == InboundStatus.RECEIVED


@another_worker_test
def test_replies_to_a_ticket_another_batch_holds_wait_for_a_later_batch_in_their_order(mailbox, contact):
    # given: a ticket, two replies to it and a new request waiting, and the ticket locked by
    # another worker's open batch
    store(raw_email(message_id="<first@romashka.test>", subject="Не работает лифт"), mailbox)
    assert inbound_process_batch() == 1
    ticket = Ticket.objects.get()
    replies = [
        store(raw_email(in_reply_to="<first@romashka.test>", text=f"Лифт так и стоит ({n})."), mailbox) for n in (1, 2)
    ]
    other = store(raw_email(subject="Нет света в подъезде"), mailbox)

    # when: this worker runs a batch meanwhile
    with held_by_another_connection(lambda: Ticket.objects.select_for_update().get(pk=ticket.pk)):
        started = time.monotonic()
        finished = inbound_process_batch()
        took = time.monotonic() - started

    # then: it did not wait for the ticket: the replies are left for later, with nothing of them
    # written and no rollback of the batch; the request went through
    assert finished == 1
    assert took < 5
    assert InboundMessage.objects.get(pk=other.pk).status == InboundStatus.PROCESSED
    assert [(r.status, r.attempts) for r in InboundMessage.objects.filter(pk__in=[x.pk for x in replies])] == [
        (InboundStatus.RECEIVED, 1),
        (InboundStatus.RECEIVED, 1),
    ]
    assert ticket.articles.count() == 1

    # when: the next batch runs, the ticket free
    assert inbound_process_batch() == 2

    # then: the replies are added in their order
    assert list(ticket.articles.order_by("id").values_list("body", flat=True)) == [
        "Лифт во втором подъезде стоит с утра.",
        "Лифт так и стоит (1).",
        "Лифт так и стоит (2).",
    ]


def test_a_reply_whose_original_waits_unprocessed_waits_for_it_and_then_threads(
    mailbox, contact, django_capture_on_commit_callbacks
):
    # given: a reply stored before the message it answers (another worker's batch holds the
    # original, or the mail arrived out of order)
    reply = store(raw_email(in_reply_to="<first@romashka.test>", text="Лифт так и стоит."), mailbox)
    store(raw_email(message_id="<first@romashka.test>", subject="Не работает лифт"), mailbox)

    # when: a batch meets the reply first
    with django_capture_on_commit_callbacks() as queued:
        assert inbound_process_batch() == 1

    # then: the reply waits (queued again) instead of opening a ticket; the original is processed
    assert InboundMessage.objects.get(pk=reply.pk).status == InboundStatus.RECEIVED
    assert len(processing_tasks(queued)) == 1
    assert Ticket.objects.count() == 1

    # when: the next batch runs
    assert inbound_process_batch() == 1

    # then: the reply is in the original's ticket
    ticket = Ticket.objects.get()
    assert InboundMessage.objects.get(pk=reply.pk).ticket_id == ticket.pk
    assert list(ticket.articles.order_by("id").values_list("body", flat=True))[-1] == "Лифт так и стоит."


def test_a_reply_stops_waiting_for_an_original_that_never_gets_processed(mailbox, contact, monkeypatch):
    # given: a reply stored before its original, and batches of one message, so the original
    # stays waiting (as behind a worker that died holding it)
    monkeypatch.setattr("channels.email.inbound.PROCESS_LATER_ATTEMPTS", 2)
    reply = store(raw_email(in_reply_to="<stuck@romashka.test>", subject="Re: Лифт"), mailbox)
    store(raw_email(message_id="<stuck@romashka.test>", subject="Лифт"), mailbox)

    # when: the reply is tried as often as it may wait, and once more
    for _try in range(3):
        inbound_process_batch(limit=1)

    # then: it opened a ticket of its own rather than wait for ever
    done = InboundMessage.objects.get(pk=reply.pk)
    assert (done.status, done.attempts) == (InboundStatus.PROCESSED, 3)
    assert Ticket.objects.get(pk=done.ticket_id).title == "Лифт"  # without the "Re:" (title_from_subject)


def test_a_message_of_a_channel_without_a_processor_fails_alone_and_intake_goes_on(mailbox, contact):
    # given: a stored row no processor handles (written by a version that had one), then mail
    odd, _created = inbound_store(channel="sms", source="webhook", raw=b"hello", dedup_key="sms:1")
    store(raw_email(subject="Не работает лифт"), mailbox)

    # when
    assert inbound_process_batch() == 2

    # then: the odd row is in the failed list, and the mail behind it became a ticket
    assert InboundMessage.objects.get(pk=odd.pk).status == InboundStatus.FAILED
    assert "sms" in InboundMessage.objects.get(pk=odd.pk).error
    assert Ticket.objects.get().title == "Не работает лифт"


def test_a_message_that_names_a_ticket_without_an_article_records_the_ticket(mailbox, contact):
    # given: one of our notices (its Message-ID known, pointing at a ticket, no article) comes back
    ticket = make_ticket(title="Заявка")
    EmailMessageRef.objects.create(message_id="notice-1@otklik.test", direction="out", ticket=ticket, article=None)
    row = store(raw_email(message_id="<notice-1@otklik.test>", subject="Заявка принята"), mailbox)

    # when
    assert inbound_process_batch() == 1

    # then: nothing new, and the row says which ticket it belongs to
    done = InboundMessage.objects.get(pk=row.pk)
    assert (done.status, done.ticket_id, done.article_id) == (InboundStatus.PROCESSED, ticket.pk, None)
    assert Ticket.objects.count() == 1


def test_later_messages_of_a_batch_see_the_outcome_of_earlier_ones(mailbox, contact):
    # given: a request and a reply to it in one batch
    first = store(raw_email(message_id="<first@romashka.test>", subject="Не работает лифт"), mailbox)
    store(raw_email(in_reply_to="<first@romashka.test>", text="Лифт так и стоит."), mailbox)
    seen = []
    real = services._processor

    def watching(channel):
        process = real(channel)

        def run(row):
            seen.append(InboundMessage.objects.filter(pk=first.pk).values_list("status", "ticket_id").get())
            return process(row)

        return run

    # when
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "_processor", watching)
        assert inbound_process_batch() == 2

    # then: while the reply was processed, the request's row already named its ticket (what the
    # outbound part reads to find a ticket's mailbox)
    ticket = Ticket.objects.get()
    assert seen == [("received", None), ("processed", ticket.pk)]


def test_a_batch_of_mail_that_goes_through_takes_no_savepoint_per_message(mailbox, contact):
    # given: replies of the client to one ticket (no new contact, no acknowledgement: nothing
    # in their processing takes a savepoint of its own)
    store(raw_email(message_id="<first@romashka.test>", subject="Не работает лифт"), mailbox)
    assert inbound_process_batch() == 1
    for n in range(3):
        store(raw_email(in_reply_to="<first@romashka.test>", text=f"Лифт так и стоит ({n})."), mailbox)

    # when
    with CaptureQueriesContext(connection) as queries:
        assert inbound_process_batch() == 3

    # then: the one savepoint is the batch's transaction itself, inside the test's transaction
    savepoints = [q["sql"] for q in queries.captured_queries if q["sql"].upper().startswith("SAVEPOINT")]
    assert len(savepoints) == 1
    # and the replies' Message-IDs were indexed by one INSERT at the batch's end
    table = EmailMessageRef._meta.db_table
    assert len([q for q in queries.captured_queries if q["sql"].startswith(f'INSERT INTO "{table}"')]) == 1
    assert EmailMessageRef.objects.filter(direction="in").count() == 4
    assert Ticket.objects.get().articles.count() == 4
    assert statuses() == ["processed"] * 4


def test_mail_composed_in_a_batch_answers_a_message_of_the_same_batch(mailbox, contact):
    # given: a ticket, and the client's reply to it processed in the worker's batch, its
    # Message-ID's reference not written yet
    store(raw_email(message_id="<first@romashka.test>", subject="Не работает лифт"), mailbox)
    assert inbound_process_batch() == 1
    ticket = Ticket.objects.get()
    reply = store(raw_email(message_id="<second@romashka.test>", in_reply_to="<first@romashka.test>"), mailbox)

    # when: mail to the client is composed in the same batch (a rule's notice)
    with transaction.atomic(), deferred_writes():
        email_process(InboundMessage.objects.get(pk=reply.pk))
        assert [r.message_id for r in deferred_queued(EmailMessageRef)] == ["second@romashka.test"]
        in_reply_to, references = thread_ids(ticket)

    # then: it answers the reply
    assert in_reply_to == "second@romashka.test"
    assert references[0] == "first@romashka.test"
    assert references[-1] == "second@romashka.test"  # (our acknowledgement of the first between them)
    assert len(references) == 3


def test_a_batch_that_fails_as_a_whole_is_processed_one_by_one(mailbox, contact, monkeypatch):
    # given: three waiting messages and a batch that breaks after claiming them (as when its
    # COMMIT is refused or the connection drops)
    for n in range(3):
        store(raw_email(subject=f"Заявка {n}"), mailbox)

    def broken(claimed):
        raise OperationalError("server closed the connection unexpectedly")
        yield  # pragma: no cover

    monkeypatch.setattr(services, "_read_chunks", broken)

    # when
    assert inbound_process_batch() == 3

    # then: each was processed in a transaction of its own
    assert statuses() == ["processed", "processed", "processed"]
    assert Ticket.objects.count() == 3


def test_in_a_batch_staff_are_told_from_clients_by_one_read_of_their_addresses(mailbox, contact, agent):
    # given: a client's request, an agent's message to its thread and another client's request
    store(raw_email(message_id="<first@romashka.test>", subject="Не работает лифт"), mailbox)
    store(raw_email(sender="Anna <AGENT@otklik.test>", in_reply_to="<first@romashka.test>", text="Выехали."), mailbox)
    store(raw_email(sender="ivan@lutik.test", subject="Нет света"), mailbox)

    # when
    with CaptureQueriesContext(connection) as captured:
        assert inbound_process_batch() == 3

    # then: the agent's message is their note, no contact was made for them, and the clients'
    # messages made tickets
    note = Article.objects.get(body="Выехали.")
    assert (note.kind, note.author_user, note.from_stranger) == (ArticleKind.NOTE, agent, False)
    assert not ContactEmail.objects.filter(email="agent@otklik.test").exists()
    assert list(Ticket.objects.order_by("number").values_list("title", flat=True)) == ["Не работает лифт", "Нет света"]
    # and the staff's addresses were read once; users by address only for the message an agent sent
    staff_reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "accounts_user"')]
    by_address = [sql for sql in staff_reads if '"accounts_user"."email" IN' in sql]
    addresses = [sql for sql in staff_reads if sql.startswith('SELECT "accounts_user"."email" AS "email"')]
    assert (len(by_address), len(addresses)) == (1, 1)
    assert "agent@otklik.test" in by_address[0]
