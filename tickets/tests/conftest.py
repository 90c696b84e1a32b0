import pytest
from django.test import Client

from accounts.choices import Role
from tests.factories import ClientUserFactory, CompanyFactory, ContactFactory, TeamFactory, UserFactory


@pytest.fixture
def client():
    """Anonymous visitors ask for English; signed-in staff below are English speakers, so
    assertions on texts hold once Russian catalogues exist."""
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def login(db):
    """A separate signed-in browser per user: `login(user)` returns a Client."""

    def make(user):
        browser = Client(headers={"Accept-Language": "en"})
        browser.force_login(user)
        return browser

    return make


@pytest.fixture
def team(db):
    return TeamFactory(code="service", name_ru="Сервис", name_en="Service")


@pytest.fixture
def other_team(db):
    return TeamFactory(code="electric", name_ru="Электрики", name_en="Electricians")


@pytest.fixture
def agent(team):
    user = UserFactory(email="agent@otklik.test", full_name="Анна Диспетчер", role=Role.AGENT, language="en")
    team.members.add(user)
    return user


@pytest.fixture
def other_agent(team):
    user = UserFactory(email="boris@otklik.test", full_name="Борис Диспетчер", role=Role.AGENT, language="en")
    team.members.add(user)
    return user


@pytest.fixture
def engineer(team):
    user = UserFactory(email="engineer@otklik.test", full_name="Иван Инженер", role=Role.ENGINEER, language="en")
    team.members.add(user)
    return user


@pytest.fixture
def other_engineer(other_team):
    """An engineer of another team: sees none of `team`'s tickets."""
    user = UserFactory(email="electric@otklik.test", full_name="Олег Электрик", role=Role.ENGINEER, language="en")
    other_team.members.add(user)
    return user


@pytest.fixture
def contractor(db):
    return UserFactory(email="contractor@otklik.test", full_name="ИП Подрядчик", role=Role.CONTRACTOR, language="en")


@pytest.fixture
def supervisor(db):
    return UserFactory(
        email="supervisor@otklik.test", full_name="Светлана Старшая", role=Role.SUPERVISOR, language="en"
    )


@pytest.fixture
def admin_user(db):
    return UserFactory(email="admin@otklik.test", full_name="Админ", role=Role.ADMIN, language="en")


@pytest.fixture
def company(db):
    return CompanyFactory(name="ООО Ромашка")


@pytest.fixture
def other_company(db):
    return CompanyFactory(name="АО Василёк")


@pytest.fixture
def contact(company):
    return ContactFactory(
        company=company, full_name="Пётр Иванов", email="petr@romashka.test", phone="+7 912 345-67-89"
    )


@pytest.fixture
def colleague(company):
    """Another contact of the same company."""
    return ContactFactory(company=company, full_name="Мария Сидорова", email="maria@romashka.test")


@pytest.fixture
def client_user(contact):
    return ClientUserFactory(email="petr@romashka.test", full_name="Пётр Иванов", contact=contact, language="en")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def admin_client(login, admin_user):
    return login(admin_user)
