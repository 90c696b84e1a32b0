import pytest
from django.test import Client
from huey.contrib.djhuey import HUEY

from accounts.choices import Role
from tests.factories import ClientUserFactory, CompanyFactory, ContactFactory, UserFactory

PASSWORD = "pass-Word-123"


@pytest.fixture
def client():
    """Visitors ask for English, so assertions on texts hold once Russian catalogues exist."""
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def company(db):
    return CompanyFactory(name="ООО Альфа")


@pytest.fixture
def client_user(company):
    return ClientUserFactory(
        email="anna@alfa.test",
        full_name="Анна Петрова",
        language="en",
        contact=ContactFactory(company=company, email="anna@alfa.test", language="en"),
    )


@pytest.fixture
def portal_client(client, client_user):
    client.force_login(client_user)
    return client


@pytest.fixture
def engineer(db):
    return UserFactory(role=Role.ENGINEER, full_name="Пётр Инженеров", email="engineer@otklik.test")


@pytest.fixture
def huey_immediate():
    """Run Huey tasks in-process (in-memory storage) for the test, then put the queue back."""
    previous = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = previous
