"""Time rules: every minute, fire the rules whose time has come, once per ticket and episode.

A time rule counts `time_minutes` from an anchor: the moment the ticket got its current status
(its last status change, or its creation), its creation, or its last change. Candidates come
from one indexed query per rule: not closed, anchor old enough, the rule's simple conditions
(status category, status, priority, team, assignee empty or set) translated to SQL, and no
RuleFiring for this rule, ticket and anchor value yet. Each candidate is then locked (rows another
worker holds are skipped), its anchor re-read, the rule's full conditions evaluated in Python,
and a RuleFiring inserted with INSERT … ON CONFLICT DO NOTHING RETURNING: only the worker whose
insert went in runs the actions. A new anchor value (the status changed again) is a new episode,
and the rule may fire again. See docs/architecture/automation-rules.md.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from automation.models import RuleFiring
from automation.rules.choices import RuleTrigger, TimeAnchor
from automation.rules.conditions import Context
from automation.rules.engine import CompiledRule, run_rules, snapshot
from tickets.choices import EventKind, StatusCategory
from tickets.models import Ticket, TicketEvent

logger = logging.getLogger(__name__)
BATCH = 200
STATUS_EVENTS = (EventKind.STATUS_CHANGED, EventKind.REOPENED)


def _status_since() -> Coalesce:
    last = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), kind__in=STATUS_EVENTS)
        .order_by("-id")
        .values("created_at")[:1]
    )
    return Coalesce(Subquery(last), "created_at")


def with_anchor(queryset: QuerySet[Ticket], anchor: str) -> QuerySet[Ticket]:
    """Tickets annotated with `rule_anchor_at`, the moment the rule's minutes count from."""
    if anchor == TimeAnchor.STATUS:
        return queryset.annotate(rule_anchor_at=_status_since())
    return queryset.annotate(rule_anchor_at=F("created_at" if anchor == TimeAnchor.CREATED else "updated_at"))


_SQL_FIELDS = {"status_category": "status_category", "status": "status_id", "priority": "priority_id"}
_SQL_FIELDS |= {"team": "team_id", "assignee": "assignee_id", "channel": "channel", "type": "type_id"}


def _sql_filter(compiled: CompiledRule) -> Q:
    """The rule's conditions that are plain columns, as SQL (the rest is checked in Python)."""
    q = Q()
    for row in compiled.rule.conditions:
        column = _SQL_FIELDS.get(row["field"])
        if column is None:
            continue
        op, value = row["op"], row["value"]
        if op == "in":
            q &= Q(**{f"{column}__in": value})
        elif op == "not_in":
            q &= ~Q(**{f"{column}__in": value}) | Q(**{f"{column}__isnull": True})
        elif op == "empty":
            q &= Q(**{f"{column}__isnull": True})
        elif op == "not_empty":
            q &= Q(**{f"{column}__isnull": False})
    return q


def _after(after: tuple[datetime, int] | None) -> Q:
    if after is None:
        return Q()
    # Keyset paging on the annotation (mypy's Django plugin does not see annotations in Q()).
    at, pk = after
    return Q(**{"rule_anchor_at__gt": at}) | Q(**{"rule_anchor_at": at, "pk__gt": pk})


def candidates(
    compiled: CompiledRule, now: datetime, limit: int = BATCH, after: tuple[datetime, int] | None = None
) -> list[tuple[int, datetime]]:
    """(ticket id, anchor) of tickets the rule may fire on now, oldest anchor first, from after
    `after` (the last page's last anchor and id)."""
    rule = compiled.rule
    due = now - timedelta(minutes=rule.time_minutes or 0)
    fired = RuleFiring.objects.filter(rule_id=rule.pk, ticket_id=OuterRef("pk"), anchor_at=OuterRef("rule_anchor_at"))
    # Typed loosely: the annotation is not a model field to mypy's Django plugin.
    annotated: Any = with_anchor(Ticket.objects.exclude(status_category=StatusCategory.CLOSED), rule.time_anchor)
    queryset = (
        annotated.filter(_sql_filter(compiled), Q(**{"rule_anchor_at__lte": due}), created_at__lte=due)
        .filter(~Exists(fired))
        .filter(_after(after))
        .order_by("rule_anchor_at", "id")
        .values_list("pk", "rule_anchor_at")[:limit]
    )
    return list(queryset)


def _insert_firing(rule_id: int, ticket_id: int, anchor_at: datetime, now: datetime) -> bool:
    """True when this call recorded the firing (another worker did not, before or meanwhile)."""
    table = RuleFiring._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (rule_id, ticket_id, anchor_at, fired_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (rule_id, ticket_id, anchor_at) DO NOTHING RETURNING id",
            [rule_id, ticket_id, anchor_at, now],
        )
        return cursor.fetchone() is not None


def _fire(compiled: CompiledRule, ticket_id: int, anchor_at: datetime, now: datetime, clock: Any) -> bool:
    rule = compiled.rule
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(skip_locked=True, of=("self",)).filter(pk=ticket_id)
        ticket = with_anchor(locked, rule.time_anchor).first()
        if ticket is None or ticket.rule_anchor_at != anchor_at:  # type: ignore[attr-defined]
            return False  # another worker holds it, or it moved on: a later run sees it afresh
        ctx = Context(ticket=ticket, trigger=RuleTrigger.TIME, now=now, business_clock=clock)
        if not compiled.matches(ctx):
            return False
        if not _insert_firing(rule.pk, ticket_id, anchor_at, now):
            return False
        run_rules(ctx, [_single(compiled)])
        return True


def _single(compiled: CompiledRule) -> CompiledRule:
    # The conditions were just checked; `stop further rules` means nothing for one rule alone.
    return CompiledRule(rule=compiled.rule, checks=(), actions=compiled.actions)


def time_rules_sweep(*, now: datetime | None = None, limit: int = BATCH, max_pages: int = 50) -> Counter[str]:
    """Fire the due time rules. Returns how many tickets each rule (by name) fired on, and
    "errors": firings that failed (logged; rolled back, so the next run tries again).
    Candidates whose other conditions do not match stay candidates (they may match later), so
    the sweep pages past them rather than taking the first `limit` only."""
    counts: Counter[str] = Counter()
    if not settings.OTKLIK_AUTOMATION_RULES:
        return counts
    now = now or timezone.now()
    current = snapshot()
    for compiled in current.by_trigger.get(RuleTrigger.TIME, []):
        after: tuple[datetime, int] | None = None
        for _page in range(max_pages):
            page = candidates(compiled, now, limit, after)
            for ticket_id, anchor_at in page:
                try:
                    fired = _fire(compiled, ticket_id, anchor_at, now, current.business_clock)
                except Exception:  # one ticket's failure (rolled back, retried next run) stops no other
                    logger.exception("time rule %s failed on ticket %s", compiled.rule.pk, ticket_id)
                    counts["errors"] += 1
                    continue
                if fired:
                    counts[compiled.rule.name] += 1
            if len(page) < limit:
                break
            after = (page[-1][1], page[-1][0])
    return counts
