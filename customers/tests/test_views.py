"""Companies, contacts and sites pages."""

import pytest

from customers.models import Company, Contact, Site
from tests.factories import CompanyFactory, ContactFactory, SiteFactory, TeamFactory, make_ticket

LIST_MAX_QUERIES = 12


def _errors(response) -> dict:
    return {field: list(errors) for field, errors in response.context["form"].errors.items()}


# companies


def test_company_list_and_search(agent_client, company, other_company):
    # when
    everything = agent_client.get("/customers/companies/")
    by_name = agent_client.get("/customers/companies/", {"q": "ромашка"})
    by_inn = agent_client.get("/customers/companies/", {"q": "7701"})
    by_legal_name = agent_client.get("/customers/companies/", {"q": "общество"})
    # then
    assert everything.status_code == 200
    assert [c.name for c in everything.context["page"]] == ["АО Василёк", "ООО Ромашка"]
    assert [c.name for c in by_name.context["page"]] == ["ООО Ромашка"]
    assert [c.name for c in by_inn.context["page"]] == ["ООО Ромашка"]
    assert [c.name for c in by_legal_name.context["page"]] == ["ООО Ромашка"]


def test_company_list_cost_does_not_grow(agent_client, django_assert_max_num_queries):
    # given
    CompanyFactory.create_batch(3)
    with django_assert_max_num_queries(LIST_MAX_QUERIES) as few:
        agent_client.get("/customers/companies/")
    # when
    CompanyFactory.create_batch(40)
    with django_assert_max_num_queries(LIST_MAX_QUERIES) as many:
        response = agent_client.get("/customers/companies/")
    # then
    assert len(response.context["page"]) == 43
    assert len(many.captured_queries) == len(few.captured_queries)


def test_company_detail_shows_contacts_sites_and_visible_tickets(login, engineer, company, contact):
    # given
    team = TeamFactory()
    team.members.add(engineer)
    SiteFactory(company=company, name="Склад")
    make_ticket(contact=contact, team=team, title="Видимая")
    make_ticket(contact=contact, team=TeamFactory(), title="Чужой команды")
    # when
    response = login(engineer).get(f"/customers/companies/{company.pk}/")
    # then
    assert response.status_code == 200
    assert [c.full_name for c in response.context["contacts"]] == ["Пётр Иванов"]
    assert [s.name for s in response.context["sites"]] == ["Склад"]
    assert [t.title for t in response.context["tickets"]] == ["Видимая"]
    assert "Чужой команды" not in response.content.decode()


def test_creating_a_company(agent_client):
    # when
    response = agent_client.post(
        "/customers/companies/new/",
        {"name": "ООО Берёзка", "inn": "7709999999", "portal_contacts_see_all_tickets": "on", "is_active": "on"},
    )
    # then
    company = Company.objects.get(name="ООО Берёзка")
    assert response.status_code == 302
    assert response["Location"] == f"/customers/companies/{company.pk}/"
    assert (company.inn, company.portal_contacts_see_all_tickets, company.is_active) == ("7709999999", True, True)


def test_a_company_without_a_name_is_refused(agent_client):
    # when
    response = agent_client.post("/customers/companies/new/", {"name": "", "inn": "7709999999"})
    # then
    assert response.status_code == 200
    assert list(_errors(response)) == ["name"]
    assert Company.objects.count() == 0


def test_editing_a_company(agent_client, company):
    # given
    page = agent_client.get(f"/customers/companies/{company.pk}/edit/")
    # when
    response = agent_client.post(
        f"/customers/companies/{company.pk}/edit/", {"name": "ООО Ромашка и партнёры", "inn": company.inn}
    )
    # then
    company.refresh_from_db()
    assert page.status_code == 200
    assert page.context["form"].initial["name"] == "ООО Ромашка"
    assert response.status_code == 302
    assert company.name == "ООО Ромашка и партнёры"
    assert company.is_active is False


def test_editing_a_company_with_errors_keeps_it(agent_client, company):
    # when
    response = agent_client.post(f"/customers/companies/{company.pk}/edit/", {"name": "", "inn": "1" * 13})
    # then
    company.refresh_from_db()
    assert response.status_code == 200
    assert set(_errors(response)) == {"name", "inn"}
    assert company.name == "ООО Ромашка"


# sites


def test_adding_a_site(agent_client, company):
    # when
    response = agent_client.post(
        f"/customers/companies/{company.pk}/sites/new/",
        {"name": "Склад на Ленина", "address": "Тверь, Ленина, 5", "time_zone": "Europe/Samara", "is_active": "on"},
    )
    # then
    site = Site.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/companies/{company.pk}/"
    assert (site.company, site.name, site.time_zone, site.is_active) == (
        company,
        "Склад на Ленина",
        "Europe/Samara",
        True,
    )


def test_editing_a_site(agent_client, company):
    # given
    site = SiteFactory(company=company, name="Склад")
    # when
    response = agent_client.post(
        f"/customers/companies/{company.pk}/sites/{site.pk}/",
        {"name": "Склад №1", "address": site.address, "time_zone": "Asia/Omsk"},
    )
    # then
    site.refresh_from_db()
    assert response.status_code == 302
    assert (site.name, site.time_zone, site.is_active) == ("Склад №1", "Asia/Omsk", False)
    assert Site.objects.count() == 1


def test_a_site_with_errors_is_refused(agent_client, company):
    # when
    response = agent_client.post(
        f"/customers/companies/{company.pk}/sites/new/", {"name": "", "time_zone": "Mars/Olympus"}
    )
    # then
    assert response.status_code == 200
    assert set(_errors(response)) == {"name", "time_zone"}
    assert Site.objects.count() == 0


# contacts


def test_contact_list_and_search(agent_client, contact, company):
    # given
    ContactFactory(company=company, full_name="Мария Сидорова", phone="+7 495 111-22-33")
    # when
    everything = agent_client.get("/customers/contacts/")
    by_name = agent_client.get("/customers/contacts/", {"q": "сидорова"})
    by_phone = agent_client.get("/customers/contacts/", {"q": "+7 912"})
    by_email = agent_client.get("/customers/contacts/", {"q": "PETR@"})
    # then
    assert [c.full_name for c in everything.context["page"]] == ["Мария Сидорова", "Пётр Иванов"]
    assert [c.full_name for c in by_name.context["page"]] == ["Мария Сидорова"]
    assert [c.full_name for c in by_phone.context["page"]] == ["Пётр Иванов"]
    assert [c.full_name for c in by_email.context["page"]] == ["Пётр Иванов"]


def test_contact_list_cost_does_not_grow(agent_client, company, django_assert_max_num_queries):
    # given
    for _i in range(3):
        ContactFactory(company=company, phone="+7 900 000-00-01")
    with django_assert_max_num_queries(LIST_MAX_QUERIES) as few:
        agent_client.get("/customers/contacts/")
    # when
    for _i in range(30):
        ContactFactory(company=CompanyFactory(), phone="+7 900 000-00-02")
    with django_assert_max_num_queries(LIST_MAX_QUERIES) as many:
        response = agent_client.get("/customers/contacts/")
    # then
    assert len(response.context["page"]) == 33
    assert len(many.captured_queries) == len(few.captured_queries)


def test_contact_detail_shows_the_contacts_tickets(agent_client, contact):
    # given
    make_ticket(contact=contact, title="Не работает лифт")
    # when
    response = agent_client.get(f"/customers/contacts/{contact.pk}/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert [t.title for t in response.context["tickets"]] == ["Не работает лифт"]
    assert "petr@romashka.test" in html
    assert "+7 912 345-67-89" in html


def test_an_unverified_contact_is_marked_on_its_page_until_staff_verify_it(agent_client, contact):
    # given
    Contact.objects.filter(pk=contact.pk).update(is_verified=False)
    # when
    before = agent_client.get(f"/customers/contacts/{contact.pk}/", headers={"Accept-Language": "en"})
    verified = agent_client.post(f"/customers/contacts/{contact.pk}/verify/")
    after = agent_client.get(f"/customers/contacts/{contact.pk}/", headers={"Accept-Language": "en"})
    # then
    assert ">unverified<" in before.content.decode()
    assert verified.status_code == 302
    assert Contact.objects.get(pk=contact.pk).is_verified is True
    assert ">unverified<" not in after.content.decode()


def test_a_verified_contact_shows_no_mark(agent_client, contact):
    response = agent_client.get(f"/customers/contacts/{contact.pk}/", headers={"Accept-Language": "en"})
    assert ">unverified<" not in response.content.decode()
    assert "/verify/" not in response.content.decode()


def test_creating_a_contact(agent_client, company):
    # when
    response = agent_client.post(
        "/customers/contacts/new/",
        {
            "full_name": "Ольга Новикова",
            "company": company.pk,
            "position": "Бухгалтер",
            "emails": "olga@romashka.test\nOlga.Home@mail.test",
            "phones": "+7 903 111-22-33, 8 (495) 000-11-22",
        },
    )
    # then
    contact = Contact.objects.get(full_name="Ольга Новикова")
    assert response.status_code == 302
    assert response["Location"] == f"/customers/contacts/{contact.pk}/"
    assert contact.company == company
    assert list(contact.emails.values_list("email", flat=True)) == ["olga@romashka.test", "olga.home@mail.test"]
    assert list(contact.phones.values_list("normalized", flat=True)) == ["9031112233", "4950001122"]


def test_the_new_contact_form_can_start_with_a_company(agent_client, company):
    # when
    response = agent_client.get("/customers/contacts/new/", {"company": company.pk})
    # then
    assert response.status_code == 200
    assert str(response.context["form"].initial["company"]) == str(company.pk)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"full_name": ""}, {"full_name": ["This field is required."]}),
        (
            {"full_name": "Двойник", "emails": "petr@romashka.test"},
            {"emails": ["petr@romashka.test already belongs to another contact."]},
        ),
        ({"full_name": "Ольга", "emails": "not-an-email"}, {"emails": ["not-an-email is not a valid email address."]}),
        ({"full_name": "Ольга", "phones": "12"}, {"phones": ["12 is not a valid phone number."]}),
    ],
    ids=["no name", "taken email", "bad email", "bad phone"],
)
def test_a_contact_with_errors_is_refused(agent_client, contact, data, errors):
    # given
    contacts_before = Contact.objects.count()
    # when
    response = agent_client.post("/customers/contacts/new/", data)
    # then
    assert response.status_code == 200
    assert _errors(response) == errors
    assert Contact.objects.count() == contacts_before


def test_editing_a_contact(agent_client, contact, other_company):
    # given
    page = agent_client.get(f"/customers/contacts/{contact.pk}/edit/")
    # when
    response = agent_client.post(
        f"/customers/contacts/{contact.pk}/edit/",
        {"full_name": "Пётр Иванович Иванов", "company": other_company.pk, "emails": "petr@vasilek.test", "phones": ""},
    )
    # then
    contact.refresh_from_db()
    assert page.context["form"].initial["emails"] == "petr@romashka.test"
    assert page.context["form"].initial["phones"] == "+7 912 345-67-89"
    assert response.status_code == 302
    assert (contact.full_name, contact.company) == ("Пётр Иванович Иванов", other_company)
    assert contact.primary_email == "petr@vasilek.test"
    assert contact.primary_phone == ""


def test_editing_a_contact_with_a_taken_email_keeps_it(agent_client, contact, company):
    # given
    ContactFactory(company=company, email="maria@romashka.test")
    # when
    response = agent_client.post(
        f"/customers/contacts/{contact.pk}/edit/", {"full_name": "Другое имя", "emails": "maria@romashka.test"}
    )
    # then
    contact.refresh_from_db()
    assert response.status_code == 200
    assert _errors(response) == {"emails": ["maria@romashka.test already belongs to another contact."]}
    assert contact.full_name == "Пётр Иванов"
    assert contact.primary_email == "petr@romashka.test"


@pytest.mark.parametrize(
    "url", ["/customers/companies/", "/customers/contacts/", "/customers/companies/new/", "/customers/contacts/new/"]
)
def test_a_client_is_sent_to_the_portal(login, client_user, url):
    # when
    response = login(client_user).get(url)
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/")


def test_a_contractor_has_no_customer_base(login, contractor, company, contact):
    # when: contractors see only the tickets assigned to them
    companies = login(contractor).get("/customers/companies/")
    contacts = login(contractor).get("/customers/contacts/")
    # then
    assert companies.status_code == 404
    assert contacts.status_code == 404
