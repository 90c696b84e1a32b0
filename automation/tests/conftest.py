import pytest
from django.test import Client

from accounts.choices import Role
from tests.factories import TeamFactory, UserFactory


@pytest.fixture
def login(db):
    def make(user):
        browser = Client(headers={"Accept-Language": "en"})
        browser.force_login(user)
        return browser

    return make


@pytest.fixture
def team(db):
    return TeamFactory(code="service", name_ru="Сервис", name_en="Service")


@pytest.fixture
def engineers(team):
    """Three engineers of the team, in id order: Анна, Борис, Вера (Moscow time)."""
    people = [
        UserFactory(email=f"{name}@otklik.test", full_name=full, role=Role.ENGINEER, time_zone="Europe/Moscow")
        for name, full in (("anna", "Анна Инженер"), ("boris", "Борис Инженер"), ("vera", "Вера Инженер"))
    ]
    team.members.add(*people)
    return people


@pytest.fixture
def supervisor(db):
    return UserFactory(email="sup@otklik.test", full_name="Светлана Старшая", role=Role.SUPERVISOR, language="en")


@pytest.fixture
def admin(db):
    return UserFactory(email="admin@otklik.test", full_name="Админ", role=Role.ADMIN, language="en")
