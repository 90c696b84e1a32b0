"""The per-process reference snapshot: what it attaches, and how edits reach every process."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.choices import Role
from tests.factories import ClientUserFactory, TeamFactory, UserFactory, make_ticket, status
from tickets import reference as reference_module
from tickets.models import Status, Ticket
from tickets.reference import VERSION_KEY, reference
from tickets.selectors import ticket_list_for_user

pytestmark = pytest.mark.django_db


def test_listed_tickets_carry_reference_rows_without_queries(django_assert_num_queries):
    # given
    engineer = UserFactory(role=Role.ENGINEER, full_name="Пётр Монтёр")
    admin = UserFactory(role=Role.ADMIN)
    team = TeamFactory(name_ru="Лифты")
    make_ticket(title="Застрял лифт", team=team, assignee=engineer)
    row = Ticket.objects.values("status__name_ru", "priority__name_ru").get()
    reference()
    tickets = list(ticket_list_for_user(user=admin).prefetch_related(None))
    # when
    with django_assert_num_queries(0):
        shown = [(t.status.name_ru, t.priority.name_ru, t.team.name_ru, t.assignee.full_name) for t in tickets]
    # then
    assert shown == [(row["status__name_ru"], row["priority__name_ru"], "Лифты", "Пётр Монтёр")]


def test_an_edit_in_this_process_shows_on_the_next_read(django_capture_on_commit_callbacks):
    # given
    before = reference().statuses[status("new").pk].name_ru
    # when
    with django_capture_on_commit_callbacks(execute=True):
        Status.objects.filter(code="new").update(name_ru="Поступила")
        status_row = Status.objects.get(code="new")
        status_row.save()
    # then
    assert before != "Поступила"
    assert reference().statuses[status_row.pk].name_ru == "Поступила"


def test_an_edit_in_another_process_shows_after_the_recheck(monkeypatch):
    # given: this process holds a snapshot; another process renames a status and bumps the version
    new_pk = status("new").pk
    assert reference().statuses[new_pk].name_ru != "Поступила"
    Status.objects.filter(pk=new_pk).update(name_ru="Поступила")  # no signal here: "elsewhere"
    cache.set(VERSION_KEY, "bumped-elsewhere", timeout=None)
    # when: within the recheck window the snapshot stays; after it, it is reloaded
    stale = reference().statuses[new_pk].name_ru
    monkeypatch.setattr(reference_module, "RECHECK_SECONDS", 0.0)
    fresh = reference().statuses[new_pk].name_ru
    # then
    assert stale != "Поступила"
    assert fresh == "Поступила"


def test_a_row_created_elsewhere_since_the_snapshot_is_loaded_from_the_database():
    # given
    admin = UserFactory(role=Role.ADMIN)
    reference()
    newcomer = Status.objects.bulk_create([Status(name_ru="Согласование", name_en="Approval", code="approval")])[0]
    make_ticket(title="Нужна смета", status=newcomer)
    # when
    ticket = ticket_list_for_user(user=admin).get(title="Нужна смета")
    # then
    assert newcomer.pk not in reference().statuses
    assert ticket.status.name_ru == "Согласование"


def test_a_sign_in_does_not_throw_the_snapshot_away():
    # given
    agent = UserFactory(role=Role.AGENT)
    snapshot = reference()
    # when
    agent.last_login = timezone.now()
    agent.save(update_fields=["last_login"])
    # then
    assert reference() is snapshot


def test_renaming_a_staff_member_reaches_the_assignee_lists():
    # given
    engineer = UserFactory(role=Role.ENGINEER, full_name="Пётр Монтёр")
    assert "Пётр Монтёр" in [u.full_name for u in reference().staff]
    # when
    engineer.full_name = "Пётр Наладчик"
    engineer.save()
    # then
    names = [u.full_name for u in reference().staff]
    assert "Пётр Наладчик" in names
    assert "Пётр Монтёр" not in names


def test_clients_are_never_in_the_snapshot():
    # given
    client = ClientUserFactory()
    # when
    users = reference().users
    # then
    assert client.pk not in users


def test_an_agents_teams_come_with_the_snapshot_and_follow_membership_changes(django_assert_num_queries):
    # given an agent in two teams (listed in the teams' order) and a ticket of each
    from accounts.models import User
    from tickets.reference import team_ids_of

    agent = UserFactory(role=Role.AGENT)
    boilers, lifts = TeamFactory(name_ru="Котлы"), TeamFactory(name_ru="Лифты")
    agent.teams.add(lifts, boilers)
    lift = make_ticket(title="Лифт", team=lifts)
    make_ticket(title="Котёл", team=boilers)
    reference()
    # when / then: the teams cost no query, in the teams' order
    fresh = User.objects.get(pk=agent.pk)
    with django_assert_num_queries(0):
        assert team_ids_of(fresh) == [boilers.pk, lifts.pk]
    # when the agent leaves a team (in this process or another: the snapshot is renewed)
    lifts.members.remove(agent)
    # then its tickets are out of the agent's sight at once
    fresh = User.objects.get(pk=agent.pk)
    assert team_ids_of(fresh) == [boilers.pk]
    assert lift.pk not in {t.pk for t in ticket_list_for_user(user=fresh)}
    # and a member added from the user's side counts as well
    fresh.teams.add(lifts)
    assert team_ids_of(User.objects.get(pk=agent.pk)) == [boilers.pk, lifts.pk]


def test_a_kept_visibility_queryset_is_only_ever_cloned(django_assert_num_queries):
    # given an agent's visible tickets, read twice
    from tickets.selectors import _scoped, _scoped_kept

    agent = UserFactory(role=Role.AGENT)
    team = TeamFactory()
    agent.teams.add(team)
    first = make_ticket(title="Первая", team=team)
    assert [t.pk for t in _scoped(agent)] == [first.pk]
    # when a ticket arrives after the first read
    second = make_ticket(title="Вторая", team=team)
    # then the next read sees it: the kept queryset was never evaluated, only its clones
    assert sorted(t.pk for t in _scoped(agent)) == sorted([first.pk, second.pk])
    assert all(kept._result_cache is None for kept in _scoped_kept.values())
