"""Business-time arithmetic over a calendar: add a duration of working time to a moment, take it
away, or measure the working time between two moments.

A calendar is compiled into a `BusinessClock`: per local day, the working intervals as POSIX
timestamps, built lazily and cached. Arithmetic runs on plain floats (seconds) — the SLA sweep
and a policy recalculation call it hundreds of thousands of times.

Conventions: intervals are half-open in meaning but an interval's end is a valid result (a
deadline "at 18:00" is met by an answer at 18:00:00). Adding 0 returns the start unchanged.
Adding a positive duration always lands inside working time. For a start inside working time
`subtract(add(t, d), d) == t`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[int, int]  # minutes from local midnight, end > start, end ≤ 1440
MAX_EMPTY_DAYS = 3700  # ten years without working time: the calendar is broken, not the ticket


class CalendarHasNoWorkingTime(ValueError):
    pass


def _minutes(value: time | str) -> int:
    """ "09:30" or time(9, 30) → 570; "24:00" is the end of the day (1440)."""
    if isinstance(value, str):
        hours, _sep, minutes = value.strip().partition(":")
        total = int(hours) * 60 + int(minutes or 0)
        if not 0 <= total <= 1440 or not 0 <= int(minutes or 0) < 60:
            raise ValueError(f"{value!r} is not a time of day")
        return total
    return value.hour * 60 + value.minute


def parse_intervals(pairs: Iterable[Iterable[time | str]]) -> tuple[Interval, ...]:
    """[["09:00", "13:00"], ["14:00", "18:00"]] → ((540, 780), (840, 1080)); sorted, merged."""
    raw = sorted((_minutes(a), _minutes(b)) for a, b in pairs)
    merged: list[Interval] = []
    for start, end in raw:
        if end <= start:
            raise ValueError(f"interval {start}–{end} ends before it starts")
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def shorten(intervals: tuple[Interval, ...], minutes: int) -> tuple[Interval, ...]:
    """The day's intervals with `minutes` cut from the end of the working day."""
    left = minutes
    result = list(intervals)
    while left > 0 and result:
        start, end = result[-1]
        if end - start > left:
            result[-1] = (start, end - left)
            left = 0
        else:
            left -= end - start
            result.pop()
    return tuple(result)


@dataclass(frozen=True)
class CalendarSpec:
    """A calendar as plain data: the week (Monday first) and the exceptional days."""

    time_zone: str = "Europe/Moscow"
    week: tuple[tuple[Interval, ...], ...] = ((),) * 7
    days: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)
    always: bool = False  # 24/7: business time is calendar time


class BusinessClock:
    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.tz = ZoneInfo(spec.time_zone)
        self._cache: dict[int, tuple[tuple[float, float], ...]] = {}
        if not spec.always and not any(spec.week) and not any(spec.days.values()):
            raise CalendarHasNoWorkingTime("the calendar has no working hours at all")

    # --- days ---------------------------------------------------------------------------------

    def local_intervals(self, day: date) -> tuple[Interval, ...]:
        if self.spec.always:
            return ((0, 1440),)
        if day in self.spec.days:
            return self.spec.days[day]
        return self.spec.week[day.weekday()]

    def _day(self, ordinal: int) -> tuple[tuple[float, float], ...]:
        cached = self._cache.get(ordinal)
        if cached is None:
            day = date.fromordinal(ordinal)
            midnight = datetime(day.year, day.month, day.day, tzinfo=self.tz)
            cached = tuple(
                (
                    (midnight + timedelta(minutes=start)).timestamp(),
                    (midnight + timedelta(minutes=end)).timestamp(),
                )
                for start, end in self.local_intervals(day)
            )
            self._cache[ordinal] = cached
        return cached

    def _ordinal(self, ts: float) -> int:
        return datetime.fromtimestamp(ts, self.tz).toordinal()

    # --- arithmetic on timestamps -----------------------------------------------------------

    def add_ts(self, start: float, seconds: float) -> float:
        if seconds <= 0:
            return start if seconds == 0 else self.subtract_ts(start, -seconds)
        if self.spec.always:
            return start + seconds
        remaining, t = seconds, start
        ordinal, empty = self._ordinal(start), 0
        while True:
            intervals = self._day(ordinal)
            for begin, end in intervals:
                if end <= t:
                    continue
                frm = begin if begin > t else t
                available = end - frm
                if remaining <= available:
                    return frm + remaining
                remaining -= available
                t = end
            empty = 0 if intervals else empty + 1
            if empty > MAX_EMPTY_DAYS:
                raise CalendarHasNoWorkingTime("no working time ahead")
            ordinal += 1

    def subtract_ts(self, end_at: float, seconds: float) -> float:
        if seconds <= 0:
            return end_at if seconds == 0 else self.add_ts(end_at, -seconds)
        if self.spec.always:
            return end_at - seconds
        remaining, t = seconds, end_at
        ordinal, empty = self._ordinal(end_at), 0
        while True:
            intervals = self._day(ordinal)
            for begin, end in reversed(intervals):
                if begin >= t:
                    continue
                upto = end if end < t else t
                available = upto - begin
                if remaining <= available:
                    return upto - remaining
                remaining -= available
                t = begin
            empty = 0 if intervals else empty + 1
            if empty > MAX_EMPTY_DAYS:
                raise CalendarHasNoWorkingTime("no working time behind")
            ordinal -= 1

    def elapsed_ts(self, a: float, b: float) -> float:
        """Working seconds between `a` and `b` (negative when b < a)."""
        if b < a:
            return -self.elapsed_ts(b, a)
        if self.spec.always:
            return b - a
        total = 0.0
        ordinal, last = self._ordinal(a), self._ordinal(b)
        while ordinal <= last:
            for begin, end in self._day(ordinal):
                lo = begin if begin > a else a
                hi = end if end < b else b
                if hi > lo:
                    total += hi - lo
            ordinal += 1
        return total

    def is_working_ts(self, ts: float) -> bool:
        if self.spec.always:
            return True
        return any(begin <= ts < end for begin, end in self._day(self._ordinal(ts)))

    # --- the same on datetimes ----------------------------------------------------------------

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return datetime.fromtimestamp(self.add_ts(start.timestamp(), duration.total_seconds()), UTC)

    def subtract(self, end: datetime, duration: timedelta) -> datetime:
        return datetime.fromtimestamp(self.subtract_ts(end.timestamp(), duration.total_seconds()), UTC)

    def elapsed(self, a: datetime, b: datetime) -> timedelta:
        return timedelta(seconds=self.elapsed_ts(a.timestamp(), b.timestamp()))

    def is_working(self, moment: datetime) -> bool:
        return self.is_working_ts(moment.timestamp())


ALWAYS = BusinessClock(CalendarSpec(time_zone="UTC", always=True))
