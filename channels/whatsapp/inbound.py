"""The WhatsApp pipeline: one stored message → contact, ticket and article; one stored status → the
outgoing article's delivery state. See docs/architecture/whatsapp.md, "Inbound".

Called by intake.services.inbound_process inside its transaction with the InboundMessage row
locked; anything raised here rolls the item back and leaves it in the failed-inbound list.

Unlike Telegram, WhatsApp tells us the sender's phone number (wa_id) with every message, so the
contact is found (or created, unverified) at once and the first message opens the ticket.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _

from channels.models import WhatsAppAccount, WhatsAppContact
from channels.whatsapp import api
from channels.whatsapp.intake import message_time, profile_name
from channels.whatsapp.outbound import (
    contact_language,
    whatsapp_status_apply,
)
from core.text import json_storable
from customers.models import Contact, ContactPhone, normalize_phone
from customers.services import contact_create
from intake.models import InboundMessage
from tickets.choices import OPEN_CATEGORIES, Channel
from tickets.models import Article, Ticket
from tickets.services import UploadedFileData, article_create, ticket_open

TITLE_LENGTH = 120
# type → (default file name, default content type); the name gets the extension of the real type.
MEDIA_TYPES = {
    "image": ("photo", "image/jpeg"),
    "document": ("document", "application/octet-stream"),
    "audio": ("audio", "audio/ogg"),
    "video": ("video", "video/mp4"),
    "sticker": ("sticker", "image/webp"),
}
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/amr": ".amr",
    "video/mp4": ".mp4",
    "video/3gpp": ".3gp",
    "application/pdf": ".pdf",
}


def whatsapp_process(inbound: InboundMessage) -> tuple[Ticket | None, Article | None]:
    """Turn one stored item (see channels/whatsapp/intake.py for its shape) into an article, a
    delivery state, or nothing (reactions, system notices)."""
    body = json_storable(bytes(inbound.raw))
    value = body["entry"][0]["changes"][0]["value"]
    if value.get("statuses"):
        whatsapp_status_apply(status=value["statuses"][0])
        return None, None
    number = str((value.get("metadata") or {}).get("phone_number_id") or "")
    account = WhatsAppAccount.objects.select_related("team", "category").get(phone_number_id=number)
    message = value["messages"][0]
    # Reactions and system notices carry no request; group chats are not a support channel.
    if message.get("type") in ("reaction", "system", "request_welcome") or message.get("group_id"):
        return None, None
    wa_id = str(message["from"])
    sender = _sender(account, wa_id, profile_name(value, wa_id), inbound)
    return _article(sender, message, inbound)


# --- contacts ------------------------------------------------------------------------------------


def _sender(account: WhatsAppAccount, wa_id: str, profile_name: str, inbound: InboundMessage) -> WhatsAppContact:
    sender, _created = WhatsAppContact.objects.select_for_update().get_or_create(account=account, wa_id=wa_id)
    sender.account = account
    fields = []
    if profile_name and sender.profile_name != profile_name[:300]:
        sender.profile_name = profile_name[:300]
        fields.append("profile_name")
    if sender.contact is None or not sender.contact.is_active:
        sender.contact = _contact_for(account, wa_id, profile_name)
        fields.append("contact")
    # The 24-hour window counts from the client's latest message; a late retry does not move it back.
    if sender.last_inbound_at is None or inbound.received_at > sender.last_inbound_at:
        sender.last_inbound_at = inbound.received_at
        fields.append("last_inbound_at")
    if fields:
        sender.save(update_fields=fields)
    return sender


def _contact_for(account: WhatsAppAccount, wa_id: str, profile_name: str) -> Contact:
    """The active contact with this phone number (normalised as everywhere: customers.models.
    normalize_phone), else a new unverified one named as the client's WhatsApp profile."""
    normalized = normalize_phone(wa_id)
    found = (
        ContactPhone.objects.filter(normalized=normalized, contact__is_active=True)
        .select_related("contact")
        .order_by("-is_primary", "id")
        .first()
    )
    if found is not None:
        return found.contact
    return contact_create(
        full_name=profile_name.strip() or f"+{wa_id}",
        phones=[f"+{wa_id}"],
        language=account.language,
        is_verified=False,
    )


# --- articles ------------------------------------------------------------------------------------


def _open_ticket(sender: WhatsAppContact) -> Ticket | None:
    ticket = sender.ticket
    for _hop in range(10):
        if ticket is None or not ticket.merged_into_id:
            break
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    if ticket is None or ticket.status_category not in OPEN_CATEGORIES:
        return None
    return ticket


def _article(
    sender: WhatsAppContact, message: dict[str, Any], inbound: InboundMessage
) -> tuple[Ticket | None, Article | None]:
    with translation.override(contact_language(sender)):
        body, attachments = _content(sender.account, message)
    if not body and not attachments:
        return None, None
    received_at = message_time(message.get("timestamp")) or inbound.received_at
    ticket = _open_ticket(sender)
    if ticket is not None:
        article = article_create(
            ticket=ticket,
            author=None,
            author_contact=sender.contact,
            body=body,
            channel=Channel.WHATSAPP,
            received_at=received_at,
            attachments=attachments,
        )
        return ticket, article
    first_line = next((line.strip() for line in body.splitlines() if line.strip()), "")
    with translation.override(contact_language(sender)):
        title = first_line[:TITLE_LENGTH] or _("Message in WhatsApp")
    ticket, found = ticket_open(
        actor=None,
        title=title,
        description=body,
        channel=Channel.WHATSAPP,
        contact=sender.contact,
        team=sender.account.team,
        category=sender.account.category,
        received_at=received_at,
        attachments=attachments,
    )
    sender.ticket = ticket
    sender.save(update_fields=["ticket"])
    # The acknowledgement was queued by ticket_create's "created" hook (notifications/notices.py;
    # on WhatsApp only while the window is open: not for a message processed days late).
    return ticket, found


def _content(account: WhatsAppAccount, message: dict[str, Any]) -> tuple[str, list[UploadedFileData]]:
    """The article's text and files. A file that is too large or cannot be fetched is named in the
    text instead, so the message is never lost."""
    kind = str(message.get("type") or "")
    part = message.get(kind) if isinstance(message.get(kind), dict) else {}
    assert isinstance(part, dict)
    parts: list[str] = []
    attachments: list[UploadedFileData] = []
    if kind == "text":
        parts.append(str(part.get("body") or "").strip())
    elif kind in MEDIA_TYPES:
        parts.append(str(part.get("caption") or "").strip())
        fetched, note = _media(account, kind, part)
        if fetched is not None:
            attachments.append(fetched)
        if note:
            parts.append(note)
    elif kind == "location":
        lat, lon = part.get("latitude"), part.get("longitude")
        parts += [str(part.get(k) or "").strip() for k in ("name", "address")]
        parts.append(f"📍 {lat}, {lon} https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}")
    elif kind == "contacts":
        for shared in message.get("contacts") or []:
            name = (shared.get("name") or {}).get("formatted_name") or ""
            phones = ", ".join(str(p.get("phone") or "") for p in shared.get("phones") or [])
            parts.append(f"👤 {name} {phones}".strip())
    elif kind == "button":
        parts.append(str(part.get("text") or "").strip())
    elif kind == "interactive":
        reply = part.get("button_reply") or part.get("list_reply") or {}
        parts.append(str(reply.get("title") or "").strip())
    else:
        # "unsupported" and kinds newer than this code: the agent still sees that the client wrote.
        errors = "; ".join(str(e.get("title") or e.get("message") or "") for e in message.get("errors") or [])
        parts.append(_("(a WhatsApp message of a kind Otklik cannot show: %(kind)s)") % {"kind": kind or "?"})
        if errors:
            parts.append(errors)
    return "\n".join(p for p in parts if p), attachments


def _media(account: WhatsAppAccount, kind: str, part: dict[str, Any]) -> tuple[UploadedFileData | None, str]:
    """Fetch one media item: GET /{media-id} for its URL, then the bytes. Returns (file, "") or
    (None, a note saying why the file is not attached)."""
    default_name, default_type = MEDIA_TYPES[kind]
    if kind == "audio" and part.get("voice"):
        default_name = "voice"
    content_type = str(part.get("mime_type") or default_type).split(";")[0].strip()
    name = str(part.get("filename") or "") or default_name + EXTENSIONS.get(content_type, "")
    limit = settings.OTKLIK_ATTACHMENT_MAX_BYTES
    too_large = _("(file %(name)s is larger than %(limit)s and is not attached)")
    try:
        info = api.media_info(account, str(part.get("id") or ""))
        size = int(str(info.get("file_size") or 0) or 0)
        if size > limit:
            return None, too_large % {"name": name, "limit": filesizeformat(limit)}
        data = api.media_download(account, str(info.get("url") or ""))
    except (api.WhatsAppApiError, ValueError) as exc:
        return None, _("(file %(name)s could not be fetched from WhatsApp: %(error)s)") % {"name": name, "error": exc}
    if len(data) > limit:
        return None, too_large % {"name": name, "limit": filesizeformat(limit)}
    return UploadedFileData(name=name, content_type=content_type, file=ContentFile(data, name=name)), ""
