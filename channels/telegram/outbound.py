"""What Otklik sends to Telegram chats: agents' public replies, acknowledgements of new requests
and the bot's own prompts, all through the outbox (notifications/outbox.py), which retries.
See docs/architecture/telegram.md, "Outbound".

Rules:
- A public reply by staff on a ticket whose channel is telegram goes to the chat the ticket came
  from (TelegramChat.ticket), else to the latest chat of the ticket's contact with an active bot.
  Internal notes, clients' and system articles never go.
- Attachments go as one message each after the text (sendPhoto for images, else sendDocument).
- Pacing (Telegram's limits): at most one message a second to a chat and 30 a second overall.
  The sender waits the remainder of the second; a 429 answer reschedules the row for
  parameters.retry_after seconds without using up one of its attempts.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from channels.models import TelegramBot, TelegramChat
from channels.telegram import api
from notifications.choices import NoticeKind
from notifications.models import OutboxKind, OutboxMessage, OutboxStatus
from notifications.notices import Notice
from notifications.outbox import ComposedChatMessage, outbox_enqueue, record_deferred, record_failure, record_sent
from tickets.choices import ArticleKind, AuthorKind, Channel
from tickets.models import Article, Attachment, Ticket

PER_CHAT_INTERVAL = timedelta(seconds=1)
OVERALL_PER_SECOND = 30
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")


def chat_language(chat: TelegramChat) -> str:
    """The contact's language, else what the client's Telegram app uses, else the bot's."""
    for language in (chat.contact.language if chat.contact else "", chat.language, chat.bot.language):
        if language in ("ru", "en"):
            return language
    return "ru"


def chat_for_ticket(ticket: Ticket) -> TelegramChat | None:
    """The chat replies on `ticket` go to (see the module's rule), or None."""
    if ticket.channel != Channel.TELEGRAM:
        return None
    chats = TelegramChat.objects.filter(bot__is_active=True).select_related("bot", "contact")
    chat = chats.filter(ticket=ticket).first()
    if chat is None and ticket.contact_id:
        chat = chats.filter(contact_id=ticket.contact_id).order_by("-id").first()
    return chat


def chat_message_enqueue(
    *,
    chat: TelegramChat,
    text: str,
    dedup_key: str,
    kind: str = OutboxKind.CHAT,
    reply_markup: dict[str, Any] | None = None,
    ticket: Ticket | None = None,
    article: Article | None = None,
) -> OutboxMessage:
    """Queue one sendMessage to `chat` (sent after the current transaction commits)."""
    request: dict[str, Any] = {"bot": chat.bot_id, "method": "sendMessage", "chat_id": chat.chat_id, "text": text}
    if reply_markup is not None:
        request["reply_markup"] = reply_markup
    row, _created = outbox_enqueue(
        kind=kind,
        dedup_key=dedup_key,
        channel=Channel.TELEGRAM,
        ticket=ticket,
        article=article,
        compose=lambda: ComposedChatMessage(recipient=str(chat.chat_id), payload=json.dumps(request).encode()),
    )
    return row


def telegram_reply_enqueue(*, article: Article) -> list[OutboxMessage]:
    """Queue an agent's public reply (text, then each attachment) to the ticket's chat."""
    if article.kind != ArticleKind.PUBLIC or article.author_kind not in (AuthorKind.AGENT, AuthorKind.SYSTEM):
        return []
    chat = chat_for_ticket(article.ticket)
    if chat is None:
        return []
    rows = []
    if article.body.strip():
        rows.append(
            chat_message_enqueue(
                chat=chat,
                text=article.body,
                dedup_key=f"telegram:reply:{article.pk}",
                kind=OutboxKind.REPLY,
                ticket=article.ticket,
                article=article,
            )
        )
    for attachment in Attachment.objects.filter(article=article).order_by("id"):
        method = "sendPhoto" if attachment.content_type in PHOTO_TYPES else "sendDocument"
        request = {"bot": chat.bot_id, "method": method, "chat_id": chat.chat_id, "attachment": attachment.pk}
        composed = ComposedChatMessage(
            recipient=str(chat.chat_id), subject=attachment.filename, payload=json.dumps(request).encode()
        )
        row, _created = outbox_enqueue(
            kind=OutboxKind.REPLY,
            dedup_key=f"telegram:reply:{article.pk}:file:{attachment.pk}",
            channel=Channel.TELEGRAM,
            ticket=article.ticket,
            article=article,
            compose=lambda composed=composed: composed,  # type: ignore[misc]
        )
        rows.append(row)
    return rows


def telegram_notice_enqueue(*, ticket: Ticket, notice: Notice) -> tuple[OutboxMessage, bool] | None:
    """The Telegram sender of client notices (notifications/notices.py, NOTICE_SENDERS): the
    notice's text to the ticket's chat ("Заявка №347 принята"), or None without a chat."""
    chat = chat_for_ticket(ticket)
    if chat is None:
        return None
    dedup_key = f"telegram:notice:{notice.dedup_key}"
    existed = OutboxMessage.objects.filter(dedup_key=dedup_key).exists()
    kind = OutboxKind.ACKNOWLEDGEMENT if notice.kind == NoticeKind.ACKNOWLEDGEMENT else OutboxKind.NOTICE
    row = chat_message_enqueue(chat=chat, text=notice.body, dedup_key=dedup_key, kind=kind, ticket=ticket)
    return row, not existed


# ---------------------------------------------------------------- sending (the outbox's sender)


def _wait_for_pace(chat: TelegramChat | None) -> None:
    """Sleep the rest of the second since the chat's last message, and while 30 messages went out
    in the last second."""
    if chat is not None and chat.last_sent_at is not None:
        wait = (chat.last_sent_at + PER_CHAT_INTERVAL - timezone.now()).total_seconds()
        if wait > 0:
            time.sleep(min(wait, PER_CHAT_INTERVAL.total_seconds()))
    for _attempt in range(10):
        recent = OutboxMessage.objects.filter(
            channel=Channel.TELEGRAM, status=OutboxStatus.SENT, sent_at__gte=timezone.now() - timedelta(seconds=1)
        ).count()
        if recent < OVERALL_PER_SECOND:
            return
        time.sleep(1 / OVERALL_PER_SECOND)


def _request(row: OutboxMessage, bot: TelegramBot, request: dict[str, Any]) -> None:
    method = request.pop("method")
    request.pop("bot", None)
    attachment_id = request.pop("attachment", None)
    if attachment_id is None:
        api.call(bot.token, method, request)
        return
    attachment = Attachment.objects.get(pk=attachment_id)
    with attachment.file.open("rb") as handle:
        data = handle.read()
    field = "photo" if method == "sendPhoto" else "document"
    api.call(bot.token, method, request, files={field: (attachment.filename, data, attachment.content_type)})


def telegram_deliver(rows: list[OutboxMessage], now: datetime) -> dict[int, str]:
    """Send claimed telegram rows in order, paced, and record each outcome."""
    statuses: dict[int, str] = {}
    for row in sorted(rows, key=lambda r: r.pk):
        request = json.loads(bytes(row.payload))
        bot = TelegramBot.objects.filter(pk=request.get("bot")).first()
        if bot is None or not bot.is_active:
            statuses[row.pk] = record_failure(row, "the bot is deleted or inactive", now, permanent=True)
            continue
        chat = TelegramChat.objects.filter(bot=bot, chat_id=request.get("chat_id")).first()
        _wait_for_pace(chat)
        try:
            _request(row, bot, request)
        except api.TelegramApiError as exc:
            if exc.code == 429:
                retry_after = int(exc.retry_after or 1)
                statuses[row.pk] = record_deferred(row, now + timedelta(seconds=retry_after), note=str(exc))
            else:
                statuses[row.pk] = record_failure(row, str(exc), now, permanent=exc.permanent)
            continue
        statuses[row.pk] = record_sent(row)
        if chat is not None:
            TelegramChat.objects.filter(pk=chat.pk).update(last_sent_at=timezone.now())
    return statuses
