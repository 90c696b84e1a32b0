"""Telling staff about something: one row per person (deduplicated), mailed through the outbox
after commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Team, User
from customers.models import Company
from notifications.models import (
    CompanyNoticeSettings,
    NoticeTemplate,
    Notification,
    OutboxKind,
    TeamBusyReply,
)
from notifications.outbox import MAIL_POLICY, ComposedEmail, default_sender, outbox_bulk_enqueue
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
    recipient's language."""
    rows = []
    for users, text, kind, ticket in items:
        seen: set[int] = set()
        for user in users:
            if user is None or not user.is_active or not user.is_agent_side or user.pk in seen:
                continue
            seen.add(user.pk)
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


def notifications_mail_pending(*, limit: int = 500) -> int:
    """Hand notifications not mailed yet (oldest first) to the outbox (notifications/outbox.py),
    which sends and retries them; `emailed_at` then means "queued for mail". Idempotent: the
    outbox keys each message by the notification. Returns how many messages were queued."""
    cutoff = timezone.now() - timedelta(days=2)  # older than that is not worth an email any more
    with transaction.atomic():
        rows = list(
            Notification.objects.filter(emailed_at__isnull=True, created_at__gte=cutoff)
            .select_related("user", "ticket")
            .order_by("created_at", "id")[:limit]
        )
        items = [(f"notification:{row.pk}", _staff_mail(row)) for row in rows if row.user.email]
        outbox_bulk_enqueue(kind=OutboxKind.NOTIFICATION, items=items)
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(emailed_at=timezone.now())
    return len(items)


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
    message["Subject"] = " ".join(subject.split())[:200]
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
