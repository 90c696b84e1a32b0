"""The Telegram channel against a local stand-in Bot API server (channels/tests/telegram_standin.py):
webhook and polling intake, the processor's flows, and replies through the outbox."""

import io
import itertools
import json
from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from channels.choices import TelegramChatState, TelegramMode
from channels.models import TelegramBot, TelegramChat
from channels.telegram import intake as telegram_intake
from channels.tests.lmtp_client import free_port
from channels.tests.telegram_standin import TelegramStandIn
from customers.models import ContactPhone
from intake.choices import InboundStatus
from intake.models import InboundMessage
from intake.services import inbound_process, inbound_process_batch
from notifications.models import OutboxMessage, OutboxStatus
from notifications.outbox import outbox_send_due
from tests.factories import ContactFactory
from tickets.choices import ArticleKind, Channel, EventKind, StatusCategory
from tickets.models import Article, Status, Ticket, TicketEvent
from tickets.services import ticket_reply, ticket_set_status

pytestmark = pytest.mark.usefixtures("no_chat_pacing")

CHAT_ID = 5550001
USER_ID = 777
_updates = itertools.count(1000)
_messages = itertools.count(1)


@pytest.fixture
def standin(settings):
    server = TelegramStandIn()
    settings.TELEGRAM_API_URL = server.url
    yield server
    server.close()


@pytest.fixture
def bot(team):
    return TelegramBot.objects.create(name="Otklik bot", token="123:ABC", team=team)


def message(text="", **extra):
    return {
        "message_id": next(_messages),
        "date": 1700000000,
        "chat": {"id": CHAT_ID, "type": "private"},
        "from": {"id": USER_ID, "first_name": "Пётр", "last_name": "Иванов", "language_code": "ru"},
        **({"text": text} if text else {}),
        **extra,
    }


def post(client, bot, update, *, secret=None):
    return client.post(
        f"/channels/telegram/{bot.pk}/webhook/",
        data=json.dumps(update),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": bot.webhook_secret if secret is None else secret},
    )


def deliver(client, bot, *, update=None, **message_fields):
    """Post one update through the webhook and process it as the worker does."""
    update = update or {"update_id": next(_updates), "message": message(**message_fields)}
    response = post(client, bot, update)
    assert response.status_code == 200
    row = InboundMessage.objects.get(channel="telegram", dedup_key=f"{bot.pk}:{update['update_id']}")
    processed = inbound_process(inbound_id=row.pk)
    assert processed.status == InboundStatus.PROCESSED, processed.error
    return processed


def share_phone(client, bot, phone="+7 912 345-67-89"):
    return deliver(
        client, bot, contact={"phone_number": phone, "first_name": "Пётр", "last_name": "Иванов", "user_id": USER_ID}
    )


def sent_texts(standin):
    return [r.params["text"] for r in standin.calls("sendMessage")]


@pytest.fixture
def linked(client, bot, standin):
    """A chat whose client has shared their phone (a new contact)."""
    deliver(client, bot, text="/start")
    share_phone(client, bot)
    OutboxMessage.objects.all().delete()
    return TelegramChat.objects.get(bot=bot, chat_id=CHAT_ID)


# --- webhook ---------------------------------------------------------------------------------------


def test_webhook_stores_an_update_with_the_right_secret(client, bot):
    # when
    response = post(client, bot, {"update_id": 42, "message": message("Лифт стоит")})

    # then
    assert response.status_code == 200
    row = InboundMessage.objects.get()
    assert (row.channel, row.dedup_key, row.source, row.status) == ("telegram", f"{bot.pk}:42", "webhook", "received")
    assert json.loads(bytes(row.raw))["message"]["text"] == "Лифт стоит"


@pytest.mark.parametrize("secret", ["wrong", ""])
def test_webhook_with_a_wrong_secret_is_401_and_stores_nothing(client, bot, secret):
    response = post(client, bot, {"update_id": 42, "message": message("x")}, secret=secret)

    assert response.status_code == 401
    assert InboundMessage.objects.count() == 0


def test_webhook_of_an_unknown_bot_is_401(client, bot):
    response = client.post(
        "/channels/telegram/999/webhook/", data="{}", content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": bot.webhook_secret},
    )  # fmt: skip

    assert response.status_code == 401


def test_webhook_of_a_switched_off_bot_is_401_and_stores_nothing(client, bot):
    # given a bot an administrator switched off
    TelegramBot.objects.filter(pk=bot.pk).update(is_active=False)

    # when Telegram still posts an update with its secret
    response = post(client, bot, {"update_id": 43, "message": message("x")})

    # then it is refused; switched on again, the same update is taken
    assert response.status_code == 401
    assert InboundMessage.objects.count() == 0
    TelegramBot.objects.filter(pk=bot.pk).update(is_active=True)
    assert post(client, bot, {"update_id": 43, "message": message("x")}).status_code == 200
    assert InboundMessage.objects.count() == 1


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"message": {}}', b"\xff\xfe"])
def test_webhook_with_a_malformed_body_is_400_and_stores_nothing(client, bot, body):
    response = client.post(
        f"/channels/telegram/{bot.pk}/webhook/", data=body, content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": bot.webhook_secret},
    )  # fmt: skip

    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0


def test_a_replayed_update_makes_one_article(client, bot, standin, linked):
    # given
    update = {"update_id": 9001, "message": message("Не работает домофон")}

    # when: Telegram delivers it twice
    deliver(client, bot, update=update)
    deliver(client, bot, update=update)

    # then
    assert InboundMessage.objects.filter(dedup_key=f"{bot.pk}:9001").count() == 1
    assert Article.objects.filter(body="Не работает домофон").count() == 1


# --- first contact and tickets -----------------------------------------------------------------------


def test_first_message_is_kept_until_the_phone_is_shared_then_becomes_the_ticket(client, bot, standin):
    # given: a known contact with this number
    contact = ContactFactory(full_name="Пётр Иванов")
    ContactPhone.objects.create(contact=contact, phone="8 (912) 345-67-89")

    # when: the client writes before sharing the phone
    deliver(client, bot, text="Течёт крыша")
    outbox_send_due()

    # then: no ticket yet; the bot asks for the number with a contact-sharing button
    assert Ticket.objects.count() == 0
    ask = standin.calls("sendMessage")[-1].params
    assert ask["chat_id"] == CHAT_ID
    assert ask["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    assert ask["text"] == (
        "Здравствуйте! Чтобы зарегистрировать заявку, поделитесь, пожалуйста, номером телефона кнопкой ниже."
    )

    # when: the client shares their number
    share_phone(client, bot, phone="+79123456789")
    outbox_send_due()

    # then: the chat is linked to the contact found by the number, and the kept message is the ticket
    chat = TelegramChat.objects.get()
    assert (chat.contact, chat.state, chat.pending) == (contact, TelegramChatState.LINKED, [])
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.channel, ticket.contact, ticket.team) == ("Течёт крыша", "telegram", contact, bot.team)
    assert chat.ticket == ticket
    assert sent_texts(standin)[-1] == (
        f"Ваша заявка №{ticket.number} «Течёт крыша» принята. Мы ответим как можно скорее."
    )


def test_words_kept_and_the_shared_phone_in_one_batch_make_the_ticket_and_both_rows_say_so(client, bot, standin):
    # given: the client wrote, then shared their number, before the worker got to either update
    for update in (
        {"update_id": next(_updates), "message": message(text="Течёт крыша")},
        {"update_id": next(_updates), "message": message(contact={"phone_number": "+79123456789", "user_id": USER_ID})},
    ):
        assert post(client, bot, update).status_code == 200

    # when: one batch processes both
    assert inbound_process_batch() == 2

    # then: the kept words are the ticket, and the row of the words records it (the batch's own
    # status update does not wipe what the second message wrote to the first row)
    ticket = Ticket.objects.get()
    words, shared = InboundMessage.objects.order_by("id")
    assert ticket.title == "Течёт крыша"
    assert (words.status, words.ticket_id, words.article_id) == (
        InboundStatus.PROCESSED,
        ticket.pk,
        ticket.articles.get().pk,
    )
    assert (shared.status, shared.ticket_id) == (InboundStatus.PROCESSED, ticket.pk)


def test_sharing_someone_elses_contact_does_not_link(client, bot, standin):
    deliver(client, bot, contact={"phone_number": "+79120000000", "first_name": "Чужой", "user_id": 1})

    assert TelegramChat.objects.get().contact is None


def test_unknown_number_creates_an_unverified_contact(client, bot, standin):
    share_phone(client, bot, phone="79990001122")

    chat = TelegramChat.objects.get()
    assert (chat.contact.full_name, chat.contact.is_verified) == ("Пётр Иванов", False)
    assert chat.contact.phones.get().normalized == "9990001122"


def test_nul_characters_in_a_message_and_a_name_are_stored_as_replacement_characters(client, bot, standin, linked):
    # given: JSON may carry \u0000, which PostgreSQL keeps neither in text nor in jsonb
    update = {
        "update_id": next(_updates),
        "message": {**message("Течёт\u0000 кран"), "from": {"id": USER_ID, "first_name": "Пётр\u0000"}},
    }

    # when
    row = deliver(client, bot, update=update)

    # then: the message became a ticket, the NUL shown as a replacement character
    ticket = Ticket.objects.get()
    assert (row.ticket, ticket.title) == (ticket, "Течёт\ufffd кран")
    assert "\x00" not in row.from_address + row.subject


def test_photo_with_caption_opens_a_ticket_with_the_largest_photo(client, bot, standin, linked):
    # given
    standin.files["small"] = ("photos/file_1.jpg", b"small-bytes")
    standin.files["large"] = ("photos/file_2.jpg", b"large-photo-bytes")
    photo = [
        {"file_id": "small", "file_unique_id": "s1", "width": 90, "height": 90, "file_size": 11},
        {"file_id": "large", "file_unique_id": "l1", "width": 1280, "height": 960, "file_size": 17},
    ]

    # when
    row = deliver(client, bot, photo=photo, caption="Разбито стекло в подъезде")

    # then
    ticket = Ticket.objects.get()
    assert (row.ticket, ticket.title, ticket.channel) == (ticket, "Разбито стекло в подъезде", Channel.TELEGRAM)
    attachment = ticket.attachments.get()
    assert (attachment.filename, attachment.content_type, attachment.size) == ("photo_l1.jpg", "image/jpeg", 17)
    assert [r.params for r in standin.calls("getFile")] == [{"file_id": "large"}]


@pytest.mark.parametrize("reachable", [True, False], ids=["refused", "unreachable"])
def test_a_photo_telegram_does_not_serve_still_becomes_the_article_with_a_note(
    client, bot, standin, linked, reachable, settings
):
    # given: Telegram refuses the file (an unknown file_id), or cannot be reached for it
    if not reachable:
        settings.TELEGRAM_API_URL = f"http://127.0.0.1:{free_port()}"
    photo = [{"file_id": "gone", "file_unique_id": "g1", "width": 1280, "height": 960, "file_size": 17}]

    # when
    row = deliver(client, bot, photo=photo, caption="Битое стекло в лифте")

    # then: the message is the ticket, with its caption and a note saying which file is missing
    ticket = Ticket.objects.get()
    article = ticket.articles.get()
    assert (row.status, row.ticket, ticket.title) == ("processed", ticket, "Битое стекло в лифте")
    assert article.body.startswith("Битое стекло в лифте\n(")
    assert "photo_g1.jpg" in article.body
    assert ticket.attachments.count() == 0


def test_document_location_and_voice_become_one_article_each(client, bot, standin, linked):
    standin.files["doc"] = ("documents/act.pdf", b"%PDF-1.4")
    standin.files["voice"] = ("voice/file_3.oga", b"OggS")

    deliver(client, bot, document={"file_id": "doc", "file_name": "акт.pdf", "mime_type": "application/pdf"})
    deliver(client, bot, location={"latitude": 55.75, "longitude": 37.62})
    deliver(client, bot, voice={"file_id": "voice", "mime_type": "audio/ogg", "duration": 3})

    ticket = Ticket.objects.get()
    articles = list(ticket.articles.order_by("id"))
    assert [a.attachments.count() for a in articles] == [1, 0, 1]
    assert articles[1].body.startswith("📍 55.75, 37.62 https://www.openstreetmap.org/")
    assert sorted(ticket.attachments.values_list("filename", flat=True)) == ["voice.ogg", "акт.pdf"]


def test_follow_up_goes_to_the_open_ticket_and_after_resolution_opens_a_new_one(client, bot, standin, linked):
    # given
    deliver(client, bot, text="Не греет батарея")
    ticket = Ticket.objects.get()

    # when
    deliver(client, bot, text="В квартире 15 градусов")

    # then
    assert Ticket.objects.count() == 1
    assert list(ticket.articles.order_by("id").values_list("body", flat=True)) == [
        "Не греет батарея",
        "В квартире 15 градусов",
    ]

    # when: the ticket is resolved and the client writes again
    ticket_set_status(ticket=ticket, actor=None, status=Status.objects.filter(category=StatusCategory.RESOLVED).first())
    deliver(client, bot, text="Снова холодно")

    # then
    assert Ticket.objects.count() == 2
    assert Ticket.objects.latest("id").title == "Снова холодно"


def test_new_command_starts_another_ticket(client, bot, standin, linked):
    deliver(client, bot, text="Первая проблема")
    deliver(client, bot, text="/new")
    deliver(client, bot, text="Вторая проблема")

    assert list(Ticket.objects.order_by("id").values_list("title", flat=True)) == ["Первая проблема", "Вторая проблема"]


def test_status_lists_the_clients_open_tickets(client, bot, standin, linked):
    # given
    deliver(client, bot, text="Первая проблема")
    deliver(client, bot, text="/new")
    deliver(client, bot, text="Вторая проблема")
    first, second = Ticket.objects.order_by("id")

    # when: the command, then the keyboard button
    deliver(client, bot, text="/status")
    deliver(client, bot, text="Мои заявки")
    outbox_send_due()

    # then
    lines = [
        f"№{second.number} — Вторая проблема — {second.status}",
        f"№{first.number} — Первая проблема — {first.status}",
    ]
    expected = "\n".join(["Ваши открытые заявки:", *lines])
    assert sent_texts(standin)[-2:] == [expected, expected]


def test_edited_message_updates_the_article_and_keeps_the_old_text(client, bot, standin, linked):
    # given
    original = message("Не работает лифт")
    deliver(client, bot, update={"update_id": next(_updates), "message": original})

    # when
    edited = {**original, "text": "Не работает лифт во 2-м подъезде", "edit_date": 1700000100}
    deliver(client, bot, update={"update_id": next(_updates), "edited_message": edited})

    # then
    article = Article.objects.get()
    assert article.body == "Не работает лифт во 2-м подъезде"
    event = TicketEvent.objects.get(kind=EventKind.FIELD_CHANGED)
    assert event.data == {
        "field": "article",
        "article_id": article.pk,
        "old": "Не работает лифт",
        "new": "Не работает лифт во 2-м подъезде",
    }


# --- outbound -------------------------------------------------------------------------------------------


def test_agent_reply_is_sent_to_the_chat_and_a_note_never(client, bot, standin, linked, agent):
    # given
    deliver(client, bot, text="Не греет батарея")
    ticket = Ticket.objects.get()
    outbox_send_due()
    standin.requests.clear()

    # when
    ticket_reply(ticket=ticket, author=agent, body="Внутреннее: проверить стояк", kind=ArticleKind.NOTE)
    reply = ticket_reply(ticket=ticket, author=agent, body="Мастер придёт сегодня до 18:00")
    outbox_send_due()

    # then
    assert [(r.params["chat_id"], r.params["text"]) for r in standin.calls("sendMessage")] == [
        (CHAT_ID, "Мастер придёт сегодня до 18:00")
    ]
    row = OutboxMessage.objects.get(article=reply)
    assert (row.channel, row.status, row.recipient) == ("telegram", OutboxStatus.SENT, str(CHAT_ID))
    # and the ticket page says where it went: Telegram, the chat
    agent.language = "en"
    agent.save()
    browser = Client()
    browser.force_login(agent)
    page = browser.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Telegram Sent</span>" in page
    assert f'<span class="muted">chat {CHAT_ID} · ' in page


def test_a_reply_longer_than_telegram_takes_goes_in_parts_cut_between_paragraphs(client, bot, standin, linked, agent):
    # given: a ticket from the chat
    deliver(client, bot, text="Пришлите инструкцию")
    ticket = Ticket.objects.get()
    outbox_send_due()
    standin.requests.clear()
    first = "Шаг 1.\r\n" + "Откройте щиток и проверьте автомат. " * 90
    second = "Шаг 2.\r\n" + "Замерьте напряжение на вводе. " * 90

    # when: the agent replies with two paragraphs of about 3,000 characters each (typed in a browser)
    ticket_reply(ticket=ticket, author=agent, body=f"{first}\r\n\r\n{second}")
    for _attempt in range(3):
        outbox_send_due(now=timezone.now() + timedelta(minutes=1))

    # then: two messages in order, each within Telegram's limit, cut between the paragraphs
    texts = [r.params["text"] for r in standin.calls("sendMessage")]
    assert texts == [first.replace("\r\n", "\n").strip(), second.replace("\r\n", "\n").strip()]
    assert all(len(text) <= 4096 for text in texts)


def test_agent_reply_with_a_photo_goes_by_send_photo(client, bot, standin, linked, agent):
    from django.core.files.base import ContentFile

    from tickets.services import UploadedFileData

    deliver(client, bot, text="Покажите схему")
    ticket = Ticket.objects.get()
    outbox_send_due()
    photo = UploadedFileData(name="схема.png", content_type="image/png", file=ContentFile(b"\x89PNG-bytes"))

    ticket_reply(ticket=ticket, author=agent, body="Вот схема", attachments=[photo])
    outbox_send_due()

    [sent] = standin.calls("sendPhoto")
    assert (sent.params["chat_id"], sent.files["photo"]) == (str(CHAT_ID), b"\x89PNG-bytes")


def test_429_retry_after_reschedules_without_using_an_attempt(client, bot, standin, linked, agent):
    # given
    deliver(client, bot, text="Не греет батарея")
    ticket = Ticket.objects.get()
    outbox_send_due()
    standin.too_many["sendMessage"] = 7
    reply = ticket_reply(ticket=ticket, author=agent, body="Уже едем")
    now = timezone.now()

    # when
    outbox_send_due(now=now)

    # then: queued for retry_after seconds, no attempt used
    row = OutboxMessage.objects.get(article=reply)
    assert (row.status, row.attempts, row.next_attempt_at) == (OutboxStatus.QUEUED, 0, now + timedelta(seconds=7))
    assert "429" in row.last_error

    # when: before retry_after nothing goes; after it the message is sent
    assert outbox_send_due(now=now + timedelta(seconds=6)) == 0
    assert outbox_send_due(now=now + timedelta(seconds=8)) == 1
    assert sent_texts(standin)[-2:] == ["Уже едем", "Уже едем"]


@pytest.fixture
def chat_pacing(monkeypatch):
    """Telegram's real limits back on, for the pacing tests (the module lifts the per-chat one)."""
    from channels.telegram import outbound

    monkeypatch.setattr(outbound, "PER_CHAT_INTERVAL", timedelta(seconds=1))


def _queued_behind(text):  # type: ignore[no-untyped-def]
    return OutboxMessage.objects.get(channel="telegram", payload__contains=text.encode())


def test_a_second_message_to_a_chat_waits_in_the_outbox_not_in_the_worker(
    client, bot, standin, linked, agent, chat_pacing
):
    import time

    # given: the acknowledgement went a moment ago, two replies are queued
    deliver(client, bot, text="Не греет батарея")
    ticket = Ticket.objects.get()
    ticket_reply(ticket=ticket, author=agent, body="Первый ответ")
    ticket_reply(ticket=ticket, author=agent, body="Второй ответ")
    started = time.monotonic()

    # when: the worker sends what is due
    sent_now = outbox_send_due()

    # then: the acknowledgement went; the replies wait their turn in the outbox, without an
    # attempt used, and the worker did not sleep
    assert time.monotonic() - started < 0.5
    assert sent_now == 1
    first = OutboxMessage.objects.filter(article__body="Первый ответ").get()
    second = OutboxMessage.objects.filter(article__body="Второй ответ").get()
    assert (first.status, first.attempts, second.status, second.attempts) == ("queued", 0, "queued", 0)
    linked.refresh_from_db()
    assert first.next_attempt_at == linked.last_sent_at + timedelta(seconds=1)
    assert second.next_attempt_at >= first.next_attempt_at

    # when: half a second later nothing may go; once each second is up, one reply, in order
    assert outbox_send_due(now=linked.last_sent_at + timedelta(milliseconds=500)) == 0
    assert outbox_send_due(now=first.next_attempt_at) == 1
    second.refresh_from_db()
    assert outbox_send_due(now=second.next_attempt_at + timedelta(seconds=1)) == 1
    assert sent_texts(standin)[-2:] == ["Первый ответ", "Второй ответ"]


def test_a_paced_message_has_its_send_scheduled_for_when_it_may_go(
    client, bot, standin, linked, agent, chat_pacing, django_capture_on_commit_callbacks, monkeypatch
):
    from huey.contrib.djhuey import HUEY
    from huey.storage import MemoryStorage

    # The queue in memory (Huey's own storage, as HUEY_BACKEND=memory), not the shared var/ file.
    monkeypatch.setattr(HUEY, "storage", MemoryStorage("paced"))

    # given: the acknowledgement went a moment ago and a reply is queued
    deliver(client, bot, text="Не греет батарея")
    ticket = Ticket.objects.get()
    outbox_send_due()
    reply = ticket_reply(ticket=ticket, author=agent, body="Ответ")
    # when: the worker finds it may not go yet
    with django_capture_on_commit_callbacks(execute=True):
        outbox_send_due()
    # then: a send of that row is in the queue's schedule, for the moment it may go
    row = OutboxMessage.objects.get(article=reply)
    # (queued with its eta; the consumer keeps it in the schedule until then)
    [task] = [t for t in HUEY.pending() + HUEY.scheduled() if t.name.endswith("outbox_send_task")]
    assert task.args == (row.pk,)
    assert abs((task.eta.replace(tzinfo=UTC) - row.next_attempt_at).total_seconds()) < 1


def test_a_message_queued_behind_one_waiting_for_a_retry_keeps_its_place(
    client, bot, standin, linked, agent, chat_pacing
):
    # given: the first reply was refused with 429 (retry after 7 s)
    deliver(client, bot, text="Не греет батарея")
    ticket = Ticket.objects.get()
    now = timezone.now() + timedelta(seconds=5)  # well after the acknowledgement
    outbox_send_due(now=now)
    standin.too_many["sendMessage"] = 7
    ticket_reply(ticket=ticket, author=agent, body="Первый ответ")
    outbox_send_due(now=now)
    standin.too_many.clear()
    # when: a second reply is written and the worker sends what is due
    ticket_reply(ticket=ticket, author=agent, body="Второй ответ")
    outbox_send_due(now=now + timedelta(seconds=1))
    # then: it waits until a second after the first one's retry, and they go in order
    second = OutboxMessage.objects.filter(article__body="Второй ответ").get()
    assert (second.status, second.next_attempt_at) == ("queued", now + timedelta(seconds=8))
    assert outbox_send_due(now=now + timedelta(seconds=7)) == 1
    assert outbox_send_due(now=now + timedelta(seconds=9)) == 1
    assert sent_texts(standin)[-2:] == ["Первый ответ", "Второй ответ"]


def _other_chats(key, first_chat, fields):  # type: ignore[no-untyped-def]
    """Thirty outbox rows to thirty other chats; `fields(n)` gives the n-th its state."""
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                channel="telegram",
                kind="chat",
                dedup_key=f"{key}:{n}",
                recipient=str(first_chat + n),
                payload=b"{}",
                **fields(n),
            )
            for n in range(30)
        ]
    )


def test_thirty_messages_in_the_last_second_hold_the_next_one_back(client, bot, standin, linked, agent):
    # given: thirty messages to other chats went out within the last second
    deliver(client, bot, text="Не греет батарея")
    ticket = Ticket.objects.get()
    now = timezone.now() + timedelta(seconds=5)
    outbox_send_due(now=now)
    _other_chats(
        "other", 9000, lambda n: {"status": OutboxStatus.SENT, "sent_at": now - timedelta(milliseconds=900 - n * 10)}
    )
    ticket_reply(ticket=ticket, author=agent, body="Ответ")
    # when
    assert outbox_send_due(now=now) == 0
    # then: it waits until the oldest of the thirty is a second old
    row = OutboxMessage.objects.filter(article__body="Ответ").get()
    assert row.next_attempt_at == now + timedelta(milliseconds=100)

    # when: thirty more messages to other chats wait in the outbox, and then one more is queued
    _other_chats("waiting", 8000, lambda n: {"next_attempt_at": now + timedelta(minutes=5)})
    request = {"bot": bot.pk, "method": "sendMessage", "chat_id": 7777, "text": "Другому"}
    latest = OutboxMessage.objects.create(
        channel="telegram", kind="chat", dedup_key="latest", recipient="7777", payload=json.dumps(request).encode()
    )
    assert outbox_send_due(now=now) == 0
    # then: the thirty-one queued before it take the next second's slots first
    latest.refresh_from_db()
    assert latest.next_attempt_at == now + timedelta(milliseconds=1100)
    # and the reply goes when its time comes
    assert outbox_send_due(now=row.next_attempt_at) == 1
    assert sent_texts(standin)[-1] == "Ответ"


def test_email_ticket_replies_do_not_go_to_telegram(client, bot, standin, linked, agent):
    from tickets.services import ticket_create

    ticket = ticket_create(actor=agent, title="По почте", channel=Channel.EMAIL, contact=linked.contact)
    ticket_reply(ticket=ticket, author=agent, body="Ответ по почте")

    assert OutboxMessage.objects.filter(channel="telegram").count() == 0


# --- polling ------------------------------------------------------------------------------------------


def test_polling_stores_updates_and_advances_the_offset(bot, standin):
    # given
    bot.mode = TelegramMode.POLLING
    bot.save()
    standin.updates = [
        {"update_id": 501, "message": message("Первое")},
        {"update_id": 502, "message": message("Второе")},
    ]

    # when
    call_command("telegram_poll", "--once", stdout=io.StringIO())

    # then
    bot.refresh_from_db()
    assert bot.last_update_id == 502
    assert sorted(InboundMessage.objects.values_list("dedup_key", "source")) == [
        (f"{bot.pk}:501", "polling"),
        (f"{bot.pk}:502", "polling"),
    ]
    assert standin.calls("getUpdates")[0].params == {"offset": 1, "timeout": 0}

    # when: the next round asks from the next update
    call_command("telegram_poll", "--once", stdout=io.StringIO())
    assert standin.calls("getUpdates")[1].params["offset"] == 503


def test_polling_does_not_advance_past_an_update_it_could_not_store(bot, standin, monkeypatch):
    # given: storing the second update fails (the database went away)
    bot.mode = TelegramMode.POLLING
    bot.save()
    standin.updates = [
        {"update_id": 601, "message": message("Первое")},
        {"update_id": 602, "message": message("Второе")},
    ]
    real_store = telegram_intake.inbound_store

    def store(**kwargs):
        if kwargs["dedup_key"].endswith(":602"):
            raise RuntimeError("database is gone")
        return real_store(**kwargs)

    monkeypatch.setattr(telegram_intake, "inbound_store", store)

    # when
    with pytest.raises(RuntimeError):
        telegram_intake.telegram_poll_once(bot=bot, timeout=0)

    # then: the offset stays after the first, so the second is asked for again
    bot.refresh_from_db()
    assert bot.last_update_id == 601
    assert list(InboundMessage.objects.values_list("dedup_key", flat=True)) == [f"{bot.pk}:601"]


# --- administration -------------------------------------------------------------------------------------


def test_admin_creates_a_bot_and_the_token_is_never_shown(login, admin_user, team):
    browser = login(admin_user)

    response = browser.post(
        "/channels/telegram/new/", {"name": "Поддержка", "token": "999:SECRET", "mode": "webhook", "language": "ru",
                                    "team": team.pk, "is_active": "on"},
    )  # fmt: skip

    bot = TelegramBot.objects.get()
    assert response.status_code == 302
    assert (bot.name, bot.token, len(bot.webhook_secret)) == ("Поддержка", "999:SECRET", 43)
    page = browser.get(f"/channels/telegram/{bot.pk}/").content.decode()
    assert "999:SECRET" not in page
    assert "Stored. Leave empty to keep it." in page

    # when: saved again with the token left empty
    browser.post(f"/channels/telegram/{bot.pk}/", {"name": "Поддержка 2", "token": "", "mode": "webhook",
                                                   "language": "ru", "is_active": "on"})  # fmt: skip
    bot.refresh_from_db()
    assert (bot.name, bot.token) == ("Поддержка 2", "999:SECRET")


def test_register_webhook_calls_set_webhook_with_the_secret(login, admin_user, bot, standin, settings):
    settings.OTKLIK_PUBLIC_URL = "https://desk.example.test/"

    response = login(admin_user).post(f"/channels/telegram/{bot.pk}/register/")

    assert response.status_code == 302
    [call] = standin.calls("setWebhook")
    assert call.params == {
        "url": f"https://desk.example.test/channels/telegram/{bot.pk}/webhook/",
        "secret_token": bot.webhook_secret,
        "allowed_updates": ["message", "edited_message"],
    }


def test_polling_mode_deletes_the_webhook_and_errors_are_shown(login, admin_user, bot, standin):
    bot.mode = TelegramMode.POLLING
    bot.save()
    standin.too_many["deleteWebhook"] = 3
    browser = login(admin_user)

    browser.post(f"/channels/telegram/{bot.pk}/register/")

    bot.refresh_from_db()
    assert bot.last_error == "429 Too Many Requests: retry after 3"
    assert "429 Too Many Requests: retry after 3" in browser.get("/channels/telegram/").content.decode()
    browser.post(f"/channels/telegram/{bot.pk}/register/")
    bot.refresh_from_db()
    assert (len(standin.calls("deleteWebhook")), bot.last_error) == (2, "")


def test_webhook_mode_without_a_public_address_says_so_and_asks_telegram_nothing(
    login, admin_user, bot, standin, settings
):
    # given: no OTKLIK_PUBLIC_URL
    settings.OTKLIK_PUBLIC_URL = ""

    # when: the administrator presses "Register webhook"
    browser = login(admin_user)
    page = browser.post(f"/channels/telegram/{bot.pk}/register/", follow=True).content.decode()

    # then: the page says what to set, Telegram was not called, and the bot has no error of its own
    assert "OTKLIK_PUBLIC_URL" in page
    assert "Telegram refused" not in page
    assert standin.requests == []
    bot.refresh_from_db()
    assert bot.last_error == ""


def test_switching_a_bot_to_polling_removes_its_webhook_on_save(login, admin_user, bot, standin):
    # given: a bot in webhook mode
    browser = login(admin_user)
    fields = {"name": bot.name, "token": "", "language": "ru", "is_active": "on"}

    # when: it is saved in polling mode, then saved again unchanged
    browser.post(f"/channels/telegram/{bot.pk}/", {**fields, "mode": "polling"})
    browser.post(f"/channels/telegram/{bot.pk}/", {**fields, "mode": "polling"})

    # then: Telegram was told once to stop sending to the webhook (getUpdates is refused while one is set)
    bot.refresh_from_db()
    assert bot.mode == TelegramMode.POLLING
    assert [call.params for call in standin.calls("deleteWebhook")] == [{"drop_pending_updates": False}]


def test_switching_to_polling_while_telegram_is_unreachable_warns_and_keeps_the_change(
    login, admin_user, bot, standin, settings
):
    settings.TELEGRAM_API_URL = f"http://127.0.0.1:{free_port()}"
    browser = login(admin_user)

    page = browser.post(
        f"/channels/telegram/{bot.pk}/",
        {"name": bot.name, "token": "", "language": "ru", "is_active": "on", "mode": "polling"},
        follow=True,
    ).content.decode()

    bot.refresh_from_db()
    assert bot.mode == TelegramMode.POLLING
    assert "Telegram could not be reached" in page
