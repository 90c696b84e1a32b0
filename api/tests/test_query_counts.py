"""Every list answers in a fixed number of queries, however many rows the page holds."""

import pytest

from tests.factories import ContactFactory, SiteFactory, UserFactory, make_ticket
from tickets.services import article_create


@pytest.fixture
def many(world):
    for i in range(20):
        ContactFactory(company=world.company_a, phone=f"+7 900 000-00-{i:02d}")
        SiteFactory(company=world.company_a)
        user = UserFactory()
        world.team.members.add(user)
    ticket = make_ticket(title="Переписка", contact=world.contact_a, team=world.team)
    for i in range(20):
        article_create(ticket=ticket, author=world.agent, body=f"Ответ {i}", attachments=[])
    return ticket


@pytest.mark.parametrize(
    ("url", "rows"),
    [
        ("/api/v1/companies/", 2),
        ("/api/v1/contacts/", 22),
        ("/api/v1/sites/", 22),
        ("/api/v1/users/", 25),
        ("/api/v1/teams/", 2),
        ("/api/v1/tags/", 0),
    ],
)
def test_lists_run_a_fixed_number_of_queries(world, many, api_as, django_assert_max_num_queries, url, rows):
    client = api_as(world.admin)

    # token + user, the page, at most two prefetches
    with django_assert_max_num_queries(4):
        response = client.get(url)

    body = response.json()
    assert len(body["results"] if isinstance(body, dict) else body) == rows


def test_conversation_runs_a_fixed_number_of_queries(world, many, api_as, django_assert_max_num_queries):
    client = api_as(world.admin)

    # token + user, the ticket, the page of articles, their attachments
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/v1/tickets/{many.number}/articles/")

    assert len(response.json()["results"]) == 21
