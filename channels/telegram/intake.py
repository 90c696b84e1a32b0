"""Storing Telegram updates, from the webhook and from long polling, the same way: the raw JSON
bytes, idempotent on (bot, update_id). See docs/architecture/telegram.md, "Inbound"."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone

from channels.models import TelegramBot
from channels.telegram import api
from intake.choices import InboundSource
from intake.models import InboundMessage
from intake.services import inbound_store

POLL_TIMEOUT = 25  # seconds getUpdates waits for an update (Telegram's long poll)


def _headline(update: dict[str, Any]) -> tuple[str, str]:
    """(who, what) for the failed-inbound list."""
    message = update.get("message") or update.get("edited_message") or {}
    person = message.get("from") or {}
    who = person.get("username") or " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p)
    return str(who or person.get("id") or ""), str(message.get("text") or message.get("caption") or "")[:200]


def telegram_update_store(*, bot_id: int, raw: bytes, source: str) -> tuple[InboundMessage, bool]:
    """Commit one update of bot `bot_id` (raw: its JSON bytes). Raises ValueError for a body that is not an update
    (not JSON, not an object, no integer update_id): nothing is stored then."""
    try:
        update = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise ValueError("not a Telegram update (no integer update_id)")
    who, what = _headline(update)
    return inbound_store(
        channel="telegram",
        source=source,
        raw=raw,
        dedup_key=f"{bot_id}:{update['update_id']}",
        from_address=who,
        subject=what,
    )


def telegram_poll_once(*, bot: TelegramBot, timeout: int = POLL_TIMEOUT) -> int:
    """One getUpdates round for a polling bot: store every update, then advance the bot's offset
    past the ones stored (each stored update is committed before the offset moves; an update that
    could not be stored is asked for again next round). Returns how many were stored."""
    try:
        updates = api.call(
            bot.token, "getUpdates", {"offset": bot.last_update_id + 1, "timeout": timeout}, timeout=timeout + 10
        )
    except api.TelegramApiError as exc:
        TelegramBot.objects.filter(pk=bot.pk).update(last_error=str(exc)[:5000], last_error_at=timezone.now())
        raise
    stored = 0
    for update in updates or []:
        raw = json.dumps(update, ensure_ascii=False).encode()
        telegram_update_store(bot_id=bot.pk, raw=raw, source=InboundSource.POLLING)
        stored += 1
        bot.last_update_id = max(bot.last_update_id, int(update["update_id"]))
        TelegramBot.objects.filter(pk=bot.pk).update(last_update_id=bot.last_update_id)
    return stored


def telegram_bot_settings_saved(*, bot: TelegramBot, was_polling_and_active: bool) -> None:
    """After an administrator saved a bot: when it is now an active bot in polling mode and was
    not before (switched to polling, or switched on), tell Telegram to stop sending to a webhook —
    Telegram refuses getUpdates while one is set. Raises TelegramApiError when Telegram refuses
    or cannot be reached (the bot's last_error says so)."""
    from channels.choices import TelegramMode

    if bot.is_active and bot.mode == TelegramMode.POLLING and not was_polling_and_active:
        telegram_bot_register_webhook(bot=bot)


class PublicUrlMissing(Exception):
    """A webhook needs the installation's public address (OTKLIK_PUBLIC_URL), and none is set."""


def telegram_bot_register_webhook(*, bot: TelegramBot) -> str:
    """Tell Telegram how updates reach this bot: webhook mode → setWebhook with our URL under
    OTKLIK_PUBLIC_URL and the bot's secret token; polling mode → deleteWebhook (getUpdates refuses
    to work while a webhook is set); then getMe, for the bot's @username. Returns the webhook URL
    ("" for polling); a refusal is kept in the bot's last_error and raised as TelegramApiError.
    Raises PublicUrlMissing, asking nothing of Telegram, for webhook mode without OTKLIK_PUBLIC_URL."""
    from django.conf import settings
    from django.urls import reverse

    from channels.choices import TelegramMode

    url = ""
    try:
        if bot.mode == TelegramMode.WEBHOOK:
            base = str(getattr(settings, "OTKLIK_PUBLIC_URL", "")).rstrip("/")
            if not base.startswith("https://") and not base.startswith("http://"):
                raise PublicUrlMissing  # nothing asked of Telegram: not the bot's error
            url = base + reverse("channels:telegram_webhook", args=[bot.pk])
            api.call(
                bot.token,
                "setWebhook",
                {"url": url, "secret_token": bot.webhook_secret, "allowed_updates": ["message", "edited_message"]},
            )
        else:
            api.call(bot.token, "deleteWebhook", {"drop_pending_updates": False})
    except api.TelegramApiError as exc:
        TelegramBot.objects.filter(pk=bot.pk).update(last_error=str(exc)[:5000], last_error_at=timezone.now())
        raise
    from channels.telegram.staff import telegram_bot_identify

    try:
        telegram_bot_identify(bot=bot)  # its @username, for staff members' link to it
    except api.TelegramApiError as exc:
        TelegramBot.objects.filter(pk=bot.pk).update(last_error=str(exc)[:5000], last_error_at=timezone.now())
        raise
    TelegramBot.objects.filter(pk=bot.pk).update(last_error="", last_error_at=None)
    return url
