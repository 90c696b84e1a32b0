"""automation/assignment/schedules.py: on shift and not away, in the agent's own time zone."""

from datetime import UTC, date, datetime, time

from accounts.choices import Role
from automation.assignment.schedules import availability, shift_covers
from automation.assignment.services import absence_create, work_shifts_set
from tests.factories import UserFactory


def test_a_day_shift_covers_its_hours_on_its_weekday_only():
    # given a Monday 09:00–18:00 shift; 2026-12-07 is a Monday
    def covers(local):
        return shift_covers(weekday=0, start=time(9), end=time(18), local=local)

    # then
    assert covers(datetime(2026, 12, 7, 9, 0)) is True
    assert covers(datetime(2026, 12, 7, 17, 59)) is True
    assert covers(datetime(2026, 12, 7, 18, 0)) is False
    assert covers(datetime(2026, 12, 7, 8, 59)) is False
    assert covers(datetime(2026, 12, 8, 10, 0)) is False


def test_a_night_shift_runs_past_midnight_into_the_next_day():
    # given a Sunday 22:00–06:00 shift (weekday 6): Monday early morning belongs to it
    def covers(local):
        return shift_covers(weekday=6, start=time(22), end=time(6), local=local)

    # then
    assert covers(datetime(2026, 12, 6, 23, 0)) is True  # Sunday night
    assert covers(datetime(2026, 12, 7, 5, 59)) is True  # Monday morning
    assert covers(datetime(2026, 12, 7, 6, 0)) is False
    assert covers(datetime(2026, 12, 6, 21, 0)) is False


def test_availability_reads_shifts_in_each_agents_time_zone(db):
    # given two agents with the same 09:00–18:00 Monday shift, in Moscow (UTC+3) and Novosibirsk (UTC+7)
    moscow = UserFactory(role=Role.ENGINEER, time_zone="Europe/Moscow")
    novosibirsk = UserFactory(role=Role.ENGINEER, time_zone="Asia/Novosibirsk")
    nobody_scheduled = UserFactory(role=Role.ENGINEER)
    for user in (moscow, novosibirsk):
        work_shifts_set(user=user, shifts=[(0, time(9), time(18))])
    # when: Monday 2026-12-07 12:30 UTC = 15:30 in Moscow, 19:30 in Novosibirsk
    result = availability(users=[moscow, novosibirsk, nobody_scheduled], at=datetime(2026, 12, 7, 12, 30, tzinfo=UTC))
    # then: no schedule means always on shift
    assert result == {moscow.pk: "", novosibirsk.pk: "off_shift", nobody_scheduled.pk: ""}


def test_an_absence_covers_whole_local_days_and_wins_over_a_shift(db, django_assert_num_queries):
    # given an agent on leave 7–8 December, with a Monday shift
    user = UserFactory(role=Role.ENGINEER, time_zone="Asia/Vladivostok")  # UTC+10
    work_shifts_set(user=user, shifts=[(0, time(0), time(0))])  # all day Monday
    absence_create(user=user, kind="leave", start_date=date(2026, 12, 7), end_date=date(2026, 12, 8))
    # when / then: Sunday 6 Dec 15:00 UTC is already Monday 7 Dec 01:00 in Vladivostok
    with django_assert_num_queries(2):
        assert availability(users=[user], at=datetime(2026, 12, 6, 15, 0, tzinfo=UTC)) == {user.pk: "leave"}
    # Wednesday 9 Dec: leave over, but no Wednesday shift
    assert availability(users=[user], at=datetime(2026, 12, 9, 3, 0, tzinfo=UTC)) == {user.pk: "off_shift"}
