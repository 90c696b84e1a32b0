"""The Russian production calendar as CalendarDay rows, from the `holidays` package.

`russian_production_days(year)` computes the year's exceptional days as plain data;
`calendar_days_apply()` writes them into any calendar (with the real or a migration's historical
model), and `russian_calendar_seed()` does both for a live calendar and bumps its `updated_at`
so cached clocks are rebuilt.

Rules (checked against the government's calendars for 2025 and 2026, see sla/tests/test_seeding.py):

- every day off `holidays.RU` lists (public holidays, the government's substituted days off, days
  off "observed" on Monday) becomes a HOLIDAY row; those on a weekend change nothing but make the
  year read like the official calendar;
- a Saturday or Sunday made a working day (`weekend_workdays`) becomes a WORKDAY row that works
  like the weekday it was swapped with (2025-11-01 works like Monday 2025-11-03);
- Article 95 of the Labour Code shortens by one hour the working day *immediately* preceding a
  public holiday: the day before a holiday, when it is a working day. When the day before the
  holiday is a day off swapped with a working Saturday (2025-11-03 for 2025-11-01), the shortening
  goes with the work to that Saturday. A working day before a mere substituted day off
  (2025-05-07 before 2025-05-08, 2025-12-30 before 2025-12-31) or before a weekend that ends in a
  Monday holiday (2026-02-20) is not shortened — this is how the official calendars read.

Rows edited by hand (`is_manual`) are never touched. Seeding is idempotent: a second run changes
nothing, and a row seeded before that the package no longer lists is removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import holidays
from django.db import transaction

# Plain strings, not DayKind: calendar_days_apply() also runs inside migrations.
HOLIDAY, WORKDAY, SHORTENED = "holiday", "workday", "shortened"
PRE_HOLIDAY_SHORTENING_MINUTES = 60
COUNTRY_RUSSIA = "RU"
FIRST_YEAR, LAST_YEAR = 1992, 2100  # holidays.RU knows the Russian Federation's calendar from 1992

_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


@dataclass(frozen=True)
class PlannedDay:
    day: date
    kind: str
    name: str = ""
    shortened_by_minutes: int = PRE_HOLIDAY_SHORTENING_MINUTES
    workday_pattern: int = 0


@dataclass
class SeedCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    kept_manual: int = 0
    days: list[date] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "kept_manual": self.kept_manual,
        }


def _substituted_from(english_name: str) -> date | None:
    """ "Day off (substituted from 11/01/2025)" → date(2025, 11, 1)."""
    match = _SUBSTITUTED.search(english_name)
    if match is None:
        return None
    month, day, year = (int(part) for part in match.groups())
    return date(year, month, day)


def _is_public_holiday(english_name: str) -> bool:
    """A holiday of Article 112 itself, not a day off moved onto a weekday."""
    return not english_name.startswith("Day off") and "(observed)" not in english_name


def russian_production_days(year: int) -> list[PlannedDay]:
    """The exceptional days of `year` in the Russian production calendar, sorted by date."""
    # English names carry the machine-readable "substituted from MM/DD/YYYY"; Russian ones are
    # what people read in the day table. The next year is loaded for the day before 1 January.
    english = holidays.RU(years=[year, year + 1], language="en_US")
    russian = holidays.RU(years=year, language="ru")
    weekend_workdays = {d for d in getattr(english, "weekend_workdays", set()) if d.year == year}

    swapped_with: dict[date, date] = {}  # working weekend day → the weekday off it was swapped with
    for day, name in english.items():
        source = _substituted_from(name)
        if source is not None and source in weekend_workdays:
            swapped_with[source] = day

    planned: dict[date, PlannedDay] = {}
    for day, name in english.items():
        if day.year == year:
            planned[day] = PlannedDay(day=day, kind=HOLIDAY, name=russian.get(day) or name)
    for day in weekend_workdays:
        weekday_off = swapped_with.get(day)
        planned[day] = PlannedDay(
            day=day,
            kind=WORKDAY,
            # Seeded notes are data in the calendar's language, not interface text.
            name=f"Рабочий день (выходной перенесён на {weekday_off:%d.%m.%Y})" if weekday_off else "Рабочий день",
            workday_pattern=weekday_off.weekday() if weekday_off else 0,
        )

    for holiday, name in english.items():
        if not _is_public_holiday(name):
            continue
        before = holiday - timedelta(days=1)
        if before.year != year:
            continue
        if english.is_working_day(before):
            shortened, pattern = before, before.weekday()
        else:
            source = _substituted_from(english.get(before, ""))
            if source is None or source not in weekend_workdays:
                continue  # a weekend or a substituted day off: nobody works "immediately before"
            shortened, pattern = source, before.weekday()
        previous = planned.get(shortened)
        planned[shortened] = PlannedDay(
            day=shortened,
            kind=SHORTENED,
            name=(previous.name + "; " if previous else "") + "Предпраздничный день",
            workday_pattern=previous.workday_pattern if previous else pattern,
        )
    return [planned[day] for day in sorted(planned)]


def calendar_days_apply(*, calendar: Any, year: int, planned: list[PlannedDay], day_model: Any) -> SeedCounts:
    """Make `calendar`'s non-manual rows of `year` equal `planned`. Works with the real
    CalendarDay and with a migration's historical model. The caller bumps `updated_at`."""
    counts = SeedCounts()
    existing = {row.day: row for row in day_model.objects.filter(calendar=calendar, day__year=year)}
    wanted = {item.day: item for item in planned if item.day.year == year}
    for day, item in wanted.items():
        row = existing.get(day)
        values = {
            "kind": item.kind,
            "name": item.name[:200],
            "hours": [],
            "shortened_by_minutes": item.shortened_by_minutes,
            "workday_pattern": item.workday_pattern,
        }
        if row is None:
            day_model.objects.create(calendar=calendar, day=day, is_manual=False, **values)
            counts.created += 1
            counts.days.append(day)
        elif row.is_manual:
            counts.kept_manual += 1
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.save(update_fields=list(values))
            counts.updated += 1
            counts.days.append(day)
        else:
            counts.unchanged += 1
    stale = [row.pk for day, row in existing.items() if day not in wanted and not row.is_manual]
    if stale:
        day_model.objects.filter(pk__in=stale).delete()
        counts.deleted = len(stale)
    counts.kept_manual += sum(1 for day, row in existing.items() if day not in wanted and row.is_manual)
    return counts


def russian_calendar_seed(calendar: Any, year: int) -> SeedCounts:
    """Seed `calendar` with the Russian production calendar of `year`; hand-edited days stay.
    Raises ValueError for a 24/7 calendar (it has no days) or a year `holidays` cannot know."""
    from sla.models import CalendarDay

    if calendar.is_24x7:
        raise ValueError("a 24/7 calendar has no working days to seed")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"no production calendar for {year}")
    planned = russian_production_days(year)
    with transaction.atomic():
        counts = calendar_days_apply(calendar=calendar, year=year, planned=planned, day_model=CalendarDay)
        if counts.created or counts.updated or counts.deleted:
            # The clock cache is keyed by updated_at (sla/calendars.py); an unchanged year keeps
            # every process's cached clock.
            calendar.save(update_fields=["updated_at"])
    return counts
