"""Who may see which tickets, and the queue filters."""

import contextlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from tests.factories import ClientUserFactory, ContactFactory, SiteFactory, make_ticket, priority, status
from tickets.choices import ArticleKind, Channel, Sort, StatusCategory
from tickets.models import Ticket
from tickets.selectors import (
    TicketFilters,
    article_list_for_user,
    event_list_for_ticket,
    ticket_get_by_id_for_user,
    ticket_get_for_page,
    ticket_get_for_user,
    ticket_list_for_user,
    ticket_live_state,
)
from tickets.services import article_create, ticket_set_status


def _titles(user, filters=None) -> list[str]:
    return sorted(ticket_list_for_user(user=user, filters=filters).values_list("title", flat=True))


@pytest.fixture
def landscape(team, other_team, agent, engineer, contractor, contact, colleague):
    """One ticket per way of being related to a ticket."""
    make_ticket(title="team", team=team, contact=contact)
    make_ticket(title="other team", team=other_team, contact=colleague)
    make_ticket(title="no team", contact=contact)
    make_ticket(title="other team, assigned to agent", team=other_team, assignee=agent)
    make_ticket(title="other team, assigned to engineer", team=other_team, assignee=engineer)
    make_ticket(title="other team, observed by agent", team=other_team, observers=[agent])
    make_ticket(title="other team, observed by engineer", team=other_team, observers=[engineer])
    make_ticket(title="no team, assigned to contractor", assignee=contractor)
    return Ticket.objects.count()


def test_admin_and_supervisor_see_everything(landscape, admin_user, supervisor):
    # when
    seen_by_admin = ticket_list_for_user(user=admin_user).count()
    seen_by_supervisor = ticket_list_for_user(user=supervisor).count()
    # then
    assert seen_by_admin == landscape == 8
    assert seen_by_supervisor == 8


def test_an_agent_sees_own_teams_unrouted_assigned_and_observed(landscape, agent):
    # when
    titles = _titles(agent)
    # then
    assert titles == [
        "no team",
        "no team, assigned to contractor",
        "other team, assigned to agent",
        "other team, observed by agent",
        "team",
    ]


def test_an_engineer_sees_own_teams_assigned_and_observed_but_not_unrouted(landscape, engineer):
    # when
    titles = _titles(engineer)
    # then
    assert titles == ["other team, assigned to engineer", "other team, observed by engineer", "team"]


def test_a_contractor_sees_only_assigned_tickets(landscape, contractor):
    # when
    titles = _titles(contractor)
    # then
    assert titles == ["no team, assigned to contractor"]


def test_a_client_sees_own_contacts_tickets(landscape, client_user):
    # when
    titles = _titles(client_user)
    # then
    assert titles == ["no team", "team"]


def test_a_client_sees_the_companys_tickets_when_the_company_allows(landscape, client_user, company):
    # given
    company.portal_contacts_see_all_tickets = True
    company.save()
    client_user.refresh_from_db()
    # when
    titles = _titles(client_user)
    # then
    assert titles == ["no team", "other team", "team"]


def test_a_client_never_sees_another_companys_tickets(landscape, other_company):
    # given
    other_company.portal_contacts_see_all_tickets = True
    other_company.save()
    stranger = ClientUserFactory(contact=ContactFactory(company=other_company))
    # when
    titles = _titles(stranger)
    # then
    assert titles == []


@pytest.mark.parametrize("role_fixture", ["admin_user", "agent", "client_user"])
def test_an_inactive_user_sees_nothing(landscape, request, role_fixture):
    # given
    user = request.getfixturevalue(role_fixture)
    user.is_active = False
    user.save()
    # when
    titles = _titles(user)
    # then
    assert titles == []


def test_getting_a_ticket_one_cannot_see_is_404(team, other_team, engineer):
    # given
    hidden = make_ticket(team=other_team)
    visible = make_ticket(team=team)
    # when
    found = ticket_get_for_user(user=engineer, number=visible.number)
    # then
    assert found == visible
    with pytest.raises(Http404):
        ticket_get_for_user(user=engineer, number=hidden.number)
    with pytest.raises(Http404):
        ticket_get_by_id_for_user(user=engineer, ticket_id=hidden.pk)
    with pytest.raises(Http404):
        ticket_get_by_id_for_user(user=engineer, ticket_id="abc")


@pytest.mark.parametrize(
    "role_fixture",
    ["admin_user", "supervisor", "agent", "engineer", "contractor", "client_user", "inactive_agent", "company_client"],
)
def test_the_page_read_admits_exactly_the_listed_tickets(landscape, request, role_fixture, company):
    # given: every way of being related to a ticket, and a viewer of each role
    if role_fixture == "inactive_agent":
        user = request.getfixturevalue("agent")
        user.is_active = False
        user.save()
    elif role_fixture == "company_client":
        company.portal_contacts_see_all_tickets = True
        company.save()
        user = request.getfixturevalue("client_user")
    else:
        user = request.getfixturevalue(role_fixture)
    listed = set(ticket_list_for_user(user=user).values_list("number", flat=True))
    # when: each ticket asked for through the page's hand-written read (its rule compiled once)
    read, polled = set(), set()
    for number in Ticket.objects.values_list("number", flat=True):
        with contextlib.suppress(Http404):
            polled.add(ticket_live_state(user=user, number=number)[0].number)
        try:
            ticket = ticket_get_for_page(user=user, number=number)
        except Http404:
            continue
        read.add(ticket.number)
    # then: the page's read and its poll's admit the same tickets as the list
    assert read == polled == listed
    assert (len(listed) > 0) is (role_fixture != "inactive_agent")


def test_the_page_read_gives_the_ticket_with_its_client_side_rows(admin_user, contact, company):
    # given
    site = SiteFactory(company=company, name="Склад", address="ул. Ленина, 1")
    ticket = make_ticket(title="Протечка", contact=contact, company=company, site=site)
    # when
    page = ticket_get_for_page(user=admin_user, number=ticket.number)
    # then: the columns the ORM reads, the related rows the page shows, no query for them
    expected = Ticket.objects.get(pk=ticket.pk)
    assert {f.attname: getattr(page, f.attname) for f in Ticket._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in Ticket._meta.concrete_fields
    }
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        shown = (page.company.name, page.contact.full_name, page.site.name, page.site.address, page.equipment)
        reference = (page.status.name, page.priority.name)
    assert shown == (company.name, contact.full_name, "Склад", "ул. Ленина, 1", None)
    assert reference == (expected.status.name, expected.priority.name)
    assert len(queries) == 0
    with pytest.raises(Http404):
        ticket_get_for_page(user=admin_user, number=ticket.number + 1000)


def test_a_client_never_sees_internal_notes_or_history(agent, client_user, contact):
    # given
    ticket = make_ticket(contact=contact)
    article_create(ticket=ticket, author=agent, body="Клиент должен за прошлый месяц", kind=ArticleKind.NOTE)
    article_create(ticket=ticket, author=agent, body="Мастер приедет завтра")
    # when
    client_bodies = [a.body for a in article_list_for_user(user=client_user, ticket=ticket)]
    agent_bodies = [a.body for a in article_list_for_user(user=agent, ticket=ticket)]
    # then
    assert client_bodies == ["В переговорной жарко, кондиционер не включается.", "Мастер приедет завтра"]
    assert agent_bodies == [
        "В переговорной жарко, кондиционер не включается.",
        "Клиент должен за прошлый месяц",
        "Мастер приедет завтра",
    ]
    assert list(event_list_for_ticket(user=client_user, ticket=ticket)) == []
    assert len(event_list_for_ticket(user=agent, ticket=ticket)) == 3


# filters


def test_filter_by_status_and_status_group(admin_user):
    # given
    make_ticket(title="new")
    pending = make_ticket(title="pending")
    ticket_set_status(ticket=pending, actor=admin_user, status=status("waiting_client"))
    closed = make_ticket(title="closed")
    ticket_set_status(ticket=closed, actor=admin_user, status=status("closed"))
    # when / then
    assert _titles(admin_user, TicketFilters(status_ids=[status("closed").pk])) == ["closed"]
    assert _titles(admin_user, TicketFilters(status_categories=[StatusCategory.PENDING])) == ["pending"]
    assert _titles(admin_user, TicketFilters(open_only=True)) == ["new", "pending"]


def test_filter_by_priority_team_assignee_and_company(admin_user, team, other_team, engineer, contact, company):
    # given
    make_ticket(title="urgent", priority=priority("critical"))
    make_ticket(title="team", team=team)
    make_ticket(title="other team", team=other_team)
    make_ticket(title="assigned", assignee=engineer)
    make_ticket(title="company", contact=contact)
    # when / then
    assert _titles(admin_user, TicketFilters(priority_ids=[priority("critical").pk])) == ["urgent"]
    assert _titles(admin_user, TicketFilters(team_ids=[team.pk, other_team.pk])) == ["other team", "team"]
    assert _titles(admin_user, TicketFilters(assignee_ids=[engineer.pk])) == ["assigned"]
    assert _titles(admin_user, TicketFilters(company_ids=[company.pk])) == ["company"]
    assert _titles(admin_user, TicketFilters(contact_ids=[contact.pk])) == ["company"]
    assert len(_titles(admin_user, TicketFilters(unassigned=True))) == 4


def test_filter_by_my_teams(agent, team, other_team):
    # given
    make_ticket(title="mine", team=team)
    make_ticket(title="unrouted")
    # when
    titles = _titles(agent, TicketFilters(my_teams=True))
    # then
    assert titles == ["mine"]
    # and with the tickets no team has yet (the "unassigned" view: theirs to triage)
    assert sorted(_titles(agent, TicketFilters(my_teams=True, no_team_too=True))) == ["mine", "unrouted"]


def test_filter_by_tag_channel_and_site(admin_user, company):
    # given
    site = SiteFactory(company=company)
    make_ticket(title="lift", tags=["лифт", "срочно"])
    make_ticket(title="light", tags=["свет"])
    make_ticket(title="email", channel=Channel.EMAIL)
    make_ticket(title="on site", site=site)
    # when / then
    assert _titles(admin_user, TicketFilters(tags=["лифт"])) == ["lift"]
    assert _titles(admin_user, TicketFilters(tags=["лифт", "свет"])) == ["lift", "light"]
    assert _titles(admin_user, TicketFilters(channels=[Channel.EMAIL])) == ["email"]
    assert _titles(admin_user, TicketFilters(site_ids=[site.pk])) == ["on site"]


def test_filter_by_creation_dates_in_the_viewers_time_zone(admin_user):
    # given: Moscow is UTC+3, so 22:30 UTC on the 9th is already the 10th in Moscow
    def created(title: str, moment: datetime) -> None:
        ticket = make_ticket(title=title)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=moment)

    created("9th", datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    created("10th early", datetime(2026, 3, 9, 22, 30, tzinfo=UTC))
    created("10th late", datetime(2026, 3, 10, 20, 0, tzinfo=UTC))
    created("11th", datetime(2026, 3, 10, 21, 30, tzinfo=UTC))
    # when
    with timezone.override("Europe/Moscow"):
        titles = _titles(admin_user, TicketFilters(created_from=date(2026, 3, 10), created_to=date(2026, 3, 10)))
        from_10th = _titles(admin_user, TicketFilters(created_from=date(2026, 3, 10)))
    # then
    assert titles == ["10th early", "10th late"]
    assert from_10th == ["10th early", "10th late", "11th"]


def test_sorting(admin_user):
    # given
    now = timezone.now()
    for title, code, age in [("a", "low", 1), ("b", "critical", 3), ("c", "normal", 2), ("d", "critical", 0)]:
        ticket = make_ticket(title=title, priority=priority(code))
        Ticket.objects.filter(pk=ticket.pk).update(
            updated_at=now - timedelta(hours=age), created_at=now - timedelta(hours=10 - age)
        )

    def order(sort: str) -> list[str]:
        return list(
            ticket_list_for_user(user=admin_user, filters=TicketFilters(sort=sort)).values_list("title", flat=True)
        )

    # when / then
    assert order(Sort.UPDATED_DESC) == ["d", "a", "c", "b"]
    assert order(Sort.UPDATED_ASC) == ["b", "c", "a", "d"]
    assert order(Sort.CREATED_DESC) == ["b", "c", "a", "d"]
    assert order(Sort.CREATED_ASC) == ["d", "a", "c", "b"]
    assert order(Sort.PRIORITY) == ["d", "b", "c", "a"]
    assert order("nonsense") == ["d", "a", "c", "b"]


def test_the_poll_reads_the_newest_event_of_the_ticket(agent, team):
    # given: two tickets with events, the second changed last
    first, second = make_ticket(team=team), make_ticket(team=team)
    ticket_set_status(ticket=first, actor=agent, status=status("open"))
    newest_of_first = first.events.order_by("-id").first().pk
    ticket_set_status(ticket=second, actor=agent, status=status("open"))
    # when
    ticket, latest = ticket_live_state(user=agent, number=first.number)
    # then
    assert (ticket.pk, ticket.number, latest) == (first.pk, first.number, newest_of_first)
