import pytest
from django.test import Client

from accounts.choices import Role
from tests.factories import ClientUserFactory, CompanyFactory, ContactFactory, SiteFactory, UserFactory


@pytest.fixture
def client():
    """Anonymous visitors ask for English, so assertions on texts hold whatever ran before."""
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def login(db):
    """A separate signed-in browser per user: `login(user)` returns a Client (English UI)."""

    def make(user):
        browser = Client(headers={"Accept-Language": "en"})
        browser.force_login(user)
        return browser

    return make


@pytest.fixture
def agent(db):
    return UserFactory(role=Role.AGENT, full_name="Анна Диспетчер", language="en")


@pytest.fixture
def agent_client(login, agent):
    return login(agent)


@pytest.fixture
def company(db):
    return CompanyFactory(name="ООО Альфа")


@pytest.fixture
def site(company):
    return SiteFactory(company=company, name="Бизнес-центр «Север»")


@pytest.fixture
def client_user(company):
    return ClientUserFactory(
        email="anna@alfa.test", language="en", contact=ContactFactory(company=company, email="anna@alfa.test")
    )
