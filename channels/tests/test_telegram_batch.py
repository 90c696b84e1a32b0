"""Telegram updates processed in one batch (intake.services.inbound_process_batch) end exactly as
when processed one per transaction, though the batch writes its events, message references and
search documents together at its end (core/deferred.py): new tickets and replies to open ones
mixed, a replay, an edit of a message of the same batch, a reply that reopens a ticket, and a
message that fails in the middle — alone."""

import json
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels.choices import TelegramChatState
from channels.email.headers import headline
from channels.email.parsing import dedup_key_for
from channels.models import TelegramBot, TelegramChat, TelegramMessageRef
from channels.telegram.intake import telegram_update_store
from channels.tests.conftest import another_worker_test, held_by_another_connection, raw_email
from core.deferred import flush_deferred, insert_deferred
from intake import services
from intake.choices import InboundSource, InboundStatus
from intake.models import InboundMessage
from intake.services import inbound_process, inbound_process_batch, inbound_store
from notifications.models import OutboxMessage
from tests.factories import ContactFactory, make_ticket
from tickets import search
from tickets.choices import StatusCategory
from tickets.hooks import hook_register, hook_unregister
from tickets.models import Article, Status, Ticket, TicketEvent
from tickets.services import ticket_set_status

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_chat_pacing")]


@pytest.fixture(autouse=True)
def unhurried_batches(monkeypatch):
    """These tests are about what a batch writes, not when it stops taking messages."""
    monkeypatch.setattr(services, "BATCH_SECONDS", {"postgresql": 60, "sqlite": 60})


@pytest.fixture
def bot(team):
    return TelegramBot.objects.create(name="Otklik bot", token="123:ABC", team=team)


class Chats:
    """Linked client chats (as after each client shared their phone) and their updates."""

    def __init__(self, bot: TelegramBot) -> None:
        self.bot = bot
        self.update_id = 5000
        self.message_id = 100

    def chat(self, chat_id: int, name: str) -> TelegramChat:
        contact = ContactFactory(full_name=name)
        return TelegramChat.objects.create(
            bot=self.bot, chat_id=chat_id, contact=contact, state=TelegramChatState.LINKED, language="ru"
        )

    def update(self, chat_id: int, text: str) -> dict:
        self.update_id += 1
        self.message_id += 1
        return {
            "update_id": self.update_id,
            "message": {
                "message_id": self.message_id,
                "date": 1700000000,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": chat_id, "first_name": "Клиент", "language_code": "ru"},
                "text": text,
            },
        }

    def edit(self, original: dict, text: str) -> dict:
        self.update_id += 1
        return {"update_id": self.update_id, "edited_message": {**original["message"], "text": text}}

    def store(self, update: dict) -> InboundMessage:
        row, _created = telegram_update_store(
            bot_id=self.bot.pk, raw=json.dumps(update, ensure_ascii=False).encode(), source=InboundSource.WEBHOOK
        )
        return row


def process(mode: str) -> None:
    if mode == "batch":
        waiting = InboundMessage.objects.filter(status=InboundStatus.RECEIVED).count()
        assert inbound_process_batch() == waiting
        return
    for pk in (
        InboundMessage.objects.filter(status=InboundStatus.RECEIVED)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)
    ):
        inbound_process(inbound_id=pk)


def outcome() -> list[dict]:
    """Every ticket as the agents see it: its articles, its history's kinds in order, its status,
    the client notices queued for it, and whether search finds it by its last article's words."""
    tickets = []
    for ticket in Ticket.objects.order_by("number"):
        articles = list(ticket.articles.order_by("id").values_list("body", flat=True))
        tickets.append(
            {
                "title": ticket.title,
                "status": ticket.status_category,
                "articles": articles,
                "events": list(ticket.events.order_by("id").values_list("kind", flat=True)),
                "notices": list(
                    OutboxMessage.objects.filter(ticket=ticket).order_by("id").values_list("kind", flat=True)
                ),
                "found": ticket.pk in search.search_ticket_ids(articles[-1]),
            }
        )
    return tickets


@contextmanager
def hooks_failing_on(title: str):
    """A hook that fails the message whose ticket has this title after its rows were queued and
    written (as a failure deep in a message's processing would)."""

    def hook(*, ticket, **_kwargs):
        if ticket.title == title:
            flush_deferred()
            raise RuntimeError("a hook failed")

    hook_register("created", hook, order=10_000)
    try:
        yield
    finally:
        hook_unregister("created", hook)


@pytest.fixture
def failing_hook():
    with hooks_failing_on("💥"):
        yield


@pytest.mark.parametrize("mode", ["batch", "one by one"])
def test_a_batch_ends_as_processing_one_by_one_does(bot, mode, failing_hook, caplog):
    # given: chat A with an open ticket, chat C with a ticket waiting for the client, chats B and D new
    chats = Chats(bot)
    for chat_id, name in ((1, "Анна"), (2, "Борис"), (3, "Вера"), (4, "Глеб")):
        chats.chat(chat_id, name)
    chats.store(chats.update(1, "Течёт кран"))
    chats.store(chats.update(3, "Нет света"))
    process("one by one")
    pending = Status.objects.filter(category=StatusCategory.PENDING).first()
    ticket_set_status(ticket=Ticket.objects.get(title="Нет света"), actor=None, status=pending)

    # and waiting: a reply, a new request, a message that fails, a reply that reopens, a reply to
    # the request of the same batch, an edit of that request, and a replay of the first reply
    reply = chats.update(1, "Кран течёт сильнее")
    request = chats.update(2, "Не работает лифт")
    rows = [
        chats.store(reply),
        chats.store(request),
        chats.store(chats.update(4, "💥")),
        chats.store(chats.update(3, "Свет так и не появился")),
        chats.store(chats.update(2, "Фото пришлю позже")),
        chats.store(chats.edit(request, "Не работает лифт во 2-м подъезде")),
        chats.store(reply),
    ]

    # when
    process(mode)

    # then: a batch went through without savepoints per message until the failing one, and was
    # processed again with them
    again = [r.message for r in caplog.records if "again with a savepoint per message" in r.message]
    expected = (
        f"inbound message {rows[2].pk} raised RuntimeError; processing the batch again with a savepoint per message"
    )
    assert again == ([expected] if mode == "batch" else [])
    # and the replay was stored once; the failing message alone failed, with nothing of it kept
    assert rows[0].pk == rows[6].pk
    statuses = list(InboundMessage.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["processed"] * 4 + ["failed"] + ["processed"] * 3
    assert "a hook failed" in InboundMessage.objects.get(pk=rows[2].pk).error
    assert not Ticket.objects.filter(title="💥").exists()
    assert outcome() == [
        {
            "title": "Течёт кран",
            "status": StatusCategory.NEW,
            "articles": ["Течёт кран", "Кран течёт сильнее"],
            "events": ["created", "notice_sent", "article_added"],
            "notices": ["ack"],
            "found": True,
        },
        {
            "title": "Нет света",
            "status": StatusCategory.OPEN,
            "articles": ["Нет света", "Свет так и не появился"],
            # waiting for the client (announced), then reopened by the client's reply
            "events": ["created", "notice_sent", "status_changed", "notice_sent", "article_added", "status_changed"],
            "notices": ["ack", "notice"],
            "found": True,
        },
        {
            "title": "Не работает лифт",
            "status": StatusCategory.NEW,
            "articles": ["Не работает лифт во 2-м подъезде", "Фото пришлю позже"],
            "events": ["created", "notice_sent", "article_added", "field_changed"],
            "notices": ["ack"],
            "found": True,
        },
    ]
    # and each processed message is recorded with its article, each article with its message
    for row in InboundMessage.objects.filter(status=InboundStatus.PROCESSED).exclude(pk__in=[rows[5].pk]):
        assert Article.objects.get(pk=row.article_id).ticket_id == row.ticket_id
    assert TelegramMessageRef.objects.count() == 6  # the two before, four of the batch

    # when: the replay comes once more, after processing
    chats.store(reply)
    process(mode)

    # then: nothing new
    assert Article.objects.filter(body="Кран течёт сильнее").count() == 1


def inserts_into(captured, table: str) -> int:
    """INSERT statements into `table` (SQLite spells a skipped conflict INSERT OR IGNORE INTO)."""
    return sum(1 for q in captured.captured_queries if q["sql"].startswith("INSERT") and f' INTO "{table}"' in q["sql"])


def test_a_batch_writes_its_events_references_and_search_documents_once(bot):
    # given: two chats, each with a new request and a reply to it
    chats = Chats(bot)
    for chat_id in (1, 2):
        chats.chat(chat_id, f"Клиент {chat_id}")
        chats.store(chats.update(chat_id, f"Не работает лифт {chat_id}"))
    for chat_id in (1, 2):
        chats.store(chats.update(chat_id, "Лифт так и стоит"))

    # when
    with CaptureQueriesContext(connection) as captured:
        assert inbound_process_batch() == 4

    # then: one INSERT of events (created, acknowledgement, two replies), one of message
    # references, one rebuild of the search documents, one UPDATE of the messages' outcomes
    assert TicketEvent.objects.count() == 6
    assert inserts_into(captured, "tickets_ticketevent") == 1
    assert TelegramMessageRef.objects.count() == 4
    assert inserts_into(captured, "otklik_channels_telegrammessageref") == 1
    search_writes = [q["sql"] for q in captured.captured_queries if search.TABLE in q["sql"]]
    assert len(search_writes) == (1 if connection.vendor == "postgresql" else 2)  # SQLite: DELETE, INSERT
    assert search.search_ticket_ids("стоит") == sorted(Ticket.objects.values_list("pk", flat=True), reverse=True)
    # and savepoints: none per message (nothing raised: core.db.savepoint_covers), one per
    # acknowledgement (a notice that fails must not fail its message) — and the batch's
    # transaction, a savepoint here inside the test's
    assert sum(1 for q in captured.captured_queries if q["sql"].startswith("SAVEPOINT")) == 2 + 1
    outcomes = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("WITH")]
    assert len(outcomes) == 1 and 'UPDATE "intake_inboundmessage"' in outcomes[0]
    for row in InboundMessage.objects.all():
        article = Article.objects.get(pk=row.article_id)
        assert (row.status, row.attempts, row.ticket_id) == (InboundStatus.PROCESSED, 1, article.ticket_id)
        assert row.processed_at is not None


@pytest.fixture
def bad_write_hook():
    """A hook that queues a row the database refuses (an event without a kind) for the ticket
    titled "bad write": within a batch that fails the batch's final bulk INSERT."""

    def hook(*, ticket, **_kwargs):
        if ticket.title == "bad write":
            insert_deferred(TicketEvent(ticket=ticket, kind=None, data={}))

    hook_register("created", hook, order=10_000)
    yield
    hook_unregister("created", hook)


def test_a_bulk_write_that_fails_sends_the_batch_one_by_one_and_only_its_message_fails(bot, bad_write_hook):
    # given: three chats' requests, the middle one's rows refused by the database
    chats = Chats(bot)
    for chat_id, text in ((1, "Не работает лифт"), (2, "bad write"), (3, "Нет света")):
        chats.chat(chat_id, f"Клиент {chat_id}")
        chats.store(chats.update(chat_id, text))

    # when: the batch's bulk INSERT raises at its end
    assert inbound_process_batch() == 3

    # then: processed again one per transaction, where only that message fails
    rows = list(InboundMessage.objects.order_by("id"))
    assert [row.status for row in rows] == ["processed", "failed", "processed"]
    assert "IntegrityError" in rows[1].error
    assert list(Ticket.objects.order_by("number").values_list("title", flat=True)) == ["Не работает лифт", "Нет света"]
    assert list(TicketEvent.objects.order_by("id").values_list("kind", flat=True)) == ["created", "notice_sent"] * 2
    assert TelegramMessageRef.objects.count() == 2


def test_a_batch_with_an_email_is_processed_again_with_savepoints_when_a_message_fails(bot, mailbox, contact, caplog):
    # given: an email, a Telegram update whose processing fails, and a reply to the email, waiting
    chats = Chats(bot)
    chats.chat(1, "Клиент")
    first = raw_email(subject="Не работает лифт", message_id="<lift@client.test>")
    reply = raw_email(
        subject="Re: Не работает лифт", message_id="<lift-2@client.test>", in_reply_to="<lift@client.test>"
    )
    for raw in (first, None, reply):
        if raw is None:
            chats.store(chats.update(1, "💥"))
            continue
        sender, subject = headline(raw)
        inbound_store(
            channel="email", source="lmtp", raw=raw, dedup_key=dedup_key_for(raw), mailbox=mailbox,
            from_address=sender, subject=subject,
        )  # fmt: skip

    # when
    with hooks_failing_on("💥"):
        assert inbound_process_batch() == 3

    # then: the batch, begun with no savepoint per message, was rolled back at the update and
    # processed again with them: the update failed alone, the emails made one ticket, once
    again = [r.message for r in caplog.records if "again with a savepoint per message" in r.message]
    assert len(again) == 1
    assert list(InboundMessage.objects.order_by("id").values_list("channel", "status")) == [
        ("email", "processed"),
        ("telegram", "failed"),
        ("email", "processed"),
    ]
    ticket = Ticket.objects.get()
    assert ticket.title == "Не работает лифт"
    assert list(ticket.articles.order_by("id").values_list("kind", flat=True)) == ["public", "public"]
    assert set(InboundMessage.objects.filter(channel="email").values_list("ticket_id", flat=True)) == {ticket.pk}


@another_worker_test
def test_a_message_whose_chat_another_batch_held_joins_the_ticket_that_batch_opened(bot):
    # given: a client's message waiting, and another worker's batch holding the chat while it
    # opens a ticket for the chat's earlier message
    chats = Chats(bot)
    chat = chats.chat(1, "Клиент")
    chats.store(chats.update(1, "А свет так и не дали"))

    def open_ticket(held):
        held.ticket = make_ticket(title="Нет света", contact=held.contact)
        held.save(update_fields=["ticket"])

    # when: this worker processes the message meanwhile (waiting for the chat for a second)
    with held_by_another_connection(
        lambda: TelegramChat.objects.select_for_update().get(pk=chat.pk), seconds=1, then=open_ticket
    ):
        assert inbound_process_batch() == 1

    # then: the message joined the ticket the other batch opened; no second ticket
    ticket = Ticket.objects.get()
    assert ticket.title == "Нет света"
    assert ticket.articles.order_by("id").last().body == "А свет так и не дали"


@another_worker_test
def test_a_first_message_whose_chat_another_batch_is_making_uses_that_chat(bot):
    # given: a new client's message waiting, and another worker's batch that has just made the
    # chat (linked to the client's contact) and not committed yet
    chats = Chats(bot)
    chats.store(chats.update(77, "Течёт крыша"))
    contact = ContactFactory(full_name="Клиент")

    def make_chat():
        return TelegramChat.objects.create(
            bot=bot, chat_id=77, contact=contact, state=TelegramChatState.LINKED, language="ru"
        )

    # when: this worker processes the message meanwhile (its insert of the chat waits a second)
    with held_by_another_connection(make_chat, seconds=1):
        assert inbound_process_batch() == 1

    # then: one chat, the other batch's, and the message became its contact's ticket
    chat = TelegramChat.objects.get()
    assert (chat.contact_id, chat.full_name) == (contact.pk, "Клиент")
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.contact_id) == ("Течёт крыша", contact.pk)
    assert InboundMessage.objects.get().status == InboundStatus.PROCESSED
