"""Keeping tickets' SLA clocks current.

`sla_fields_for_new_ticket` gives a ticket being created its policy and deadlines with no
queries (no history yet). `ticket_sla_refresh` recomputes a ticket's clocks from its history
(status changes, replies, client messages) after anything that can move them — a status change,
an article, a change of priority, team, company, site, service or channel — and stores them with
one UPDATE. `trigger_moments` lists when warnings, breaches and escalation levels fall due; the
sweep (sla/sweep.py) fires them and `sla_next_check` is the earliest one not yet fired.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from core.deferred import flush_deferred
from sla.business_time import ALWAYS, BusinessClock
from sla.calendars import clock_for
from sla.clock import BREACHED, RUNNING, ClockResult, Target, TargetClock, Targets, Timeline, compute
from sla.models import EscalationTrigger, SlaEscalation, SlaFiring, SlaTarget, TargetKind
from sla.policies import PolicyRule, snapshot
from tickets.choices import ArticleKind, AuthorKind, EventKind, StatusCategory
from tickets.models import Article, Ticket, TicketEvent
from tickets.reference import reference

CLOCK_FIELDS = (
    "sla_policy",
    "sla_first_response_due",
    "sla_first_response_state",
    "sla_next_response_started",
    "sla_next_response_due",
    "sla_next_response_state",
    "sla_resolution_due",
    "sla_resolution_state",
    "sla_paused_seconds",
    "sla_paused_since",
    "sla_due",
    "sla_breached",
    "sla_next_check",
)
STOPPED_CATEGORIES = (StatusCategory.RESOLVED, StatusCategory.CLOSED)


def targets_of(target: SlaTarget | None) -> Targets:
    if target is None:
        return Targets()
    return Targets(
        first_response=Target(target.first_response_minutes, target.first_response_business),
        next_response=Target(target.next_response_minutes, target.next_response_business),
        resolution=Target(target.resolution_minutes, target.resolution_business),
    )


@dataclass(frozen=True)
class Moment:
    at: datetime
    target: str
    level: str  # "warning", "breach" or "escalation:<id>"
    episode: str
    escalation: SlaEscalation | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.target, self.level, self.episode)


def _episode(target: str, clock: TargetClock) -> str:
    if target == TargetKind.NEXT_RESPONSE and clock.started is not None:
        return str(int(clock.started.timestamp()))
    return ""


def trigger_moments(
    rule: PolicyRule, priority_id: int, clocks: dict[str, TargetClock], business: BusinessClock
) -> list[Moment]:
    """When each warning, breach and escalation level of the unmet, running (or already missed)
    targets falls due."""
    target = rule.targets.get(priority_id)
    if target is None:
        return []
    spec = targets_of(target)
    moments: list[Moment] = []
    for kind, clock in clocks.items():
        goal: Target = getattr(spec, kind)
        if goal.minutes is None or clock.met_at is not None or clock.due is None:
            continue
        if clock.state not in (RUNNING, BREACHED):
            continue
        use = business if goal.business else ALWAYS
        episode = _episode(kind, clock)
        seconds = goal.minutes * 60
        if rule.policy.warn_percent:  # also for a deadline already missed: a worker may have been down
            warn_at = use.subtract(clock.due, timedelta(seconds=seconds * (100 - rule.policy.warn_percent) / 100))
            moments.append(Moment(warn_at, kind, "warning", episode))
        moments.append(Moment(clock.due, kind, "breach", episode))
        for escalation in rule.escalations:
            if escalation.target != kind or (escalation.priority_id and escalation.priority_id != priority_id):
                continue
            delta = timedelta(minutes=escalation.minutes)
            if escalation.trigger == EscalationTrigger.AFTER_START:
                if clock.started is None:
                    continue
                at = use.add(clock.started, delta)
            elif escalation.trigger == EscalationTrigger.BEFORE_DUE:
                at = use.subtract(clock.due, delta)
            else:
                at = use.add(clock.due, delta)
            moments.append(Moment(at, kind, f"escalation:{escalation.pk}", episode, escalation))
    return moments


def _fields(rule: PolicyRule | None, result: ClockResult | None, next_check: datetime | None) -> dict[str, Any]:
    if rule is None or result is None:
        return dict.fromkeys(CLOCK_FIELDS, None) | {
            "sla_first_response_state": "",
            "sla_next_response_state": "",
            "sla_resolution_state": "",
            "sla_paused_seconds": 0,
            "sla_breached": False,
        }
    return {
        "sla_policy": rule.policy,
        "sla_first_response_due": result.first_response.due,
        "sla_first_response_state": result.first_response.state,
        "sla_next_response_started": result.next_response.started,
        "sla_next_response_due": result.next_response.due,
        "sla_next_response_state": result.next_response.state,
        "sla_resolution_due": result.resolution.due,
        "sla_resolution_state": result.resolution.state,
        "sla_paused_seconds": result.paused_seconds,
        "sla_paused_since": result.paused_since,
        "sla_due": result.due,
        "sla_breached": result.breached,
        "sla_next_check": next_check,
    }


def _clocks(result: ClockResult) -> dict[str, TargetClock]:
    return {
        TargetKind.FIRST_RESPONSE: result.first_response,
        TargetKind.NEXT_RESPONSE: result.next_response,
        TargetKind.RESOLUTION: result.resolution,
    }


def sla_fields_for_new_ticket(ticket: Ticket, *, now: datetime | None = None) -> dict[str, Any]:
    """Policy and clocks of a ticket about to be inserted (nothing happened to it yet)."""
    snap = snapshot()
    rule = snap.policy_for(ticket)
    if rule is None or ticket.priority_id not in rule.targets:
        return _fields(None, None, None)
    business = clock_for(snap.calendar_for(rule, ticket))
    start = ticket.received_at
    result = compute(
        targets_of(rule.targets[ticket.priority_id]), Timeline(start=start), business, now or timezone.now()
    )
    moments = trigger_moments(rule, ticket.priority_id, _clocks(result), business)
    return _fields(rule, result, min((m.at for m in moments), default=None))


EventRow = tuple[datetime, str, Any]  # created_at, kind, data of a status-changing event
ArticleRow = tuple[str, "datetime | None", datetime]  # author_kind, received_at, created_at


def ticket_history_rows(ticket_ids: list[int]) -> dict[int, tuple[list[EventRow], list[ArticleRow]]]:
    """What the clock reads of tickets' histories, for any number of tickets in two queries:
    status-changing events and public articles, oldest first."""
    history: dict[int, tuple[list[EventRow], list[ArticleRow]]] = defaultdict(lambda: ([], []))
    if not ticket_ids:
        return history
    flush_deferred()  # an inbound batch's events are written at its end otherwise (core/deferred.py)
    for ticket_id, created_at, kind, data in (
        TicketEvent.objects.filter(
            ticket_id__in=ticket_ids, kind__in=[EventKind.STATUS_CHANGED, EventKind.REOPENED, EventKind.MERGED_INTO]
        )
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "created_at", "kind", "data")
    ):
        history[ticket_id][0].append((created_at, kind, data))
    for ticket_id, author_kind, received_at, created_at in (
        Article.objects.filter(ticket_id__in=ticket_ids, kind=ArticleKind.PUBLIC)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "author_kind", "received_at", "created_at")
    ):
        history[ticket_id][1].append((author_kind, received_at, created_at))
    return history


def timeline_from_rows(ticket: Ticket, events: list[EventRow], articles: list[ArticleRow]) -> Timeline:
    """The ticket's history as the clock sees it: stretches stopped (pausing statuses, resolved or
    closed), the client's messages and the agents' public replies."""
    statuses = reference().statuses
    changes: list[tuple[datetime, int]] = []
    initial: int | None = None
    for created_at, kind, data in events:
        new = (data or {}).get("new") or {}
        old = (data or {}).get("old") or {}
        if kind == EventKind.MERGED_INTO:  # merged away: closed with it
            new = {"id": ticket.status_id}
        if initial is None and old.get("id"):
            initial = old["id"]
        if new.get("id"):
            changes.append((created_at, new["id"]))
    current = initial if initial is not None else ticket.status_id
    stopped: list[tuple[datetime, datetime | None]] = []
    resolved: list[tuple[datetime, datetime | None]] = []
    periods = [(ticket.received_at, current), *changes]
    for index, (frm, status_id) in enumerate(periods):
        to = periods[index + 1][0] if index + 1 < len(periods) else None
        status = statuses.get(status_id)
        if status is None:
            continue
        is_resolved = status.category in STOPPED_CATEGORIES
        if status.pauses_sla or is_resolved:
            stopped.append((max(frm, ticket.received_at), to))
        if is_resolved:
            resolved.append((frm, to))
    client: list[datetime] = []
    agent: list[datetime] = []
    for index, (author_kind, received_at, created_at) in enumerate(articles):
        if index == 0:
            continue  # the request itself
        if author_kind == AuthorKind.CONTACT:
            client.append(received_at or created_at)
        elif author_kind == AuthorKind.AGENT:
            agent.append(created_at)
    if ticket.first_response_at is not None and (not agent or agent[0] > ticket.first_response_at):
        agent.insert(0, ticket.first_response_at)
    return Timeline(
        start=ticket.received_at,
        stopped=_merge(stopped),
        resolved=resolved,
        client_messages=client,
        agent_replies=agent,
    )


def ticket_timeline(ticket: Ticket) -> Timeline:
    """One ticket's timeline (two queries)."""
    events, articles = ticket_history_rows([ticket.pk])[ticket.pk]
    return timeline_from_rows(ticket, events, articles)


def _merge(stretches: Iterable[tuple[datetime, datetime | None]]) -> list[tuple[datetime, datetime | None]]:
    merged: list[tuple[datetime, datetime | None]] = []
    for frm, to in sorted(stretches, key=lambda s: s[0]):
        if merged and (merged[-1][1] is None or frm <= merged[-1][1]):
            last_to = merged[-1][1]
            merged[-1] = (merged[-1][0], None if last_to is None or to is None else max(last_to, to))
        else:
            merged.append((frm, to))
    return merged


def fired_keys(ticket_ids: Iterable[int]) -> dict[int, set[tuple[str, str, str]]]:
    keys: dict[int, set[tuple[str, str, str]]] = {}
    for ticket_id, target, level, episode in SlaFiring.objects.filter(ticket_id__in=list(ticket_ids)).values_list(
        "ticket_id", "target", "level", "episode"
    ):
        keys.setdefault(ticket_id, set()).add((target, level, episode))
    return keys


def ticket_sla_evaluate(
    ticket: Ticket, *, now: datetime | None = None, timeline: Timeline | None = None
) -> tuple[PolicyRule | None, ClockResult | None, list[Moment]]:
    """The policy, clocks and trigger moments of `ticket` (its history read unless given)."""
    now = now or timezone.now()
    snap = snapshot()
    rule = snap.policy_for(ticket)
    if rule is None or ticket.priority_id not in rule.targets:
        return None, None, []
    business = clock_for(snap.calendar_for(rule, ticket))
    result = compute(targets_of(rule.targets[ticket.priority_id]), timeline or ticket_timeline(ticket), business, now)
    return rule, result, trigger_moments(rule, ticket.priority_id, _clocks(result), business)


def clock_fields(
    rule: PolicyRule | None, result: ClockResult | None, moments: list[Moment], fired: set[tuple[str, str, str]]
) -> dict[str, Any]:
    """The Ticket.sla_* column values; the next check is the earliest moment not fired yet."""
    next_check = min((m.at for m in moments if m.key not in fired), default=None)
    return _fields(rule, result, next_check)


def _holds(ticket: Ticket, fields: dict[str, Any]) -> bool:
    for name, value in fields.items():
        field = Ticket._meta.get_field(name)
        wanted = value.pk if field.is_relation and value is not None else value
        if getattr(ticket, field.attname) != wanted:  # type: ignore[union-attr]
            return False
    return True


def ticket_sla_refresh(ticket: Ticket, *, now: datetime | None = None) -> ClockResult | None:
    """Recompute and store `ticket`'s clocks from its history. Call after any change that can
    move them; cheap (three small queries and one UPDATE). Many tickets at once:
    sla.policy_services.tickets_sla_refresh_batch."""
    rule, result, moments = ticket_sla_evaluate(ticket, now=now)
    fired = fired_keys([ticket.pk]).get(ticket.pk, set()) if moments else set()
    fields = clock_fields(rule, result, moments, fired)
    # Only a row whose clocks moved is written: most refreshes (a reply on a ticket without a
    # policy, a note) change nothing, and a rewritten row costs a new version of it in every index
    # of the ticket table (sla_due is indexed, so it is never a HOT update). `ticket` is the row
    # the ticket services locked (or just inserted) in this transaction, so when it holds these
    # values already there is nothing to send; otherwise the UPDATE still compares with the row.
    if not _holds(ticket, fields):
        Ticket.objects.filter(pk=ticket.pk).exclude(**fields).update(**fields)
    for name, value in fields.items():
        setattr(ticket, name, value)
    return result
