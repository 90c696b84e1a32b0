"""/api/v1/sla/policies/, /api/v1/sla/calendars/ and the SLA part of tickets."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from sla.calendar_services import calendar_create
from sla.models import (
    BusinessCalendar,
    CalendarDay,
    SlaEscalation,
    SlaFiring,
    SlaPolicy,
    SlaRecalculation,
    SlaTarget,
    WorkingInterval,
)
from sla.seeding import russian_production_days
from tests.factories import SiteFactory, make_ticket, priority
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

POLICIES = "/api/v1/sla/policies/"
CALENDARS = "/api/v1/sla/calendars/"
TICKETS = "/api/v1/tickets/"


@pytest.fixture
def calendar(db):
    calendar = BusinessCalendar.objects.create(code="msk-api", name="Москва", is_default=True)
    for weekday in range(5):
        WorkingInterval.objects.create(calendar=calendar, weekday=weekday, start=time(9), end=time(18))
    return calendar


@pytest.fixture
def policy(calendar):
    policy = SlaPolicy.objects.create(name="Все", order=10, calendar=calendar, warn_percent=75)
    SlaTarget.objects.create(
        policy=policy, priority=priority("critical"), first_response_minutes=15, first_response_business=False,
        resolution_minutes=240,
    )  # fmt: skip
    SlaEscalation.objects.create(policy=policy, target="first_response", trigger="after_start", minutes=5)
    return policy


def test_staff_read_policies_with_targets_and_levels(world, api_as, policy):
    # when
    response = api_as(world.agent).get(POLICIES)
    # then
    assert response.status_code == 200
    [row] = response.json()
    assert row["name"] == "Все"
    assert row["warn_percent"] == 75
    assert row["targets"][0]["priority"]["code"] == "critical"
    assert row["targets"][0]["first_response_minutes"] == 15
    assert row["targets"][0]["first_response_business"] is False
    assert row["escalations"][0]["trigger"] == "after_start"
    assert row["companies"] == []


@pytest.mark.parametrize("who", ["client_a", "contractor"])
def test_clients_and_contractors_are_refused(world, api_as, policy, who):
    client = api_as(getattr(world, who))
    assert client.get(POLICIES).status_code == 403
    assert client.get(f"{CALENDARS}").status_code == 403
    assert client.get(f"{CALENDARS}{policy.calendar_id}/weekdays/0/").status_code == 403
    assert client.post(CALENDARS, {"code": "x", "name": "X"}, format="json").status_code == 403
    assert client.delete(f"{CALENDARS}{policy.calendar_id}/").status_code == 403


def test_agents_cannot_write_policies(world, api_as, policy):
    client = api_as(world.agent)
    assert client.post(POLICIES, {"name": "X"}, format="json").status_code == 403
    assert client.patch(f"{POLICIES}{policy.pk}/", {"name": "X"}, format="json").status_code == 403
    assert client.delete(f"{POLICIES}{policy.pk}/").status_code == 403


def test_an_admin_creates_a_policy_with_conditions_targets_and_a_level(world, api_as, policy, calendar):
    # when
    response = api_as(world.admin).post(
        POLICIES,
        {
            "name": "VIP",
            "companies": [world.company_a.pk],
            "priorities": ["critical", "high"],
            "channels": ["email"],
            "teams": ["service"],
            "calendar": calendar.pk,
            "warn_percent": 90,
            "targets": [{"priority": "critical", "first_response_minutes": 5, "first_response_business": False}],
            "escalations": [
                {"target": "first_response", "trigger": "after_breach", "minutes": 0, "raise_priority": "critical"}
            ],
        },
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["order"] == 20  # last
    assert data["companies"] == [world.company_a.pk]
    assert data["priorities"] == sorted([priority("critical").pk, priority("high").pk])
    assert data["teams"] == [world.team.pk]
    assert data["targets"][0]["first_response_minutes"] == 5
    assert data["escalations"][0]["raise_priority"] == priority("critical").pk
    assert SlaRecalculation.objects.count() == 1


def test_invalid_input_is_a_400_naming_the_field(world, api_as, policy):
    client = api_as(world.admin)
    response = client.post(
        POLICIES,
        {
            "name": "Bad",
            "warn_percent": 100,
            "companies": [999999],
            "targets": [{"priority": "critical", "resolution_minutes": -1}],
            "escalations": [{"target": "resolution", "trigger": "after_breach"}],
        },
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) >= {"warn_percent", "companies", "targets", "escalations"}
    assert not SlaPolicy.objects.filter(name="Bad").exists()


def test_patch_replaces_targets_keeps_a_level_by_id_and_delete_removes(world, api_as, policy):
    # given
    level = policy.escalations.get()
    client = api_as(world.admin)
    # when
    response = client.patch(
        f"{POLICIES}{policy.pk}/",
        {
            "name": "Все заявки",
            "targets": [{"priority": "normal", "resolution_minutes": 960}],
            "escalations": [{"id": level.pk, "target": "first_response", "trigger": "after_start", "minutes": 10,
                             "notify_supervisor": True}],
        },
        format="json",
    )  # fmt: skip
    # then
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["name"] == "Все заявки"
    assert [t["priority"]["code"] for t in data["targets"]] == ["normal"]
    assert [(e["id"], e["minutes"], e["notify_supervisor"]) for e in data["escalations"]] == [(level.pk, 10, True)]
    # when
    assert client.delete(f"{POLICIES}{policy.pk}/").status_code == 204
    assert client.get(f"{POLICIES}{policy.pk}/").status_code == 404


def test_calendars_are_listed_with_hours_and_days(world, api_as, calendar):
    calendar.days.create(day=timezone.localdate().replace(month=1, day=1), kind="holiday", name="Новый год")
    client = api_as(world.agent)
    rows = client.get(CALENDARS).json()
    row = next(r for r in rows if r["id"] == calendar.pk)  # beside the shipped 24/7 and Russian ones
    assert row["intervals"][0] == {"weekday": 0, "start": "09:00", "end": "18:00"}
    detail = client.get(f"{CALENDARS}{calendar.pk}/").json()
    assert [d["name"] for d in detail["days"]] == ["Новый год"]
    assert client.get(f"{CALENDARS}{calendar.pk}/", {"year": 2001}).json()["days"] == []


def test_a_ticket_shows_its_sla_to_staff_only(world, api_as, policy):
    # given
    ticket = make_ticket(priority=priority("critical"), contact=world.contact_a, team=world.team)
    ticket.refresh_from_db()
    # when
    staff = api_as(world.admin).get(f"/api/v1/tickets/{ticket.number}/").json()
    client = api_as(world.client_a).get(f"/api/v1/tickets/{ticket.number}/").json()
    # then
    assert staff["sla"]["policy"] == {"id": policy.pk, "name": "Все"}
    assert staff["sla"]["first_response"]["state"] == "running"
    assert staff["sla"]["first_response"]["due"] is not None
    assert staff["sla"]["next_response"] == {"due": None, "state": ""}
    assert staff["sla"]["breached"] is False
    assert staff["sla"]["paused_seconds"] == 0
    assert "sla" not in client


def test_the_ticket_list_filters_by_sla_state(world, api_as, policy):
    # given: one breached, one at risk (its warning fired), one running
    breached = make_ticket(priority=priority("critical"), team=world.team)
    at_risk = make_ticket(priority=priority("critical"), team=world.team)
    running = make_ticket(priority=priority("critical"), team=world.team)
    Ticket.objects.filter(pk=breached.pk).update(sla_breached=True, sla_first_response_state="breached")
    SlaFiring.objects.create(ticket=at_risk, target="first_response", level="warning")
    client = api_as(world.admin)

    def numbers(state: str) -> set[int]:
        return {row["number"] for row in client.get("/api/v1/tickets/", {"sla_state": state}).json()["results"]}

    # then
    assert numbers("breached") == {breached.number}
    assert numbers("at_risk") == {at_risk.number}
    assert numbers("running") == {running.number}
    assert numbers("breached,at_risk") == {breached.number, at_risk.number}
    assert client.get("/api/v1/tickets/", {"sla_state": "late"}).status_code == 400


# --- writing calendars ---------------------------------------------------------------------------

MSK = ZoneInfo("Europe/Moscow")
STANDARD_WEEK = [{"weekday": weekday, "start": "09:00", "end": "18:00"} for weekday in range(5)]


@pytest.fixture
def office(db):
    calendar = calendar_create(code="office", name="Офис")
    SlaRecalculation.objects.all().delete()  # the one creating it queued
    return calendar


def test_agents_cannot_write_calendars(world, api_as, office):
    # given
    client = api_as(world.agent)
    url = f"{CALENDARS}{office.pk}/"
    # when
    answers = [
        client.post(CALENDARS, {"code": "spb", "name": "СПб"}, format="json").status_code,
        client.patch(url, {"name": "X"}, format="json").status_code,
        client.delete(url).status_code,
        client.put(f"{url}weekdays/0/", {"intervals": []}, format="json").status_code,
        client.put(f"{url}days/2026-03-09/", {"kind": "holiday"}, format="json").status_code,
        client.delete(f"{url}days/2026-03-09/").status_code,
        client.post(f"{url}seed/", {"year": 2026}, format="json").status_code,
    ]
    # then
    assert answers == [403] * 7
    assert client.get(f"{url}weekdays/0/").status_code == 200  # reading is allowed
    assert not BusinessCalendar.objects.filter(code="spb").exists()
    assert SlaRecalculation.objects.count() == 0


def test_an_admin_creates_a_calendar_with_the_standard_week(world, api_as):
    # when
    response = api_as(world.admin).post(CALENDARS, {"code": "spb", "name": "Петербург"}, format="json")
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    calendar = BusinessCalendar.objects.get(code="spb")
    assert body == {
        "id": calendar.pk,
        "code": "spb",
        "name": "Петербург",
        "time_zone": "Europe/Moscow",
        "country": "",
        "is_24x7": False,
        "is_default": False,
        "is_active": True,
        "intervals": STANDARD_WEEK,
        "updated_at": body["updated_at"],
        "days": [],
    }
    assert SlaRecalculation.objects.count() == 1


def test_a_supervisor_creates_a_russian_calendar_seeded_for_this_year(world, api_as):
    # given
    supervisor = world.admin
    supervisor.role = "supervisor"
    supervisor.save(update_fields=["role"])
    this_year = timezone.localdate().year
    # when
    response = api_as(supervisor).post(
        CALENDARS,
        {"code": "ekb", "name": "Екатеринбург", "time_zone": "Asia/Yekaterinburg", "country": "RU"},
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["time_zone"], body["country"]) == ("Asia/Yekaterinburg", "RU")
    assert [d["day"] for d in body["days"]] == [d.day.isoformat() for d in russian_production_days(this_year)]
    assert CalendarDay.objects.filter(calendar_id=body["id"], day__year=this_year + 1).count() == len(
        russian_production_days(this_year + 1)
    )


def test_bad_calendar_fields_are_400s_naming_the_field(world, api_as, office):
    # given
    client = api_as(world.admin)
    # when
    shape = client.post(CALENDARS, {"code": "x", "name": "", "country": "XX", "is_24x7": "maybe"}, format="json")
    rules = client.post(CALENDARS, {"code": "не код", "name": "N", "time_zone": "Mars/Base"}, format="json")
    taken = client.post(CALENDARS, {"code": "office", "name": "Ещё офис"}, format="json")
    # then
    assert (shape.status_code, rules.status_code, taken.status_code) == (400, 400, 400)
    assert shape.json() == {
        "name": ["This field may not be blank."],
        "country": ['"XX" is not a valid choice.'],
        "is_24x7": ["Must be a valid boolean."],
    }
    assert rules.json() == {
        "code": ["The code may contain only Latin letters, digits, hyphens and underscores."],
        "time_zone": ["Unknown time zone: Mars/Base"],
    }
    assert taken.json() == {"code": ["Another calendar already has this code."]}
    assert BusinessCalendar.objects.filter(name__in=["N", "Ещё офис"]).count() == 0


def test_patch_changes_the_given_fields_and_takes_the_default_flag(world, api_as, office):
    # given
    previous_default = BusinessCalendar.objects.get(code="ru-moscow")
    # when
    response = api_as(world.admin).patch(
        f"{CALENDARS}{office.pk}/", {"name": "Офис СПб", "is_default": True}, format="json"
    )
    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["code"], body["name"], body["is_default"], body["time_zone"]) == (
        "office",
        "Офис СПб",
        True,
        "Europe/Moscow",
    )
    assert body["intervals"] == STANDARD_WEEK
    previous_default.refresh_from_db()
    assert previous_default.is_default is False
    assert SlaRecalculation.objects.count() == 1


def test_patch_with_a_bad_time_zone_changes_nothing(world, api_as, office):
    # when
    response = api_as(world.admin).patch(
        f"{CALENDARS}{office.pk}/", {"name": "Новое", "time_zone": "Mars/Base"}, format="json"
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"time_zone": ["Unknown time zone: Mars/Base"]}
    office.refresh_from_db()
    assert office.name == "Офис"


def test_an_unused_calendar_is_deleted(world, api_as, office):
    # given
    client = api_as(world.admin)
    # when
    response = client.delete(f"{CALENDARS}{office.pk}/")
    # then
    assert response.status_code == 204
    assert client.get(f"{CALENDARS}{office.pk}/").status_code == 404
    assert client.delete(f"{CALENDARS}{office.pk}/").status_code == 404


def test_the_default_calendar_and_calendars_in_use_are_not_deleted(world, api_as, office):
    # given: the migrated default; a policy on one calendar, a site on another
    client = api_as(world.admin)
    default = BusinessCalendar.objects.get(code="ru-moscow")
    SlaPolicy.objects.create(name="Офисные", order=10, calendar=office)
    regional = calendar_create(code="regional", name="Регион")
    SiteFactory(calendar=regional)
    # when
    answers = [client.delete(f"{CALENDARS}{calendar.pk}/") for calendar in (default, office, regional)]
    # then
    assert [a.status_code for a in answers] == [400, 400, 400]
    assert [a.json() for a in answers] == [
        {"non_field_errors": ["The default calendar cannot be deleted: make another calendar the default first."]},
        {
            "non_field_errors": [
                "The SLA policy “Офисные” counts time on this calendar: choose another calendar for it first."
            ]
        },
        {"non_field_errors": ["1 site follows this calendar: choose another calendar for it first."]},
    ]
    assert BusinessCalendar.objects.filter(pk__in=[default.pk, office.pk, regional.pk]).count() == 3


def test_put_replaces_a_weekdays_hours_sorted(world, api_as, office):
    # given
    client = api_as(world.admin)
    url = f"{CALENDARS}{office.pk}/weekdays/5/"
    # when
    response = client.put(
        url, {"intervals": [{"start": "13:00", "end": "17:00"}, {"start": "10:00", "end": "12:30"}]}, format="json"
    )
    # then
    expected = {"weekday": 5, "intervals": [{"start": "10:00", "end": "12:30"}, {"start": "13:00", "end": "17:00"}]}
    assert response.status_code == 200, response.json()
    assert response.json() == expected
    assert client.get(url).json() == expected
    assert [(i.weekday, f"{i.start:%H:%M}", f"{i.end:%H:%M}") for i in office.intervals.filter(weekday=5)] == [
        (5, "10:00", "12:30"),
        (5, "13:00", "17:00"),
    ]
    assert SlaRecalculation.objects.count() == 1


def test_put_an_empty_list_makes_a_day_off(world, api_as, office):
    # when
    response = api_as(world.admin).put(f"{CALENDARS}{office.pk}/weekdays/0/", {"intervals": []}, format="json")
    # then
    assert response.status_code == 200
    assert response.json() == {"weekday": 0, "intervals": []}
    assert sorted(office.intervals.values_list("weekday", flat=True)) == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("intervals", "errors"),
    [
        (
            [{"start": "08:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}],
            {"intervals": ["Monday: 08:00–12:00 overlaps 11:00–13:00."]},
        ),
        ([{"start": "12:00", "end": "08:00"}], {"intervals": ["An interval must end after it starts (12:00–08:00)."]}),
        ([{"start": "09:00", "end": "09:00"}], {"intervals": ["An interval must end after it starts (09:00–09:00)."]}),
        (
            [{"start": "25:00", "end": "26:00"}],
            {
                "intervals": {
                    "0": {
                        "start": ["Time has wrong format. Use one of these formats instead: hh:mm[:ss[.uuuuuu]]."],
                        "end": ["Time has wrong format. Use one of these formats instead: hh:mm[:ss[.uuuuuu]]."],
                    }
                }
            },
        ),
        ([{"start": "09:00"}], {"intervals": {"0": {"end": ["This field is required."]}}}),
        (None, {"intervals": ["This field is required."]}),
    ],
    ids=["overlapping", "end before start", "empty", "not a time", "no end", "no intervals"],
)
def test_bad_weekday_hours_are_400s_and_change_nothing(world, api_as, office, intervals, errors):
    # when
    body = {} if intervals is None else {"intervals": intervals}
    response = api_as(world.admin).put(f"{CALENDARS}{office.pk}/weekdays/0/", body, format="json")
    # then
    assert response.status_code == 400
    assert response.json() == errors
    assert [(f"{i.start:%H:%M}", f"{i.end:%H:%M}") for i in office.intervals.filter(weekday=0)] == [("09:00", "18:00")]
    assert SlaRecalculation.objects.count() == 0


def test_a_week_without_working_time_is_refused(world, api_as, office):
    # given
    client = api_as(world.admin)
    for weekday in range(4):
        client.put(f"{CALENDARS}{office.pk}/weekdays/{weekday}/", {"intervals": []}, format="json")
    # when
    response = client.put(f"{CALENDARS}{office.pk}/weekdays/4/", {"intervals": []}, format="json")
    # then
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["The calendar would have no working time at all. Give at least one weekday working hours."]
    }
    assert list(office.intervals.values_list("weekday", flat=True)) == [4]


def test_a_24x7_calendar_has_no_hours_to_set_and_weekday_7_does_not_exist(world, api_as, office):
    # given
    client = api_as(world.admin)
    always = BusinessCalendar.objects.get(code="24x7")
    # when
    refused = client.put(f"{CALENDARS}{always.pk}/weekdays/0/", {"intervals": []}, format="json")
    missing = client.put(f"{CALENDARS}{office.pk}/weekdays/7/", {"intervals": []}, format="json")
    # then
    assert refused.status_code == 400
    assert refused.json() == {
        "non_field_errors": ["A 24/7 calendar has no working hours or days to edit: every moment is working time."]
    }
    assert missing.status_code == 404


def test_changing_a_weekday_recalculates_open_tickets_deadlines(
    world, api_as, policy, calendar, huey_immediate, django_capture_on_commit_callbacks
):
    # given: a critical ticket received on Monday 10:00, resolution in 4 business hours (Mon–Fri 9–18)
    monday_10 = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
    ticket = make_ticket(priority=priority("critical"), team=world.team, received_at=monday_10)
    ticket.refresh_from_db()
    assert ticket.sla_resolution_due == datetime(2026, 11, 23, 14, 0, tzinfo=MSK)
    # when: Mondays end at noon
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(world.admin).put(
            f"{CALENDARS}{calendar.pk}/weekdays/0/", {"intervals": [{"start": "09:00", "end": "12:00"}]}, format="json"
        )
    # then: two hours on Monday, two on Tuesday from 9:00
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.sla_resolution_due == datetime(2026, 11, 24, 11, 0, tzinfo=MSK)
    run = SlaRecalculation.objects.get()
    assert (run.status, run.reason, run.changed) == ("done", "Calendar changed: Москва", 1)


def test_put_days_sets_a_holiday_a_shortened_and_a_working_day(world, api_as, office):
    # given
    client = api_as(world.admin)
    days = f"{CALENDARS}{office.pk}/days/"
    # when
    holiday = client.put(f"{days}2026-03-09/", {"kind": "holiday", "name": "Перенос"}, format="json")
    shortened = client.put(
        f"{days}2026-12-31/", {"kind": "shortened", "hours": [["14:00", "16:00"], ["09:00", "13:00"]]}, format="json"
    )
    saturday = client.put(f"{days}2026-12-26/", {"kind": "workday", "workday_pattern": 4}, format="json")
    # then
    assert [holiday.status_code, shortened.status_code, saturday.status_code] == [200, 200, 200]
    assert holiday.json() == {
        "day": "2026-03-09",
        "kind": "holiday",
        "name": "Перенос",
        "hours": [],
        "shortened_by_minutes": 60,
        "workday_pattern": 0,
        "is_manual": True,
    }
    assert shortened.json() == {
        "day": "2026-12-31",
        "kind": "shortened",
        "name": "",
        "hours": [["09:00", "13:00"], ["14:00", "16:00"]],
        "shortened_by_minutes": 60,
        "workday_pattern": 3,
        "is_manual": True,
    }
    assert (saturday.json()["kind"], saturday.json()["workday_pattern"]) == ("workday", 4)
    assert client.get(f"{days}2026-12-26/").json() == saturday.json()
    detail = client.get(f"{CALENDARS}{office.pk}/", {"year": 2026}).json()
    assert [d["day"] for d in detail["days"]] == ["2026-03-09", "2026-12-26", "2026-12-31"]
    assert SlaRecalculation.objects.count() == 1  # one queued run, reused by each change


def test_put_day_replaces_what_the_day_had(world, api_as, office):
    # given
    client = api_as(world.admin)
    url = f"{CALENDARS}{office.pk}/days/2026-03-09/"
    client.put(url, {"kind": "holiday", "name": "Перенос"}, format="json")
    # when
    response = client.put(url, {"kind": "shortened", "shortened_by_minutes": 120}, format="json")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "day": "2026-03-09",
        "kind": "shortened",
        "name": "",
        "hours": [],
        "shortened_by_minutes": 120,
        "workday_pattern": 0,
        "is_manual": True,
    }
    assert CalendarDay.objects.filter(calendar=office).count() == 1


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"kind": "holiday", "hours": [["09:00", "13:00"]]}, {"hours": ["A day off has no working hours."]}),
        (
            {"kind": "shortened", "hours": [["09:00", "13:00"], ["12:00", "15:00"]]},
            {"hours": ["The intervals of a day may not overlap or touch."]},
        ),
        (
            {"kind": "workday", "hours": [["13:00", "09:00"]]},
            {"hours": ["Hours must look like 09:00-13:00, 14:00-17:00, each interval ending after it starts."]},
        ),
        (
            {"kind": "workday", "hours": [["09:00"]]},
            {"hours": {"0": ["Ensure this field has at least 2 elements."]}},
        ),
        ({"kind": "vacation"}, {"kind": ['"vacation" is not a valid choice.']}),
        (
            {"kind": "workday", "workday_pattern": 9},
            {"workday_pattern": ["The weekday must be 0 (Monday) to 6 (Sunday)."]},
        ),
        (
            {"kind": "shortened", "shortened_by_minutes": 2000},
            {"shortened_by_minutes": ["Shorten by 0 to 1440 minutes."]},
        ),
        (
            {"kind": "workday", "workday_pattern": 6},
            {"hours": ["This day would have no working hours: Sunday has none. Give the day its own hours."]},
        ),
    ],
    ids=[
        "holiday with hours",
        "overlapping",
        "backwards",
        "half an interval",
        "kind",
        "pattern",
        "too short",
        "no hours",
    ],
)
def test_bad_days_are_400s_and_change_nothing(world, api_as, office, body, errors):
    # when
    response = api_as(world.admin).put(f"{CALENDARS}{office.pk}/days/2026-03-09/", body, format="json")
    # then
    assert response.status_code == 400
    assert response.json() == errors
    assert not CalendarDay.objects.filter(calendar=office).exists()


def test_an_impossible_date_is_a_404(world, api_as, office):
    client = api_as(world.admin)
    assert client.put(f"{CALENDARS}{office.pk}/days/2026-02-30/", {"kind": "holiday"}, format="json").status_code == 404
    assert client.get(f"{CALENDARS}{office.pk}/days/2026-3-9/").status_code == 404


def test_delete_day_returns_the_day_to_the_weekly_hours(world, api_as, office):
    # given
    client = api_as(world.admin)
    url = f"{CALENDARS}{office.pk}/days/2026-03-09/"
    client.put(url, {"kind": "holiday"}, format="json")
    SlaRecalculation.objects.all().delete()
    # when
    response = client.delete(url)
    # then
    assert response.status_code == 204
    assert not CalendarDay.objects.filter(calendar=office).exists()
    assert SlaRecalculation.objects.count() == 1
    assert client.delete(url).status_code == 404
    assert client.get(url).status_code == 404


def test_seed_a_year_then_again_changes_nothing(world, api_as, office):
    # given
    client = api_as(world.admin)
    url = f"{CALENDARS}{office.pk}/seed/"
    official = len(russian_production_days(2025))
    # when
    first = client.post(url, {"year": 2025}, format="json")
    queued = SlaRecalculation.objects.count()
    second = client.post(url, {"year": 2025}, format="json")
    # then
    assert first.status_code == 200
    assert first.json() == {
        "year": 2025,
        "created": official,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "kept_manual": 0,
    }
    assert second.json() == {
        "year": 2025,
        "created": 0,
        "updated": 0,
        "unchanged": official,
        "deleted": 0,
        "kept_manual": 0,
    }
    assert queued == 1
    assert CalendarDay.objects.filter(calendar=office, day=date(2025, 1, 1), kind="holiday").exists()


def test_seed_keeps_days_edited_by_hand(world, api_as, office):
    # given: 1 January made a working day by hand
    client = api_as(world.admin)
    client.put(f"{CALENDARS}{office.pk}/days/2025-01-01/", {"kind": "workday"}, format="json")
    # when
    response = client.post(f"{CALENDARS}{office.pk}/seed/", {"year": 2025}, format="json")
    # then
    assert response.json()["kept_manual"] == 1
    assert CalendarDay.objects.get(calendar=office, day=date(2025, 1, 1)).kind == "workday"


def test_seeding_refuses_a_year_without_a_calendar_and_a_24x7_calendar(world, api_as, office):
    # given
    client = api_as(world.admin)
    always = BusinessCalendar.objects.get(code="24x7")
    # when
    too_early = client.post(f"{CALENDARS}{office.pk}/seed/", {"year": 1900}, format="json")
    not_a_year = client.post(f"{CALENDARS}{office.pk}/seed/", {"year": "next"}, format="json")
    round_the_clock = client.post(f"{CALENDARS}{always.pk}/seed/", {"year": 2025}, format="json")
    # then
    assert too_early.status_code == not_a_year.status_code == round_the_clock.status_code == 400
    assert too_early.json() == {"non_field_errors": ["Choose a year between 1992 and 2100."]}
    assert not_a_year.json() == {"year": ["A valid integer is required."]}
    assert round_the_clock.json() == {"non_field_errors": ["A 24/7 calendar has no days to seed."]}
    assert not CalendarDay.objects.filter(calendar=office).exists()


# --- the ticket list by the next deadline --------------------------------------------------------


def _walk(client, url):
    """Every page from `url` on, following `next`; then back from the last, following `previous`."""
    forward = [client.get(url).json()]
    while forward[-1]["next"]:
        forward.append(client.get(forward[-1]["next"]).json())
    backward = [forward[-1]]
    while backward[-1]["previous"]:
        backward.append(client.get(backward[-1]["previous"]).json())
    return [[row["number"] for row in page["results"]] for page in forward], [
        [row["number"] for row in page["results"]] for page in reversed(backward)
    ]


def test_the_ticket_list_orders_by_the_next_deadline_with_the_rest_last(world, api_as):
    # given: four deadlines (two at the same moment) and, with the world's two, four tickets without
    now = timezone.now()
    tickets = [make_ticket(title=f"Заявка {i}", team=world.team) for i in range(6)]
    for index, hours in {2: 1, 0: 2, 5: 2, 1: 3}.items():
        Ticket.objects.filter(pk=tickets[index].pk).update(sla_due=now + timedelta(hours=hours))
    with_deadline = [tickets[i].number for i in (2, 0, 5, 1)]
    without = [world.ticket_a.number, world.ticket_b.number, tickets[3].number, tickets[4].number]
    # when
    forward, backward = _walk(api_as(world.admin), f"{TICKETS}?ordering=sla_due&page_size=3")
    # then
    assert forward == [with_deadline[:3], [with_deadline[3], *without[:2]], without[2:]]
    assert backward == forward


def test_ordering_by_deadline_combines_with_the_filters(world, api_as):
    # given: a breached ticket and a running one, both with deadlines; a closed one without
    now = timezone.now()
    late = make_ticket(title="Просрочена", team=world.team)
    soon = make_ticket(title="Скоро", team=world.team)
    Ticket.objects.filter(pk=late.pk).update(sla_due=now - timedelta(hours=1), sla_breached=True)
    Ticket.objects.filter(pk=soon.pk).update(sla_due=now + timedelta(hours=1))
    client = api_as(world.admin)
    # when
    running = client.get(TICKETS, {"ordering": "sla_due", "sla_state": "running,breached"}).json()
    agent = api_as(world.agent).get(TICKETS, {"ordering": "sla_due"}).json()
    # then
    assert [row["number"] for row in running["results"]] == [late.number, soon.number]
    assert [row["number"] for row in agent["results"]] == [late.number, soon.number, world.ticket_a.number]
