from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import Company, CompanyCategory, Contact, Site
from tests.factories import CompanyFactory, ContactFactory, SiteFactory


def names(response, key="name"):
    return [row[key] for row in response.json()["results"]]


# Companies


def test_staff_list_companies_with_internal_notes(world, api_as):
    response = api_as(world.agent).get("/api/v1/companies/")

    assert response.status_code == 200
    assert names(response) == ["АО Василёк", "ООО Ромашка"]
    romashka = response.json()["results"][1]
    assert romashka == {
        "id": world.company_a.pk,
        "name": "ООО Ромашка",
        "legal_name": "",
        "inn": "",
        "kpp": "",
        "category": None,
        "external_id": "",
        "account_manager": None,
        "email_domains": "",
        "phone": "",
        "notes": "Платят с задержкой",
        "portal_contacts_see_all_tickets": False,
        "portal_qr_requires_login": True,
        "is_active": True,
        "created_at": romashka["created_at"],
        "updated_at": romashka["updated_at"],
    }


def test_client_sees_only_their_company_without_notes(world, api_as):
    client = api_as(world.client_a)

    listed = client.get("/api/v1/companies/")
    own = client.get(f"/api/v1/companies/{world.company_a.pk}/")

    assert names(listed) == ["ООО Ромашка"]
    assert own.status_code == 200
    assert "notes" not in own.json()
    assert "notes" not in listed.json()["results"][0]


def test_company_search_ignores_case_in_cyrillic(world, api_as):
    client = api_as(world.admin)

    assert names(client.get("/api/v1/companies/", {"search": "ромашка"})) == ["ООО Ромашка"]
    assert names(client.get("/api/v1/companies/", {"search": "ВАСИЛЁК"})) == ["АО Василёк"]
    assert names(client.get("/api/v1/companies/", {"search": "Василёк"})) == ["АО Василёк"]


def test_company_updated_since(world, api_as):
    Company.objects.filter(pk=world.company_b.pk).update(updated_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).isoformat()

    response = api_as(world.admin).get("/api/v1/companies/", {"updated_since": since})

    assert names(response) == ["ООО Ромашка"]


def test_staff_create_and_change_a_company(world, api_as):
    client = api_as(world.agent)

    created = client.post("/api/v1/companies/", {"name": " ИП Лютиков ", "inn": "7701234567"}, format="json")
    changed = client.patch(
        f"/api/v1/companies/{created.json()['id']}/", {"phone": "+7 495 000-00-00", "is_active": False}, format="json"
    )

    assert created.status_code == 201, created.json()
    company = Company.objects.get(pk=created.json()["id"])
    assert (company.name, company.inn, company.phone, company.is_active) == (
        "ИП Лютиков",
        "7701234567",
        "+7 495 000-00-00",
        False,
    )
    assert changed.json()["is_active"] is False


def test_company_validation_names_the_field(world, api_as):
    response = api_as(world.agent).post("/api/v1/companies/", {"name": "", "inn": "1" * 13}, format="json")

    assert response.status_code == 400
    assert sorted(response.json()) == ["inn", "name"]


@pytest.mark.parametrize("role_user", ["client_a", "contractor"])
def test_clients_and_contractors_cannot_write_companies(world, api_as, role_user):
    client = api_as(getattr(world, role_user))

    created = client.post("/api/v1/companies/", {"name": "Моя фирма"}, format="json")
    changed = client.patch(f"/api/v1/companies/{world.company_a.pk}/", {"name": "Переименую"}, format="json")

    assert (created.status_code, changed.status_code) == (403, 403)
    assert Company.objects.get(pk=world.company_a.pk).name == "ООО Ромашка"


def test_contractor_sees_no_companies(world, api_as):
    client = api_as(world.contractor)

    assert names(client.get("/api/v1/companies/")) == []
    assert client.get(f"/api/v1/companies/{world.company_a.pk}/").status_code == 404


# Contacts


def test_contact_representation(world, api_as):
    response = api_as(world.agent).get(f"/api/v1/contacts/{world.contact_a.pk}/")

    body = response.json()
    assert body == {
        "id": world.contact_a.pk,
        "company": {"id": world.company_a.pk, "name": "ООО Ромашка"},
        "full_name": "Анна Петрова",
        "position": "",
        "role": "requester",
        "external_id": "",
        "notes": "",
        "language": "ru",
        "is_active": True,
        "emails": ["anna@romashka.test"],
        "phones": [],
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


def test_client_sees_only_themselves_unless_the_company_shares_tickets(world, api_as):
    colleague = ContactFactory(company=world.company_a, full_name="Вера Коллегова")
    client = api_as(world.client_a)

    alone = names(client.get("/api/v1/contacts/"), key="full_name")
    world.company_a.portal_contacts_see_all_tickets = True
    world.company_a.save(update_fields=["portal_contacts_see_all_tickets"])
    shared = names(client.get("/api/v1/contacts/"), key="full_name")

    assert alone == ["Анна Петрова"]
    assert shared == ["Вера Коллегова", "Анна Петрова"]
    assert client.get(f"/api/v1/contacts/{colleague.pk}/").json()["full_name"] == "Вера Коллегова"


def test_contact_filters(world, api_as):
    client = api_as(world.admin)

    assert names(client.get("/api/v1/contacts/", {"company": world.company_b.pk}), "full_name") == ["Борис Сидоров"]
    assert names(client.get("/api/v1/contacts/", {"search": "анна"}), "full_name") == ["Анна Петрова"]


def test_staff_create_and_change_a_contact(world, api_as):
    client = api_as(world.agent)

    created = client.post(
        "/api/v1/contacts/",
        {
            "full_name": "Глеб Новиков",
            "company": world.company_a.pk,
            "emails": ["Gleb@Romashka.test", "gleb2@romashka.test"],
            "phones": ["+7 912 345-67-89"],
            "position": "Завхоз",
            "language": "en",
        },
        format="json",
    )
    changed = client.patch(
        f"/api/v1/contacts/{created.json()['id']}/", {"emails": ["gleb@new.test"], "company": None}, format="json"
    )

    assert created.status_code == 201, created.json()
    assert created.json()["emails"] == ["gleb@romashka.test", "gleb2@romashka.test"]
    assert created.json()["phones"] == ["+7 912 345-67-89"]
    assert created.json()["language"] == "en"
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["emails"], changed.json()["company"]) == (["gleb@new.test"], None)


def test_contact_email_taken_names_the_field(world, api_as):
    response = api_as(world.agent).post(
        "/api/v1/contacts/", {"full_name": "Двойник", "emails": ["anna@romashka.test"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"emails": ["anna@romashka.test already belongs to another contact."]}
    assert not Contact.objects.filter(full_name="Двойник").exists()


def test_client_cannot_create_contacts(world, api_as):
    response = api_as(world.client_a).post("/api/v1/contacts/", {"full_name": "Новый"}, format="json")

    assert response.status_code == 403


# Sites


def test_site_representation_and_client_view(world, api_as):
    world.site_a.notes = "Ключ у охраны"
    world.site_a.save(update_fields=["notes"])

    staff = api_as(world.agent).get(f"/api/v1/sites/{world.site_a.pk}/").json()
    client = api_as(world.client_a).get(f"/api/v1/sites/{world.site_a.pk}/").json()

    assert staff == {
        "id": world.site_a.pk,
        "company": {"id": world.company_a.pk, "name": "ООО Ромашка"},
        "name": "Склад на Ленина",
        "address": "Москва, ул. Ленина, 1",
        "time_zone": "Europe/Moscow",
        "latitude": None,
        "longitude": None,
        "floors": "",
        "access_hours": "",
        "default_team": None,
        "default_engineer": None,
        "external_id": "",
        "notes": "Ключ у охраны",
        "is_active": True,
        "created_at": staff["created_at"],
        "updated_at": staff["updated_at"],
    }
    assert client == {
        key: value for key, value in staff.items() if key not in ("notes", "default_team", "default_engineer")
    }


def test_site_list_filters_and_scope(world, api_as):
    SiteFactory(company=world.company_a, name="Магазин на Тверской")

    assert names(api_as(world.client_a).get("/api/v1/sites/")) == ["Магазин на Тверской", "Склад на Ленина"]
    assert names(api_as(world.admin).get("/api/v1/sites/", {"search": "склад"})) == ["Склад на Ленина"]
    assert names(api_as(world.admin).get("/api/v1/sites/", {"company": world.company_b.pk})) == ["Офис на Мира"]


def test_site_updated_since(world, api_as):
    Site.objects.filter(pk=world.site_a.pk).update(updated_at=timezone.now() - timedelta(days=3))

    response = api_as(world.admin).get(
        "/api/v1/sites/", {"updated_since": (timezone.now() - timedelta(days=1)).isoformat()}
    )

    assert names(response) == ["Офис на Мира"]


def test_staff_create_and_change_a_site(world, api_as):
    client = api_as(world.agent)

    created = client.post(
        "/api/v1/sites/",
        {"company": world.company_b.pk, "name": "Цех №2", "address": "Екатеринбург", "time_zone": "Asia/Yekaterinburg"},
        format="json",
    )
    changed = client.patch(f"/api/v1/sites/{created.json()['id']}/", {"is_active": False}, format="json")

    assert created.status_code == 201, created.json()
    site = Site.objects.get(pk=created.json()["id"])
    assert (site.company, site.name, site.time_zone, site.is_active) == (
        world.company_b,
        "Цех №2",
        "Asia/Yekaterinburg",
        False,
    )
    assert changed.json()["is_active"] is False


def test_site_validation_names_the_field(world, api_as):
    client = api_as(world.agent)

    missing_company = client.post("/api/v1/sites/", {"name": "Где-то"}, format="json")
    bad_zone = client.patch(f"/api/v1/sites/{world.site_a.pk}/", {"time_zone": "Mars/Olympus"}, format="json")

    assert missing_company.json() == {"company": ["This field is required."]}
    assert bad_zone.status_code == 400
    assert bad_zone.json() == {"time_zone": ["Unknown time zone: Mars/Olympus"]}


# Isolation: every id-taking customer endpoint answers 404 to another company's client


def test_another_companys_records_are_404_for_a_client(world, api_as):
    client_b = api_as(world.client_b)
    other_company = CompanyFactory(name="Третья")

    for url in (
        f"/api/v1/companies/{world.company_a.pk}/",
        f"/api/v1/companies/{other_company.pk}/",
        f"/api/v1/contacts/{world.contact_a.pk}/",
        f"/api/v1/sites/{world.site_a.pk}/",
    ):
        assert client_b.get(url).status_code == 404, url
    assert names(client_b.get("/api/v1/sites/", {"company": world.company_a.pk})) == []
    assert names(client_b.get("/api/v1/contacts/", {"company": world.company_a.pk}), "full_name") == []


# Client base fields


@pytest.fixture
def vip(db):
    return CompanyCategory.objects.create(code="vip", name_ru="VIP-клиент", name_en="VIP client", is_vip=True)


def test_staff_create_a_company_with_client_base_fields(world, api_as, vip):
    client = api_as(world.agent)

    created = client.post(
        "/api/v1/companies/",
        {
            "name": "ООО Берёзка",
            "inn": "7701234567",
            "kpp": "770101001",
            "category": "vip",
            "external_id": "1C-000123",
            "account_manager": world.agent.pk,
            "portal_qr_requires_login": False,
        },
        format="json",
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert {key: body[key] for key in ("inn", "kpp", "category", "external_id", "account_manager")} == {
        "inn": "7701234567",
        "kpp": "770101001",
        "category": {"id": vip.pk, "code": "vip", "name": "VIP client"},
        "external_id": "1C-000123",
        "account_manager": {"id": world.agent.pk, "full_name": "Ирина Агентова"},
    }
    assert body["portal_qr_requires_login"] is False
    company = Company.objects.get(pk=body["id"])
    assert (company.category, company.account_manager, company.portal_qr_requires_login) == (vip, world.agent, False)


def test_staff_change_and_clear_client_base_fields(world, api_as, vip):
    world.company_a.category = vip
    world.company_a.account_manager = world.agent
    world.company_a.save(update_fields=["category", "account_manager"])

    response = api_as(world.agent).patch(
        f"/api/v1/companies/{world.company_a.pk}/",
        {"category": None, "account_manager": None, "kpp": "770101001"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    world.company_a.refresh_from_db()
    assert (world.company_a.category, world.company_a.account_manager, world.company_a.kpp) == (
        None,
        None,
        "770101001",
    )


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"inn": "12345"}, "inn", "An INN is 10 digits (organisation) or 12 digits (sole trader)."),
        ({"inn": "77012345AB"}, "inn", "An INN is 10 digits (organisation) or 12 digits (sole trader)."),
        ({"kpp": "7701"}, "kpp", "A KPP is 9 characters, the first four digits."),
        ({"category": "gold"}, "category", 'Nothing with id or code "gold" exists.'),
    ],
)
def test_company_client_base_validation_names_the_field(world, api_as, vip, payload, field, message):
    client = api_as(world.agent)

    created = client.post("/api/v1/companies/", {"name": "ООО Ошибка", **payload}, format="json")
    changed = client.patch(f"/api/v1/companies/{world.company_a.pk}/", payload, format="json")

    assert (created.status_code, created.json()) == (400, {field: [message]})
    assert (changed.status_code, changed.json()) == (400, {field: [message]})
    assert not Company.objects.filter(name="ООО Ошибка").exists()
    world.company_a.refresh_from_db()
    assert (world.company_a.inn, world.company_a.kpp, world.company_a.category) == ("", "", None)


def test_account_manager_must_be_active_staff(world, api_as):
    response = api_as(world.agent).patch(
        f"/api/v1/companies/{world.company_a.pk}/", {"account_manager": world.client_a.pk}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["account_manager"]


def test_company_filters_by_category_external_id_and_inn(world, api_as, vip):
    Company.objects.filter(pk=world.company_a.pk).update(category=vip, inn="7701234567")
    Company.objects.filter(pk=world.company_b.pk).update(external_id="1C-42")
    client = api_as(world.admin)

    assert names(client.get("/api/v1/companies/", {"category": "vip"})) == ["ООО Ромашка"]
    assert names(client.get("/api/v1/companies/", {"category": vip.pk})) == ["ООО Ромашка"]
    assert names(client.get("/api/v1/companies/", {"external_id": "1C-42"})) == ["АО Василёк"]
    assert names(client.get("/api/v1/companies/", {"external_id": "1C-4"})) == []
    assert names(client.get("/api/v1/companies/", {"inn": "7701234567"})) == ["ООО Ромашка"]
    unknown = client.get("/api/v1/companies/", {"category": "gold"})
    assert (unknown.status_code, unknown.json()) == (400, {"category": ["Unknown id or code: gold."]})


def test_the_category_is_internal(world, api_as, vip):
    Company.objects.filter(pk=world.company_a.pk).update(category=vip)

    own = api_as(world.client_a).get(f"/api/v1/companies/{world.company_a.pk}/").json()
    categories = api_as(world.client_a).get("/api/v1/company-categories/")

    assert "category" not in own
    assert categories.status_code == 403


def test_company_categories_list(world, api_as, vip):
    retail = CompanyCategory.objects.create(code="retail", name_ru="Розница", name_en="Retail", order=5)

    response = api_as(world.agent).get("/api/v1/company-categories/")

    assert response.status_code == 200
    assert response.json() == [
        {"id": vip.pk, "code": "vip", "name": "VIP client", "name_ru": "VIP-клиент", "name_en": "VIP client",
         "is_vip": True, "order": 0},
        {"id": retail.pk, "code": "retail", "name": "Retail", "name_ru": "Розница", "name_en": "Retail",
         "is_vip": False, "order": 5},
    ]  # fmt: skip


def test_contact_role_and_external_id(world, api_as):
    client = api_as(world.agent)

    created = client.post(
        "/api/v1/contacts/",
        {"full_name": "Ольга Бухова", "company": world.company_a.pk, "role": "accountant", "external_id": "1C-7"},
        format="json",
    )
    changed = client.patch(
        f"/api/v1/contacts/{created.json()['id']}/", {"role": "decision_maker", "external_id": "1C-8"}, format="json"
    )
    bad_role = client.patch(f"/api/v1/contacts/{created.json()['id']}/", {"role": "boss"}, format="json")

    assert created.status_code == 201, created.json()
    assert (created.json()["role"], created.json()["external_id"]) == ("accountant", "1C-7")
    assert (changed.json()["role"], changed.json()["external_id"]) == ("decision_maker", "1C-8")
    assert (bad_role.status_code, list(bad_role.json())) == (400, ["role"])
    contact = Contact.objects.get(pk=created.json()["id"])
    assert (contact.role, contact.external_id) == ("decision_maker", "1C-8")


def test_contact_external_id_filter(world, api_as):
    Contact.objects.filter(pk=world.contact_b.pk).update(external_id="1C-7")

    response = api_as(world.admin).get("/api/v1/contacts/", {"external_id": "1C-7"})

    assert names(response, "full_name") == ["Борис Сидоров"]


def test_site_client_base_fields(world, api_as):
    client = api_as(world.agent)

    created = client.post(
        "/api/v1/sites/",
        {
            "company": world.company_a.pk,
            "name": "ТЦ Европа",
            "latitude": "55.755826",
            "longitude": 37.6173,
            "floors": "1–5, кровля",
            "access_hours": "Пн–Пт 8:00–20:00",
            "default_team": "service",
            "default_engineer": world.agent.pk,
            "external_id": "1C-S-1",
        },
        format="json",
    )
    changed = client.patch(
        f"/api/v1/sites/{created.json()['id']}/", {"default_team": None, "latitude": None}, format="json"
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert {key: body[key] for key in ("latitude", "longitude", "floors", "access_hours", "external_id")} == {
        "latitude": 55.755826,
        "longitude": 37.6173,
        "floors": "1–5, кровля",
        "access_hours": "Пн–Пт 8:00–20:00",
        "external_id": "1C-S-1",
    }
    assert body["default_team"] == {"id": world.team.pk, "code": "service", "name": "Service"}
    assert body["default_engineer"] == {"id": world.agent.pk, "full_name": "Ирина Агентова"}
    assert changed.status_code == 200, changed.json()
    site = Site.objects.get(pk=body["id"])
    assert (site.default_team, site.default_engineer, site.latitude, site.access_hours) == (
        None,
        world.agent,
        None,
        "Пн–Пт 8:00–20:00",
    )


def test_site_routing_is_internal(world, api_as):
    Site.objects.filter(pk=world.site_a.pk).update(default_team=world.team, default_engineer=world.agent)

    body = api_as(world.client_a).get(f"/api/v1/sites/{world.site_a.pk}/").json()

    assert "default_team" not in body
    assert "default_engineer" not in body


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"latitude": 91}, "latitude"),
        ({"longitude": "-180.5"}, "longitude"),
        ({"default_team": "nope"}, "default_team"),
        ({"default_engineer": 999999}, "default_engineer"),
    ],
)
def test_site_client_base_validation_names_the_field(world, api_as, payload, field):
    response = api_as(world.agent).patch(f"/api/v1/sites/{world.site_a.pk}/", payload, format="json")

    assert (response.status_code, list(response.json())) == (400, [field])


def test_site_external_id_filter(world, api_as):
    Site.objects.filter(pk=world.site_b.pk).update(external_id="1C-S-9")

    assert names(api_as(world.admin).get("/api/v1/sites/", {"external_id": "1C-S-9"})) == ["Офис на Мира"]
