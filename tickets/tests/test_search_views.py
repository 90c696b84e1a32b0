"""Search: Russian and English morphology, visibility, jumping to a ticket by number."""

import pytest

from tests.factories import make_ticket
from tickets.selectors import ticket_search_for_user
from tickets.services import article_create, ticket_update


def _found(response) -> list[str]:
    return [t.title for t in response.context["tickets"]]


def test_russian_word_forms_find_each_other(agent_client, team):
    # given
    make_ticket(title="Лифт застрял", description="Между вторым и третьим этажом", team=team)
    make_ticket(title="Нет света", description="Во всём здании", team=team)
    # when
    response = agent_client.get("/tickets/search/", {"q": "лифты"})
    # then
    assert response.status_code == 200
    assert _found(response) == ["Лифт застрял"]


def test_english_word_forms_find_each_other(agent_client, team):
    # given
    make_ticket(title="elevator stuck", description="between floors", team=team)
    make_ticket(title="no light", description="in the whole building", team=team)
    # when
    response = agent_client.get("/tickets/search/", {"q": "elevators"})
    # then
    assert _found(response) == ["elevator stuck"]


def test_search_reads_the_conversation_and_the_contact(agent, team, contact):
    # given
    ticket = make_ticket(title="Заявка", description="Без подробностей", team=team, contact=contact)
    article_create(ticket=ticket, author=agent, body="Заменили компрессор")
    # when / then
    assert [t.pk for t in ticket_search_for_user(user=agent, query="компрессоры")] == [ticket.pk]
    assert [t.pk for t in ticket_search_for_user(user=agent, query="Иванов")] == [ticket.pk]
    assert [t.pk for t in ticket_search_for_user(user=agent, query="petr@romashka.test")] == [ticket.pk]
    assert [t.pk for t in ticket_search_for_user(user=agent, query="Ромашка")] == [ticket.pk]


def test_search_follows_a_changed_title(agent, team):
    # given
    ticket = make_ticket(title="Протечка", description="Капает с потолка", team=team)
    # when
    ticket_update(ticket=ticket, actor=agent, title="Засор канализации")
    # then
    assert ticket_search_for_user(user=agent, query="протечка") == []
    assert [t.pk for t in ticket_search_for_user(user=agent, query="засор")] == [ticket.pk]


def test_search_never_shows_another_teams_ticket(login, engineer, team, other_team):
    # given
    make_ticket(title="Лифт застрял в нашем офисе", team=team)
    make_ticket(title="Лифт застрял на складе", team=other_team)
    # when
    response = login(engineer).get("/tickets/search/", {"q": "лифт"})
    # then
    assert _found(response) == ["Лифт застрял в нашем офисе"]


def test_search_for_a_contractor_shows_only_assigned_tickets(login, contractor):
    # given
    make_ticket(title="Лифт застрял в офисе", assignee=contractor)
    make_ticket(title="Лифт застрял на складе")
    # when
    response = login(contractor).get("/tickets/search/", {"q": "лифт"})
    # then
    assert _found(response) == ["Лифт застрял в офисе"]


@pytest.mark.parametrize("query", ["#{n}", "{n}", "№{n}", "# {n}"])
def test_a_ticket_number_goes_to_the_ticket(agent_client, team, query):
    # given
    ticket = make_ticket(title="Лифт", team=team)
    # when
    response = agent_client.get("/tickets/search/", {"q": query.format(n=ticket.number)})
    # then
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/"


def test_a_number_of_a_hidden_ticket_finds_nothing(login, engineer, other_team):
    # given
    hidden = make_ticket(title="Чужая", team=other_team)
    # when
    response = login(engineer).get("/tickets/search/", {"q": f"#{hidden.number}"})
    # then
    assert response.status_code == 200
    assert _found(response) == []


def test_search_finds_contacts_and_companies(agent_client, contact, company):
    # when
    response = agent_client.get("/tickets/search/", {"q": "ромашка"})
    by_phone = agent_client.get("/tickets/search/", {"q": "912 345"})
    # then
    assert [c.name for c in response.context["companies"]] == ["ООО Ромашка"]
    assert [c.full_name for c in by_phone.context["contacts"]] == ["Пётр Иванов"]


@pytest.mark.parametrize("query", ["", "   ", '"', "*", "AND", "-", "'; DROP TABLE x; --", "лифт OR"])
def test_odd_queries_do_not_break_search(agent_client, team, query):
    # given
    make_ticket(title="Лифт", team=team)
    # when
    response = agent_client.get("/tickets/search/", {"q": query})
    # then
    assert response.status_code == 200
