"""Business calendars from the database as BusinessClocks, cached per process.

A clock is rebuilt when its calendar's `updated_at` moves: every change of a calendar, its
weekly intervals or its days must save the calendar (sla.services.calendar_touch does)."""

from __future__ import annotations

import threading
from datetime import date

from sla.business_time import ALWAYS, BusinessClock, CalendarSpec, Interval, parse_intervals, shorten
from sla.models import BusinessCalendar, DayKind

_lock = threading.Lock()
_clocks: dict[int, tuple[float, BusinessClock]] = {}


def calendar_spec(calendar: BusinessCalendar) -> CalendarSpec:
    if calendar.is_24x7:
        return CalendarSpec(time_zone=calendar.time_zone, always=True)
    week: list[list[tuple[str, str]]] = [[] for _ in range(7)]
    for interval in calendar.intervals.all():
        week[interval.weekday].append((interval.start.strftime("%H:%M"), interval.end.strftime("%H:%M")))
    week_intervals = tuple(parse_intervals(day) for day in week)
    days: dict[date, tuple[Interval, ...]] = {}
    for day in calendar.days.all():
        if day.kind == DayKind.HOLIDAY:
            days[day.day] = ()
        elif day.hours:
            days[day.day] = parse_intervals(day.hours)
        elif day.kind == DayKind.WORKDAY:
            days[day.day] = week_intervals[day.workday_pattern]
        else:  # shortened: the weekday's hours, less the shortening at the end
            base = week_intervals[day.day.weekday()] or week_intervals[day.workday_pattern]
            days[day.day] = shorten(base, day.shortened_by_minutes)
    return CalendarSpec(time_zone=calendar.time_zone, week=week_intervals, days=days)


def clock_for(calendar: BusinessCalendar | None) -> BusinessClock:
    """The clock of `calendar` (round the clock when None)."""
    if calendar is None:
        return ALWAYS
    version = calendar.updated_at.timestamp()
    cached = _clocks.get(calendar.pk)
    if cached is not None and cached[0] == version:
        return cached[1]
    clock = BusinessClock(calendar_spec(calendar))
    with _lock:
        _clocks[calendar.pk] = (version, clock)
    return clock


def clocks_reset() -> None:
    with _lock:
        _clocks.clear()


def default_calendar() -> BusinessCalendar | None:
    return (
        BusinessCalendar.objects.filter(is_default=True, is_active=True).first()
        or BusinessCalendar.objects.filter(is_active=True, is_24x7=False).order_by("id").first()
    )
