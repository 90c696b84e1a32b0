import pytest
from django.test import Client
from huey.contrib.djhuey import HUEY

from accounts.choices import Role
from tests.factories import (
    ClientUserFactory,
    CompanyFactory,
    ContactFactory,
    EquipmentKindFactory,
    SiteFactory,
    UserFactory,
)


@pytest.fixture
def login(db):
    def make(user):
        browser = Client(headers={"Accept-Language": "en"})
        browser.force_login(user)
        return browser

    return make


@pytest.fixture
def admin(db):
    return UserFactory(email="admin@otklik.test", full_name="Алла Админова", role=Role.ADMIN, language="en")


@pytest.fixture
def supervisor(db):
    return UserFactory(email="super@otklik.test", full_name="Семён Старший", role=Role.SUPERVISOR, language="en")


@pytest.fixture
def agent(db):
    return UserFactory(email="agent@otklik.test", full_name="Анна Диспетчер", role=Role.AGENT, language="en")


@pytest.fixture
def client_user(db):
    company = CompanyFactory(name="ООО Клиент")
    return ClientUserFactory(
        email="client@client.test", language="en", contact=ContactFactory(company=company, email="client@client.test")
    )


@pytest.fixture
def admin_client(login, admin):
    return login(admin)


@pytest.fixture
def huey_immediate():
    previous = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = previous


@pytest.fixture
def world(db):
    """Two client companies with sites and two equipment kinds, one with parameters."""
    romashka = CompanyFactory(name="ООО Ромашка", inn="7701234567", external_id="1C-001")
    vasilek = CompanyFactory(name="АО Василёк", inn="7809876543")
    EquipmentKindFactory(
        code="split",
        name_ru="Сплит-система",
        name_en="Split system",
        parameters=[
            {"code": "power_kw", "name_ru": "Мощность, кВт", "name_en": "Power, kW", "type": "number"},
            {"code": "freon", "name_ru": "Фреон", "name_en": "Refrigerant", "type": "text"},
            {"code": "inverter", "name_ru": "Инвертор", "name_en": "Inverter", "type": "bool"},
        ],
    )
    EquipmentKindFactory(code="lift", name_ru="Лифт", name_en="Lift")
    return {
        "romashka": romashka,
        "vasilek": vasilek,
        "office": SiteFactory(company=romashka, name="Офис на Ленина", external_id="S-1"),
        "store": SiteFactory(company=romashka, name="Склад"),
        "plant": SiteFactory(company=vasilek, name="Завод"),
    }
