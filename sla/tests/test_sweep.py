"""The sweep: warnings, breaches and escalations fire exactly once, also with several workers
and after a worker was down; each is in the ticket's history and reaches the right people."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.choices import Role
from notifications.models import Notification
from sla.models import EscalationTrigger, SlaEscalation, SlaFiring
from sla.sweep import sla_sweep
from tests.factories import TeamFactory, UserFactory, make_ticket, priority
from tickets.choices import EventKind

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)


@pytest.fixture
def team(db):
    supervisor = UserFactory(role=Role.SUPERVISOR, full_name="Ирина Старшая")
    team = TeamFactory(supervisor=supervisor)
    return team


@pytest.fixture
def critical_not_taken(policy, team):
    """Critical not taken in 5 minutes: tell the team supervisor."""
    return SlaEscalation.objects.create(
        policy=policy,
        target="first_response",
        trigger=EscalationTrigger.AFTER_START,
        minutes=5,
        priority=priority("critical"),
        notify_assignee=False,
        notify_supervisor=True,
    )


def _events(ticket, kind):
    return list(ticket.events.filter(kind=kind))


def test_an_escalation_reaches_the_supervisor_exactly_once(critical_not_taken, team):
    # given: a critical ticket of the team, nobody took it
    ticket = make_ticket(priority=priority("critical"), team=team, received_at=MONDAY_10)
    # when: the sweep runs at 10:06 and again at 10:07
    first = sla_sweep(now=MONDAY_10 + timedelta(minutes=6))
    second = sla_sweep(now=MONDAY_10 + timedelta(minutes=7))
    # then
    assert first["escalation"] == 1
    assert second["escalation"] == 0
    assert Notification.objects.filter(user=team.supervisor, ticket=ticket, kind="sla_escalation").count() == 1
    assert len(_events(ticket, EventKind.SLA_ESCALATED)) == 1


def test_warning_then_breach_each_once_and_the_ticket_is_marked(policy, team):
    # given: critical, first response 15 calendar minutes, warning at 80% (12 minutes)
    assignee = UserFactory(role=Role.ENGINEER)
    ticket = make_ticket(priority=priority("critical"), team=team, assignee=assignee, received_at=MONDAY_10)
    # when
    at_11 = sla_sweep(now=MONDAY_10 + timedelta(minutes=11))
    at_13 = sla_sweep(now=MONDAY_10 + timedelta(minutes=13))
    at_16 = sla_sweep(now=MONDAY_10 + timedelta(minutes=16))
    at_17 = sla_sweep(now=MONDAY_10 + timedelta(minutes=17))
    # then
    ticket.refresh_from_db()
    assert (at_11["warning"], at_13["warning"], at_16["breach"], at_17["breach"]) == (0, 1, 1, 0)
    assert ticket.sla_first_response_state == "breached"
    assert ticket.sla_breached
    assert Notification.objects.filter(user=assignee, ticket=ticket, kind__startswith="sla_").count() == 2
    assert [e.data["level"] for e in ticket.events.filter(kind__startswith="sla_").order_by("id")] == [
        "warning",
        "breach",
    ]


def test_a_worker_that_was_down_fires_everything_that_fell_due_once(critical_not_taken, team):
    # given: the worker was down from 10:00 to 12:00
    ticket = make_ticket(priority=priority("critical"), team=team, received_at=MONDAY_10)
    # when: it comes back
    counts = sla_sweep(now=MONDAY_10 + timedelta(hours=2))
    again = sla_sweep(now=MONDAY_10 + timedelta(hours=2, minutes=1))
    # then: the warning, the escalation and the breach of the first response, once each
    assert (counts["warning"], counts["escalation"], counts["breach"]) == (1, 1, 1)
    assert sum(again.values()) == 0
    assert SlaFiring.objects.filter(ticket=ticket).count() == 3


def test_a_second_worker_running_the_same_sweep_fires_nothing_twice(critical_not_taken, team):
    # given: two "workers" sweeping the same moment (the firing's unique key decides)
    ticket = make_ticket(priority=priority("critical"), team=team, received_at=MONDAY_10)
    moment = MONDAY_10 + timedelta(minutes=6)
    sla_sweep(now=moment)
    # when: the second worker saw the ticket before the first one moved its next check
    ticket.refresh_from_db()
    type(ticket).objects.filter(pk=ticket.pk).update(sla_next_check=MONDAY_10)
    second = sla_sweep(now=moment)
    # then
    assert second["escalation"] == 0
    assert Notification.objects.filter(kind="sla_escalation").count() == 1


def test_reassignment_and_priority_raise_are_applied_and_recorded(policy, team):
    # given: after the first-response breach, move to the duty team and raise to critical
    duty = TeamFactory(code="duty")
    SlaEscalation.objects.create(
        policy=policy, target="first_response", trigger=EscalationTrigger.AFTER_BREACH, minutes=0,
        notify_assignee=False, reassign_team=duty, raise_priority=priority("critical"),
    )  # fmt: skip
    ticket = make_ticket(priority=priority("normal"), team=team, received_at=MONDAY_10)
    # when: normal first response is 2 business hours → due 12:00
    sla_sweep(now=MONDAY_10 + timedelta(hours=2, minutes=1))
    # then
    ticket.refresh_from_db()
    assert ticket.team == duty
    assert ticket.priority == priority("critical")
    assert ticket.events.filter(kind=EventKind.SLA_ESCALATED).count() == 1


def test_the_sweep_only_reads_due_tickets(policy, team, django_assert_max_num_queries):
    # given: one due ticket among others not due
    make_ticket(priority=priority("critical"), team=team, received_at=MONDAY_10)
    for _ in range(5):
        make_ticket(priority=priority("normal"), team=team, received_at=MONDAY_10 + timedelta(days=30))
    # when / then: a fixed number of queries whatever the number of tickets not due
    with django_assert_max_num_queries(20):
        counts = sla_sweep(now=MONDAY_10 + timedelta(minutes=13))
    assert counts["tickets"] == 1
