"""The Telegram pipeline: one stored update → chat, contact, ticket and article.
See docs/architecture/telegram.md, "Inbound".

Called by intake.services.inbound_process inside its transaction with the InboundMessage row
locked; anything raised here (a file that cannot be fetched, a service's ValidationError) rolls
the update back and puts it in the failed-inbound list, from where it can be processed again.

First contact: a chat starts unlinked. The bot asks for the phone number with a contact-sharing
button; what the client writes meanwhile is kept (TelegramChat.pending: the InboundMessage ids)
and becomes the ticket as soon as the client shares their own number. We keep rather than open
a ticket with a contact made up from the Telegram name, because the number is what finds the
client's existing contact (and company, contracts, SLA) — a ticket opened earlier would have to
be moved to another contact and company afterwards.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from django.core.files.base import ContentFile
from django.db import connection, models
from django.utils import translation
from django.utils.translation import gettext as _

from channels.choices import TelegramChatState
from channels.models import TelegramBot, TelegramChat, TelegramMessageRef
from channels.telegram import api, staff
from channels.telegram.outbound import chat_language, chat_message_enqueue, origin_chat
from core.batch_memo import batch_cached
from core.db import ModelColumns, insert_or_skip, update_model
from core.deferred import flush_deferred, insert_deferred
from core.text import json_storable
from customers.models import Contact, ContactPhone, normalize_phone
from customers.services import contact_create
from intake.models import InboundMessage
from tickets.choices import OPEN_CATEGORIES, Channel
from tickets.models import Article, Ticket
from tickets.services import (
    UploadedFileData,
    article_create,
    article_edit_by_client,
    ticket_open,
)

TITLE_LENGTH = 120
# The reply keyboard's button that lists the client's open requests (besides /status).
STATUS_BUTTON = {"ru": "Мои заявки", "en": "My requests"}

logger = logging.getLogger(__name__)


def telegram_process(inbound: InboundMessage) -> tuple[Ticket | None, Article | None]:
    """Turn one stored update into an article, a bot answer, or nothing (updates we do not handle:
    group chats, stickers, callbacks). Raises ValueError for a body that is not an update."""
    update = json_storable(bytes(inbound.raw))
    if not isinstance(update, dict):
        raise ValueError("the update is not a JSON object")
    bot_id = int(inbound.dedup_key.split(":", 1)[0])
    bot = batch_cached(
        ("telegram-bot", bot_id), lambda: TelegramBot.objects.select_related("team", "category").get(pk=bot_id)
    )
    if isinstance(update.get("edited_message"), dict):
        return _edit(bot, update["edited_message"])
    message = update.get("message")
    if not isinstance(message, dict) or (message.get("chat") or {}).get("type") != "private":
        return None, None
    chat = _chat(bot, message)
    text = (message.get("text") or "").strip()
    command = text.split()[0].split("@")[0].lower() if text.startswith("/") else ""
    argument = text.split(maxsplit=1)[1].strip() if command and len(text.split(maxsplit=1)) == 2 else ""
    if command == "/start" and argument.startswith(staff.CODE_PREFIX):
        _staff_link(chat, argument, inbound)
        return None, None
    if chat.staff_user is not None:
        # A staff member's alert chat: what they write here is not a client's request.
        _say(chat, inbound, staff.staff_chat_answer(user=chat.staff_user, linked_now=False))
        return None, None
    if isinstance(message.get("contact"), dict):
        return _contact_shared(chat, message, inbound)
    if chat.contact is None:
        if not command:
            chat.pending = [*chat.pending, inbound.pk]
            chat.save(update_fields=["pending"])
        if command or len(chat.pending) == 1:
            _ask_phone(chat, inbound)
        return None, None
    if command == "/start":
        _say(chat, inbound, _("Hello! Write what happened, and attach photos if you can."))
        return None, None
    if command == "/new":
        chat.ticket = None
        chat.save(update_fields=["ticket"])
        _say(chat, inbound, _("Write your new request: it will get its own number."))
        return None, None
    if command == "/status" or text in STATUS_BUTTON.values():
        _status(chat, inbound)
        return None, None
    return _article(chat, message, inbound)


# --- chats and contacts ------------------------------------------------------------------------


def _chat(bot: TelegramBot, message: dict[str, Any]) -> TelegramChat:
    """The message's chat, locked, with its contact, ticket and staff member loaded; made (with
    the sender's name and language) on the chat's first message."""
    person = message.get("from") or {}
    chat_id = int(message["chat"]["id"])
    full_name = " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p).strip()
    language = str(person.get("language_code") or "")[:2]
    changed = {"username": str(person.get("username") or "")[:100], "full_name": full_name[:300]}
    if language in ("ru", "en"):
        changed["language"] = language
    chat = _chat_locked(bot_id=bot.pk, chat_id=chat_id)
    if chat is None:
        new = TelegramChat(bot=bot, chat_id=chat_id, user_id=person.get("id"), **changed)
        # INSERT … ON CONFLICT DO NOTHING: a chat another worker made meanwhile (its first two
        # messages in two batches) is waited for and read instead, with no savepoint.
        if insert_or_skip(new):
            for field, _columns, _pk_at in _RELATIONS:
                field.set_cached_value(new, None)
            return new
        chat = _chat_locked(bot_id=bot.pk, chat_id=chat_id)
        assert chat is not None  # committed by the other worker: ON CONFLICT waited for it
    _forget_stale_relations(chat)
    fields = [name for name, value in changed.items() if getattr(chat, name) != value]
    for name in fields:
        setattr(chat, name, changed[name])
    if fields:
        update_model(chat, fields)
    chat.bot = bot
    return chat


_CHAT_RELATIONS = ("contact", "ticket", "staff_user")
_CHAT_COLUMNS = ModelColumns(TelegramChat)


def _relation(name: str) -> tuple[models.ForeignKey[Any, Any], ModelColumns, int]:
    """(the chat's foreign key, the columns read of the row it points to, the position of that
    row's primary key among them)."""
    field = cast(models.ForeignKey[Any, Any], TelegramChat._meta.get_field(name))
    model = cast(type[models.Model], field.related_model)
    columns = ModelColumns(model)
    return field, columns, columns.attnames.index(model._meta.pk.attname)  # type: ignore[union-attr]


_RELATIONS = [_relation(name) for name in _CHAT_RELATIONS]


def _chat_locked(*, bot_id: int, chat_id: int) -> TelegramChat | None:
    """The chat (bot, chat id) with its contact, ticket and staff member, its row locked (FOR
    UPDATE OF the chat alone); None when there is none yet. Written by hand: every update reads it,
    and building the ORM's statement for the four tables' columns cost more than running it."""
    q = connection.ops.quote_name
    columns = [_CHAT_COLUMNS.select("c")]
    joins = []
    for index, (field, related_columns, _pk_at) in enumerate(_RELATIONS):
        related = related_columns.model._meta
        alias = f"r{index}"
        columns.append(related_columns.select(alias))
        joins.append(
            f" LEFT JOIN {q(related.db_table)} {alias} ON {alias}.{q(related.pk.column)} = c.{q(field.column)}"
        )  # type: ignore[union-attr]
    lock = " FOR UPDATE OF c" if connection.features.has_select_for_update_of else ""
    sql = (
        f"SELECT {', '.join(columns)} FROM {q(TelegramChat._meta.db_table)} c{''.join(joins)}"
        f" WHERE c.{q('bot_id')} = %s AND c.{q('chat_id')} = %s{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [bot_id, chat_id])
        row = cursor.fetchone()
    if row is None:
        return None
    chat = cast(TelegramChat, _CHAT_COLUMNS.build(row[: _CHAT_COLUMNS.width]))
    at = _CHAT_COLUMNS.width
    for field, related_columns, pk_at in _RELATIONS:
        values = row[at : at + related_columns.width]
        at += related_columns.width
        if getattr(chat, field.attname) is None:
            field.set_cached_value(chat, None)
        elif values[pk_at] is not None:
            field.set_cached_value(chat, related_columns.build(values))
    return chat


def _forget_stale_relations(chat: TelegramChat) -> None:
    """A chat read while another batch held its row comes back as that batch left it, but the
    rows joined to it (select_related) as they were before: PostgreSQL re-reads only the locked
    row after the wait. A ticket the other batch opened for the chat would read as none — and
    the message open a second ticket. Such a relation is read again when used."""
    for name in ("contact", "ticket", "staff_user"):
        field = cast(models.ForeignKey[Any, Any], TelegramChat._meta.get_field(name))
        pk = getattr(chat, field.attname)
        cached = field.get_cached_value(chat, default=None)
        if pk is not None and (cached is None or cached.pk != pk):
            field.delete_cached_value(chat)


def _staff_link(chat: TelegramChat, code: str, inbound: InboundMessage) -> None:
    """`/start <code>` from a staff member's profile link: the chat becomes their alert chat.
    A code that does not work gets an explanation, and the chat stays as it was."""
    user = staff.telegram_staff_link(chat=chat, code=code)
    if user is not None:
        _say(chat, inbound, staff.staff_chat_answer(user=user, linked_now=True), reply_markup={"remove_keyboard": True})
        return
    with translation.override(chat_language(chat)):
        _say(chat, inbound, _("This link has expired or was already used. Open a new one from your Otklik profile."))


def _keyboard(chat: TelegramChat) -> dict[str, Any]:
    return {"keyboard": [[{"text": STATUS_BUTTON[chat_language(chat)]}]], "resize_keyboard": True}


def _say(chat: TelegramChat, inbound: InboundMessage, text: str, *, reply_markup: dict[str, Any] | None = None) -> None:
    """The bot's answer to one update (one per update: processing it again sends nothing new)."""
    chat_message_enqueue(chat=chat, text=text, dedup_key=f"telegram:say:{inbound.pk}", reply_markup=reply_markup)


def _ask_phone(chat: TelegramChat, inbound: InboundMessage) -> None:
    with translation.override(chat_language(chat)):
        text = _("Hello! To register your request, please share your phone number with the button below.")
        button = _("Share my phone number")
    keyboard = {"keyboard": [[{"text": button, "request_contact": True}]], "resize_keyboard": True}
    _say(chat, inbound, text, reply_markup=keyboard)


def _contact_shared(
    chat: TelegramChat, message: dict[str, Any], inbound: InboundMessage
) -> tuple[Ticket | None, Article | None]:
    """The client pressed "share my phone number": find their contact by the number (or make one),
    link the chat, and turn what they wrote meanwhile into the ticket."""
    shared = message["contact"]
    person = message.get("from") or {}
    with translation.override(chat_language(chat)):
        if shared.get("user_id") != person.get("id") or not normalize_phone(str(shared.get("phone_number") or "")):
            _say(chat, inbound, _("Please share your own number with the button below."))
            return None, None
        if chat.contact is None:
            chat.contact = _contact_for(chat, str(shared["phone_number"]), shared)
            chat.state = TelegramChatState.LINKED
            chat.save(update_fields=["contact", "state"])
        pending = chat.pending
        thanks = _("Thank you, %(name)s!") % {"name": chat.contact.full_name}
        if not pending:
            thanks = f"{thanks} {_('Write what happened, and attach photos if you can.')}"
        _say(chat, inbound, thanks, reply_markup=_keyboard(chat))
    ticket = article = None
    if pending:
        chat.pending = []
        chat.save(update_fields=["pending"])
        for row in InboundMessage.objects.filter(pk__in=pending).order_by("received_at", "id"):
            kept = json_storable(bytes(row.raw)).get("message") or {}
            ticket, article = _article(chat, kept, row)
            InboundMessage.objects.filter(pk=row.pk).update(ticket=ticket, article=article)
    return ticket, article


def _contact_for(chat: TelegramChat, phone: str, shared: dict[str, Any]) -> Contact:
    normalized = normalize_phone(phone)
    found = (
        ContactPhone.objects.filter(normalized=normalized, contact__is_active=True)
        .select_related("contact")
        .order_by("-is_primary", "id")
        .first()
    )
    if found is not None:
        return found.contact
    name = " ".join(p for p in (shared.get("first_name"), shared.get("last_name")) if p).strip()
    return contact_create(
        full_name=name or chat.full_name or phone,
        phones=[phone if phone.startswith("+") else f"+{phone}"],
        language=chat.language or chat.bot.language,
        is_verified=False,
    )


# --- articles ------------------------------------------------------------------------------------


def _open_ticket(chat: TelegramChat) -> Ticket | None:
    ticket = chat.ticket
    for _hop in range(10):
        if ticket is None or not ticket.merged_into_id:
            break
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    if ticket is None or ticket.status_category not in OPEN_CATEGORIES:
        return None
    return ticket


def _article(
    chat: TelegramChat, message: dict[str, Any], inbound: InboundMessage
) -> tuple[Ticket | None, Article | None]:
    body, attachments = _content(chat.bot, message)
    if not body and not attachments:
        return None, None
    ticket = _open_ticket(chat)
    if ticket is not None:
        article = article_create(
            ticket=ticket,
            author=None,
            author_contact=chat.contact,
            body=body,
            channel=Channel.TELEGRAM,
            received_at=inbound.received_at,
            attachments=attachments,
        )
    else:
        first_line = next((line.strip() for line in body.splitlines() if line.strip()), "")
        with translation.override(chat_language(chat)):
            title = first_line[:TITLE_LENGTH] or _("Message in Telegram")
        # The acknowledgement queued by the ticket's "created" hooks goes to this chat.
        with origin_chat(chat):
            ticket, article = ticket_open(
                actor=None,
                title=title,
                description=body,
                channel=Channel.TELEGRAM,
                contact=chat.contact,
                team=chat.bot.team,
                category=chat.bot.category,
                received_at=inbound.received_at,
                attachments=attachments,
            )
        chat.ticket = ticket
        chat.save(update_fields=["ticket"])
    if message.get("message_id") is not None:
        # One INSERT (within a batch, one for the batch's messages: core/deferred.py); a message seen
        # before (it cannot be: the update is stored once) keeps its article.
        insert_deferred(
            TelegramMessageRef(chat=chat, message_id=int(message["message_id"]), article=article),
            ignore_conflicts=True,
        )
    return ticket, article


def _content(bot: TelegramBot, message: dict[str, Any]) -> tuple[str, list[UploadedFileData]]:
    """The article's text (text or caption, a location as coordinates) and the files, fetched."""
    parts = [str(message.get("text") or message.get("caption") or "").strip()]
    location = message.get("location")
    if isinstance(location, dict):
        lat, lon = location.get("latitude"), location.get("longitude")
        parts.append(f"📍 {lat}, {lon} https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}")
    files: list[tuple[dict[str, Any], str, str]] = []
    photos = message.get("photo")
    if isinstance(photos, list) and photos:
        largest = max(photos, key=lambda p: (p.get("file_size") or 0, (p.get("width") or 0) * (p.get("height") or 0)))
        files.append((largest, f"photo_{largest.get('file_unique_id') or largest['file_id'][:16]}.jpg", "image/jpeg"))
    for key, default_name, default_type in (
        ("document", "document", "application/octet-stream"),
        ("video", "video.mp4", "video/mp4"),
        ("voice", "voice.ogg", "audio/ogg"),
        ("audio", "audio.mp3", "audio/mpeg"),
    ):
        item = message.get(key)
        if isinstance(item, dict) and item.get("file_id"):
            files.append((item, str(item.get("file_name") or default_name), str(item.get("mime_type") or default_type)))
    attachments = []
    for item, name, content_type in files:
        if (item.get("file_size") or 0) > api.MAX_FILE_BYTES:
            parts.append(
                _("(file %(name)s is larger than 20 MB; Telegram does not let bots fetch it)") % {"name": name}
            )
            continue
        try:
            path, data = api.download(bot.token, str(item["file_id"]))
        except api.TelegramApiError as exc:
            # Telegram or the network failed: the message still becomes the article (its text, and
            # this note for the agent to ask for the file again) rather than a failed message no
            # one looks at. As the WhatsApp channel does.
            logger.warning("telegram bot %s: file %s not fetched: %s", bot.pk, item.get("file_id"), exc)
            parts.append(
                _("(file %(name)s could not be fetched from Telegram: %(error)s)")
                % {"name": name, "error": exc.description}
            )
            continue
        if name == "document" and path:
            name = path.rsplit("/", 1)[-1]
        attachments.append(UploadedFileData(name=name, content_type=content_type, file=ContentFile(data, name=name)))
    return "\n".join(p for p in parts if p), attachments


def _edit(bot: TelegramBot, message: dict[str, Any]) -> tuple[Ticket | None, Article | None]:
    """The client edited a message: its article gets the new text (the old stays in history)."""
    chat_id = int((message.get("chat") or {}).get("id") or 0)
    message_id = int(message.get("message_id") or 0)
    flush_deferred()  # the message may be one of this batch's, its reference not written yet
    ref = (
        TelegramMessageRef.objects.filter(chat__bot=bot, chat__chat_id=chat_id, message_id=message_id)
        .select_related("article__ticket")
        .first()
    )
    if ref is None:
        return None, None
    body = str(message.get("text") or message.get("caption") or "").strip()
    article_edit_by_client(article=ref.article, body=body)
    return ref.article.ticket, ref.article


def _status(chat: TelegramChat, inbound: InboundMessage) -> None:
    tickets = list(
        Ticket.objects.filter(contact=chat.contact, status_category__in=OPEN_CATEGORIES)
        .select_related("status")
        .order_by("-created_at")[:20]
    )
    with translation.override(chat_language(chat)):
        if not tickets:
            text = _("You have no open requests.")
        else:
            lines = [_("Your open requests:")]
            lines += [f"№{t.number} — {t.title} — {t.status}" for t in tickets]
            text = "\n".join(lines)
    _say(chat, inbound, text, reply_markup=_keyboard(chat))
