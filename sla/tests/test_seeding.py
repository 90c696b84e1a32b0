"""The Russian production calendar seeded from `holidays`, checked against the government's
calendars for 2025 and 2026.

On the pre-holiday shortened days the rule of the issue ("the last working day before each
public holiday, walking back over non-working days") disagrees with the official calendars, and
the seeding follows the official ones (Article 95: the day *immediately* preceding a holiday):
- 2025: 7 May (before the substituted day off 8 May, then Victory Day) and 30 December (before the
  substituted 31 December, then New Year) are full working days, officially; walking back would
  shorten them. Saturday 1 November is shortened — the work of Monday 3 November, which does
  immediately precede Unity Day, was moved to it.
- 2026: Friday 20 February (before a weekend and Monday 23 February) and Friday 6 March (before a
  weekend and Women's Day on Sunday) are full days, officially; 30 December likewise.
Checked by the official norms: 247 working days and 1972 hours (40-hour week) in both years.

`holidays` 0.109 and the official 2025 and 2026 calendars agree on every day off and working
Saturday (the government's transfers: 2025 — 4 Jan→2 May, 5 Jan→31 Dec, 23 Feb→8 May,
8 Mar→13 Jun, 1 Nov→3 Nov; 2026 — 3 Jan→9 Jan, 4 Jan→31 Dec; Women's Day 2026 and Victory Day
2026 fall on a weekend and move to the Monday by law).
"""

from datetime import date, timedelta

import pytest

from sla.calendar_services import calendar_create, calendar_day_upsert, calendars_seed_due_years
from sla.calendars import calendar_spec
from sla.models import BusinessCalendar, CalendarDay, DayKind
from sla.seeding import russian_calendar_seed, russian_production_days
from sla.tasks import seed_production_calendar_years


def days_of(calendar, year, kind):
    return sorted(
        CalendarDay.objects.filter(calendar=calendar, day__year=year, kind=kind).values_list("day", flat=True)
    )


def weekday_days_off(calendar, year):
    return [day for day in days_of(calendar, year, DayKind.HOLIDAY) if day.weekday() < 5]


def working_days_and_hours(calendar, year):
    spec = calendar_spec(calendar)
    days = minutes = 0
    day = date(year, 1, 1)
    while day.year == year:
        intervals = spec.days.get(day, spec.week[day.weekday()])
        if intervals:
            days += 1
            minutes += sum(end - start for start, end in intervals)
        day += timedelta(days=1)
    return days, minutes / 60


@pytest.fixture
def calendar(db):
    calendar = calendar_create(code="ru-test", name="РФ", time_zone="Europe/Moscow")
    # an eight-hour day (lunch 13–14): the official norm of hours counts 8 per day
    from datetime import time

    from sla.calendar_services import calendar_weekday_set

    for weekday in range(5):
        calendar_weekday_set(calendar=calendar, weekday=weekday, intervals=[(time(9), time(13)), (time(14), time(18))])
    return calendar


def test_2025_matches_the_official_calendar(calendar):
    # when
    counts = russian_calendar_seed(calendar, 2025)
    # then
    assert counts.created == len(russian_production_days(2025))
    assert weekday_days_off(calendar, 2025) == [
        date(2025, 1, 1),
        date(2025, 1, 2),
        date(2025, 1, 3),
        date(2025, 1, 6),
        date(2025, 1, 7),
        date(2025, 1, 8),
        date(2025, 5, 1),
        date(2025, 5, 2),
        date(2025, 5, 8),
        date(2025, 5, 9),
        date(2025, 6, 12),
        date(2025, 6, 13),
        date(2025, 11, 3),
        date(2025, 11, 4),
        date(2025, 12, 31),
    ]
    assert days_of(calendar, 2025, DayKind.SHORTENED) == [
        date(2025, 3, 7),
        date(2025, 4, 30),
        date(2025, 6, 11),
        date(2025, 11, 1),
    ]
    assert days_of(calendar, 2025, DayKind.WORKDAY) == []  # the one working Saturday is shortened
    saturday = CalendarDay.objects.get(calendar=calendar, day=date(2025, 11, 1))
    assert (saturday.workday_pattern, saturday.shortened_by_minutes, saturday.is_manual) == (0, 60, False)
    assert CalendarDay.objects.get(calendar=calendar, day=date(2025, 11, 4)).name == "День народного единства"
    assert working_days_and_hours(calendar, 2025) == (247, 1972)


def test_2026_matches_the_official_calendar(calendar):
    russian_calendar_seed(calendar, 2026)
    assert weekday_days_off(calendar, 2026) == [
        date(2026, 1, 1),
        date(2026, 1, 2),
        date(2026, 1, 5),
        date(2026, 1, 6),
        date(2026, 1, 7),
        date(2026, 1, 8),
        date(2026, 1, 9),
        date(2026, 2, 23),
        date(2026, 3, 9),
        date(2026, 5, 1),
        date(2026, 5, 11),
        date(2026, 6, 12),
        date(2026, 11, 4),
        date(2026, 12, 31),
    ]
    assert days_of(calendar, 2026, DayKind.SHORTENED) == [
        date(2026, 4, 30),
        date(2026, 5, 8),
        date(2026, 6, 11),
        date(2026, 11, 3),
    ]
    assert days_of(calendar, 2026, DayKind.WORKDAY) == []
    assert working_days_and_hours(calendar, 2026) == (247, 1972)


def test_a_working_saturday_that_is_not_pre_holiday_works_like_the_swapped_monday(calendar):
    # 2027 as `holidays` gives it: Saturday 20 February is worked for Monday 22 February, which
    # immediately precedes 23 February, so it is also shortened
    russian_calendar_seed(calendar, 2027)
    saturday = CalendarDay.objects.get(calendar=calendar, day=date(2027, 2, 20))
    assert (saturday.kind, saturday.workday_pattern) == (DayKind.SHORTENED, 0)
    assert CalendarDay.objects.get(calendar=calendar, day=date(2027, 2, 22)).kind == DayKind.HOLIDAY


def test_seeding_twice_changes_nothing(calendar):
    # given
    first = russian_calendar_seed(calendar, 2025)
    calendar.refresh_from_db()
    stamp = calendar.updated_at
    rows = list(CalendarDay.objects.filter(calendar=calendar).order_by("day").values())
    # when
    second = russian_calendar_seed(calendar, 2025)
    # then
    assert second.as_dict() == {
        "created": 0,
        "updated": 0,
        "unchanged": first.created,
        "deleted": 0,
        "kept_manual": 0,
    }
    assert list(CalendarDay.objects.filter(calendar=calendar).order_by("day").values()) == rows
    calendar.refresh_from_db()
    assert calendar.updated_at == stamp  # cached clocks stay valid


def test_hand_edited_days_survive_a_reseed(calendar):
    # given 4 November worked by hand, 15 July a local holiday, and a seeded row changed by someone
    russian_calendar_seed(calendar, 2025)
    calendar_day_upsert(calendar=calendar, day=date(2025, 11, 4), kind=DayKind.WORKDAY, name="Дежурство")
    calendar_day_upsert(calendar=calendar, day=date(2025, 7, 15), kind=DayKind.HOLIDAY, name="День города")
    CalendarDay.objects.filter(calendar=calendar, day=date(2025, 3, 7)).update(shortened_by_minutes=120)
    CalendarDay.objects.create(calendar=calendar, day=date(2025, 8, 1), kind=DayKind.HOLIDAY, name="stale")
    # when
    counts = russian_calendar_seed(calendar, 2025)
    # then
    assert (counts.kept_manual, counts.updated, counts.deleted) == (2, 1, 1)
    worked = CalendarDay.objects.get(calendar=calendar, day=date(2025, 11, 4))
    assert (worked.kind, worked.name, worked.is_manual) == (DayKind.WORKDAY, "Дежурство", True)
    assert CalendarDay.objects.get(calendar=calendar, day=date(2025, 7, 15)).kind == DayKind.HOLIDAY
    assert CalendarDay.objects.get(calendar=calendar, day=date(2025, 3, 7)).shortened_by_minutes == 60
    assert not CalendarDay.objects.filter(calendar=calendar, day=date(2025, 8, 1)).exists()


def test_seeding_one_year_leaves_other_years_alone(calendar):
    russian_calendar_seed(calendar, 2025)
    before = CalendarDay.objects.filter(calendar=calendar, day__year=2025).count()
    russian_calendar_seed(calendar, 2026)
    assert CalendarDay.objects.filter(calendar=calendar, day__year=2025).count() == before


def test_a_24x7_calendar_cannot_be_seeded(db):
    always = BusinessCalendar.objects.get(code="24x7")
    with pytest.raises(ValueError):
        russian_calendar_seed(always, 2025)


def test_the_migration_created_the_default_calendars(db):
    # given the migrated database (today is the year the tests run in)
    this_year = date.today().year
    russia = BusinessCalendar.objects.get(code="ru-moscow")
    always = BusinessCalendar.objects.get(code="24x7")
    # then
    assert (always.name, always.is_24x7, always.is_default) == ("24/7", True, False)
    assert (russia.name, russia.time_zone, russia.country, russia.is_default, russia.is_24x7) == (
        "Производственный календарь РФ (Москва)",
        "Europe/Moscow",
        "RU",
        True,
        False,
    )
    assert [(i.weekday, f"{i.start:%H:%M}", f"{i.end:%H:%M}") for i in russia.intervals.all()] == [
        (weekday, "09:00", "18:00") for weekday in range(5)
    ]
    seeded_years = set(CalendarDay.objects.filter(calendar=russia).values_list("day__year", flat=True))
    assert seeded_years == {this_year, this_year + 1}
    assert CalendarDay.objects.filter(calendar=russia, day=date(this_year, 1, 1), kind=DayKind.HOLIDAY).exists()


def test_the_yearly_job_seeds_next_year_from_december(db):
    # given a calendar that opted in by hand, with no days yet, one without a country, and the 24/7
    opted_in = BusinessCalendar.objects.create(code="spb", name="СПб", country="RU")
    opted_in.intervals.create(weekday=0, start="09:00", end="18:00")
    hand_made = BusinessCalendar.objects.create(code="hand", name="Свой")
    year = date.today().year  # the migration seeded this year and the next into ru-moscow
    # when run in November: only the missing current year
    november = calendars_seed_due_years(today=date(year, 11, 20))
    # then
    assert sorted(november) == [f"spb:{year}"]
    # when run on 1 December: next year for every Russian calendar
    december = calendars_seed_due_years(today=date(year, 12, 1))
    assert sorted(december) == [f"ru-moscow:{year + 1}", f"spb:{year + 1}"]
    assert december[f"ru-moscow:{year + 1}"].created == 0  # the migration seeded it already
    assert december[f"spb:{year + 1}"].created == len(russian_production_days(year + 1))
    assert not CalendarDay.objects.filter(calendar=hand_made).exists()
    # and again on 2 December: nothing new
    again = calendars_seed_due_years(today=date(year, 12, 2))
    assert all(counts.created == counts.updated == counts.deleted == 0 for counts in again.values())


def test_the_periodic_task_runs_the_job(db):
    assert seed_production_calendar_years.call_local() >= 0
