"""The WhatsApp channel against a local stand-in Cloud API server (channels/tests/whatsapp_standin.py):
the signed webhook, the processor for each message kind (payloads in fixtures/whatsapp/, written from
Meta's webhook reference), replies through the outbox with the 24-hour window, and statuses."""

import hashlib
import hmac
import itertools
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from channels.models import WhatsAppAccount, WhatsAppContact
from channels.tests.whatsapp_standin import Failure, WhatsAppStandIn
from customers.models import ContactPhone
from intake.choices import InboundStatus
from intake.models import InboundMessage
from intake.services import inbound_process
from notifications.models import OutboxMessage, OutboxRoute, OutboxStatus
from notifications.outbox import outbox_send_due
from tests.factories import ContactFactory
from tickets.choices import ArticleKind, Channel, StatusCategory
from tickets.models import Article, Status, Ticket
from tickets.services import UploadedFileData, ticket_reply, ticket_set_status

FIXTURES = Path(__file__).parent / "fixtures" / "whatsapp"
PHONE_NUMBER_ID = "106540352242922"
WA_ID = "79161234567"
APP_SECRET = "0123456789abcdef0123456789abcdef"
_ids = itertools.count(1)


@pytest.fixture
def standin():
    server = WhatsAppStandIn(phone_number_id=PHONE_NUMBER_ID, token="EAAG-test-token")
    yield server
    server.close()


@pytest.fixture
def account(team, standin):
    return WhatsAppAccount.objects.create(
        name="Поддержка WhatsApp",
        phone_number_id=PHONE_NUMBER_ID,
        business_account_id="102290129340398",
        access_token="EAAG-test-token",
        app_secret=APP_SECRET,
        api_base_url=standin.url,
        team=team,
    )


def payload(name, *, when=None, **message_fields):
    """A fixture body with a fresh message id and (unless given) a timestamp of now."""
    body = json.loads((FIXTURES / name).read_text())
    value = body["entry"][0]["changes"][0]["value"]
    for message in value.get("messages") or []:
        message["id"] = f"wamid.TEST{next(_ids):08d}"
        message["timestamp"] = str(int((when or timezone.now()).timestamp()))
        message.update(message_fields)
    return body


def status_payload(name, wamid):
    body = json.loads((FIXTURES / name).read_text())
    body["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = wamid
    return body


def sign(raw, secret=APP_SECRET):
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def post(client, account, body, *, signature=None):
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return client.post(
        f"/channels/whatsapp/{account.pk}/webhook/",
        data=raw,
        content_type="application/json",
        headers={"X-Hub-Signature-256": sign(raw) if signature is None else signature},
    )


def deliver(client, account, body):
    """Post one webhook body and process what it stored, as the worker does; the processed rows."""
    before = set(InboundMessage.objects.values_list("pk", flat=True))
    response = post(client, account, body)
    assert response.status_code == 200, response.content
    rows = []
    for row in InboundMessage.objects.exclude(pk__in=before).order_by("id"):
        processed = inbound_process(inbound_id=row.pk)
        assert processed.status == InboundStatus.PROCESSED, processed.error
        rows.append(processed)
    return rows


def sent_bodies(standin):
    return [r.body for r in standin.calls("messages")]


@pytest.fixture
def conversation(client, account, standin):
    """A client who wrote a minute ago: an open WhatsApp ticket, the acknowledgement sent."""
    deliver(client, account, payload("text.json"))
    outbox_send_due()
    standin.requests.clear()
    return Ticket.objects.get()


# --- webhook verification (GET) --------------------------------------------------------------------


def test_verification_echoes_the_challenge_with_the_right_token(client, account):
    response = client.get(
        f"/channels/whatsapp/{account.pk}/webhook/",
        {"hub.mode": "subscribe", "hub.verify_token": account.verify_token, "hub.challenge": "1158201444"},
    )

    assert (response.status_code, response.content, response["Content-Type"]) == (
        200,
        b"1158201444",
        "text/plain",
    )


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "TOKEN", "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
def test_verification_with_a_wrong_token_or_mode_is_403(client, account, query):
    query = {k: account.verify_token if v == "TOKEN" else v for k, v in query.items()}

    response = client.get(f"/channels/whatsapp/{account.pk}/webhook/", query)

    assert (response.status_code, response.content) == (403, b"forbidden")


# --- webhook signature and body (POST) -------------------------------------------------------------


def test_signed_webhook_stores_the_message_with_its_wamid_and_time(client, account):
    # given
    body = payload("text.json", when=timezone.now() - timedelta(minutes=3))
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]

    # when
    response = post(client, account, body)

    # then
    assert response.status_code == 200
    row = InboundMessage.objects.get()
    assert (row.channel, row.dedup_key, row.source, row.status) == (
        "whatsapp",
        f"msg:{message['id']}",
        "webhook",
        "received",
    )
    assert (row.from_address, row.subject) == ("Пётр Иванов", "Не работает лифт во втором подъезде")
    assert int(row.received_at.timestamp()) == int(message["timestamp"])
    stored = json.loads(bytes(row.raw))
    assert stored["entry"][0]["changes"][0]["value"]["messages"] == [message]


@pytest.mark.parametrize("signature", ["sha256=" + "0" * 64, "", "sha1=abc", sign(b"another body")])
def test_a_bad_or_missing_signature_is_401_and_stores_nothing(client, account, signature):
    response = post(client, account, payload("text.json"), signature=signature)

    assert response.status_code == 401
    assert InboundMessage.objects.count() == 0


def test_a_signature_with_another_apps_secret_is_401(client, account):
    raw = json.dumps(payload("text.json")).encode()

    response = post(client, account, raw, signature=sign(raw, secret="another app"))

    assert response.status_code == 401
    assert InboundMessage.objects.count() == 0


def test_an_unknown_or_inactive_account_is_401(client, account):
    raw = json.dumps(payload("text.json")).encode()
    unknown = client.post(
        "/channels/whatsapp/999/webhook/", data=raw, content_type="application/json",
        headers={"X-Hub-Signature-256": sign(raw)},
    )  # fmt: skip
    account.is_active = False
    account.save()

    inactive = post(client, account, raw)

    assert (unknown.status_code, inactive.status_code) == (401, 401)
    assert InboundMessage.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"object": "whatsapp_business_account"}',
        b'{"object": "page", "entry": []}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": 1}]}]}',
    ],
)
def test_a_malformed_body_is_400_and_stores_nothing(client, account, raw):
    response = post(client, account, raw)

    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0


def test_a_body_with_one_bad_message_stores_none_of_its_messages(client, account):
    # given: the second message has no id
    body = payload("batch.json")
    del body["entry"][0]["changes"][0]["value"]["messages"][1]["id"]

    # when
    response = post(client, account, body)

    # then
    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0


def test_a_replayed_webhook_makes_one_article(client, account, standin):
    # given
    body = payload("text.json")

    # when: Meta delivers the same body twice
    deliver(client, account, body)
    deliver(client, account, body)

    # then
    assert InboundMessage.objects.filter(channel="whatsapp").count() == 1
    assert Article.objects.filter(body="Не работает лифт во втором подъезде").count() == 1


def test_other_fields_and_other_numbers_are_acknowledged_and_skipped(client, account):
    # given: a template review notice, and a message to a number we do not serve
    review = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "message_template_status_update",
                                                         "value": {"event": "APPROVED", "message_template_id": 1}}]}],
    }  # fmt: skip
    elsewhere = payload("text.json")
    elsewhere["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999999"

    # when
    responses = [post(client, account, review).status_code, post(client, account, elsewhere).status_code]

    # then
    assert responses == [200, 200]
    assert InboundMessage.objects.count() == 0


def test_a_batch_stores_each_message_and_routes_it_to_its_sender(client, account, standin):
    rows = deliver(client, account, payload("batch.json"))

    assert len(rows) == 2
    assert sorted(Ticket.objects.values_list("title", "contact__full_name")) == [
        ("The heating is off", "Anna Smith"),
        ("Первое сообщение", "Пётр Иванов"),
    ]


# --- contacts and tickets ----------------------------------------------------------------------------


def test_first_message_opens_a_ticket_for_the_contact_with_that_number(client, account, standin):
    # given: a known contact whose number is written the Russian way
    contact = ContactFactory(full_name="Пётр Петрович Иванов")
    ContactPhone.objects.create(contact=contact, phone="8 (916) 123-45-67")
    sent_at = timezone.now() - timedelta(minutes=5)

    # when
    [row] = deliver(client, account, payload("text.json", when=sent_at))
    outbox_send_due()

    # then: the ticket is the contact's, routed by the account, its SLA from the message's time
    ticket = Ticket.objects.get()
    assert (row.ticket, ticket.title, ticket.channel, ticket.contact, ticket.team) == (
        ticket,
        "Не работает лифт во втором подъезде",
        Channel.WHATSAPP,
        contact,
        account.team,
    )
    assert int(ticket.received_at.timestamp()) == int(sent_at.timestamp())
    sender = WhatsAppContact.objects.get()
    assert (sender.wa_id, sender.contact, sender.ticket, sender.profile_name) == (WA_ID, contact, ticket, "Пётр Иванов")
    assert int(sender.last_inbound_at.timestamp()) == int(sent_at.timestamp())
    # and the client is told the number, on WhatsApp
    assert sent_bodies(standin) == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": WA_ID,
            "type": "text",
            "text": {
                "body": f"Ваша заявка №{ticket.number} «{ticket.title}» принята. Мы ответим как можно скорее.",
                "preview_url": False,
            },
        }
    ]
    assert standin.calls("messages")[0].path == f"/v21.0/{PHONE_NUMBER_ID}/messages"


def test_a_message_processed_after_the_window_opens_a_ticket_without_an_acknowledgement(client, account, standin):
    # given: a message written two days ago (e.g. re-processed from the failed list)
    deliver(client, account, payload("text.json", when=timezone.now() - timedelta(days=2)))

    # when
    outbox_send_due()

    # then: the ticket, and nothing sent that WhatsApp would refuse
    assert Ticket.objects.count() == 1
    assert (OutboxMessage.objects.count(), standin.calls("messages")) == (0, [])


def test_an_unknown_number_creates_an_unverified_contact_named_as_the_profile(client, account, standin):
    deliver(client, account, payload("text.json"))

    contact = Ticket.objects.get().contact
    assert (contact.full_name, contact.is_verified, contact.language) == ("Пётр Иванов", False, "ru")
    assert list(contact.phones.values_list("phone", "normalized")) == [("+79161234567", "9161234567")]


def test_follow_up_goes_to_the_open_ticket_and_after_resolution_opens_a_new_one(client, account, standin):
    # given
    deliver(client, account, payload("text.json"))
    ticket = Ticket.objects.get()

    # when
    deliver(client, account, payload("text.json", text={"body": "Застряли люди"}))

    # then
    assert Ticket.objects.count() == 1
    assert list(ticket.articles.order_by("id").values_list("body", "channel")) == [
        ("Не работает лифт во втором подъезде", "whatsapp"),
        ("Застряли люди", "whatsapp"),
    ]

    # when: the ticket is resolved and the client writes again
    ticket_set_status(ticket=ticket, actor=None, status=Status.objects.filter(category=StatusCategory.RESOLVED).first())
    deliver(client, account, payload("text.json", text={"body": "Снова стоит"}))

    # then
    assert list(Ticket.objects.order_by("id").values_list("title", flat=True)) == [
        "Не работает лифт во втором подъезде",
        "Снова стоит",
    ]


# --- message kinds -------------------------------------------------------------------------------------


def test_image_with_caption_is_fetched_by_media_id_and_attached(client, account, standin):
    # given: the client's photo, as the Cloud API keeps it
    standin.media["1479537139650973"] = ("image/jpeg", b"\xff\xd8\xff-jpeg-bytes")

    # when
    deliver(client, account, payload("image.json"))

    # then
    ticket = Ticket.objects.get()
    assert ticket.title == "Разбито стекло в подъезде"
    attachment = ticket.attachments.get()
    assert (attachment.filename, attachment.content_type, attachment.size) == ("photo.jpg", "image/jpeg", 14)
    info, download = standin.calls("media_info")[0], standin.calls("download")[0]
    assert (info.path, info.authorization) == ("/v21.0/1479537139650973", "Bearer EAAG-test-token")
    assert (download.path, download.authorization) == ("/download/1479537139650973", "Bearer EAAG-test-token")


def test_document_and_voice_keep_their_names_and_types(client, account, standin):
    standin.media["1003383421387256"] = ("application/pdf", b"%PDF-1.4")
    standin.media["1054321098765432"] = ("audio/ogg", b"OggS-voice")

    deliver(client, account, payload("document.json"))
    deliver(client, account, payload("audio.json"))

    first, second = Ticket.objects.get().articles.order_by("id")
    assert (first.body, [a.filename for a in first.attachments.all()]) == ("Акт осмотра", ["акт.pdf"])
    assert (second.body, [(a.filename, a.content_type) for a in second.attachments.all()]) == (
        "",
        [("voice.ogg", "audio/ogg")],
    )


def test_location_becomes_a_readable_article_with_a_map_link(client, account, standin):
    deliver(client, account, payload("location.json"))

    article = Article.objects.get()
    assert article.body == (
        "Бизнес-центр «Тверская»\n"
        "ул. Тверская, 1, Москва\n"
        "📍 55.7575, 37.6139 https://www.openstreetmap.org/?mlat=55.7575&mlon=37.6139#map=17/55.7575/37.6139"
    )


def test_a_media_that_cannot_be_fetched_is_a_visible_note_not_a_lost_message(client, account, standin):
    # given: the media id is gone on Meta's side
    body = payload("image.json")

    # when
    deliver(client, account, body)

    # then
    article = Article.objects.get()
    assert article.body.startswith("Разбито стекло в подъезде\n(файл photo.jpg не удалось получить из WhatsApp: 400 ")
    assert article.attachments.count() == 0


def test_an_oversized_media_is_named_in_the_article(client, account, standin, settings):
    settings.OTKLIK_ATTACHMENT_MAX_BYTES = 10
    standin.media["1003383421387256"] = ("application/pdf", b"%PDF-1.4 and much more")

    deliver(client, account, payload("document.json"))

    article = Article.objects.get()
    assert article.body == "Акт осмотра\n(файл акт.pdf больше 10\xa0байт и не приложен)"
    assert standin.calls("download") == []


def test_an_unsupported_message_still_tells_the_agent(client, account, standin):
    deliver(client, account, payload("unsupported.json"))

    assert Article.objects.get().body == (
        "(сообщение WhatsApp такого вида Отклик показать не может: unsupported)\nMessage type unknown"
    )


def test_a_failed_message_is_shown_downloadable_and_processed_again(client, account, standin, login, admin_user):
    # given: a message stored while its number was unknown to the processor (deleted and re-added)
    body = payload("text.json")
    post(client, account, body)
    row = InboundMessage.objects.get()
    WhatsAppAccount.objects.filter(pk=account.pk).update(phone_number_id="1")
    assert inbound_process(inbound_id=row.pk).status == InboundStatus.FAILED
    WhatsAppAccount.objects.filter(pk=account.pk).update(phone_number_id=PHONE_NUMBER_ID)
    browser = login(admin_user)

    # when: the administrator opens it from the failed list, downloads it and processes it again
    listed = browser.get("/channels/inbound/failed/").content.decode()
    detail = browser.get(f"/channels/inbound/{row.pk}/").content.decode()
    download = browser.get(f"/channels/inbound/{row.pk}/eml/")
    browser.post(f"/channels/inbound/{row.pk}/process/")
    inbound_process(inbound_id=row.pk)

    # then
    assert f"/channels/inbound/{row.pk}/" in listed
    assert '<td class="col-inline">WhatsApp</td>' in listed  # the list names each message's channel
    assert "WhatsApp" in detail and "Download as received" in detail
    assert (download["Content-Type"], download["Content-Disposition"]) == (
        "application/json",
        f'attachment; filename="inbound-{row.pk}.json"',
    )
    assert (
        json.loads(download.content)["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        == (body["entry"][0]["changes"][0]["value"]["messages"][0]["id"])
    )
    assert Ticket.objects.get().title == "Не работает лифт во втором подъезде"


def test_reactions_and_group_messages_are_stored_but_open_nothing(client, account, standin):
    reaction = payload("text.json", type="reaction", reaction={"message_id": "wamid.X", "emoji": "👍"})
    group = payload("text.json", group_id="120363000000000000@g.us")

    rows = deliver(client, account, reaction) + deliver(client, account, group)

    assert [(r.status, r.ticket) for r in rows] == [("processed", None), ("processed", None)]
    assert Ticket.objects.count() == 0


# --- replies -----------------------------------------------------------------------------------------------


def test_agent_reply_goes_to_whatsapp_and_a_note_never(client, account, standin, conversation, agent):
    # when
    ticket_reply(ticket=conversation, author=agent, body="Внутреннее: позвонить в лифтовую", kind=ArticleKind.NOTE)
    reply = ticket_reply(ticket=conversation, author=agent, body="Мастер будет через час")
    outbox_send_due()

    # then
    [call] = standin.calls("messages")
    assert (call.path, call.authorization) == (f"/v21.0/{PHONE_NUMBER_ID}/messages", "Bearer EAAG-test-token")
    assert call.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "text",
        "text": {"body": "Мастер будет через час", "preview_url": False},
    }
    row = OutboxMessage.objects.get(article=reply)
    assert (row.channel, row.status, row.recipient, row.route) == ("whatsapp", "sent", f"+{WA_ID}", "")
    assert row.message_id.startswith(f"wamid.HBgL{WA_ID}")
    assert not OutboxMessage.objects.filter(channel="email").exists()


def test_agent_reply_with_files_uploads_them_and_sends_by_media_id(client, account, standin, conversation, agent):
    photo = UploadedFileData(name="схема.png", content_type="image/png", file=ContentFile(b"\x89PNG-bytes"))
    act = UploadedFileData(name="акт.pdf", content_type="application/pdf", file=ContentFile(b"%PDF-1.4"))

    ticket_reply(ticket=conversation, author=agent, body="Схема и акт", attachments=[photo, act])
    outbox_send_due()

    uploads = standin.calls("media")
    assert [(u.body, u.files["file"]) for u in uploads] == [
        ({"messaging_product": "whatsapp", "type": "image/png"}, ("схема.png", b"\x89PNG-bytes")),
        ({"messaging_product": "whatsapp", "type": "application/pdf"}, ("акт.pdf", b"%PDF-1.4")),
    ]
    media_ids = list(standin.media)
    assert [(b["type"], b.get(b["type"])) for b in sent_bodies(standin)] == [
        ("text", {"body": "Схема и акт", "preview_url": False}),
        ("image", {"id": media_ids[0]}),
        ("document", {"filename": "акт.pdf", "id": media_ids[1]}),
    ]


def test_a_reply_longer_than_whatsapp_takes_goes_in_parts(client, account, standin, conversation, agent):
    body = "А" * 4096 + "Б" * 10

    ticket_reply(ticket=conversation, author=agent, body=body)
    outbox_send_due()

    assert [b["text"]["body"] for b in sent_bodies(standin)] == ["А" * 4096, "Б" * 10]


def test_email_ticket_replies_do_not_go_to_whatsapp(client, account, standin, conversation, agent):
    from tickets.services import ticket_create

    ticket = ticket_create(actor=agent, title="По почте", channel=Channel.EMAIL, contact=conversation.contact)
    ticket_reply(ticket=ticket, author=agent, body="Ответ по почте")

    assert OutboxMessage.objects.filter(channel="whatsapp", ticket=ticket).count() == 0


def _age_the_window(hours=25):
    WhatsAppContact.objects.update(last_inbound_at=timezone.now() - timedelta(hours=hours))


def test_outside_the_window_the_reply_goes_as_the_template(client, account, standin, conversation, agent, login):
    # given: the client wrote 25 hours ago; the account has an approved template
    account.template_name = "ticket_reply_ru"
    account.template_language = "ru"
    account.save()
    _age_the_window()

    # when
    reply = ticket_reply(ticket=conversation, author=agent, body="Мастер будет завтра")
    outbox_send_due()

    # then
    [call] = standin.calls("messages")
    assert call.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "template",
        "template": {
            "name": "ticket_reply_ru",
            "language": {"code": "ru"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": str(conversation.number)}]}],
        },
    }
    row = OutboxMessage.objects.get(article=reply)
    assert (row.status, row.route, row.subject) == ("sent", OutboxRoute.TEMPLATE, "ticket_reply_ru")
    # and the agent sees which path it took
    page = login(agent).get(f"/tickets/{conversation.number}/").content.decode()
    assert "Sent as template «ticket_reply_ru» — outside the 24-hour window" in page


def test_outside_the_window_without_a_template_the_reply_goes_by_email(
    client, account, standin, conversation, agent, mailbox, login, mailoutbox
):
    # given: the contact has an email address; no template
    contact = conversation.contact
    contact.emails.create(email="petr@romashka.test", is_primary=True)
    _age_the_window()

    # when
    reply = ticket_reply(ticket=conversation, author=agent, body="Мастер будет завтра")
    outbox_send_due()

    # then
    assert standin.calls("messages") == []
    row = OutboxMessage.objects.get(article=reply)
    assert (row.channel, row.status, row.recipient, row.route) == ("email", "sent", "petr@romashka.test", "email")
    assert [m.to for m in mailoutbox] == [["petr@romashka.test"]]
    page = login(agent).get(f"/tickets/{conversation.number}/").content.decode()
    assert "Sent by email: outside the 24-hour window" in page


def test_outside_the_window_with_no_template_and_no_email_the_reply_fails_visibly(
    client, account, standin, conversation, agent, login
):
    # given
    _age_the_window()

    # when
    reply = ticket_reply(ticket=conversation, author=agent, body="Мастер будет завтра")
    outbox_send_due()

    # then: nothing went to WhatsApp; the row failed with the reason, shown on the article
    assert standin.calls("messages") == []
    row = OutboxMessage.objects.get(article=reply)
    assert (row.channel, row.status, row.route) == ("whatsapp", "failed", OutboxRoute.WINDOW_CLOSED)
    assert row.last_error.startswith("Outside the 24-hour window")
    with_russian = login(agent)
    page = with_russian.get(f"/tickets/{conversation.number}/").content.decode()
    assert "Not sent by WhatsApp: outside the 24-hour window, with no approved template and no email address" in page


def test_retry_now_sends_a_window_closed_reply_once_the_client_wrote_again(
    client, account, standin, conversation, agent
):
    from notifications.outbox import outbox_retry

    # given: a reply that failed outside the window
    _age_the_window()
    reply = ticket_reply(ticket=conversation, author=agent, body="Мастер будет завтра")
    outbox_send_due()
    row = OutboxMessage.objects.get(article=reply)
    assert row.status == "failed"

    # when: the client writes, and the agent presses "Retry now"
    deliver(client, account, payload("text.json", text={"body": "Жду ответа"}))
    outbox_retry(message=row)
    outbox_send_due()

    # then
    row.refresh_from_db()
    assert row.status == "sent"
    assert [b["text"]["body"] for b in sent_bodies(standin)] == ["Мастер будет завтра"]


def test_a_queued_reply_that_aged_past_the_window_is_not_sent(client, account, standin, conversation, agent):
    # given: queued inside the window, sent after it closed (the worker was down)
    reply = ticket_reply(ticket=conversation, author=agent, body="Ответ")
    _age_the_window()

    # when
    outbox_send_due()

    # then
    assert standin.calls("messages") == []
    row = OutboxMessage.objects.get(article=reply)
    assert (row.status, row.route) == ("failed", "")
    assert row.last_error.startswith("Outside the 24-hour window")


def test_429_reschedules_without_using_an_attempt(client, account, standin, conversation, agent):
    # given
    standin.fail["messages"] = [
        Failure(429, {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429},
                {"Retry-After": "7"}),
    ]  # fmt: skip
    reply = ticket_reply(ticket=conversation, author=agent, body="Уже едем")
    now = timezone.now()

    # when
    outbox_send_due(now=now)

    # then
    row = OutboxMessage.objects.get(article=reply)
    assert (row.status, row.attempts, row.next_attempt_at) == (OutboxStatus.QUEUED, 0, now + timedelta(seconds=7))
    assert row.last_error == "429 (#130429) Rate limit hit (code 130429)"

    # when: before Retry-After nothing goes; after it the message is sent
    assert outbox_send_due(now=now + timedelta(seconds=6)) == 0
    assert outbox_send_due(now=now + timedelta(seconds=8)) == 1
    assert [b["text"]["body"] for b in sent_bodies(standin)] == ["Уже едем", "Уже едем"]


def test_a_rate_limit_code_without_retry_after_waits_a_minute(client, account, standin, conversation, agent):
    standin.fail["messages"] = [Failure(400, {"message": "Pair rate limit hit", "code": 131056})]
    reply = ticket_reply(ticket=conversation, author=agent, body="Уже едем")
    now = timezone.now()

    outbox_send_due(now=now)

    row = OutboxMessage.objects.get(article=reply)
    assert (row.status, row.attempts, row.next_attempt_at) == ("queued", 0, now + timedelta(minutes=1))


def test_a_server_error_is_retried_and_a_refusal_is_permanent(client, account, standin, conversation, agent):
    # given
    standin.fail["messages"] = [
        Failure(500, {"message": "An unknown error occurred", "code": 1}),
        Failure(400, {"message": "Invalid parameter", "code": 100,
                      "error_data": {"details": "Parameter 'to' is not a WhatsApp user"}}),
    ]  # fmt: skip
    reply = ticket_reply(ticket=conversation, author=agent, body="Ответ")
    now = timezone.now()

    # when: the first attempt meets the 500
    outbox_send_due(now=now)
    row = OutboxMessage.objects.get(article=reply)
    assert (row.status, row.attempts, row.next_attempt_at) == ("queued", 1, now + timedelta(minutes=1))

    # when: the retry meets the refusal
    outbox_send_due(now=now + timedelta(minutes=2))

    # then
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 2)
    assert row.last_error == "400 Invalid parameter: Parameter 'to' is not a WhatsApp user (code 100)"


def test_an_expired_token_is_retried_once_fixed(client, account, standin, conversation, agent):
    account.access_token = "expired"
    account.save()
    reply = ticket_reply(ticket=conversation, author=agent, body="Ответ")
    now = timezone.now()

    outbox_send_due(now=now)
    row = OutboxMessage.objects.get(article=reply)
    assert (row.status, row.last_error) == ("queued", "401 Error validating access token (code 190)")

    account.access_token = "EAAG-test-token"
    account.save()
    assert outbox_send_due(now=now + timedelta(minutes=2)) == 1


# --- statuses ------------------------------------------------------------------------------------------------


@pytest.fixture
def sent_reply(client, account, standin, conversation, agent):
    reply = ticket_reply(ticket=conversation, author=agent, body="Мастер будет через час")
    outbox_send_due()
    return OutboxMessage.objects.get(article=reply)


def test_statuses_move_the_reply_to_delivered_and_read(client, account, sent_reply, agent, login):
    wamid = sent_reply.message_id

    deliver(client, account, status_payload("status_sent.json", wamid))
    deliver(client, account, status_payload("status_delivered.json", wamid))
    sent_reply.refresh_from_db()
    assert sent_reply.status == OutboxStatus.DELIVERED

    deliver(client, account, status_payload("status_read.json", wamid))
    sent_reply.refresh_from_db()
    assert sent_reply.status == OutboxStatus.READ
    page = login(agent).get(f"/tickets/{sent_reply.ticket.number}/").content.decode()
    assert f'id="delivery-{sent_reply.pk}"' in page
    assert "WhatsApp Read" in page


def test_statuses_out_of_order_and_replayed_never_go_back(client, account, sent_reply):
    wamid = sent_reply.message_id

    deliver(client, account, status_payload("status_read.json", wamid))
    deliver(client, account, status_payload("status_delivered.json", wamid))
    deliver(client, account, status_payload("status_sent.json", wamid))
    deliver(client, account, status_payload("status_failed.json", wamid))  # another device's failure
    post(client, account, status_payload("status_read.json", wamid))

    sent_reply.refresh_from_db()
    assert (sent_reply.status, sent_reply.last_error) == (OutboxStatus.READ, "")
    assert InboundMessage.objects.filter(dedup_key=f"status:{wamid}:read").count() == 1


def test_a_failed_status_shows_the_error_on_the_reply(client, account, sent_reply):
    deliver(client, account, status_payload("status_failed.json", sent_reply.message_id))

    sent_reply.refresh_from_db()
    assert (sent_reply.status, sent_reply.last_error) == (
        OutboxStatus.FAILED,
        "131026 Message undeliverable Message Undeliverable.",
    )


def test_a_status_that_arrives_before_the_wamid_is_kept_applies_when_sent(
    client, account, standin, conversation, agent
):
    # given: the stand-in will number the next message 2; its "delivered" comes first
    wamid = f"wamid.HBgL{WA_ID}FQIAERgS000002"
    [row] = deliver(client, account, status_payload("status_delivered.json", wamid))
    assert (row.status, row.ticket) == ("processed", None)

    # when
    reply = ticket_reply(ticket=conversation, author=agent, body="Ответ")
    outbox_send_due()

    # then
    sent = OutboxMessage.objects.get(article=reply)
    assert (sent.message_id, sent.status) == (wamid, OutboxStatus.DELIVERED)


# --- administration ---------------------------------------------------------------------------------------------


def test_admin_creates_an_account_and_secrets_are_never_shown(login, admin_user, team):
    browser = login(admin_user)
    form = {
        "name": "Поддержка", "phone_number_id": "106540352242922", "business_account_id": "102290129340398",
        "access_token": "EAAG-SECRET-TOKEN", "app_secret": "APP-SECRET-VALUE", "verify_token": "my-verify-token",
        "api_base_url": "https://graph.facebook.com/v21.0", "language": "ru", "team": team.pk,
        "template_name": "", "template_language": "ru", "is_active": "on",
    }  # fmt: skip

    response = browser.post("/channels/whatsapp/new/", form)

    account = WhatsAppAccount.objects.get()
    assert response.status_code == 302
    assert (account.access_token, account.app_secret, account.verify_token) == (
        "EAAG-SECRET-TOKEN",
        "APP-SECRET-VALUE",
        "my-verify-token",
    )
    page = browser.get(f"/channels/whatsapp/{account.pk}/").content.decode()
    assert "EAAG-SECRET-TOKEN" not in page
    assert "APP-SECRET-VALUE" not in page
    assert f"http://testserver/channels/whatsapp/{account.pk}/webhook/" in page
    assert "my-verify-token" in page

    # when: saved again with the secrets left empty
    browser.post(f"/channels/whatsapp/{account.pk}/", {**form, "name": "Поддержка 2", "access_token": "",
                                                       "app_secret": ""})  # fmt: skip
    account.refresh_from_db()
    assert (account.name, account.access_token, account.app_secret) == (
        "Поддержка 2",
        "EAAG-SECRET-TOKEN",
        "APP-SECRET-VALUE",
    )


def test_a_new_numbers_form_offers_the_graph_api_address_and_keeps_typed_secrets_on_an_error(login, admin_user):
    browser = login(admin_user)

    # the empty form comes with Meta's Graph API address filled in
    page = browser.get("/channels/whatsapp/new/").content.decode()
    assert 'value="https://graph.facebook.com/v21.0"' in page

    # a form refused for another field gives back the secrets just typed
    page = browser.post(
        "/channels/whatsapp/new/", {"name": "X", "phone_number_id": "+7 495", "access_token": "EAAG-TYPED",
                                    "app_secret": "SECRET-TYPED", "verify_token": "v",
                                    "api_base_url": "https://graph.facebook.com/v21.0", "language": "ru",
                                    "template_language": "ru"},
    ).content.decode()  # fmt: skip
    assert "The phone number ID is a number" in page
    assert 'value="EAAG-TYPED"' in page and 'value="SECRET-TYPED"' in page


def test_the_callback_url_is_under_the_public_address_when_set(login, admin_user, account, settings):
    settings.OTKLIK_PUBLIC_URL = "https://desk.example.test/"

    page = login(admin_user).get(f"/channels/whatsapp/{account.pk}/").content.decode()

    assert f"https://desk.example.test/channels/whatsapp/{account.pk}/webhook/" in page


def test_a_phone_number_id_must_be_a_number(login, admin_user):
    response = login(admin_user).post(
        "/channels/whatsapp/new/", {"name": "X", "phone_number_id": "+7 495", "access_token": "t", "app_secret": "s",
                                    "verify_token": "v", "api_base_url": "https://graph.facebook.com/v21.0",
                                    "language": "ru", "template_language": "ru"},
    )  # fmt: skip

    assert response.status_code == 200
    assert "The phone number ID is a number" in response.content.decode()
    assert WhatsAppAccount.objects.count() == 0


def test_test_connection_asks_for_the_number_and_keeps_errors(login, admin_user, account, standin):
    browser = login(admin_user)

    browser.post(f"/channels/whatsapp/{account.pk}/test/")
    account.refresh_from_db()
    [call] = standin.calls("phone_number")
    assert (call.path, call.query) == (
        f"/v21.0/{PHONE_NUMBER_ID}",
        {"fields": "display_phone_number,verified_name,quality_rating"},
    )
    assert (account.display_phone_number, account.last_error) == ("+7 495 123-45-67", "")

    account.access_token = "revoked"
    account.save()
    response = browser.post(f"/channels/whatsapp/{account.pk}/test/", follow=True)
    account.refresh_from_db()
    assert account.last_error == "401 Error validating access token (code 190)"
    assert "WhatsApp refused: 401 Error validating access token (code 190)" in response.content.decode()


def test_settings_pages_are_for_administrators_only(login, agent, account):
    browser = login(agent)

    codes = [browser.get(url).status_code for url in ("/channels/whatsapp/", f"/channels/whatsapp/{account.pk}/")]

    assert codes == [403, 403]


def test_account_list_reads_the_accounts_in_one_query_however_many(
    login, admin_user, account, team, django_assert_num_queries
):
    # given: three accounts routed to a team (the team is read with them)
    for number in ("2001", "2002"):
        WhatsAppAccount.objects.create(
            name=f"Номер {number}", phone_number_id=number, access_token="t", app_secret="s", team=team
        )
    browser = login(admin_user)
    browser.get("/channels/whatsapp/")

    # when / then: session, user, unread notifications, the accounts
    with django_assert_num_queries(4):
        response = browser.get("/channels/whatsapp/")

    page = response.content.decode()
    assert [name in page for name in ("Поддержка WhatsApp", "Номер 2001", "Номер 2002")] == [True, True, True]
    assert page.count("Диспетчерская") + page.count("Dispatch") == 3
