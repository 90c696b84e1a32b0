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


# As in channels/tests/conftest.py (a candidate for the root conftest): the migrations' reference
# data for several transactional tests in one module, which serialized_rollback cannot do.
@pytest.fixture(scope="module")
def migration_data_of_module(django_db_blocker):
    from django.db import connection

    with django_db_blocker.unblock():
        contents = connection.creation.serialize_db_to_string()
    yield contents
    with django_db_blocker.unblock():
        connection.creation.deserialize_db_from_string(contents)


@pytest.fixture
def migration_data(migration_data_of_module, transactional_db):
    from django.core import serializers
    from django.db import transaction

    skipped = {"contenttypes.contenttype", "auth.permission"}
    with transaction.atomic():
        for item in serializers.deserialize("json", migration_data_of_module):
            if item.object._meta.label_lower not in skipped:
                item.save()
