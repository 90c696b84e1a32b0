"""Telling staff about something: one row per person (deduplicated), mailed after commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from notifications.models import Notification
from tickets.models import Ticket

MAX_EMAIL_ATTEMPTS = 5


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


def notifications_mail_pending(*, limit: int = 200) -> int:
    """Mail notifications not mailed yet (oldest first). Each row is claimed with a row lock, so
    two workers never mail one twice; a failure is retried later, up to MAX_EMAIL_ATTEMPTS."""
    sent = 0
    cutoff = timezone.now() - timedelta(days=2)  # older than that is not worth an email any more
    ids = list(
        Notification.objects.filter(
            emailed_at__isnull=True, created_at__gte=cutoff, email_attempts__lt=MAX_EMAIL_ATTEMPTS
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user", "ticket")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if row is None:
                continue
            row.email_attempts += 1
            try:
                with translation.override(row.user.language or "ru"):
                    subject = (
                        _("[#%(number)s] %(text)s") % {"number": row.ticket.number, "text": row.text}
                        if row.ticket
                        else row.text
                    )
                    link = f"\n\n{settings.OTKLIK_BASE_URL}/tickets/{row.ticket.number}/" if row.ticket else ""
                    send_mail(subject[:200], row.text + link, None, [row.user.email])
            except Exception:
                row.save(update_fields=["email_attempts"])
                continue
            row.emailed_at = timezone.now()
            row.save(update_fields=["email_attempts", "emailed_at"])
            sent += 1
    return sent


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
