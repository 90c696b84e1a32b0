"""Staff members' Telegram: linking a chat by the profile's deep link, alerts sent there through
the outbox, and clients' chats left as they were. Against the stand-in Bot API server."""

import itertools
import json

import pytest
from django.test import Client

from accounts.choices import Role
from channels.choices import TelegramChatState
from channels.models import TelegramBot, TelegramChat, TelegramLinkCode
from channels.tests.telegram_standin import TelegramStandIn
from channels.tests.test_telegram import CHAT_ID, USER_ID, deliver, message
from notifications.choices import AlertKind
from notifications.models import Notification, OutboxMessage, OutboxStatus
from notifications.outbox import outbox_send_due
from notifications.services import Delivery, notification_settings_save, notifications_mail_pending
from tests.factories import ContactFactory, UserFactory, make_ticket
from tickets.models import Ticket
from tickets.services import ticket_assign

pytestmark = pytest.mark.usefixtures("no_chat_pacing")

AGENT_CHAT = 4440001
_updates = itertools.count(50000)


@pytest.fixture
def standin(settings):
    server = TelegramStandIn()
    settings.TELEGRAM_API_URL = server.url
    yield server
    server.close()


@pytest.fixture
def bot(team, standin):
    return TelegramBot.objects.create(name="Otklik bot", token="123:ABC", team=team, username="otklik_test_bot")


@pytest.fixture
def ivan(db):
    return UserFactory(email="ivan@otklik.test", full_name="Иван Петров", role=Role.AGENT, language="ru")


def agent_says(client, bot, text):
    """A message from the agent's own Telegram account (another chat than the client's)."""
    update = {
        "update_id": next(_updates),
        "message": {
            **message(text),
            "chat": {"id": AGENT_CHAT, "type": "private"},
            "from": {"id": 9001, "first_name": "Иван", "username": "ivan_p", "language_code": "ru"},
        },
    }
    return deliver(client, bot, update=update)


def sent_texts(standin, chat_id):
    return [call.params["text"] for call in standin.calls("sendMessage") if call.params["chat_id"] == chat_id]


def test_registering_the_webhook_learns_the_bots_username_from_get_me(login, admin_user, team, standin, settings):
    # given a bot whose username is not known yet
    settings.OTKLIK_PUBLIC_URL = "https://desk.example.test"
    bot = TelegramBot.objects.create(name="Otklik bot", token="123:ABC", team=team)
    standin.bot_username = "romashka_help_bot"

    # when
    login(admin_user).post(f"/channels/telegram/{bot.pk}/register/")

    # then
    bot.refresh_from_db()
    assert (len(standin.calls("getMe")), bot.username, bot.last_error) == (1, "romashka_help_bot", "")
    assert "@romashka_help_bot" in login(admin_user).get(f"/channels/telegram/{bot.pk}/").content.decode()


def test_an_agent_links_telegram_from_the_profile_and_gets_a_confirmation(client, bot, standin, ivan):
    # given Ivan asks his profile for a link
    browser = Client()
    browser.force_login(ivan)
    response = browser.post("/notifications/telegram/link/", {"bot": bot.pk})
    code = TelegramLinkCode.objects.get(user=ivan)
    page = browser.get("/accounts/profile/").content.decode()

    # when Telegram opens the bot with the code
    agent_says(client, bot, f"/start {code.code}")
    outbox_send_due()

    # then the profile had showed the deep link; the chat is Ivan's, the code used, and the bot said so
    assert response["Location"] == "/accounts/profile/#telegram"
    assert f'href="https://t.me/otklik_test_bot?start={code.code}"' in page
    chat = TelegramChat.objects.get(chat_id=AGENT_CHAT)
    code.refresh_from_db()
    assert (chat.staff_user, chat.contact, code.used_at is not None) == (ivan, None, True)
    assert sent_texts(standin, AGENT_CHAT) == [
        "Готово, Иван Петров: уведомления Отклика будут приходить в этот чат. "
        "Какие именно — выберите в профиле, в разделе «Уведомления»."
    ]
    assert "Уведомления, выбранные для Telegram, приходят в @ivan_p через @otklik_test_bot." in (
        browser.get("/accounts/profile/").content.decode()
    )


def test_an_alert_chosen_for_telegram_goes_to_the_agents_chat_through_the_outbox(client, bot, standin, ivan):
    # given Ivan linked his chat and wants assignments by Telegram (not by email)
    code = TelegramLinkCode.objects.create(user=ivan, bot=bot, expires_at="2099-01-01T00:00:00Z")
    agent_says(client, bot, f"/start {code.code}")
    notification_settings_save(
        user=ivan, choices={AlertKind.TICKET_ASSIGNED: Delivery(enabled=True, email=False, telegram=True)}
    )
    ticket = make_ticket(title="Протечка в серверной")

    # when a dispatcher assigns him a ticket, and the mailer and the outbox run
    ticket_assign(ticket=ticket, actor=UserFactory(), assignee=ivan)
    queued = notifications_mail_pending()
    outbox_send_due()

    # then one Telegram message went to his chat, with the ticket's link; no email
    assert queued == 1
    row = OutboxMessage.objects.get(kind="notification")
    assert (row.channel, row.recipient, row.status) == ("telegram", str(AGENT_CHAT), OutboxStatus.SENT)
    assert sent_texts(standin, AGENT_CHAT)[-1] == (
        f"Заявка №{ticket.number} назначена вам: Протечка в серверной\nhttp://127.0.0.1:8000/tickets/{ticket.number}/"
    )
    assert Notification.objects.get(user=ivan).emailed_at is not None


def test_a_telegram_alert_waits_out_a_429_like_every_bot_message(client, bot, standin, ivan):
    # given Ivan's linked chat and a Telegram alert queued
    code = TelegramLinkCode.objects.create(user=ivan, bot=bot, expires_at="2099-01-01T00:00:00Z")
    agent_says(client, bot, f"/start {code.code}")
    outbox_send_due()
    notification_settings_save(
        user=ivan, choices={AlertKind.SLA_BREACH: Delivery(enabled=True, email=False, telegram=True)}
    )
    from notifications.services import notify

    notify(users=[ivan], text="SLA нарушен", kind="sla_breach", ticket=make_ticket(title="Лифт"))
    notifications_mail_pending()
    standin.too_many["sendMessage"] = 7

    # when the outbox sends
    outbox_send_due()

    # then the row waits for retry_after, an attempt not used up
    row = OutboxMessage.objects.get(kind="notification")
    assert (row.status, row.attempts, row.last_error) == (
        OutboxStatus.QUEUED,
        0,
        "429 Too Many Requests: retry after 7",
    )


def test_a_used_or_unknown_code_links_nothing(client, bot, standin, ivan):
    # given a code already used
    code = TelegramLinkCode.objects.create(
        user=ivan, bot=bot, expires_at="2099-01-01T00:00:00Z", used_at="2026-12-01T00:00:00Z"
    )

    # when someone sends it
    agent_says(client, bot, f"/start {code.code}")
    outbox_send_due()

    # then
    assert TelegramChat.objects.get(chat_id=AGENT_CHAT).staff_user is None
    assert sent_texts(standin, AGENT_CHAT) == [
        "Эта ссылка устарела или уже использована. Откройте новую в профиле Отклика."
    ]


def test_what_an_agent_writes_in_their_alert_chat_opens_no_ticket(client, bot, standin, ivan):
    # given Ivan's linked chat
    code = TelegramLinkCode.objects.create(user=ivan, bot=bot, expires_at="2099-01-01T00:00:00Z")
    agent_says(client, bot, f"/start {code.code}")

    # when he writes something there
    agent_says(client, bot, "Привет, бот")
    outbox_send_due()

    # then no ticket, and the bot explains what the chat is for
    assert Ticket.objects.count() == 0
    assert sent_texts(standin, AGENT_CHAT)[-1] == (
        "Этот чат получает уведомления Отклика для Иван Петров. Чтобы их отключить, отвяжите Telegram в профиле."
    )


def test_a_clients_start_without_a_code_still_asks_for_the_phone(client, bot, standin, ivan):
    # when a client starts the bot (no code), while an agent's link code waits
    TelegramLinkCode.objects.create(user=ivan, bot=bot, expires_at="2099-01-01T00:00:00Z")
    deliver(client, bot, text="/start")
    outbox_send_due()

    # then the client's chat asks for the phone number, as before
    chat = TelegramChat.objects.get(chat_id=CHAT_ID)
    assert (chat.staff_user, chat.state, chat.user_id) == (None, TelegramChatState.AWAITING_PHONE, USER_ID)
    [asked] = [call for call in standin.calls("sendMessage") if call.params["chat_id"] == CHAT_ID]
    assert asked.params["reply_markup"]["keyboard"][0][0]["request_contact"] is True


def test_unlinking_stops_telegram_alerts(client, bot, standin, ivan):
    # given Ivan's linked chat and Telegram chosen for assignments
    code = TelegramLinkCode.objects.create(user=ivan, bot=bot, expires_at="2099-01-01T00:00:00Z")
    agent_says(client, bot, f"/start {code.code}")
    notification_settings_save(
        user=ivan, choices={AlertKind.TICKET_ASSIGNED: Delivery(enabled=True, email=False, telegram=True)}
    )
    browser = Client()
    browser.force_login(ivan)

    # when he unlinks, then a ticket is assigned to him
    browser.post("/notifications/telegram/unlink/")
    ticket_assign(ticket=make_ticket(title="Лифт", contact=ContactFactory()), actor=None, assignee=ivan)
    queued = notifications_mail_pending()

    # then nothing is queued for Telegram
    assert TelegramChat.objects.get(chat_id=AGENT_CHAT).staff_user is None
    assert queued == 0
    assert not OutboxMessage.objects.filter(kind="notification").exists()
    assert json.loads(bytes(OutboxMessage.objects.get().payload))["chat_id"] == AGENT_CHAT  # the confirmation


def test_a_link_is_refused_for_a_bot_whose_username_is_unknown_or_that_is_off(team, ivan):
    # given a bot never registered (no username) and an inactive one
    unnamed = TelegramBot.objects.create(name="Новый бот", token="1:A", team=team)
    off = TelegramBot.objects.create(name="Старый бот", token="2:B", team=team, username="old_bot", is_active=False)
    browser = Client(headers={"Accept-Language": "en"})
    browser.force_login(ivan)

    # when Ivan asks for a link with each
    unnamed_answer = browser.post("/notifications/telegram/link/", {"bot": unnamed.pk}, follow=True)
    off_answer = browser.post("/notifications/telegram/link/", {"bot": off.pk})

    # then no code, an explanation, and a 404 for the inactive bot
    assert TelegramLinkCode.objects.count() == 0
    assert "Через этого бота пока нельзя привязать аккаунт" in unnamed_answer.content.decode()
    assert off_answer.status_code == 404
