"""The SLA report: how many tickets met their first-response and resolution targets, grouped by
period, team, agent, company or priority, with the time those took in business hours; and the
list of tickets that missed a target. Reads only — see docs/architecture/sla-report.md.

What is counted, per target (first response, resolution), from the ticket's SLA columns:
- met: state "met"; breached: state "breached" (met late stays breached); pending: running or
  paused. A ticket without the target (state "") is in none of them.
- The met share is met / (met + breached): the targets already decided. Pending ones do not
  count against the share — they may still be met.

Times, in business hours of the ticket's calendar (the site's when the policy follows the site's
calendar and the site has one, else the policy's, else the default calendar; 24/7 when there is
no calendar at all):
- first response: from `received_at` to `first_response_at`;
- resolution: from `received_at` to `resolved_at` (or `closed_at` for a ticket closed without
  being resolved first).
Paused time (statuses that pause the SLA) is *not* subtracted: the report shows how long the
client waited in working hours. The stored `sla_paused_seconds` is wall-clock time over the
whole life of the ticket, so it cannot be taken off a business-time span exactly.

How: the counts are one SQL query with conditional aggregation grouped by the chosen key; the
times are one more query reading five columns per ticket (no model instances) and business-time
arithmetic in Python on cached calendar clocks. The query count does not depend on the number of
tickets; 100,000 tickets take about a second (bench/sla_report_bench.py).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.db import connections
from django.db.models import CharField, Count, DateField, F, Q, QuerySet
from django.db.models.functions import Cast, TruncDate, TruncMonth, TruncWeek
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.models import User
from customers.models import Company
from sla.business_time import ALWAYS, BusinessClock, CalendarHasNoWorkingTime
from sla.calendars import clock_for, default_calendar
from sla.models import BusinessCalendar, SlaPolicy, TargetKind
from tickets.choices import ClockState
from tickets.models import Ticket
from tickets.reference import reference
from tickets.selectors import ticket_visibility_q, with_reference

TIME_COLUMNS = ("received_at", "first_response_at", "resolved_at", "closed_at")
MET, BREACHED = ClockState.MET.value, ClockState.BREACHED.value
PENDING = (ClockState.RUNNING.value, ClockState.PAUSED.value)
# The earliest and latest dates a report may cover: beyond them the arithmetic of dates (and the
# databases' date functions) overflow, and no ticket exists anyway.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


class Grouping:
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    TEAM = "team"
    AGENT = "agent"
    COMPANY = "company"
    PRIORITY = "priority"

    choices = [
        (DAY, gettext_lazy("Day")),
        (WEEK, gettext_lazy("Week")),
        (MONTH, gettext_lazy("Month")),
        (TEAM, gettext_lazy("Team")),
        (AGENT, gettext_lazy("Agent")),
        (COMPANY, gettext_lazy("Company")),
        (PRIORITY, gettext_lazy("Priority")),
    ]
    PERIODS = (DAY, WEEK, MONTH)
    # The ticket column each non-period grouping groups by.
    COLUMNS = {TEAM: "team_id", AGENT: "assignee_id", COMPANY: "company_id", PRIORITY: "priority_id"}


@dataclass(frozen=True)
class ReportFilters:
    """Tickets received from `date_from` to `date_to` inclusive, as days in the viewer's time
    zone; each id optional."""

    date_from: date
    date_to: date
    team_id: int | None = None
    assignee_id: int | None = None
    company_id: int | None = None
    priority_id: int | None = None


def default_period(today: date | None = None) -> tuple[date, date]:
    """The current month (of the active time zone): its first and last day."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    return first, next_month - timedelta(days=1)


@dataclass
class TargetSummary:
    """One target (first response or resolution) over a group of tickets."""

    met: int = 0
    breached: int = 0
    pending: int = 0
    durations: list[float] = field(default_factory=list, repr=False)  # business seconds

    @property
    def share(self) -> float | None:
        """Percent met of the decided (met + breached); None when nothing is decided yet."""
        decided = self.met + self.breached
        return round(100.0 * self.met / decided, 1) if decided else None

    @property
    def measured(self) -> int:
        """Tickets whose time is known (answered / resolved)."""
        return len(self.durations)

    @property
    def average_hours(self) -> float | None:
        return round(statistics.fmean(self.durations) / 3600, 2) if self.durations else None

    @property
    def median_hours(self) -> float | None:
        return round(statistics.median(self.durations) / 3600, 2) if self.durations else None

    def add(self, other: TargetSummary) -> None:
        self.met += other.met
        self.breached += other.breached
        self.pending += other.pending
        self.durations.extend(other.durations)


@dataclass
class ReportRow:
    key: Any  # a date for periods, an id (or None) otherwise
    label: str
    tickets: int = 0
    first_response: TargetSummary = field(default_factory=TargetSummary)
    resolution: TargetSummary = field(default_factory=TargetSummary)
    sort_key: tuple[Any, ...] = ()

    @property
    def targets(self) -> tuple[TargetSummary, TargetSummary]:
        return self.first_response, self.resolution


@dataclass
class Report:
    filters: ReportFilters
    grouping: str
    rows: list[ReportRow]
    totals: ReportRow
    # Calendars that could not be used (no working time at all): their tickets were measured 24/7.
    broken_calendars: list[str] = field(default_factory=list)


def _tickets_for(*, user: User, filters: ReportFilters, tz: tzinfo) -> QuerySet[Ticket]:
    start = timezone.make_aware(datetime.combine(filters.date_from, time.min), tz)
    end = timezone.make_aware(datetime.combine(filters.date_to + timedelta(days=1), time.min), tz)
    qs = Ticket.objects.filter(ticket_visibility_q(user), received_at__gte=start, received_at__lt=end)
    if filters.team_id is not None:
        qs = qs.filter(team_id=filters.team_id)
    if filters.assignee_id is not None:
        qs = qs.filter(assignee_id=filters.assignee_id)
    if filters.company_id is not None:
        qs = qs.filter(company_id=filters.company_id)
    if filters.priority_id is not None:
        qs = qs.filter(priority_id=filters.priority_id)
    return qs


def _group_qs(qs: QuerySet[Ticket], grouping: str, tz: tzinfo) -> tuple[QuerySet[Ticket], str]:
    """(`qs` ready to group, the name of its grouping value). Periods are the first day of the
    day / week (Monday) / month in `tz`."""
    if grouping == Grouping.DAY:
        return qs.annotate(group=TruncDate("received_at", tzinfo=tz)), "group"
    if grouping == Grouping.WEEK:
        return qs.annotate(group=TruncWeek("received_at", tzinfo=tz, output_field=DateField())), "group"
    if grouping == Grouping.MONTH:
        return qs.annotate(group=TruncMonth("received_at", tzinfo=tz, output_field=DateField())), "group"
    return qs, Grouping.COLUMNS[grouping]


def _as_date(value: Any) -> date:
    # TruncDate gives a date; some backends hand a datetime back for the nested truncation.
    return value.date() if isinstance(value, datetime) else value


def sla_report_for_user(
    *, user: User, filters: ReportFilters, grouping: str = Grouping.DAY, tz: tzinfo | None = None
) -> Report:
    """The report over the tickets `user` may see. `tz`: the viewer's time zone (the active one
    when omitted) — days, weeks and months are theirs. Raises ValueError for an unknown grouping."""
    if grouping not in dict(Grouping.choices):
        raise ValueError(f"unknown grouping {grouping!r}")
    tz = tz or timezone.get_current_timezone()
    base = _tickets_for(user=user, filters=filters, tz=tz)
    qs, key = _group_qs(base, grouping, tz)

    rows: dict[Any, ReportRow] = {}
    counts = (
        qs.order_by()
        .values(key)
        .annotate(
            tickets=Count("pk"),
            fr_met=Count("pk", filter=Q(sla_first_response_state=MET)),
            fr_breached=Count("pk", filter=Q(sla_first_response_state=BREACHED)),
            fr_pending=Count("pk", filter=Q(sla_first_response_state__in=PENDING)),
            res_met=Count("pk", filter=Q(sla_resolution_state=MET)),
            res_breached=Count("pk", filter=Q(sla_resolution_state=BREACHED)),
            res_pending=Count("pk", filter=Q(sla_resolution_state__in=PENDING)),
        )
    )
    for item in counts:
        group = _as_date(item[key]) if grouping in Grouping.PERIODS else item[key]
        row = rows.setdefault(group, ReportRow(key=group, label=""))
        # Several database groups can map to one key only for periods (never in practice).
        row.tickets += item["tickets"]
        row.first_response.add(TargetSummary(item["fr_met"], item["fr_breached"], item["fr_pending"]))
        row.resolution.add(TargetSummary(item["res_met"], item["res_breached"], item["res_pending"]))

    broken = _add_durations(base, grouping, tz, rows)
    _label(rows.values(), grouping)
    ordered = sorted(rows.values(), key=lambda r: r.sort_key)
    totals = ReportRow(key=None, label=pgettext("report row", "Total"))
    for row in ordered:
        totals.tickets += row.tickets
        totals.first_response.add(row.first_response)
        totals.resolution.add(row.resolution)
    return Report(filters=filters, grouping=grouping, rows=ordered, totals=totals, broken_calendars=broken)


class _Clocks:
    """The business clock of each ticket's calendar, looked up by (policy, site calendar)."""

    def __init__(self, policy_ids: set[int], site_calendar_ids: set[int]) -> None:
        self.broken: list[str] = []
        self.policies = {
            p["pk"]: (p["calendar_id"], p["use_site_calendar"])
            for p in SlaPolicy.objects.filter(pk__in=policy_ids).values("pk", "calendar_id", "use_site_calendar")
        }
        wanted = {c for c, _use_site in self.policies.values() if c is not None} | site_calendar_ids
        self.clocks: dict[int | None, BusinessClock] = {}
        for calendar in BusinessCalendar.objects.filter(pk__in=wanted):
            self.clocks[calendar.pk] = self._clock(calendar)
        self._default: BusinessClock | None = None

    def _clock(self, calendar: BusinessCalendar | None) -> BusinessClock:
        try:
            return clock_for(calendar)
        except CalendarHasNoWorkingTime:
            assert calendar is not None
            self.broken.append(calendar.name)
            return ALWAYS

    @property
    def default(self) -> BusinessClock:
        if self._default is None:
            self._default = self._clock(default_calendar())
        return self._default

    def for_ticket(self, policy_id: int | None, site_calendar_id: int | None) -> BusinessClock:
        calendar_id, use_site = self.policies.get(policy_id, (None, False)) if policy_id else (None, False)
        if use_site and site_calendar_id is not None:
            calendar_id = site_calendar_id
        if calendar_id is None:
            return self.default
        return self.clocks.get(calendar_id) or self.default


def _add_durations(qs: QuerySet[Ticket], grouping: str, tz: tzinfo, rows: dict[Any, ReportRow]) -> list[str]:
    """Business seconds to first response and to resolution of every answered / resolved ticket,
    into the rows' summaries. Returns the names of calendars that could not be used."""
    periods = grouping in Grouping.PERIODS
    # For periods the key is worked out here from `received_at`: on SQLite the database's
    # truncation in a time zone is a Python function called per row, slower than doing it here.
    # Datetimes are read as text and parsed here: psycopg's and Django's per-value datetime
    # conversions cost more than all the business-time arithmetic over them.
    columns = {
        "report_group": F("pk" if periods else Grouping.COLUMNS[grouping]),
        **{f"report_{name}": Cast(name, output_field=CharField()) for name in TIME_COLUMNS},
        "report_policy": F("sla_policy_id"),
        "report_site_calendar": F("site__calendar_id"),
    }
    values = _raw_rows(
        qs.filter(Q(first_response_at__isnull=False) | Q(resolved_at__isnull=False) | Q(closed_at__isnull=False))
        .order_by()
        .values(**columns),
        list(columns),
    )
    clocks = _Clocks(
        policy_ids={v[5] for v in values if v[5] is not None},
        site_calendar_ids={v[6] for v in values if v[6] is not None},
    )
    period_of = _period_key(grouping, tz)
    for group, received, answered, resolved, closed, policy_id, site_calendar_id in values:
        start = _seconds(received)
        row = rows.get(period_of(start) if periods else group)
        if row is None:  # a ticket that arrived between the two queries
            continue
        clock = clocks.for_ticket(policy_id, site_calendar_id)
        if answered is not None:
            end = _seconds(answered)
            if end >= start:
                row.first_response.durations.append(clock.elapsed_ts(start, end))
        done = resolved or closed
        if done is not None:
            end = _seconds(done)
            if end >= start:
                row.resolution.durations.append(clock.elapsed_ts(start, end))
    return clocks.broken


def _raw_rows(qs: QuerySet[Any], names: list[str]) -> list[tuple[Any, ...]]:
    """The `names` columns of a values() query, in that order, straight from the database
    cursor (no per-value conversion)."""
    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        positions = [c[0] for c in cursor.description]
        order = [positions.index(name) for name in names]
        return [tuple(row[i] for i in order) for row in cursor.fetchall()]


def _seconds(text: str) -> float:
    """POSIX seconds of a datetime column read as text: "2025-05-03 12:34:56.5" in UTC (SQLite)
    or "2025-05-03 12:34:56.5+00" (PostgreSQL)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return (moment - _EPOCH).total_seconds()
    return moment.timestamp()


_EPOCH = datetime(1970, 1, 1)


def _period_key(grouping: str, tz: tzinfo) -> Callable[[float], date]:
    """The first day of the period (in `tz`) a moment falls in — as TruncDate / TruncWeek
    (weeks start on Monday) / TruncMonth give it."""

    def day(ts: float) -> date:
        return datetime.fromtimestamp(ts, tz).date()

    if grouping == Grouping.WEEK:
        return lambda ts: (d := day(ts)) - timedelta(days=d.weekday())
    if grouping == Grouping.MONTH:
        return lambda ts: day(ts).replace(day=1)
    return day


def _label(rows: Iterable[ReportRow], grouping: str) -> None:
    rows = list(rows)
    if grouping in Grouping.PERIODS:
        for row in rows:
            row.label = period_label(row.key, grouping)
            row.sort_key = (row.key,)
        return
    if grouping == Grouping.COMPANY:
        names = dict(Company.objects.filter(pk__in=[r.key for r in rows if r.key]).values_list("pk", "name"))
        for row in rows:
            row.label = names.get(row.key, "") if row.key else _("No company")
            row.sort_key = (row.key is None, row.label.casefold(), row.key or 0)
        return
    ref = reference()
    for row in rows:
        if grouping == Grouping.TEAM:
            team = ref.teams.get(row.key) if row.key else None
            row.label = team.name if team else (_("No team") if row.key is None else f"#{row.key}")
            row.sort_key = (row.key is None, row.label.casefold(), row.key or 0)
        elif grouping == Grouping.AGENT:
            person = ref.users.get(row.key) if row.key else None
            row.label = str(person) if person else (_("Unassigned") if row.key is None else f"#{row.key}")
            row.sort_key = (row.key is None, row.label.casefold(), row.key or 0)
        else:
            priority = ref.priorities.get(row.key)
            row.label = priority.name if priority else f"#{row.key}"
            row.sort_key = (priority.order if priority else 0, row.key)


def period_label(day: date, grouping: str) -> str:
    if grouping == Grouping.DAY:
        return formats.date_format(day, "SHORT_DATE_FORMAT")
    if grouping == Grouping.WEEK:
        return "{} – {}".format(
            formats.date_format(day, "SHORT_DATE_FORMAT"),
            formats.date_format(day + timedelta(days=6), "SHORT_DATE_FORMAT"),
        )
    return formats.date_format(day, "YEAR_MONTH_FORMAT")


def period_range(day: date, grouping: str) -> tuple[date, date]:
    """The first and last day of the period starting on `day`."""
    if grouping == Grouping.DAY:
        return day, day
    if grouping == Grouping.WEEK:
        return day, day + timedelta(days=6)
    return default_period(day)


# --- the breached tickets -------------------------------------------------------------------


@dataclass(frozen=True)
class BreachedTarget:
    target: str  # TargetKind value
    label: str
    due: datetime | None
    late: timedelta | None  # None: not known (a next response's answer time is not stored)


def sla_breached_list_for_user(*, user: User, filters: ReportFilters, tz: tzinfo | None = None) -> QuerySet[Ticket]:
    """The tickets of the report that missed any target, newest first, with team and assignee
    attached from the reference snapshot."""
    tz = tz or timezone.get_current_timezone()
    qs = _tickets_for(user=user, filters=filters, tz=tz).filter(
        Q(sla_first_response_state=BREACHED)
        | Q(sla_next_response_state=BREACHED)
        | Q(sla_resolution_state=BREACHED)
        | Q(sla_breached=True)
    )
    # The description is the one large column, and no line of the list shows it.
    return with_reference(qs.defer("description").order_by("-received_at", "-id"))


def breached_targets(ticket: Ticket, *, now: datetime | None = None) -> list[BreachedTarget]:
    """The targets `ticket` missed and by how much wall-clock time: from the deadline to the
    answer / resolution, or to `now` while it is still outstanding."""
    now = now or timezone.now()
    result: list[BreachedTarget] = []
    if ticket.sla_first_response_state == BREACHED:
        result.append(
            _breached(TargetKind.FIRST_RESPONSE, ticket.sla_first_response_due, ticket.first_response_at, now)
        )
    if ticket.sla_next_response_state == BREACHED:
        # When (or whether) the late answer came is not stored: only the deadline is known.
        result.append(_next_response(ticket.sla_next_response_due))
    elif ticket.sla_breached and not result and ticket.sla_resolution_state != BREACHED:
        # Only an earlier next-response episode was missed: `sla_breached` is all that is left of it.
        result.append(_next_response(None))
    if ticket.sla_resolution_state == BREACHED:
        result.append(
            _breached(TargetKind.RESOLUTION, ticket.sla_resolution_due, ticket.resolved_at or ticket.closed_at, now)
        )
    return result


def _next_response(due: datetime | None) -> BreachedTarget:
    return BreachedTarget(TargetKind.NEXT_RESPONSE.value, str(TargetKind.NEXT_RESPONSE.label), due, None)


def _breached(kind: TargetKind, due: datetime | None, met_at: datetime | None, now: datetime) -> BreachedTarget:
    late = None
    if due is not None:
        late = max((met_at or now) - due, timedelta(0))
    return BreachedTarget(kind.value, str(kind.label), due, late)
