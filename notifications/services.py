"""Telling staff about something: one row per person (deduplicated), then — as each person chose
for the kind (NotificationSetting) — mailed and/or sent to their Telegram chat through the outbox
after commit. See docs/architecture/notifications.md."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Team, User
from customers.models import Company
from notifications.choices import EMAIL_BY_DEFAULT, AlertKind
from notifications.models import (
    CompanyNoticeSettings,
    NoticeTemplate,
    Notification,
    NotificationSetting,
    OutboxKind,
    TeamBusyReply,
)
from notifications.outbox import (
    MAIL_POLICY,
    ComposedChatMessage,
    ComposedEmail,
    default_sender,
    header_text,
    outbox_bulk_enqueue,
)
from sla.models import BusinessCalendar
from tickets.models import Status, Ticket


def notify(*, users: Iterable[User | None], text: str, kind: str, ticket: Ticket | None = None) -> list[Notification]:
    """Notify each distinct active staff member in `users` (None and clients are skipped)."""
    return notify_many([(users, text, kind, ticket)])


def notify_many(
    items: Iterable[tuple[Iterable[User | None], str | Callable[[], str], str, Ticket | None]],
) -> list[Notification]:
    """Several notifications at once: one INSERT, one mail task after commit (the SLA sweep
    notifies about a thousand tickets in one go). A text given as a function is written in each
    recipient's language. Kinds a person switched off (NotificationSetting.enabled) are skipped:
    one query for the settings of everyone concerned."""
    wanted: list[tuple[User, str | Callable[[], str], str, Ticket | None]] = []
    for users, text, kind, ticket in items:
        seen: set[int] = set()
        for user in users:
            if user is None or not user.is_active or not user.is_agent_side or user.pk in seen:
                continue
            seen.add(user.pk)
            wanted.append((user, text, kind, ticket))
    switched_off: set[tuple[int, str]] = set()
    tunable = {kind for _user, _text, kind, _ticket in wanted if kind in AlertKind.values}
    if tunable:
        switched_off = set(
            NotificationSetting.objects.filter(
                user_id__in={user.pk for user, *_rest in wanted}, kind__in=tunable, enabled=False
            ).values_list("user_id", "kind")
        )
    rows = []
    for user, text, kind, ticket in wanted:
        if (user.pk, kind) in switched_off:
            continue
        if callable(text):
            with translation.override(user.language or "ru"):
                body = text()
        else:
            body = text
        rows.append(Notification(user=user, ticket=ticket, kind=kind, text=body[:500]))
    created = Notification.objects.bulk_create(rows, batch_size=1000)
    if created:
        from notifications.tasks import notifications_mail

        transaction.on_commit(lambda: notifications_mail())
    return created


@dataclass(frozen=True)
class Delivery:
    """How one person wants one kind of alert delivered."""

    enabled: bool
    email: bool
    telegram: bool


def delivery_default(kind: str) -> Delivery:
    """No saved choice: in the app; by email unless the kind is noisy (notifications/choices.py)."""
    return Delivery(enabled=True, email=kind not in AlertKind.values or kind in EMAIL_BY_DEFAULT, telegram=False)


def deliveries_for(*, user_ids: Iterable[int]) -> dict[tuple[int, str], Delivery]:
    """Saved choices of these people, by (user id, kind), in one query; a missing key means
    delivery_default(kind)."""
    return {
        (row.user_id, row.kind): Delivery(enabled=row.enabled, email=row.email, telegram=row.telegram)
        for row in NotificationSetting.objects.filter(user_id__in=set(user_ids))
    }


@transaction.atomic
def notification_settings_save(*, user: User, choices: dict[str, Delivery]) -> None:
    """Store `user`'s choices for the tunable kinds in `choices` (unknown kinds are refused with
    ValueError). Email or Telegram for a kind switched off is stored as off: nothing is sent."""
    unknown = set(choices) - set(AlertKind.values)
    if unknown:
        raise ValueError(f"unknown alert kinds {sorted(unknown)}")
    for kind, choice in choices.items():
        NotificationSetting.objects.update_or_create(
            user=user,
            kind=kind,
            defaults={
                "enabled": choice.enabled,
                "email": choice.enabled and choice.email,
                "telegram": choice.enabled and choice.telegram,
            },
        )


def notifications_mail_pending(*, limit: int = 500) -> int:
    """Hand notifications not handled yet (oldest first) to the outbox (notifications/outbox.py),
    which sends and retries them: an email to those who want the kind by email, a Telegram message
    to those who want it by Telegram and have linked a chat. `emailed_at` then means "handled".
    Idempotent: the outbox keys each message by the notification and channel. Returns how many
    messages were queued."""
    from channels.models import TelegramChat

    cutoff = timezone.now() - timedelta(days=2)  # older than that is not worth sending any more
    with transaction.atomic():
        rows = list(
            Notification.objects.filter(emailed_at__isnull=True, created_at__gte=cutoff)
            .select_related("user", "ticket")
            .order_by("created_at", "id")[:limit]
        )
        user_ids = {row.user_id for row in rows}
        choices = deliveries_for(user_ids=user_ids) if rows else {}
        mails: list[tuple[str, ComposedEmail | ComposedChatMessage]] = []
        messages: list[tuple[str, ComposedEmail | ComposedChatMessage]] = []
        wants_telegram = [
            row for row in rows if choices.get((row.user_id, row.kind), delivery_default(row.kind)).telegram
        ]
        chats = (
            {
                chat.staff_user_id: chat
                for chat in TelegramChat.objects.filter(
                    staff_user_id__in={row.user_id for row in wants_telegram}, bot__is_active=True
                )
            }
            if wants_telegram
            else {}
        )
        for row in rows:
            choice = choices.get((row.user_id, row.kind), delivery_default(row.kind))
            if choice.email and row.user.email:
                mails.append((f"notification:{row.pk}", _staff_mail(row)))
            chat = chats.get(row.user_id)
            if choice.telegram and chat is not None:
                messages.append((f"notification:{row.pk}:telegram", _staff_chat_message(row, chat)))
        outbox_bulk_enqueue(kind=OutboxKind.NOTIFICATION, items=mails)
        outbox_bulk_enqueue(kind=OutboxKind.NOTIFICATION, items=messages, channel="telegram")
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(emailed_at=timezone.now())
    return len(mails) + len(messages)


def _staff_chat_message(row: Notification, chat: Any) -> ComposedChatMessage:
    """The alert as a short Telegram message: the text and the ticket's link."""
    link = f"\n{settings.OTKLIK_BASE_URL}/tickets/{row.ticket.number}/" if row.ticket else ""
    request = {"bot": chat.bot_id, "method": "sendMessage", "chat_id": chat.chat_id, "text": row.text + link}
    return ComposedChatMessage(
        recipient=str(chat.chat_id), subject=row.text[:200], payload=json.dumps(request).encode()
    )


def _staff_mail(row: Notification) -> ComposedEmail:
    """A plain-text mail from the installation's sender (DEFAULT_FROM_EMAIL) in the user's language."""
    with translation.override(row.user.language or "ru"):
        subject = (
            _("[#%(number)s] %(text)s") % {"number": row.ticket.number, "text": row.text} if row.ticket else row.text
        )
        link = f"\n\n{settings.OTKLIK_BASE_URL}/tickets/{row.ticket.number}/" if row.ticket else ""
    sender = default_sender()
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = settings.DEFAULT_FROM_EMAIL
    message["To"] = row.user.email
    message["Subject"] = header_text(subject)[:200]
    message["Date"] = format_datetime(timezone.now())
    message_id = make_msgid(domain=settings.EMAIL_MESSAGE_ID_DOMAIN or sender.rpartition("@")[2] or "localhost")
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.text + link)
    return ComposedEmail(
        recipient=row.user.email,
        sender=sender,
        subject=" ".join(subject.split())[:200],
        message_id=message_id.strip("<>"),
        payload=message.as_bytes(),
    )


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


# ---------------------------------------------------------------- client notices (docs/architecture/notices.md)


@transaction.atomic
def notice_resolution_confirm(*, ticket: Ticket) -> bool:
    """The client confirmed a resolved request from the link in the notice: close it (the first
    active "closed" status). Returns False when it was not resolved (already closed, reopened)."""
    from tickets.choices import StatusCategory
    from tickets.models import Status
    from tickets.services import ticket_set_status

    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status_category != StatusCategory.RESOLVED or ticket.merged_into_id is not None:
        return False
    closed = Status.objects.filter(category=StatusCategory.CLOSED, is_active=True).order_by("order", "id").first()
    if closed is None:
        return False
    return ticket_set_status(ticket=ticket, actor=None, status=closed)


@transaction.atomic
def notice_resolution_reopen(*, ticket: Ticket, comment: str) -> None:
    """The client says a resolved request is not done, from the link in the notice: their comment
    becomes their message on the ticket, which reopens it (tickets.services.article_create).
    Raises ValidationError for an empty comment or a request that no longer takes messages."""
    from django.core.exceptions import ValidationError

    from tickets.choices import Channel, StatusCategory
    from tickets.services import article_create

    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Tell us what is still wrong.")})
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status_category == StatusCategory.CLOSED or ticket.merged_into_id is not None:
        raise ValidationError(_("This request is closed. Create a new request if you still need help."))
    article_create(ticket=ticket, author=None, author_contact=ticket.contact, body=comment, channel=Channel.WEB)


@transaction.atomic
def notice_template_update(*, template: NoticeTemplate, subject: str, body: str) -> NoticeTemplate:
    """Change the words of a client notice. Raises ValidationError for an empty text or an
    unknown placeholder (the message lists the known ones)."""
    template.subject = subject.strip()
    template.body = body.strip()
    template.full_clean()
    template.save(update_fields=["subject", "body", "updated_at"])
    return template


@transaction.atomic
def company_notice_settings_update(
    *,
    company: Company,
    acknowledgement: bool,
    assigned: bool,
    resolved: bool,
    busy: bool,
    announced_statuses: Iterable[Status],
) -> CompanyNoticeSettings:
    """Which notices the company's contacts get, and which statuses they are told about."""
    row, _created = CompanyNoticeSettings.objects.select_for_update().get_or_create(company=company)
    row.acknowledgement, row.assigned, row.resolved, row.busy = acknowledgement, assigned, resolved, busy
    row.save()
    row.announced_statuses.set(list(announced_statuses))
    return row


@transaction.atomic
def team_busy_reply_update(
    *, team: Team, enabled: bool, after_minutes: int, hours: str, calendar: BusinessCalendar | None
) -> TeamBusyReply:
    """The team's busy auto-reply. Switching it on starts it for requests that come from now on
    (older unanswered ones are not told "busy" days later). Raises ValidationError for a delay
    outside 1 minute … 7 days."""
    row, _created = TeamBusyReply.objects.select_for_update().get_or_create(team=team)
    if enabled and (not row.enabled or row.enabled_at is None):
        row.enabled_at = timezone.now()
    row.enabled, row.after_minutes, row.hours, row.calendar = enabled, after_minutes, hours, calendar
    row.full_clean()
    row.save()
    return row
