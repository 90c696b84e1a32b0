import pytest
from django.test import Client

from accounts.choices import Role
from tests.factories import ClientUserFactory, CompanyFactory, ContactFactory, TeamFactory, UserFactory


@pytest.fixture
def login(db):
    """A separate signed-in browser per user: `login(user)` returns a Client."""

    def make(user):
        browser = Client(headers={"Accept-Language": "en"})
        browser.force_login(user)
        return browser

    return make


@pytest.fixture
def agent(db):
    user = UserFactory(email="agent@otklik.test", full_name="Анна Диспетчер", role=Role.AGENT, language="en")
    TeamFactory(code="service").members.add(user)
    return user


@pytest.fixture
def engineer(db):
    return UserFactory(email="engineer@otklik.test", full_name="Иван Инженер", role=Role.ENGINEER, language="en")


@pytest.fixture
def contractor(db):
    return UserFactory(email="contractor@otklik.test", full_name="ИП Подрядчик", role=Role.CONTRACTOR, language="en")


@pytest.fixture
def agent_client(login, agent):
    return login(agent)


@pytest.fixture
def company(db):
    return CompanyFactory(name="ООО Ромашка", inn="7701234567", legal_name="Общество Ромашка")


@pytest.fixture
def other_company(db):
    return CompanyFactory(name="АО Василёк")


@pytest.fixture
def contact(company):
    return ContactFactory(
        company=company, full_name="Пётр Иванов", email="petr@romashka.test", phone="+7 912 345-67-89"
    )


@pytest.fixture
def client_user(contact):
    return ClientUserFactory(email="petr@romashka.test", full_name="Пётр Иванов", contact=contact, language="en")
