"""Every list answers in a fixed number of queries, however many rows the page holds."""

import pytest

from tests.factories import ContactFactory, SiteFactory, UserFactory, make_ticket
from tickets.reference import reference
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
        ("/api/v1/teams/", 3),  # with the on-duty team the automation migrations ship
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

    reference()  # loaded, as in a running server (tickets/reference.py)
    # token + user, the ticket, the page of articles, their attachments
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/v1/tickets/{many.number}/articles/")

    assert len(response.json()["results"]) == 21


def _client_base(world, count):
    """`count` more units (each part of the previous), contracts listing sites, units and services,
    price lists with items, and works on ticket A."""
    from decimal import Decimal

    from contracts.models import PriceList, PriceListItem, TicketWork
    from tests.factories import ContractFactory, EquipmentFactory, ServiceCategoryFactory

    parent = None
    for i in range(count):
        parent = EquipmentFactory(site=world.site_a, parent=parent)
        ContractFactory(
            company=world.company_a,
            sites=[world.site_a],
            equipment=[parent],
            services=[ServiceCategoryFactory(code=f"svc{parent.pk}")],
        )
        price_list = PriceList.objects.create(name=f"Прайс {parent.pk}")
        PriceListItem.objects.create(price_list=price_list, name="Выезд", price=Decimal("500"))
        PriceListItem.objects.create(price_list=price_list, name="Час работы", price=Decimal("1500"))
        TicketWork.objects.create(ticket=world.ticket_a, name=f"Работа {i}", hours=1, performed_by=world.agent)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/equipment/",
        "/api/v1/contracts/",
        "/api/v1/price-lists/",
        "/api/v1/company-categories/",
        "/api/v1/equipment-kinds/",
        "works",
    ],
)
def test_client_base_lists_do_not_grow_with_rows(world, api_as, django_assert_num_queries, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if url == "works":
        url = f"/api/v1/tickets/{world.ticket_a.number}/works/"
    client = api_as(world.admin)
    _client_base(world, 2)
    reference()  # loaded, as in a running server (tickets/reference.py)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _client_base(world, 20)
    reference()

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)

    assert response.status_code == 200
    # token + user, (the ticket,) the page, at most three prefetches (a contract's sites, units and services)
    assert len(few.captured_queries) <= 5
