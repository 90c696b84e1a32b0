"""Staff members' Telegram chats: where their alerts go (docs/architecture/notifications.md,
"Telegram"). A person asks for a link in their profile: a one-time code in a deep link
https://t.me/<bot>?start=<code>; Telegram opens the bot, which receives "/start <code>", and the
inbound processor (channels/telegram/inbound.py) links that chat to the code's owner here. A
staff chat is never a client's: what its owner writes there opens no ticket."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from channels.models import TelegramBot, TelegramChat, TelegramLinkCode
from channels.telegram import api

LINK_CODE_TTL = timedelta(minutes=30)
CODE_PREFIX = "link_"


def telegram_bot_identify(*, bot: TelegramBot) -> str:
    """Ask Telegram for the bot's @username (getMe) and keep it. Returns it; raises
    TelegramApiError when Telegram refuses (a wrong token)."""
    me = api.call(bot.token, "getMe") or {}
    username = str(me.get("username") or "")[:100] if isinstance(me, dict) else ""
    if username != bot.username:
        bot.username = username
        TelegramBot.objects.filter(pk=bot.pk).update(username=username)
    return username


def telegram_link_code_create(*, user: User, bot: TelegramBot) -> TelegramLinkCode:
    """A fresh one-time code for `user` to link a chat with `bot` (earlier unused codes of the
    person stop working). Raises ValueError for a bot that cannot take links (inactive, or its
    username unknown: register its webhook first) or a person who is not staff."""
    if not user.is_agent_side or not user.is_active:
        raise ValueError("only active staff members link a Telegram chat")
    if not bot.is_active or not bot.username:
        raise ValueError("the bot is inactive or its username is not known yet")
    now = timezone.now()
    with transaction.atomic():
        TelegramLinkCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        return TelegramLinkCode.objects.create(user=user, bot=bot, expires_at=now + LINK_CODE_TTL)


def telegram_link_url(code: TelegramLinkCode) -> str:
    return f"https://t.me/{code.bot.username}?start={code.code}"


def telegram_link_code_pending(*, user: User) -> TelegramLinkCode | None:
    """The person's code still waiting to be used (for the profile to show its link again)."""
    return (
        TelegramLinkCode.objects.filter(
            user=user, used_at__isnull=True, expires_at__gt=timezone.now(), bot__is_active=True
        )
        .select_related("bot")
        .order_by("-created_at")
        .first()
    )


def telegram_staff_link(*, chat: TelegramChat, code: str) -> User | None:
    """`/start <code>` arrived in `chat` (locked by the caller): link the chat to the code's owner
    — their only alert chat from now on — and use the code up. Returns the owner, or None when
    the code is unknown, used, expired or for another bot."""
    found = (
        TelegramLinkCode.objects.select_for_update()
        .select_related("user")
        .filter(code=code, bot=chat.bot, used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if found is None or not found.user.is_active or not found.user.is_agent_side:
        return None
    now = timezone.now()
    TelegramChat.objects.filter(staff_user=found.user).exclude(pk=chat.pk).update(staff_user=None)
    chat.staff_user = found.user
    chat.save(update_fields=["staff_user"])
    TelegramLinkCode.objects.filter(pk=found.pk).update(used_at=now)
    return found.user


def telegram_staff_unlink(*, user: User) -> int:
    """Stop sending `user`'s alerts to Telegram (the profile's "Unlink"). Returns the chats
    unlinked (0 or 1)."""
    return TelegramChat.objects.filter(staff_user=user).update(staff_user=None)


def staff_chat_answer(*, user: User, linked_now: bool) -> str:
    """What the bot says in a staff chat, in the person's language."""
    with translation.override(user.language or "ru"):
        if linked_now:
            return _(
                "Done, %(name)s: your Otklik alerts will come to this chat. "
                "Choose which ones in your profile, under Notifications."
            ) % {"name": user.full_name}
        return _("This chat receives the Otklik alerts of %(name)s. To stop them, unlink Telegram in your profile.") % {
            "name": user.full_name
        }
