"""Automatic assignment on ticket creation and team change (automation/assignment)."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.choices import Role
from automation.assignment.services import (
    absence_create,
    agent_profile_set,
    automatic_team_ids,
    team_assignment_set,
    ticket_auto_assign,
    work_shifts_set,
)
from automation.assignment.strategies import haversine_km
from automation.models import TeamAssignment
from tests.factories import ServiceCategoryFactory, SiteFactory, TeamFactory, UserFactory, make_ticket, priority
from tickets.choices import EventKind
from tickets.services import ticket_assign, ticket_update
from tickets.templatetags.tickets_extras import event_text


def _created(**kwargs):
    """A ticket as stored after the hooks ran (ticket_create returns its own copy)."""
    ticket = make_ticket(**kwargs)
    ticket.refresh_from_db()
    return ticket


def _assigned_event(ticket):
    return ticket.events.filter(kind=EventKind.ASSIGNED).get()


def test_manual_strategy_leaves_the_ticket_for_a_person(team, engineers):
    # given
    team_assignment_set(team=team, strategy="manual", priority_weights={})
    # when
    ticket = _created(team=team)
    # then
    ticket.refresh_from_db()
    assert ticket.assignee_id is None
    assert not ticket.events.filter(kind=EventKind.ASSIGNED).exists()


def test_round_robin_takes_turns_and_skips_who_is_away(team, engineers):
    # given
    anna, boris, vera = engineers
    team_assignment_set(team=team, strategy="round_robin", priority_weights={})
    today = timezone.localdate()
    absence_create(user=boris, kind="sick", start_date=today - timedelta(days=1), end_date=today + timedelta(days=1))
    # when
    assignees = [_created(team=team, title=f"Заявка {n}").assignee for n in range(5)]
    # then: Борис is on sick leave
    assert assignees == [anna, vera, anna, vera, anna]
    assert TeamAssignment.objects.get(team=team).last_assignee == anna


def test_round_robin_event_says_which_strategy_chose_whom_in_both_languages(team, engineers):
    # given
    team_assignment_set(team=team, strategy="round_robin", priority_weights={})
    # when
    ticket = _created(team=team)
    # then
    event = _assigned_event(ticket)
    assert event.actor_id is None
    assert event.data["auto"] == {"strategy": "round_robin", "why": "next_in_turn", "of": 3}
    assert event_text(event) == ("Assignee: — → Анна Инженер (automatically: Round-robin — next in turn of 3 at work)")
    with translation.override("ru"):
        assert event_text(event) == (
            "Исполнитель: — → Анна Инженер (автоматически: По очереди — следующий по очереди из 3 на работе)"
        )


def test_off_shift_engineers_are_not_chosen(team, engineers):
    # given Анна and Борис work only on a weekday other than today, Вера has no schedule
    anna, boris, vera = engineers
    other_day = (timezone.localtime().weekday() + 3) % 7
    for user in (anna, boris):
        work_shifts_set(user=user, shifts=[(other_day, time(0), time(23, 59))])
    team_assignment_set(team=team, strategy="round_robin", priority_weights={})
    # when
    ticket = _created(team=team)
    # then
    assert ticket.assignee == vera


def test_nobody_at_work_leaves_the_ticket_unassigned(team, engineers):
    # given
    today = timezone.localdate()
    for user in engineers:
        absence_create(
            user=user, kind="leave", start_date=today - timedelta(days=2), end_date=today + timedelta(days=2)
        )
    team_assignment_set(team=team, strategy="least_loaded", priority_weights={})
    # when
    ticket = _created(team=team)
    # then
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_least_loaded_weighs_open_tickets_by_priority(team, engineers):
    # given Анна has one critical open ticket (weight 4), Борис three low ones (weight 1 each), Вера two normal (2)
    anna, boris, vera = engineers
    other = TeamFactory()
    make_ticket(team=other, assignee=anna, priority=priority("critical"))
    for _ in range(3):
        make_ticket(team=other, assignee=boris, priority=priority("low"))
    for _ in range(2):
        make_ticket(team=other, assignee=vera, priority=priority("normal"))
    team_assignment_set(
        team=team, strategy="least_loaded", priority_weights={"critical": 4, "high": 2, "normal": 1, "low": 1}
    )
    # when
    ticket = _created(team=team, priority=priority("high"))
    # then: loads 4, 3, 2 → Вера; the next ticket makes her load 4 (2 + high 2) → Борис (3)
    assert ticket.assignee == vera
    assert _assigned_event(ticket).data["auto"] == {"strategy": "least_loaded", "why": "least_loaded", "load": 2.0}
    assert _created(team=team, priority=priority("low")).assignee == boris


def test_closed_tickets_do_not_count_as_load(team, engineers):
    # given Анна had many tickets, all resolved
    from tests.factories import status
    from tickets.services import ticket_set_status

    anna, boris, vera = engineers
    for _ in range(3):
        done = make_ticket(assignee=anna)
        ticket_set_status(ticket=done, actor=None, status=status("resolved"))
    make_ticket(assignee=boris)
    make_ticket(assignee=vera)
    team_assignment_set(team=team, strategy="least_loaded", priority_weights={})
    # when / then
    assert _created(team=team).assignee == anna


def test_by_skill_chooses_among_those_handling_the_category_or_its_parent(team, engineers):
    # given Борис and Вера handle "Электрика"; Вера is busier
    anna, boris, vera = engineers
    electric = ServiceCategoryFactory(name_ru="Электрика", name_en="Electrical")
    lighting = ServiceCategoryFactory(name_ru="Освещение", name_en="Lighting", parent=electric)
    plumbing = ServiceCategoryFactory(name_ru="Сантехника", name_en="Plumbing")
    agent_profile_set(user=anna, categories=[plumbing], home_latitude=None, home_longitude=None)
    agent_profile_set(user=boris, categories=[electric], home_latitude=None, home_longitude=None)
    agent_profile_set(user=vera, categories=[electric, plumbing], home_latitude=None, home_longitude=None)
    make_ticket(assignee=boris)
    team_assignment_set(team=team, strategy="skill", priority_weights={})
    # when
    ticket = _created(team=team, category=lighting, title="Не горит свет")
    # then
    assert ticket.assignee == vera
    event = _assigned_event(ticket)
    assert event.data["auto"]["category"] == {"id": lighting.pk, "name_ru": "Освещение", "name_en": "Lighting"}
    assert event_text(event) == (
        "Assignee: — → Вера Инженер (automatically: By skill (service categories) — "
        "handles Lighting; fewest open tickets (weighted load 0))"
    )


def test_by_skill_without_anyone_skilled_leaves_it_unassigned(team, engineers):
    # given
    team_assignment_set(team=team, strategy="skill", priority_weights={})
    # when
    ticket = _created(team=team, category=ServiceCategoryFactory())
    # then
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_haversine_moscow_to_saint_petersburg():
    assert round(haversine_km(55.7558, 37.6173, 59.9343, 30.3351)) == 633


def test_by_site_prefers_the_sites_default_engineer(team, engineers):
    # given
    _anna, boris, _vera = engineers
    site = SiteFactory(name="ТЦ Европа", default_engineer=boris, latitude=Decimal("55.75"), longitude=Decimal("37.61"))
    team_assignment_set(team=team, strategy="site", priority_weights={})
    # when
    ticket = _created(team=team, site=site)
    # then
    assert ticket.assignee == boris
    assert event_text(_assigned_event(ticket)) == (
        "Assignee: — → Борис Инженер (automatically: By site (default engineer, else nearest) — "
        "the default engineer of ТЦ Европа)"
    )


def test_by_site_takes_the_nearest_home_base_when_the_sites_engineer_is_away(team, engineers):
    # given a site in Khimki; Анна lives in central Moscow, Вера in Zelenograd, Борис (the site's engineer) is on leave
    anna, boris, vera = engineers
    site = SiteFactory(
        name="Склад Химки", default_engineer=boris, latitude=Decimal("55.8970"), longitude=Decimal("37.4297")
    )
    agent_profile_set(user=anna, categories=[], home_latitude=Decimal("55.7558"), home_longitude=Decimal("37.6173"))
    agent_profile_set(user=vera, categories=[], home_latitude=Decimal("55.9825"), home_longitude=Decimal("37.1814"))
    today = timezone.localdate()
    absence_create(user=boris, kind="leave", start_date=today - timedelta(days=1), end_date=today + timedelta(days=7))
    team_assignment_set(team=team, strategy="site", priority_weights={})
    # when
    ticket = _created(team=team, site=site)
    # then: Khimki–Zelenograd ≈ 18.2 km, Khimki–centre ≈ 19.6 km
    assert ticket.assignee == vera
    assert _assigned_event(ticket).data["auto"] == {
        "strategy": "site",
        "why": "nearest",
        "site": "Склад Химки",
        "km": 18.2,
        "engineer_away": True,
    }


def test_a_team_change_without_an_assignee_assigns_and_with_one_does_not(team, engineers):
    # given a ticket of another, manual team
    anna = engineers[0]
    team_assignment_set(team=team, strategy="round_robin", priority_weights={})
    ticket = make_ticket(team=TeamFactory())
    # when
    ticket_update(ticket=ticket, actor=None, team=team)
    # then
    ticket.refresh_from_db()
    assert ticket.assignee == anna
    # and: a person choosing both team and assignee keeps their choice
    other = make_ticket(team=TeamFactory())
    chosen = UserFactory(role=Role.AGENT)
    ticket_assign(ticket=other, actor=chosen, assignee=chosen, team=team)
    other.refresh_from_db()
    assert other.assignee == chosen


def test_nothing_to_do_costs_one_query_at_most(team, engineers, django_assert_num_queries):
    # given tickets without a team, of a team without a strategy row, of a manual team, already assigned
    no_team = make_ticket()
    no_row = make_ticket(team=TeamFactory())
    manual_team = TeamFactory()
    team_assignment_set(team=manual_team, strategy="manual", priority_weights={})
    manual = make_ticket(team=manual_team)
    team_assignment_set(team=team, strategy="round_robin", priority_weights={})
    assigned = make_ticket(team=team)
    # when / then: nothing to do costs no query — the ticket is as the hooks handed it back, and
    # which teams assign by themselves is known per reference snapshot (read once)
    assert assigned.assignee_id is not None
    automatic_team_ids()
    for ticket in (no_team, assigned, no_row, manual):
        with django_assert_num_queries(0):
            assert ticket_auto_assign(ticket=ticket) is None


def test_a_team_switched_to_an_automatic_strategy_assigns_its_next_ticket(team, engineers):
    # given a manual team whose ticket stayed unassigned
    team_assignment_set(team=team, strategy="manual", priority_weights={})
    assert make_ticket(team=team).assignee_id is None
    # when the strategy changes (the reference snapshot is renewed), and a choice saves its turn
    team_assignment_set(team=team, strategy="round_robin", priority_weights={})
    first = make_ticket(team=team)
    second = make_ticket(team=team)
    # then both new tickets are assigned, in turn
    assert (first.assignee_id, second.assignee_id) == (engineers[0].pk, engineers[1].pk)
    # and back to manual: no more
    team_assignment_set(team=team, strategy="manual", priority_weights={})
    assert make_ticket(team=team).assignee_id is None


def test_auto_assign_is_a_no_op_for_an_assigned_ticket(team, engineers):
    # given
    team_assignment_set(team=team, strategy="round_robin", priority_weights={})
    ticket = _created(team=team)
    # when / then
    assert ticket_auto_assign(ticket=ticket) is None
    assert ticket.events.filter(kind=EventKind.ASSIGNED).count() == 1


def test_weights_must_be_numbers_in_range(team):
    with pytest.raises(ValidationError):
        team_assignment_set(team=team, strategy="least_loaded", priority_weights={"critical": "много"})
    with pytest.raises(ValidationError):
        team_assignment_set(team=team, strategy="least_loaded", priority_weights={"critical": -1})
    with pytest.raises(ValidationError):
        team_assignment_set(team=team, strategy="random", priority_weights={})


def test_home_base_needs_both_coordinates(engineers):
    with pytest.raises(ValidationError):
        agent_profile_set(user=engineers[0], categories=[], home_latitude=Decimal("55.7"), home_longitude=None)


def test_queries_of_automatic_assignment_stay_few(team, engineers):
    # given two unassigned tickets of the team, then the team switched to least loaded with weights
    by_hand = make_ticket(team=team)
    ticket = make_ticket(team=team)
    team_assignment_set(team=team, strategy="least_loaded", priority_weights={"critical": 4})
    assert team.pk in automatic_team_ids()  # the renewed snapshot, read once as a running server has it
    with CaptureQueriesContext(connection) as manual:
        ticket_assign(ticket=by_hand, actor=None, assignee=engineers[2])
    # when
    with CaptureQueriesContext(connection) as automatic:
        assert ticket_auto_assign(ticket=ticket) == engineers[0]
    # then: the choice costs CHOICE_QUERIES on top of the assignment a person would make
    assert len(automatic) - len(manual) == CHOICE_QUERIES
    assert len([q for q in automatic.captured_queries if "automation_" in q["sql"]]) == 3


# Two savepoint statements, the strategy lock, the ticket, members, shifts, absences, loads,
# priorities: the automation tables are read three times (the lock, shifts, absences); whether
# the team assigns by itself is known from the snapshot.
CHOICE_QUERIES = 9
