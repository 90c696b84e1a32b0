import pytest

from accounts.choices import Role
from tests.factories import ClientUserFactory, CompanyFactory, ContactFactory, TeamFactory, UserFactory


@pytest.fixture
def team(db):
    return TeamFactory(code="service", name_ru="Сервис", name_en="Service")


@pytest.fixture
def other_team(db):
    return TeamFactory(code="electric", name_ru="Электрики", name_en="Electricians")


@pytest.fixture
def agent(team):
    user = UserFactory(email="agent@otklik.test", full_name="Анна Диспетчер", role=Role.AGENT)
    team.members.add(user)
    return user


@pytest.fixture
def admin_user(db):
    return UserFactory(email="admin@otklik.test", full_name="Админ", role=Role.ADMIN)


@pytest.fixture
def company(db):
    return CompanyFactory(name="ООО Ромашка")


@pytest.fixture
def contact(company):
    return ContactFactory(company=company, full_name="Пётр Иванов", email="petr@romashka.test", phone="+7 912 345-67-89")


@pytest.fixture
def client_user(contact):
    return ClientUserFactory(email="petr@romashka.test", full_name="Пётр Иванов", contact=contact)


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client
