"""Reads of the notifications app, for the person asking."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User
from notifications.choices import AlertKind
from notifications.services import Delivery, deliveries_for, delivery_default


def notification_settings_for_user(*, user: User) -> dict[str, Delivery]:
    """The person's delivery choice for every tunable kind (saved, or the default)."""
    saved = deliveries_for(user_ids=[user.pk])
    return {kind: saved.get((user.pk, kind), delivery_default(kind)) for kind in AlertKind}


@dataclass(frozen=True)
class TelegramState:
    """What the profile shows about the person's Telegram alerts."""

    chat_name: str  # the linked chat ("@ivan" or the name), "" when none is linked
    bot_name: str
    link_url: str  # the deep link of a code waiting to be used, else ""
    bots: list[tuple[int, str]]  # bots a link can be made with: (id, @username)


def telegram_state_for_user(*, user: User) -> TelegramState:
    from channels.models import TelegramBot, TelegramChat
    from channels.telegram.staff import telegram_link_code_pending, telegram_link_url

    chat = TelegramChat.objects.filter(staff_user=user).select_related("bot").first()
    code = telegram_link_code_pending(user=user) if chat is None else None
    bots = list(TelegramBot.objects.filter(is_active=True).exclude(username="").values_list("pk", "username"))
    return TelegramState(
        chat_name=(f"@{chat.username}" if chat.username else chat.full_name or str(chat.chat_id)) if chat else "",
        bot_name=f"@{chat.bot.username}" if chat and chat.bot.username else (chat.bot.name if chat else ""),
        link_url=telegram_link_url(code) if code else "",
        bots=[(pk, f"@{username}") for pk, username in bots],
    )


def article_goes_out(*, article_id: int) -> bool:
    """Whether anything was queued to deliver the article to the client (by email, Telegram or
    WhatsApp): False for a public reply no channel of the client's reaches."""
    from notifications.models import OutboxMessage

    return OutboxMessage.objects.filter(article_id=article_id).exists()
