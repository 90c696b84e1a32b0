import pytest
from django.test import Client

from accounts.choices import Role
from tests.factories import ClientUserFactory, ContactFactory, UserFactory

PASSWORD = "pass-Word-123"


@pytest.fixture
def client():
    """Anonymous visitors ask for English, so assertions on texts hold once Russian catalogues exist."""
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def agent(db):
    return UserFactory(email="agent@otklik.test", full_name="Анна Диспетчер", role=Role.AGENT, language="en")


@pytest.fixture
def russian_agent(db):
    return UserFactory(email="ivan@otklik.test", full_name="Иван Диспетчер", role=Role.AGENT, language="ru")


@pytest.fixture
def client_user(db):
    contact = ContactFactory(full_name="Пётр Иванов", email="petr@romashka.test")
    return ClientUserFactory(email="petr@romashka.test", full_name="Пётр Иванов", contact=contact, language="en")
