"""Time rules: fired by the minute's sweep once per ticket and episode, again in a new episode."""

from datetime import timedelta

import pytest
from django.utils import timezone

from automation.models import Rule, RuleFiring
from automation.rules.engine import rules_reset
from automation.rules.sweep import time_rules_sweep
from automation.tests.rules.helpers import act, cond, make_rule
from notifications.models import Notification
from tests.factories import ContactFactory, TeamFactory, UserFactory, make_ticket, priority, status
from tickets.choices import EventKind
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_assign, ticket_set_status


@pytest.fixture
def reminder(no_shipped_rules):
    return make_rule(
        name="Напоминание",
        trigger="time",
        time_anchor="status",
        time_minutes=3 * 24 * 60,
        conditions=[cond("status", "in", [status("waiting_client").pk])],
        actions=[act("add_note", "Клиент молчит 3 дня")],
    )


def _notes(ticket):
    return list(ticket.articles.filter(kind="note").values_list("body", flat=True))


def test_a_time_rule_fires_once_when_its_time_comes(reminder):
    # given
    ticket = make_ticket(contact=ContactFactory())
    ticket_set_status(ticket=ticket, actor=None, status=status("waiting_client"))
    now = timezone.now()
    # when: too early
    assert time_rules_sweep(now=now + timedelta(days=2)) == {}
    # when: due, then the next minutes
    first = time_rules_sweep(now=now + timedelta(days=3, minutes=1))
    again = time_rules_sweep(now=now + timedelta(days=3, minutes=2))
    later = time_rules_sweep(now=now + timedelta(days=9))
    # then
    assert (first, again, later) == ({"Напоминание": 1}, {}, {})
    assert _notes(ticket) == ["Клиент молчит 3 дня"]
    assert RuleFiring.objects.filter(rule=reminder, ticket=ticket).count() == 1
    fired = TicketEvent.objects.get(ticket=ticket, kind=EventKind.RULE_FIRED)
    assert fired.data == {
        "rule": {"id": reminder.pk, "name": "Напоминание"},
        "trigger": "time",
        "changes": [{"action": "add_note", "text": "Клиент молчит 3 дня"}],
    }


def test_a_new_episode_fires_again(reminder):
    # given: fired once
    ticket = make_ticket()
    ticket_set_status(ticket=ticket, actor=None, status=status("waiting_client"))
    time_rules_sweep(now=timezone.now() + timedelta(days=3, minutes=1))
    # when: the client answered, the agent asked again — a new status episode
    ticket_set_status(ticket=ticket, actor=None, status=status("open"))
    ticket_set_status(ticket=ticket, actor=None, status=status("waiting_client"))
    now = timezone.now()
    early = time_rules_sweep(now=now + timedelta(days=2))
    due = time_rules_sweep(now=now + timedelta(days=3, minutes=1))
    # then
    assert (early, due) == ({}, {"Напоминание": 1})
    assert _notes(ticket) == ["Клиент молчит 3 дня", "Клиент молчит 3 дня"]
    assert RuleFiring.objects.filter(rule=reminder, ticket=ticket).count() == 2


def test_tickets_that_left_the_condition_are_not_fired(reminder):
    # given
    waiting = make_ticket()
    ticket_set_status(ticket=waiting, actor=None, status=status("waiting_client"))
    answered = make_ticket()
    ticket_set_status(ticket=answered, actor=None, status=status("waiting_client"))
    ticket_set_status(ticket=answered, actor=None, status=status("open"))
    # when
    counts = time_rules_sweep(now=timezone.now() + timedelta(days=4))
    # then
    assert counts == {"Напоминание": 1}
    assert (_notes(waiting), _notes(answered)) == (["Клиент молчит 3 дня"], [])


def test_python_only_conditions_are_checked_and_paging_gets_past_tickets_they_refuse(no_shipped_rules):
    # given: a text condition (not SQL) refuses the three oldest tickets; one page holds two
    make_rule(
        name="Лифт висит",
        trigger="time",
        time_anchor="created",
        time_minutes=60,
        conditions=[cond("text", "any", "лифт")],
        actions=[act("add_tags", "лифт-час")],
    )
    refused = [make_ticket(title=f"Кондиционер {n}") for n in range(3)]
    wanted = make_ticket(title="Стоит лифт")
    # when
    counts = time_rules_sweep(now=timezone.now() + timedelta(hours=2), limit=2)
    # then
    assert counts == {"Лифт висит": 1}
    assert list(wanted.tags.values_list("name", flat=True)) == ["лифт-час"]
    assert [list(t.tags.all()) for t in refused] == [[], [], []]


def test_the_shipped_escalation_of_critical_tickets_not_taken(db):
    # given
    boss = UserFactory(full_name="Руководитель")
    team = TeamFactory(supervisor=boss)
    ticket = make_ticket(priority=priority("critical"), team=team)
    taken = make_ticket(priority=priority("critical"), team=team)
    ticket_assign(ticket=taken, actor=None, assignee=UserFactory())
    now = timezone.now()
    # when
    early = time_rules_sweep(now=now + timedelta(minutes=4))
    due = time_rules_sweep(now=now + timedelta(minutes=6))
    again = time_rules_sweep(now=now + timedelta(minutes=7))
    # then
    name = Rule.objects.get(code="critical_not_taken").name
    assert (early, due, again) == ({}, {name: 1}, {})
    # (the team's alerts about the new tickets are notifications/alerts.py's, not the rule's)
    rule_alerts = Notification.objects.filter(kind__in=["rule", "rule_escalation"])
    assert list(rule_alerts.values_list("user__full_name", "ticket_id", "kind")) == [
        ("Руководитель", ticket.pk, "rule_escalation")
    ]
    assert list(ticket.observers.values_list("full_name", flat=True)) == ["Руководитель"]


def test_switched_off_time_rules_do_not_fire(reminder):
    # given
    Rule.objects.filter(pk=reminder.pk).update(is_active=False)
    rules_reset()
    ticket = make_ticket()
    ticket_set_status(ticket=ticket, actor=None, status=status("waiting_client"))
    # then
    assert time_rules_sweep(now=timezone.now() + timedelta(days=5)) == {}
    assert Ticket.objects.get(pk=ticket.pk).articles.count() == 1
