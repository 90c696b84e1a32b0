"""What Otklik sends to WhatsApp: agents' public replies and the client notices (received, assigned…), all
through the outbox (notifications/outbox.py), which retries; and what WhatsApp tells us back about
them (sent, delivered, read, failed). See docs/architecture/whatsapp.md, "Outbound".

Rules:
- A public reply by staff on a ticket whose channel is whatsapp goes to the WhatsApp sender the
  ticket came from (WhatsAppContact.ticket), else to the contact's latest WhatsApp sender with an
  active account. Internal notes, clients' and system articles never go.
- The 24-hour window: WhatsApp takes free-form messages only within 24 hours of the client's last
  message. Outside it the reply goes as the account's approved template (the ticket number as its
  body parameter) when one is configured; else by email when the client has an address; else it
  is queued and fails visibly (unless the client writes first). OutboxMessage.route records which
  path was taken, and the article shows it to the agent. The sender checks the window again when
  it sends, so a free-form message that waited past the window fails with that reason instead of
  meeting Meta's refusal (131047).
- Attachments go as one message each after the text: uploaded (POST /{phone-number-id}/media),
  then sent by id as image (JPEG/PNG) or document.
- HTTP 429 and Graph's rate-limit codes reschedule the row (Retry-After, else a minute) without
  using up an attempt; an expired token and 5xx/network errors are retried on the outbox's
  schedule; other 4xx are permanent.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from channels.chat_text import chat_message_parts
from channels.models import WhatsAppAccount, WhatsAppContact
from channels.whatsapp import api
from intake.models import InboundMessage
from notifications.choices import NoticeKind
from notifications.models import OutboxKind, OutboxMessage, OutboxRoute, OutboxStatus
from notifications.notices import Notice
from notifications.outbox import ComposedChatMessage, outbox_enqueue, record_deferred, record_failure, record_sent
from tickets.choices import ArticleKind, AuthorKind, Channel
from tickets.models import Article, Attachment, Ticket

WINDOW = timedelta(hours=24)
RATE_LIMIT_WAIT = timedelta(minutes=1)  # when a rate-limit answer names no Retry-After
TEXT_LIMIT = 4096  # characters in one text message
IMAGE_TYPES = ("image/jpeg", "image/png")  # what WhatsApp accepts as an image message
WINDOW_CLOSED_ERROR = (
    "Outside the 24-hour window: WhatsApp accepts only approved templates more than 24 hours after the "
    "client's last message, and the account has no template and the client no email address."
)
# WhatsApp's status → ours; a status applies only when it ranks above the row's current one, so a
# late "delivered" never replaces "read" and a replayed "sent" changes nothing.
STATUSES = {
    "sent": OutboxStatus.SENT,
    "failed": OutboxStatus.FAILED,
    "delivered": OutboxStatus.DELIVERED,
    "read": OutboxStatus.READ,
}
RANK = {
    OutboxStatus.QUEUED: 0,
    OutboxStatus.SENDING: 0,
    OutboxStatus.SENT: 1,
    OutboxStatus.FAILED: 2,
    OutboxStatus.DELIVERED: 3,
    OutboxStatus.READ: 4,
}


def contact_language(sender: WhatsAppContact) -> str:
    """The contact's language, else the account's."""
    for language in (sender.contact.language if sender.contact else "", sender.account.language):
        if language in ("ru", "en"):
            return language
    return "ru"


def sender_for_ticket(ticket: Ticket) -> WhatsAppContact | None:
    """The WhatsApp sender replies on `ticket` go to (see the module's rule), or None."""
    if ticket.channel != Channel.WHATSAPP:
        return None
    senders = WhatsAppContact.objects.filter(account__is_active=True).select_related("account", "contact")
    sender = senders.filter(ticket=ticket).first()
    if sender is None and ticket.contact_id:
        sender = senders.filter(contact_id=ticket.contact_id).order_by("-last_inbound_at", "-id").first()
    return sender


def window_open(sender: WhatsAppContact, now: datetime | None = None) -> bool:
    """Whether free-form messages may go: the client wrote within the last 24 hours."""
    return sender.last_inbound_at is not None and sender.last_inbound_at > (now or timezone.now()) - WINDOW


def _enqueue(
    *,
    sender: WhatsAppContact,
    request: dict[str, Any],
    dedup_key: str,
    kind: str,
    ticket: Ticket | None,
    article: Article | None = None,
    attachment: Attachment | None = None,
    subject: str = "",
    route: str = OutboxRoute.DIRECT,
) -> OutboxMessage:
    payload = {"account": sender.account_id, "to": sender.wa_id, "request": request}
    if attachment is not None:
        payload["attachment"] = attachment.pk
    composed = ComposedChatMessage(
        recipient=f"+{sender.wa_id}", subject=subject, payload=json.dumps(payload, ensure_ascii=False).encode()
    )
    row, _created = outbox_enqueue(
        kind=kind,
        dedup_key=dedup_key,
        channel=Channel.WHATSAPP,
        ticket=ticket,
        article=article,
        route=route,
        compose=lambda: composed,
    )
    return row


def _free_form(*, sender: WhatsAppContact, article: Article, route: str) -> list[OutboxMessage]:
    rows = []
    # WhatsApp takes at most 4096 characters a text message: a longer reply goes in parts, cut
    # between paragraphs, lines or words.
    for number, text in enumerate(chat_message_parts(article.body, limit=TEXT_LIMIT)):
        rows.append(
            _enqueue(
                sender=sender,
                request={"type": "text", "text": {"body": text, "preview_url": False}},
                dedup_key=f"whatsapp:reply:{article.pk}" + (f":part:{number}" if number else ""),
                kind=OutboxKind.REPLY,
                ticket=article.ticket,
                article=article,
                route=route,
            )
        )
    for attachment in Attachment.objects.filter(article=article).order_by("id"):
        kind = "image" if attachment.content_type in IMAGE_TYPES else "document"
        part = {"filename": attachment.filename} if kind == "document" else {}
        rows.append(
            _enqueue(
                sender=sender,
                request={"type": kind, kind: part},
                dedup_key=f"whatsapp:reply:{article.pk}:file:{attachment.pk}",
                kind=OutboxKind.REPLY,
                ticket=article.ticket,
                article=article,
                attachment=attachment,
                subject=attachment.filename,
                route=route,
            )
        )
    return rows


def whatsapp_reply_enqueue(*, article: Article) -> list[OutboxMessage]:
    """Queue an agent's public reply to the ticket's WhatsApp sender, by the path the 24-hour
    window allows (see the module's rules). Returns the outbox rows (email ones included)."""
    if article.kind != ArticleKind.PUBLIC or article.author_kind != AuthorKind.AGENT or article.from_stranger:
        return []
    sender = sender_for_ticket(article.ticket)
    if sender is None:
        return []
    if window_open(sender):
        return _free_form(sender=sender, article=article, route=OutboxRoute.DIRECT)
    account = sender.account
    if account.template_name:
        template = {
            "name": account.template_name,
            "language": {"code": account.template_language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": str(article.ticket.number)}]}],
        }
        row = _enqueue(
            sender=sender,
            request={"type": "template", "template": template},
            dedup_key=f"whatsapp:reply:{article.pk}",
            kind=OutboxKind.REPLY,
            ticket=article.ticket,
            article=article,
            subject=account.template_name,
            route=OutboxRoute.TEMPLATE,
        )
        return [row]
    from channels.email.outbound import email_reply_enqueue

    email = email_reply_enqueue(article=article)
    if email is not None:
        OutboxMessage.objects.filter(pk=email.pk).update(route=OutboxRoute.EMAIL)
        email.route = OutboxRoute.EMAIL
        return [email]
    return _free_form(sender=sender, article=article, route=OutboxRoute.WINDOW_CLOSED)


def whatsapp_notice_enqueue(*, ticket: Ticket, notice: Notice) -> tuple[OutboxMessage, bool] | None:
    """The WhatsApp sender of client notices (notifications/notices.py, NOTICE_SENDERS): the
    notice's text ("Заявка №347 принята") to the ticket's WhatsApp sender while the 24-hour window
    is open. Outside it None, and the notice goes by email: a paid template is kept for agents'
    replies (and a request processed days late is not acknowledged on WhatsApp)."""
    sender = sender_for_ticket(ticket)
    if sender is None or not window_open(sender):
        return None
    dedup_key = f"whatsapp:notice:{notice.dedup_key}"
    existed = OutboxMessage.objects.filter(dedup_key=dedup_key).exists()
    row = _enqueue(
        sender=sender,
        request={"type": "text", "text": {"body": notice.body[:TEXT_LIMIT], "preview_url": False}},
        dedup_key=dedup_key,
        kind=OutboxKind.ACKNOWLEDGEMENT if notice.kind == NoticeKind.ACKNOWLEDGEMENT else OutboxKind.NOTICE,
        ticket=ticket,
    )
    return row, not existed


# ---------------------------------------------------------------- sending (the outbox's sender)


def _send(account: WhatsAppAccount, to: str, request: dict[str, Any], attachment_id: int | None) -> str:
    if attachment_id is not None:
        attachment = Attachment.objects.get(pk=attachment_id)
        with attachment.file.open("rb") as handle:
            data = handle.read()
        media_id = api.upload_media(
            account, filename=attachment.filename, data=data, content_type=attachment.content_type
        )
        request[request["type"]]["id"] = media_id
    return api.send_message(account, {"to": to, **request})


def whatsapp_deliver(rows: list[OutboxMessage], now: datetime) -> dict[int, str]:
    """Send claimed whatsapp rows in order and record each outcome; the returned wamid is kept on
    the row (OutboxMessage.message_id), where statuses find it."""
    statuses: dict[int, str] = {}
    for row in sorted(rows, key=lambda r: r.pk):
        payload = json.loads(bytes(row.payload))
        account = WhatsAppAccount.objects.filter(pk=payload.get("account")).first()
        if account is None or not account.is_active:
            statuses[row.pk] = record_failure(row, "the WhatsApp account is deleted or inactive", now, permanent=True)
            continue
        to = str(payload["to"])
        request = payload["request"]
        if request.get("type") != "template":
            sender = WhatsAppContact.objects.filter(account=account, wa_id=to).first()
            if sender is None or not window_open(sender, now):
                statuses[row.pk] = record_failure(row, WINDOW_CLOSED_ERROR, now, permanent=True)
                continue
        try:
            wamid = _send(account, to, request, payload.get("attachment"))
        except api.WhatsAppApiError as exc:
            if exc.rate_limited:
                wait = timedelta(seconds=exc.retry_after) if exc.retry_after else RATE_LIMIT_WAIT
                statuses[row.pk] = record_deferred(row, now + wait, note=str(exc))
            else:
                statuses[row.pk] = record_failure(row, str(exc), now, permanent=exc.permanent)
            continue
        statuses[row.pk] = record_sent(row)
        OutboxMessage.objects.filter(pk=row.pk).update(message_id=wamid)
        _apply_early_statuses(wamid)
    return statuses


# ---------------------------------------------------------------- statuses


def _error_text(status: dict[str, Any]) -> str:
    parts = []
    for error in status.get("errors") or []:
        details = (error.get("error_data") or {}).get("details") or ""
        text = str(error.get("title") or error.get("message") or "")
        parts.append(" ".join(p for p in (str(error.get("code") or ""), text, details) if p))
    return "; ".join(parts) or "failed"


@transaction.atomic
def whatsapp_status_apply(*, status: dict[str, Any]) -> bool:
    """A status WhatsApp reported for one of our messages (by its wamid): move the outbox row on to
    it, if it ranks above the row's current state. Idempotent and order-safe. Returns whether the
    row changed (False too when no row has this wamid yet: the sender applies it, see
    _apply_early_statuses)."""
    new = STATUSES.get(str(status.get("status") or ""))
    wamid = str(status.get("id") or "")
    if new is None or not wamid:
        return False
    row = OutboxMessage.objects.select_for_update().filter(channel=Channel.WHATSAPP, message_id=wamid).first()
    if row is None or RANK[new] <= RANK.get(OutboxStatus(row.status), 99):
        return False
    fields: dict[str, Any] = {"status": new}
    if new == OutboxStatus.FAILED:
        fields["last_error"] = _error_text(status)[:5000]
    elif row.sent_at is None:
        fields["sent_at"] = timezone.now()
    OutboxMessage.objects.filter(pk=row.pk).update(**fields)
    return True


def _apply_early_statuses(wamid: str) -> None:
    """Statuses stored before the sender kept the wamid (Meta can be quicker than our UPDATE)."""
    keys = [f"status:{wamid}:{name}" for name in STATUSES]
    for raw in InboundMessage.objects.filter(channel=Channel.WHATSAPP, dedup_key__in=keys).values_list(
        "raw", flat=True
    ):
        body = json.loads(bytes(raw))
        whatsapp_status_apply(status=body["entry"][0]["changes"][0]["value"]["statuses"][0])
