from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import Company, Contact, Site
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
        "email_domains": "",
        "phone": "",
        "notes": "Платят с задержкой",
        "portal_contacts_see_all_tickets": False,
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
        "notes": "Ключ у охраны",
        "is_active": True,
        "created_at": staff["created_at"],
        "updated_at": staff["updated_at"],
    }
    assert client == {key: value for key, value in staff.items() if key != "notes"}


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
