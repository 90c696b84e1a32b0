"""The busy auto-reply (docs/architecture/notices.md, "Busy auto-reply"): a client whose request had
no public answer from an agent N minutes after it came hears "all operators are busy" once, on
the channel the request came by — per team (TeamBusyReply), only during or only outside the
team's business hours when so configured (the SLA business calendars).

A periodic task runs busy_replies_send() every minute. Exactly once, however many workers run
it: each ticket is claimed by inserting its BusyReplyClaim row in the transaction that queues the
notice; a second worker's insert fails on the primary key (on PostgreSQL it waits for the first
transaction, then fails) and it moves on. A ticket the notice cannot reach is claimed too, so it
is not looked at every minute."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.choices import BusyHours, NoticeKind
from notifications.models import BusyReplyClaim, TeamBusyReply
from notifications.notices import notice_send
from sla.calendars import clock_for, default_calendar
from tickets.choices import OPEN_CATEGORIES
from tickets.models import Ticket

BATCH = 200


def busy_hours_now(setting: TeamBusyReply, now: datetime) -> bool:
    """Whether the team's reply may go out at `now` (its hours rule, on its calendar or the default)."""
    if setting.hours == BusyHours.ALWAYS:
        return True
    working = clock_for(setting.calendar or default_calendar()).is_working(now)
    return working if setting.hours == BusyHours.BUSINESS else not working


def busy_candidates(setting: TeamBusyReply, now: datetime) -> list[int]:
    """Ids of the team's open requests from clients, older than the delay, created since the reply
    was switched on, that no agent has answered publicly and that were not claimed yet (the
    partial index ticket_unanswered serves it)."""
    if setting.enabled_at is None:
        return []
    return list(
        Ticket.objects.filter(
            team_id=setting.team_id,
            first_response_at__isnull=True,
            status_category__in=[c.value for c in OPEN_CATEGORIES],
            created_at__lte=now - timedelta(minutes=setting.after_minutes),
            created_at__gte=setting.enabled_at,
            contact__isnull=False,
            created_by__isnull=True,  # opened by the client, not typed in by an agent
            merged_into__isnull=True,
        )
        .exclude(pk__in=BusyReplyClaim.objects.values("ticket_id"))
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:BATCH]
    )


def busy_reply_send(*, ticket_id: int, now: datetime | None = None) -> bool:
    """Claim the ticket and queue its busy notice, atomically. Returns whether a notice was queued
    by this call (False: claimed before, or no channel reaches the client)."""
    try:
        with transaction.atomic():
            claim = BusyReplyClaim.objects.create(ticket_id=ticket_id, claimed_at=now or timezone.now())
            ticket = Ticket.objects.select_related("contact", "company", "status", "assignee").get(pk=ticket_id)
            row = notice_send(ticket=ticket, kind=NoticeKind.BUSY, dedup_key=f"busy:{ticket_id}")
            if row is not None:
                claim.sent = True
                claim.save(update_fields=["sent"])
    except IntegrityError:
        return False
    return row is not None


def busy_replies_send(*, now: datetime | None = None) -> int:
    """The periodic sweep: every enabled team within its hours. Returns how many notices were queued."""
    now = now or timezone.now()
    sent = 0
    settings = TeamBusyReply.objects.filter(enabled=True, team__is_active=True).select_related("calendar")
    for setting in settings:
        if not busy_hours_now(setting, now):
            continue
        for ticket_id in busy_candidates(setting, now):
            sent += busy_reply_send(ticket_id=ticket_id, now=now)
    return sent
