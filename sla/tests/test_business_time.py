"""Business-time arithmetic: hypothesis properties on BusinessClock, and known deadlines from the
2025 and 2026 Russian production calendars in Moscow and Novosibirsk."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla.business_time import ALWAYS, BusinessClock, CalendarSpec, parse_intervals
from sla.calendar_services import calendar_create, calendar_day_upsert, calendar_weekday_set
from sla.calendars import clock_for
from sla.models import DayKind
from sla.seeding import russian_calendar_seed

MOSCOW = ZoneInfo("Europe/Moscow")
NOVOSIBIRSK = ZoneInfo("Asia/Novosibirsk")
WITH_LUNCH = parse_intervals([("09:00", "13:00"), ("14:00", "18:00")])

START = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
END = datetime(2027, 12, 31, tzinfo=UTC).timestamp()
moments = st.integers(min_value=int(START), max_value=int(END))  # whole seconds: float sums stay exact
durations = st.integers(min_value=1, max_value=400 * 3600)  # up to ten working weeks
holiday_sets = st.sets(st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 6, 30)), max_size=60)


@st.composite
def clocks(draw: st.DrawFn) -> BusinessClock:
    """Mon–Fri 9–13 and 14–18 in Moscow or Novosibirsk, random holidays and shortened days."""
    holidays = draw(holiday_sets)
    shortened = draw(st.sets(st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 6, 30)), max_size=10))
    days = {day: parse_intervals([("09:00", "13:00"), ("14:00", "17:00")]) for day in shortened}
    days.update(dict.fromkeys(holidays, ()))
    zone = draw(st.sampled_from(["Europe/Moscow", "Asia/Novosibirsk"]))
    return BusinessClock(CalendarSpec(time_zone=zone, week=(WITH_LUNCH,) * 5 + ((), ()), days=days))


def inside_working_time(clock: BusinessClock, ts: float) -> bool:
    """In an interval, its end included (a deadline at 18:00 is met at 18:00:00)."""
    return clock.is_working_ts(ts) or clock.is_working_ts(ts - 0.5)


@settings(max_examples=300, deadline=None)
@given(clock=clocks(), start=moments, seconds=durations)
def test_adding_then_subtracting_returns_the_start(clock, start, seconds):
    # given a start inside working time (outside it, adding first moves to the next working moment,
    # so the start cannot come back): snap a moment outside to the next interval's beginning
    if not clock.is_working_ts(start):
        start = clock.subtract_ts(clock.add_ts(start, 1), 1)
    assert clock.is_working_ts(start)
    # when / then
    assert clock.subtract_ts(clock.add_ts(start, seconds), seconds) == start


@settings(max_examples=300, deadline=None)
@given(clock=clocks(), start=moments, seconds=durations)
def test_the_result_never_lands_outside_working_time(clock, start, seconds):
    due = clock.add_ts(start, seconds)
    assert due > start
    assert inside_working_time(clock, due)
    assert inside_working_time(clock, clock.subtract_ts(start, seconds))


@settings(max_examples=300, deadline=None)
@given(clock=clocks(), start=moments, a=durations, b=durations)
def test_adding_a_plus_b_equals_adding_a_then_b(clock, start, a, b):
    assert clock.add_ts(start, a + b) == clock.add_ts(clock.add_ts(start, a), b)


@settings(max_examples=200, deadline=None)
@given(clock=clocks(), start=moments, seconds=durations)
def test_elapsed_between_start_and_due_is_the_duration(clock, start, seconds):
    assert clock.elapsed_ts(start, clock.add_ts(start, seconds)) == seconds


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(["Europe/Moscow", "Asia/Novosibirsk", "UTC"]),
    start=moments,
    seconds=st.integers(min_value=-400 * 3600, max_value=400 * 3600),
)
def test_calendar_time_mode_equals_plain_arithmetic(zone, start, seconds):
    clock = BusinessClock(CalendarSpec(time_zone=zone, always=True))
    moment = datetime.fromtimestamp(start, UTC)
    assert clock.add_ts(start, seconds) == start + seconds
    assert clock.subtract_ts(start, seconds) == start - seconds
    assert clock.add(moment, timedelta(seconds=seconds)) == moment + timedelta(seconds=seconds)
    assert clock.elapsed(moment, moment + timedelta(seconds=seconds)) == timedelta(seconds=seconds)
    assert ALWAYS.add(moment, timedelta(seconds=seconds)) == moment + timedelta(seconds=seconds)


# --- known cases from the production calendars ------------------------------------------------


@pytest.fixture
def moscow(db):
    """Mon–Fri 09:00–18:00 Moscow with the government's 2025 and 2026 calendars."""
    calendar = calendar_create(code="msk-test", name="Москва", time_zone="Europe/Moscow")
    for year in (2025, 2026):
        russian_calendar_seed(calendar, year)
    return calendar


@pytest.fixture
def novosibirsk(db):
    calendar = calendar_create(code="nsk-test", name="Новосибирск", time_zone="Asia/Novosibirsk")
    for year in (2025, 2026):
        russian_calendar_seed(calendar, year)
    return calendar


def at(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_friday_afternoon_ticket_is_due_on_the_shortened_working_saturday(moscow):
    # given a ticket at 16:00 on Friday 2025-10-31; Saturday 2025-11-01 is a working day, shortened to 09:00–17:00
    clock = clock_for(moscow)
    # when 8 business hours are added: 2 on Friday, 6 on Saturday
    due = clock.add(at(MOSCOW, 2025, 10, 31, 16), timedelta(hours=8))
    # then
    assert due == at(MOSCOW, 2025, 11, 1, 15)


def test_sixteen_hours_cross_the_november_holidays_to_wednesday(moscow):
    # 2 h on Friday + 8 h on Saturday 09–17; 2–4 November are off; 6 h on Wednesday 5 November
    due = clock_for(moscow).add(at(MOSCOW, 2025, 10, 31, 16), timedelta(hours=16))
    assert due == at(MOSCOW, 2025, 11, 5, 15)


def test_the_shortened_day_decides_the_wednesday_deadline(moscow):
    # given Saturday 2025-11-01 edited into a full (not shortened) working day
    calendar_day_upsert(calendar=moscow, day=date(2025, 11, 1), kind=DayKind.WORKDAY, workday_pattern=0)
    # when / then: Saturday gives 9 hours, so Wednesday needs only 5
    due = clock_for(moscow).add(at(MOSCOW, 2025, 10, 31, 16), timedelta(hours=16))
    assert due == at(MOSCOW, 2025, 11, 5, 14)


def test_saturday_made_a_day_off_moves_the_deadline_to_wednesday(moscow):
    calendar_day_upsert(calendar=moscow, day=date(2025, 11, 1), kind=DayKind.HOLIDAY)
    due = clock_for(moscow).add(at(MOSCOW, 2025, 10, 31, 16), timedelta(hours=8))
    assert due == at(MOSCOW, 2025, 11, 5, 15)


def test_lunch_break_on_the_shortened_saturday(moscow):
    # given lunch 13–14 on Mondays (Saturday 2025-11-01 works like Monday: 09–13, 14–17)
    calendar_weekday_set(calendar=moscow, weekday=0, intervals=[(time(9), time(13)), (time(14), time(18))])
    due = clock_for(moscow).add(at(MOSCOW, 2025, 10, 31, 16), timedelta(hours=8))
    assert due == at(MOSCOW, 2025, 11, 1, 16)


def test_new_year_holidays_2026(moscow):
    # 30 December 2025 is a full working day, 31 December 2025 – 11 January 2026 are off
    clock = clock_for(moscow)
    due = clock.add(at(MOSCOW, 2025, 12, 30, 17), timedelta(hours=8))
    assert due == at(MOSCOW, 2026, 1, 12, 16)
    assert clock.elapsed(at(MOSCOW, 2025, 12, 30, 9), at(MOSCOW, 2026, 1, 12, 9)) == timedelta(hours=9)
    assert clock.subtract(at(MOSCOW, 2026, 1, 12, 10), timedelta(hours=2)) == at(MOSCOW, 2025, 12, 30, 17)


def test_may_2026_shortened_friday_and_the_victory_day_monday(moscow):
    # Friday 8 May 2026 is shortened (09–17); 9 May falls on Saturday and moves to Monday 11 May
    due = clock_for(moscow).add(at(MOSCOW, 2026, 5, 8, 15), timedelta(hours=4))
    assert due == at(MOSCOW, 2026, 5, 12, 11)


def test_friday_before_the_february_2026_monday_holiday_is_a_full_day(moscow):
    due = clock_for(moscow).add(at(MOSCOW, 2026, 2, 20, 17), timedelta(hours=2))
    assert due == at(MOSCOW, 2026, 2, 24, 10)


def test_novosibirsk_runs_four_hours_ahead_of_moscow(moscow, novosibirsk):
    # the same local moment and duration: the Novosibirsk deadline comes 4 hours earlier in UTC
    moscow_due = clock_for(moscow).add(at(MOSCOW, 2025, 10, 31, 16), timedelta(hours=8))
    novosibirsk_due = clock_for(novosibirsk).add(at(NOVOSIBIRSK, 2025, 10, 31, 16), timedelta(hours=8))
    assert novosibirsk_due == at(NOVOSIBIRSK, 2025, 11, 1, 15)
    assert moscow_due - novosibirsk_due == timedelta(hours=4)
    assert novosibirsk_due == datetime(2025, 11, 1, 8, tzinfo=UTC)


def test_a_moscow_afternoon_ticket_is_after_hours_in_novosibirsk(novosibirsk):
    # 16:00 in Moscow is 20:00 in Novosibirsk: the clock starts at 09:00 on the shortened Saturday
    due = clock_for(novosibirsk).add(at(MOSCOW, 2025, 10, 31, 16), timedelta(hours=8))
    assert due == at(NOVOSIBIRSK, 2025, 11, 1, 17)
    assert clock_for(novosibirsk).elapsed(at(MOSCOW, 2025, 10, 31, 16), due) == timedelta(hours=8)


def test_new_year_2026_in_novosibirsk(novosibirsk):
    due = clock_for(novosibirsk).add(at(NOVOSIBIRSK, 2025, 12, 30, 17), timedelta(hours=8))
    assert due == at(NOVOSIBIRSK, 2026, 1, 12, 16)
    assert due == datetime(2026, 1, 12, 9, tzinfo=UTC)
