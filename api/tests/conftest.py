"""Fixtures for the API's tests: token-authenticated clients and a two-company world."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.choices import Role
from accounts.models import Team, User
from accounts.services import api_token_get_or_create
from customers.models import Company, Contact, Site
from tests.factories import (
    ClientUserFactory,
    CompanyFactory,
    ContactFactory,
    SiteFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
)
from tickets.models import Ticket


@pytest.fixture(autouse=True)
def _api_urls(settings):
    settings.ROOT_URLCONF = "api.tests.urls"


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def api_as() -> Callable[[User], APIClient]:
    """An API client that sends `Authorization: Token <token>` for `user` (and asks for English,
    so that messages can be compared: without Accept-Language the server answers in Russian)."""

    def make(user: User) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_get_or_create(user=user).key}")
        return client

    return make


@dataclass
class World:
    company_a: Company
    company_b: Company
    contact_a: Contact
    contact_b: Contact
    site_a: Site
    site_b: Site
    team: Team
    other_team: Team
    admin: User
    agent: User
    contractor: User
    client_a: User
    client_b: User
    ticket_a: Ticket
    ticket_b: Ticket


@pytest.fixture
def world(db) -> World:
    """Two client companies, each with a contact who logs in, a site and a ticket; an agent in
    the team that handles company A's ticket, an administrator and a contractor."""
    company_a = CompanyFactory(name="ООО Ромашка", notes="Платят с задержкой")
    company_b = CompanyFactory(name="АО Василёк")
    contact_a = ContactFactory(company=company_a, full_name="Анна Петрова", email="anna@romashka.test")
    contact_b = ContactFactory(company=company_b, full_name="Борис Сидоров", email="boris@vasilek.test")
    site_a = SiteFactory(company=company_a, name="Склад на Ленина")
    site_b = SiteFactory(company=company_b, name="Офис на Мира")
    team = TeamFactory(code="service", name_ru="Сервис", name_en="Service")
    other_team = TeamFactory(code="install", name_ru="Монтаж", name_en="Installation")
    agent = UserFactory(email="agent@otklik.test", full_name="Ирина Агентова", role=Role.AGENT)
    team.members.add(agent)
    world = World(
        company_a=company_a,
        company_b=company_b,
        contact_a=contact_a,
        contact_b=contact_b,
        site_a=site_a,
        site_b=site_b,
        team=team,
        other_team=other_team,
        admin=UserFactory(email="admin@otklik.test", full_name="Админ Главный", role=Role.ADMIN),
        agent=agent,
        contractor=UserFactory(email="contractor@otklik.test", full_name="Подрядчик Пётр", role=Role.CONTRACTOR),
        client_a=ClientUserFactory(email="anna@romashka.test", full_name="Анна Петрова", contact=contact_a),
        client_b=ClientUserFactory(email="boris@vasilek.test", full_name="Борис Сидоров", contact=contact_b),
        ticket_a=make_ticket(
            title="Не работает кондиционер", contact=contact_a, site=site_a, team=team, channel="email"
        ),
        ticket_b=make_ticket(title="Протекает крыша", contact=contact_b, site=site_b, team=other_team, channel="phone"),
    )
    return world


@pytest.fixture
def huey_immediate():
    """Run Huey tasks in-process (in-memory storage) for the test, then put the queue back."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = previous
