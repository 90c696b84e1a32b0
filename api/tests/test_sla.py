"""/api/v1/sla/policies/, /api/v1/sla/calendars/ and the SLA part of tickets."""

from datetime import time

import pytest
from django.utils import timezone

from sla.models import (
    BusinessCalendar,
    SlaEscalation,
    SlaFiring,
    SlaPolicy,
    SlaRecalculation,
    SlaTarget,
    WorkingInterval,
)
from tests.factories import make_ticket, priority
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

POLICIES = "/api/v1/sla/policies/"
CALENDARS = "/api/v1/sla/calendars/"


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
