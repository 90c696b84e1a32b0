"""Telegram journey: a client sends a photo to the bot, the ticket appears in the dispatcher's
queue without a reload, the dispatcher replies in the browser, and the reply goes to the chat
(recorded by the local stand-in Bot API server)."""

import json

import pytest
from django.conf import settings
from django.test import Client

from accounts.choices import Role
from channels.models import TelegramBot
from channels.tests.telegram_standin import TelegramStandIn
from customers.models import ContactPhone
from intake.models import InboundMessage
from intake.services import inbound_process
from notifications.outbox import outbox_send_due
from tests.e2e.pages import log_in
from tests.factories import ContactFactory, TeamFactory, UserFactory
from tickets.models import Ticket

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS)),
    pytest.mark.usefixtures("migrated_data_restored_afterwards", "empty_search_index_afterwards", "no_chat_pacing"),
]

CHAT_ID = 424242


@pytest.fixture
def standin(settings):
    server = TelegramStandIn()
    settings.TELEGRAM_API_URL = server.url
    yield server
    server.close()


def _update(update_id: int, **message: object) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1700000000,
            "chat": {"id": CHAT_ID, "type": "private"},
            "from": {"id": CHAT_ID, "first_name": "Пётр", "language_code": "ru"},
            **message,
        },
    }


def _deliver(bot: TelegramBot, update: dict[str, object]) -> None:
    response = Client().post(
        f"/channels/telegram/{bot.pk}/webhook/",
        data=json.dumps(update),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": bot.webhook_secret},
    )
    assert response.status_code == 200
    row = InboundMessage.objects.get(dedup_key=f"{bot.pk}:{update['update_id']}")
    assert inbound_process(inbound_id=row.pk).status == "processed"


def test_telegram_photo_to_agent_reply(live_server, browser, standin):
    # given: a dispatcher with the open queue on screen, a bot, a client whose chat is linked
    dispatch = TeamFactory(code="dispatch", name_ru="Диспетчерская", name_en="Dispatch")
    dispatcher = UserFactory(email="disp@otklik.test", full_name="Дарья", role=Role.AGENT, password="Disp-pass-123")
    dispatch.members.add(dispatcher)
    bot = TelegramBot.objects.create(name="Бот", token="1:T", team=dispatch)
    contact = ContactFactory(full_name="Пётр Клиентов")
    ContactPhone.objects.create(contact=contact, phone="+7 912 000-11-22")
    _deliver(bot, _update(1, contact={"phone_number": "79120001122", "user_id": CHAT_ID, "first_name": "Пётр"}))
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    log_in(page, f"{live_server.url}/accounts/login/", "disp@otklik.test", "Disp-pass-123")
    page.goto(f"{live_server.url}/tickets/?view=all_open")
    page.evaluate("window.__noReload = true")

    # when: the client sends a photo with a caption
    standin.files["ph"] = ("photos/file_1.jpg", b"\xff\xd8jpeg-bytes")
    photo = [{"file_id": "ph", "file_unique_id": "u1", "width": 800, "height": 600, "file_size": 12}]
    _deliver(bot, _update(2, photo=photo, caption="Сломан замок на входной двери"))
    ticket = Ticket.objects.get()

    # then: it appears in the queue without a reload
    row = page.locator(f"tr[data-ticket='{ticket.number}']")
    row.wait_for(timeout=8000)
    assert page.evaluate("window.__noReload") is True
    assert "Сломан замок" in row.inner_text()

    # when: the dispatcher replies in the browser
    page.click(f"tr[data-ticket='{ticket.number}'] a.ticket-title")
    page.wait_for_url(f"**/tickets/{ticket.number}/")
    assert page.locator(".attachment img").count() == 1
    page.click("label:has(input[name=kind][value=public])")
    page.fill("#id_body", "Мастер приедет через час.")
    page.locator("#reply-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    outbox_send_due()

    # then: the stand-in recorded sendMessage to the chat (after the acknowledgements)
    sent = [(r.params["chat_id"], r.params["text"]) for r in standin.calls("sendMessage")]
    assert sent[-1] == (CHAT_ID, "Мастер приедет через час.")
    assert (CHAT_ID, f"Ваша заявка №{ticket.number} «{ticket.title}» принята. Мы ответим как можно скорее.") in sent
    context.close()
