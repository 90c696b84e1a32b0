"""The agent queue: page cost, live refresh, bulk actions, saved views."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ContactFactory, SiteFactory, make_ticket, priority, status
from tickets.models import SavedView, Ticket
from tickets.reference import reference
from tickets.selectors import latest_event_id
from tickets.services import ticket_set_status

QUEUE_MAX_QUERIES = 14  # company, contact, site, tags prefetched; the rest is reference data; +1 the bell


def _numbers_on(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-ticket="(\d+)"', html)]


def _add_busy_tickets(count: int, *, team, assignees, company) -> None:
    """Tickets with everything a queue row shows: contact, company, site, team, assignee, tags."""
    for i in range(count):
        contact = ContactFactory(company=company)
        make_ticket(
            title=f"Заявка {i}",
            contact=contact,
            site=SiteFactory(company=company),
            team=team,
            assignee=assignees[i % len(assignees)],
            tags=[f"tag{i}", "общий"],
            priority=priority("high" if i % 2 else "normal"),
        )
    reference()  # loaded, as in a running server: its few queries are not the page's


@pytest.mark.parametrize("view", ["all_open", "mine", "unassigned", "all"])
def test_queue_page_cost_does_not_grow_with_the_tickets(
    agent_client, agent, other_agent, team, company, view, django_assert_max_num_queries
):
    # given
    url = f"/tickets/?view={view}&sort=priority"
    _add_busy_tickets(5, team=team, assignees=[agent, other_agent, None], company=company)
    with django_assert_max_num_queries(QUEUE_MAX_QUERIES) as few:
        few_response = agent_client.get(url)
    # when
    _add_busy_tickets(25, team=team, assignees=[agent, other_agent, None], company=company)
    with django_assert_max_num_queries(QUEUE_MAX_QUERIES) as many:
        many_response = agent_client.get(url)
    # then
    assert few_response.status_code == many_response.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_queue_rows_cost_does_not_grow_with_the_tickets(
    agent_client, agent, other_agent, team, company, django_assert_max_num_queries
):
    # given
    _add_busy_tickets(5, team=team, assignees=[agent, other_agent, None], company=company)
    with django_assert_max_num_queries(QUEUE_MAX_QUERIES) as few:
        agent_client.get("/tickets/rows/?view=all_open&since=0")
    # when
    _add_busy_tickets(25, team=team, assignees=[agent, other_agent, None], company=company)
    with django_assert_max_num_queries(QUEUE_MAX_QUERIES) as many:
        response = agent_client.get("/tickets/rows/?view=all_open&since=0")
    # then
    assert response.status_code == 200
    assert len(_numbers_on(response.content.decode())) == 30
    assert len(many.captured_queries) == len(few.captured_queries)


def test_queue_shows_a_page_of_fifty_with_a_next_link(agent_client, team):
    # given
    for i in range(51):
        make_ticket(title=f"Заявка {i}", team=team)
    # when
    first = agent_client.get("/tickets/")
    next_query = re.search(r'href="\?([^"]*after=[^"]+)"', first.content.decode()).group(1).replace("&amp;", "&")
    second = agent_client.get(f"/tickets/?{next_query}")
    # then
    first_numbers = _numbers_on(first.content.decode())
    second_numbers = _numbers_on(second.content.decode())
    assert len(first_numbers) == 50
    assert len(second_numbers) == 1
    assert set(first_numbers) | set(second_numbers) == set(Ticket.objects.values_list("number", flat=True))


def test_queue_counts_the_system_views(agent_client, agent, team):
    # given
    make_ticket(title="Моя", team=team, assignee=agent)
    make_ticket(title="Ничья", team=team)
    closed = make_ticket(title="Закрытая", team=team)
    ticket_set_status(ticket=closed, actor=agent, status=status("closed"))
    # when
    response = agent_client.get("/tickets/")
    # then
    counts = {key: count for key, _label, count in response.context["system_views"]}
    assert counts == {"mine": "1", "unassigned": "1", "all_open": "2", "all": ""}


def _counts(response):
    return {key: count for key, _label, count in response.context["system_views"]}


def test_queue_counts_are_kept_until_a_ticket_or_the_agents_teams_change(agent_client, agent, team, other_team):
    # given the counts seen once
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets.services import ticket_assign

    ticket = make_ticket(title="Ничья", team=team)
    reference()
    assert _counts(agent_client.get("/tickets/")) == {"mine": "0", "unassigned": "1", "all_open": "1", "all": ""}
    # when the page is loaded again with nothing changed: no count is asked
    with CaptureQueriesContext(connection) as again:
        assert _counts(agent_client.get("/tickets/"))["all_open"] == "1"
    assert not [q for q in again.captured_queries if "COUNT(*)" in q["sql"] and "tickets_ticket" in q["sql"]]
    # when the ticket is assigned to the agent, a new one arrives: the next load counts anew
    ticket_assign(ticket=ticket, actor=None, assignee=agent)
    make_ticket(title="Новая", team=team)
    assert _counts(agent_client.get("/tickets/")) == {"mine": "1", "unassigned": "1", "all_open": "2", "all": ""}
    # when the agent joins another team (no ticket changes): its tickets count too
    make_ticket(title="Чужая", team=other_team)
    seen = _counts(agent_client.get("/tickets/"))
    other_team.members.add(agent)
    assert _counts(agent_client.get("/tickets/"))["all_open"] == str(int(seen["all_open"]) + 1)


def test_queue_counts_follow_a_status_moved_to_another_category(agent_client, team, django_capture_on_commit_callbacks):
    # given an open ticket counted
    ticket = make_ticket(title="Ждём", team=team)
    ticket_set_status(ticket=ticket, actor=None, status=status("waiting_client"))
    assert _counts(agent_client.get("/tickets/"))["all_open"] == "1"
    # when an administrator moves its status to "resolved" (no ticket event: the reference data changed)
    from tickets.services import reference_data_saved

    waiting = status("waiting_client")
    waiting.category = "resolved"
    with django_capture_on_commit_callbacks(execute=True):  # as the settings page's transaction commits
        waiting.save()
        reference_data_saved(obj=waiting)
    # then it is no longer counted as open
    assert _counts(agent_client.get("/tickets/"))["all_open"] == "0"


def test_queue_counts_are_capped_and_an_agent_in_no_team_counts_nothing(login, agent, team, monkeypatch):
    # given: three open tickets in the team and a cap of two; a second agent in no team at all
    from accounts.models import Role
    from tests.factories import UserFactory
    from tickets.views import queue

    monkeypatch.setattr(queue, "COUNT_CAP", 2)
    for title in ("Первая", "Вторая", "Третья"):
        make_ticket(title=title, team=team)
    loner = UserFactory(email="loner@otklik.test", role=Role.AGENT, language="en")
    # when
    capped = login(agent).get("/tickets/")
    alone = login(loner).get("/tickets/")
    # then
    assert {key: count for key, _label, count in capped.context["system_views"]} == {
        "mine": "0",
        "unassigned": "2+",
        "all_open": "2+",
        "all": "",
    }
    # "Unassigned in my teams" of no teams at all is an empty query: counted without asking the database
    assert {key: count for key, _label, count in alone.context["system_views"]} == {
        "mine": "0",
        "unassigned": "0",
        "all_open": "0",
        "all": "",
    }


def test_queue_rows_answer_204_when_nothing_happened(agent_client, team):
    # given
    make_ticket(title="Старая", team=team)
    cursor = latest_event_id()
    # when
    response = agent_client.get(f"/tickets/rows/?view=all_open&since={cursor}")
    # then
    assert response.status_code == 204
    assert response.content == b""


def test_queue_rows_bring_a_new_ticket_and_flash_it(agent_client, team):
    # given
    make_ticket(title="Старая", team=team)
    cursor = latest_event_id()
    since_ts = (timezone.now() - timedelta(seconds=1)).timestamp()
    # when
    fresh = make_ticket(title="Только что позвонили", team=team)
    response = agent_client.get(f"/tickets/rows/?view=all_open&since={cursor}&since_ts={since_ts}")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Только что позвонили" in html
    assert f'<tr data-ticket="{fresh.number}" class="flash">' in html


@pytest.mark.parametrize("since_ts", ["abc", "nan", "inf", "1e300"])
def test_queue_rows_ignore_a_bad_flash_time(agent_client, team, since_ts):
    # given
    make_ticket(title="Заявка", team=team)
    # when
    response = agent_client.get(f"/tickets/rows/?since=0&since_ts={since_ts}")
    # then
    assert response.status_code == 200
    assert "flash" not in response.content.decode()


def test_queue_rows_never_show_what_the_agent_cannot_see(agent_client, other_team):
    # given
    make_ticket(title="Чужая команда", team=other_team)
    # when
    response = agent_client.get("/tickets/rows/?view=all&since=0")
    # then
    assert response.status_code == 200
    assert "Чужая команда" not in response.content.decode()


# bulk actions


def test_bulk_changes_only_tickets_the_agent_may_see(agent_client, agent, engineer, team, other_team):
    # given
    own = make_ticket(title="Своя", team=team)
    foreign = make_ticket(title="Чужая", team=other_team)
    # when
    response = agent_client.post(
        "/tickets/bulk/",
        {
            "ticket_ids": [own.pk, foreign.pk],
            "assignee": engineer.pk,
            "status": status("waiting_client").pk,
            "priority": priority("critical").pk,
            "back": "/tickets/?view=all",
        },
    )
    # then
    own.refresh_from_db()
    foreign.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == "/tickets/?view=all"
    assert (own.assignee, own.status, own.priority) == (engineer, status("waiting_client"), priority("critical"))
    assert (foreign.assignee, foreign.status, foreign.priority) == (None, status("new"), priority("normal"))
    assert foreign.events.count() == 1


def test_bulk_with_only_foreign_tickets_changes_nothing(agent_client, other_team):
    # given
    foreign = make_ticket(title="Чужая", team=other_team)
    # when
    agent_client.post("/tickets/bulk/", {"ticket_ids": [foreign.pk], "priority": priority("critical").pk})
    # then
    foreign.refresh_from_db()
    assert foreign.priority == priority("normal")


def test_bulk_unassign(agent_client, agent, team):
    # given
    ticket = make_ticket(team=team, assignee=agent)
    # when
    agent_client.post("/tickets/bulk/", {"ticket_ids": [ticket.pk], "unassign": "1"})
    # then
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_bulk_without_tickets_says_so(agent_client):
    # when
    response = agent_client.post("/tickets/bulk/", {"priority": priority("critical").pk}, follow=True)
    # then
    assert [str(m) for m in response.context["messages"]] == ["Select at least one ticket."]


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_bulk_never_redirects_away(agent_client, team, back):
    # given
    ticket = make_ticket(team=team)
    # when
    response = agent_client.post("/tickets/bulk/", {"ticket_ids": [ticket.pk], "back": back})
    # then
    assert response.status_code == 302
    assert response["Location"] == "/tickets/"


def test_bulk_is_post_only(agent_client):
    # when
    response = agent_client.get("/tickets/bulk/")
    # then
    assert response.status_code == 405


# saved views


def test_saving_and_applying_a_view(agent_client, agent, team):
    # given
    make_ticket(title="Срочная", team=team, priority=priority("critical"))
    make_ticket(title="Обычная", team=team)
    query = f"priority={priority('critical').pk}&sort=priority&after=xyz&view=all"
    # when
    saved = agent_client.post("/tickets/views/save/", {"name": "Горящие", "query": query})
    view = SavedView.objects.get()
    applied = agent_client.get(f"/tickets/?view={view.pk}")
    # then
    assert saved.status_code == 302
    assert saved["Location"] == f"/tickets/?view={view.pk}"
    assert (view.owner, view.name, view.is_shared) == (agent, "Горящие", False)
    assert view.filters == {"priority": [str(priority("critical").pk)], "sort": ["priority"]}
    assert [t.title for t in applied.context["tickets"]] == ["Срочная"]
    assert applied.context["view_title"] == "Горящие"


def test_a_saved_view_needs_a_name(agent_client):
    # when
    response = agent_client.post("/tickets/views/save/", {"name": "  ", "query": "sort=priority"})
    # then
    assert response.status_code == 302
    assert response["Location"] == "/tickets/"
    assert SavedView.objects.count() == 0


def test_a_private_view_does_not_apply_for_someone_else(login, agent, other_agent, team):
    # given
    make_ticket(title="Срочная", team=team, priority=priority("critical"))
    make_ticket(title="Обычная", team=team)
    private = SavedView.objects.create(owner=agent, name="Мой", filters={"priority": [str(priority("critical").pk)]})
    shared = SavedView.objects.create(
        owner=agent, name="Общий", filters={"priority": [str(priority("critical").pk)]}, is_shared=True
    )
    browser = login(other_agent)
    # when
    with_private = browser.get(f"/tickets/?view={private.pk}")
    with_shared = browser.get(f"/tickets/?view={shared.pk}")
    # then
    assert sorted(t.title for t in with_private.context["tickets"]) == ["Обычная", "Срочная"]
    assert [t.title for t in with_shared.context["tickets"]] == ["Срочная"]
    assert [v.name for v in with_shared.context["saved_views"]] == ["Общий"]
    # the owner picks from both, by name
    own = login(agent).get("/tickets/")
    assert [(v.name, v.is_shared) for v in own.context["saved_views"]] == [("Мой", False), ("Общий", True)]
    assert f'href="?view={private.pk}"' in own.content.decode()


def test_only_the_owner_deletes_a_view(login, agent, other_agent):
    # given
    view = SavedView.objects.create(owner=agent, name="Мой", filters={}, is_shared=True)
    # when
    by_stranger = login(other_agent).post(f"/tickets/views/{view.pk}/delete/")
    still_there = SavedView.objects.filter(pk=view.pk).exists()
    by_owner = login(agent).post(f"/tickets/views/{view.pk}/delete/")
    # then
    assert by_stranger.status_code == 404
    assert still_there is True
    assert by_owner.status_code == 302
    assert SavedView.objects.filter(pk=view.pk).exists() is False


# filters through the page


def test_queue_filters_from_the_query_string(agent_client, agent, team, contact, company):
    # given
    make_ticket(title="Лифт", team=team, tags=["лифт"], contact=contact)
    make_ticket(title="Свет", team=team, tags=["свет"])
    # when
    by_tag = agent_client.get("/tickets/?view=all&tag=лифт")
    by_company = agent_client.get(f"/tickets/?view=all&company={company.pk}")
    by_status = agent_client.get(f"/tickets/?view=all&status={status('closed').pk}")
    # then
    assert [t.title for t in by_tag.context["tickets"]] == ["Лифт"]
    assert [t.title for t in by_company.context["tickets"]] == ["Лифт"]
    assert list(by_status.context["tickets"]) == []
    assert by_tag.context["filters_open"] is True


def test_every_queue_filter_from_the_query_string(agent_client, agent, engineer, team):
    # given
    match = make_ticket(title="Подходит", team=team, assignee=engineer, priority=priority("critical"), channel="email")
    ticket_set_status(ticket=match, actor=agent, status=status("waiting_client"))
    make_ticket(title="Другая", team=team, priority=priority("critical"))
    today = timezone.localdate().isoformat()
    query = (
        f"view=all&category=pending&status={status('waiting_client').pk}&priority={priority('critical').pk}"
        f"&team={team.pk}&assignee={engineer.pk}&channel=email&created_from={today}&created_to={today}"
        "&sort=priority"
    )
    # when
    response = agent_client.get(f"/tickets/?{query}")
    tomorrow = agent_client.get("/tickets/?view=all&created_from=2999-01-01")
    # then
    assert [t.title for t in response.context["tickets"]] == ["Подходит"]
    assert list(tomorrow.context["tickets"]) == []


def test_the_priority_sort_from_the_query_string(agent_client, team):
    # given
    make_ticket(title="Низкий", team=team, priority=priority("low"))
    make_ticket(title="Критический", team=team, priority=priority("critical"))
    make_ticket(title="Обычный", team=team)
    # when
    response = agent_client.get("/tickets/?view=all&sort=priority")
    # then
    assert [t.title for t in response.context["tickets"]] == ["Критический", "Обычный", "Низкий"]


def test_the_system_views(agent_client, agent, team):
    # given
    make_ticket(title="Моя", team=team, assignee=agent)
    make_ticket(title="Ничья в команде", team=team)
    make_ticket(title="Без команды")
    done = make_ticket(title="Закрытая", team=team)
    ticket_set_status(ticket=done, actor=agent, status=status("closed"))

    def titles(view: str) -> list[str]:
        return sorted(t.title for t in agent_client.get(f"/tickets/?view={view}").context["tickets"])

    # when / then
    assert titles("mine") == ["Моя"]
    assert titles("unassigned") == ["Без команды", "Ничья в команде"]  # no team yet: theirs to triage too
    assert titles("all_open") == ["Без команды", "Моя", "Ничья в команде"]
    assert titles("all") == ["Без команды", "Закрытая", "Моя", "Ничья в команде"]


def test_someone_elses_private_view_falls_back_to_all_open(login, agent, other_agent, team):
    # given
    private = SavedView.objects.create(owner=agent, name="Мой", filters={})
    # when
    response = login(other_agent).get(f"/tickets/?view={private.pk}")
    # then
    assert response.context["view_key"] == "all_open"
    assert response.context["view_title"] == "All open"


def test_the_delete_button_shows_only_to_the_owner_of_a_shared_view(login, agent, other_agent):
    # given
    shared = SavedView.objects.create(owner=agent, name="Общий", filters={}, is_shared=True)
    # when
    for_owner = login(agent).get(f"/tickets/filters/?view={shared.pk}").content.decode()
    for_colleague = login(other_agent).get(f"/tickets/filters/?view={shared.pk}").content.decode()
    # then
    assert "Delete this view" in for_owner
    assert "Delete this view" not in for_colleague


def test_the_filter_panel_loads_when_opened_and_keeps_the_current_filters(agent_client, agent, team):
    # given: a queue without filters in the address does not render the panel's lists
    page = agent_client.get("/tickets/?view=all_open").content.decode()
    # when the agent opens the panel
    panel = agent_client.get(f"/tickets/filters/?view=all_open&team={team.pk}")
    # then
    assert 'name="assignee"' not in page.split('id="bulk-form"')[0]
    assert "/tickets/filters/?view=all_open" in page
    assert panel.status_code == 200
    assert f'<option value="{team.pk}" selected>' in panel.content.decode()
    assert f'<option value="{agent.pk}">' in panel.content.decode()


def test_filters_in_the_address_open_the_panel_at_once(agent_client, team):
    # when
    page = agent_client.get(f"/tickets/?view=all_open&team={team.pk}").content.decode()
    # then
    assert f'<option value="{team.pk}" selected>' in page


def test_filter_choices_of_reference_rows_clean_from_the_snapshot(team, other_team, django_assert_num_queries):
    # given the snapshot loaded
    from django.http import QueryDict

    from tickets.forms import QueueFilterForm

    reference()
    # when / then: known ids clean to the snapshot's rows without a query
    form = QueueFilterForm(QueryDict(f"team={other_team.pk}&team={team.pk}&priority={priority('high').pk}"))
    with django_assert_num_queries(0):
        assert form.is_valid()
    assert [t.pk for t in form.cleaned_data["team"]] == sorted([team.pk, other_team.pk])
    assert [p.code for p in form.cleaned_data["priority"]] == ["high"]
    # an id the snapshot does not hold, or not written as an id, is checked by the database and refused
    for value in ("999999", "0" + str(team.pk), "x"):
        form = QueueFilterForm(QueryDict(f"team={value}"))
        assert not form.is_valid()
        assert "team" in form.errors
