"""Reads of the SLA set-up for the policy pages and the API (administrators and supervisors
manage it; staff read it — the views check who asks), and the SLA state filter of ticket lists."""

from __future__ import annotations

from datetime import date
from typing import cast

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from sla.clock import RUNNING
from sla.models import BusinessCalendar, CalendarDay, SlaFiring, SlaPolicy, SlaRecalculation, TargetKind

LARGE_RELATIONS = ("companies", "contracts", "sites")


def sla_policy_list() -> QuerySet[SlaPolicy]:
    """Every policy in the order they are tried, with what the list and the API show."""
    # Spelled out: the mypy plugin cannot follow *args into prefetch_related.
    return SlaPolicy.objects.select_related("calendar").prefetch_related(
        "company_categories",
        "priorities",
        "types",
        "categories",
        "teams",
        "companies",
        "contracts",
        "sites",
        "targets__priority",
        "escalations",
    )


def sla_policy_get(*, policy_id: int) -> SlaPolicy:
    try:
        return sla_policy_list().get(pk=policy_id)
    except (SlaPolicy.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def sla_policy_condition_counts() -> dict[str, dict[int, int]]:
    """How many companies, contracts and sites each policy names (without loading them)."""
    counts: dict[str, dict[int, int]] = {}
    for name in LARGE_RELATIONS:
        through = getattr(SlaPolicy, name).through
        counts[name] = dict(
            through.objects.values("slapolicy_id").annotate(n=Count("pk")).values_list("slapolicy_id", "n")
        )
    return counts


def sla_recalculation_latest() -> SlaRecalculation | None:
    return SlaRecalculation.objects.order_by("-id").first()


def sla_recalculation_get(*, recalculation_id: int) -> SlaRecalculation:
    try:
        return SlaRecalculation.objects.get(pk=recalculation_id)
    except SlaRecalculation.DoesNotExist as exc:
        raise Http404 from exc


def business_calendar_list() -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.prefetch_related("intervals").order_by("name", "id")


def business_calendar_get(*, calendar_id: int, with_days: bool = False) -> BusinessCalendar:
    """The calendar with its weekly intervals (and exceptional days); Http404 when there is none."""
    calendars = business_calendar_list()
    if with_days:
        calendars = calendars.prefetch_related("days")
    try:
        return calendars.get(pk=calendar_id)
    except (BusinessCalendar.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def calendar_day_get(*, calendar: BusinessCalendar, day: date) -> CalendarDay:
    """The exception `calendar` has for `day`; Http404 when the day follows the weekly hours."""
    try:
        return CalendarDay.objects.get(calendar=calendar, day=day)
    except CalendarDay.DoesNotExist as exc:
        raise Http404 from exc


SLA_STATES = ("breached", "at_risk", "running")


def _warned(target: str, since_field: str | None = None) -> Exists:
    firings = SlaFiring.objects.filter(ticket_id=OuterRef("pk"), target=target, level="warning")
    if since_field:
        firings = firings.filter(fired_at__gte=OuterRef(since_field))
    return Exists(firings)


def ticket_sla_state_q(state: str) -> Q:
    """Tickets in an SLA state: `breached` — a target was missed; `at_risk` — none missed, and
    a running target's warning (the policy's warn %) has fired; `running` — a deadline runs and
    is neither missed nor at risk."""
    at_risk = cast(
        Q,
        Q(sla_breached=False)
        & (
            (Q(sla_first_response_state=RUNNING) & _warned(TargetKind.FIRST_RESPONSE))
            | (
                Q(sla_next_response_state=RUNNING)
                & _warned(TargetKind.NEXT_RESPONSE, since_field="sla_next_response_started")
            )
            | (Q(sla_resolution_state=RUNNING) & _warned(TargetKind.RESOLUTION))
        ),
    )
    if state == "breached":
        return Q(sla_breached=True)
    if state == "at_risk":
        return at_risk
    if state == "running":
        return Q(sla_breached=False, sla_due__isnull=False) & ~at_risk
    raise ValueError(state)
