"""sla/calendar_services.py beyond what the pages exercise: deleting a calendar nobody uses, and
the recalculation a seeded year queues."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from sla.calendar_services import calendar_create, calendar_delete, calendar_year_seed, calendars_seed_due_years
from sla.models import BusinessCalendar, CalendarDay, SlaPolicy, SlaRecalculation
from sla.seeding import russian_production_days
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    calendar = calendar_create(code="office", name="Офис")
    SlaRecalculation.objects.all().delete()  # the one creating it queued
    return calendar


def test_an_unused_calendar_is_deleted_with_its_hours_and_days(office):
    # given
    office.days.create(day=date(2026, 1, 2), kind="holiday")
    # when
    calendar_delete(calendar=office)
    # then
    assert not BusinessCalendar.objects.filter(pk=office.pk).exists()
    assert not CalendarDay.objects.filter(calendar_id=office.pk).exists()
    assert SlaRecalculation.objects.count() == 0  # no deadline was counted on it


def test_the_default_calendar_is_not_deleted():
    # given the migrated default
    default = BusinessCalendar.objects.get(code="ru-moscow")
    # when
    with pytest.raises(ValidationError) as refused:
        calendar_delete(calendar=default)
    # then
    assert refused.value.messages == [
        "The default calendar cannot be deleted: make another calendar the default first."
    ]
    assert BusinessCalendar.objects.filter(pk=default.pk).exists()


def test_a_calendar_policies_use_is_not_deleted(office):
    # given two policies, one switched off
    SlaPolicy.objects.create(name="Офисные", order=20, calendar=office)
    SlaPolicy.objects.create(name="Старые", order=10, calendar=office, is_active=False)
    # when
    with pytest.raises(ValidationError) as refused:
        calendar_delete(calendar=office)
    # then
    assert refused.value.messages == [
        "The SLA policies “Старые”, “Офисные” count time on this calendar: choose another calendar for them first."
    ]


def test_a_calendar_a_site_follows_is_not_deleted(office):
    # given
    SiteFactory(calendar=office)
    # when
    with pytest.raises(ValidationError) as refused:
        calendar_delete(calendar=office)
    # then
    assert refused.value.messages == ["1 site follows this calendar: choose another calendar for it first."]
    assert BusinessCalendar.objects.filter(pk=office.pk).exists()


def test_seeding_a_year_queues_a_recalculation_only_when_a_day_changed(office):
    # when
    first = calendar_year_seed(calendar=office, year=2025)
    queued_after_first = SlaRecalculation.objects.count()
    SlaRecalculation.objects.all().delete()
    second = calendar_year_seed(calendar=office, year=2025)
    # then
    assert first.created == len(russian_production_days(2025))
    assert queued_after_first == 1
    assert second.as_dict() == {
        "created": 0,
        "updated": 0,
        "unchanged": len(russian_production_days(2025)),
        "deleted": 0,
        "kept_manual": 0,
    }
    assert SlaRecalculation.objects.count() == 0


def test_the_yearly_job_queues_a_recalculation_when_it_seeded_days():
    # given a calendar that opted in by hand, with no days yet
    opted_in = BusinessCalendar.objects.create(code="spb", name="СПб", country="RU")
    opted_in.intervals.create(weekday=0, start="09:00", end="18:00")
    year = date.today().year
    # when
    calendars_seed_due_years(today=date(year, 11, 20))
    # then
    assert list(SlaRecalculation.objects.values_list("reason", flat=True)) == ["Calendar changed: СПб"]
