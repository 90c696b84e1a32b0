"""What Otklik sends to Telegram chats: agents' public replies, acknowledgements of new requests
and the bot's own prompts, all through the outbox (notifications/outbox.py), which retries.
See docs/architecture/telegram.md, "Outbound".

Rules:
- A public reply by staff on a ticket whose channel is telegram goes to the chat the ticket came
  from (TelegramChat.ticket), else to the latest chat of the ticket's contact with an active bot.
  Internal notes, clients' and system articles never go.
- Attachments go as one message each after the text (sendPhoto for images, else sendDocument).
- Pacing (Telegram's limits): at most one message a second to a chat and 30 a second overall, and
  a chat's messages in the order they were queued. A message that may not go yet is not waited
  for: it stays queued (no attempt used) with its send scheduled for the moment it may go. A 429
  answer likewise reschedules the row for parameters.retry_after seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from channels.chat_text import chat_message_parts
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
# How soon a message queued behind another one to the same chat, which is being sent, looks again.
ORDER_RECHECK = timedelta(milliseconds=500)
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")

# The chat whose message is being turned into a new ticket (channels/telegram/inbound.py): the
# ticket's chat before TelegramChat.ticket is set, so the acknowledgement queued by the ticket's
# "created" hooks goes there without looking for it.
_origin: ContextVar[TelegramChat | None] = ContextVar("telegram_origin_chat", default=None)


@contextmanager
def origin_chat(chat: TelegramChat) -> Iterator[None]:
    """Within the block, a Telegram ticket of `chat`'s contact answers to `chat`."""
    token = _origin.set(chat)
    try:
        yield
    finally:
        _origin.reset(token)


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
    origin = _origin.get()
    if origin is not None and origin.contact_id == ticket.contact_id and origin.bot.is_active:
        return origin
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
) -> tuple[OutboxMessage, bool]:
    """Queue one sendMessage to `chat` (sent after the current transaction commits). Returns
    (row, created), as outbox_enqueue."""
    text = text.replace("\r\n", "\n")  # typed in a browser; a chat would show the "\r"
    request: dict[str, Any] = {"bot": chat.bot_id, "method": "sendMessage", "chat_id": chat.chat_id, "text": text}
    if reply_markup is not None:
        request["reply_markup"] = reply_markup
    return outbox_enqueue(
        kind=kind,
        dedup_key=dedup_key,
        channel=Channel.TELEGRAM,
        ticket=ticket,
        article=article,
        compose=lambda: ComposedChatMessage(recipient=str(chat.chat_id), payload=json.dumps(request).encode()),
    )


def telegram_reply_enqueue(*, article: Article) -> list[OutboxMessage]:
    """Queue an agent's public reply (text, then each attachment) to the ticket's chat."""
    if article.kind != ArticleKind.PUBLIC or article.author_kind not in (AuthorKind.AGENT, AuthorKind.SYSTEM):
        return []
    chat = chat_for_ticket(article.ticket)
    if chat is None:
        return []
    rows = []
    # Over 4,096 characters Telegram refuses a message: a long reply goes in parts, in order (the
    # pacing keeps a chat's messages in the order queued).
    for number, part in enumerate(chat_message_parts(article.body)):
        row, _created = chat_message_enqueue(
            chat=chat,
            text=part,
            dedup_key=f"telegram:reply:{article.pk}" + (f":part:{number}" if number else ""),
            kind=OutboxKind.REPLY,
            ticket=article.ticket,
            article=article,
        )
        rows.append(row)
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
    kind = OutboxKind.ACKNOWLEDGEMENT if notice.kind == NoticeKind.ACKNOWLEDGEMENT else OutboxKind.NOTICE
    return chat_message_enqueue(
        chat=chat, text=notice.body, dedup_key=f"telegram:notice:{notice.dedup_key}", kind=kind, ticket=ticket
    )


# ---------------------------------------------------------------- sending (the outbox's sender)


def _paced_until(row: OutboxMessage, chat: TelegramChat | None, now: datetime) -> datetime | None:
    """When `row` may go if not now (None): after any earlier message to the same chat that is
    still waiting, a second after the chat's last message, and once fewer than 30 messages went
    out in the last second."""
    waits: list[datetime] = []
    earlier = (
        OutboxMessage.objects.filter(
            channel=Channel.TELEGRAM,
            recipient=row.recipient,
            pk__lt=row.pk,
            status__in=[OutboxStatus.QUEUED, OutboxStatus.SENDING],
        )
        .order_by("pk")
        .values_list("status", "next_attempt_at")
        .first()
    )
    if earlier is not None:
        # Being sent by another worker right now: a moment; waiting for its own turn: after it.
        status, at = earlier
        after = (now if status == OutboxStatus.SENDING else max(at, now)) + PER_CHAT_INTERVAL
        waits.append(max(after, now + ORDER_RECHECK))
    if chat is not None and chat.last_sent_at is not None and chat.last_sent_at + PER_CHAT_INTERVAL > now:
        waits.append(chat.last_sent_at + PER_CHAT_INTERVAL)
    recent: list[datetime] = [
        sent_at
        for sent_at in OutboxMessage.objects.filter(
            channel=Channel.TELEGRAM, status=OutboxStatus.SENT, sent_at__gt=now - timedelta(seconds=1)
        )
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)[:OVERALL_PER_SECOND]
        if sent_at is not None
    ]
    if len(recent) >= OVERALL_PER_SECOND:
        # The 30th latest send leaves the one-second window then; messages queued before this
        # one take the next seconds' slots first (thirty a second), so it does not wake up with
        # all of them only to be put back again.
        ahead = OutboxMessage.objects.filter(
            channel=Channel.TELEGRAM, status=OutboxStatus.QUEUED, pk__lt=row.pk
        ).count()
        waits.append(recent[-1] + timedelta(seconds=1 + ahead // OVERALL_PER_SECOND))
    until = max(waits, default=now)
    return until if until > now else None


def _send_later(row: OutboxMessage, until: datetime, now: datetime) -> None:
    """The deferred row's own send, scheduled in the queue for `until` (the periodic reconciler
    would take it within a minute anyway)."""
    from notifications.tasks import outbox_send_task

    delay = max((until - now).total_seconds(), 0.0)
    transaction.on_commit(lambda: outbox_send_task.schedule(args=(row.pk,), delay=delay))


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
        # The batch's `now` ages while earlier rows are sent (and tests pass a later one).
        current = max(now, timezone.now())
        until = _paced_until(row, chat, current)
        if until is not None:
            # Not now: the worker does not sleep (it has other messages to process); the row
            # waits in the outbox, without using up an attempt, for a send scheduled at `until`.
            statuses[row.pk] = record_deferred(row, until)
            _send_later(row, until, current)
            continue
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
