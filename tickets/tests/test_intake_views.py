"""Phone intake: finding the caller and opening a ticket for them."""

import pytest

from customers.models import Contact, ContactEmail
from tests.factories import ContactFactory, ContractFactory, EquipmentFactory, SiteFactory, make_ticket
from tickets.choices import Channel
from tickets.models import Ticket


def _suggested(response) -> list[str]:
    return [c.full_name for c in response.context["contacts"]]


@pytest.mark.parametrize(
    "query", ["912", "+7 912", "8 912 345", "345-67", "petr@romashka", "PETR@Romashka.test", "Пётр"]
)
def test_contact_lookup_by_phone_email_or_name(agent_client, contact, colleague, query):
    # when
    response = agent_client.get("/tickets/contacts/lookup/", {"q": query})
    # then
    assert response.status_code == 200
    assert _suggested(response) == ["Пётр Иванов"]
    assert "Пётр Иванов" in response.content.decode()


def test_contact_lookup_with_too_little_typed(agent_client, contact):
    # when
    response = agent_client.get("/tickets/contacts/lookup/", {"q": "9"})
    # then
    assert _suggested(response) == []


def test_contact_lookup_finding_nobody_offers_a_new_contact(agent_client, contact):
    # when
    response = agent_client.get("/tickets/contacts/lookup/", {"q": "Незнакомец"})
    # then
    assert _suggested(response) == []
    assert "Nobody found" in response.content.decode()


def test_choosing_a_contact_shows_their_open_tickets(agent_client, agent, contact, company, team):
    # given
    open_ticket = make_ticket(contact=contact, team=team, title="Течёт крыша")
    # when
    response = agent_client.get("/tickets/contacts/lookup/", {"select": contact.pk})
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert f'name="contact_id" value="{contact.pk}"' in html
    assert list(response.context["open_tickets"]) == [open_ticket]


def test_the_object_panel_offers_the_callers_sites_and_units_and_tells_the_coverage(agent_client, contact, company):
    # given
    site = SiteFactory(company=company, name="Склад на Ленина")
    other_site = SiteFactory(company=company, name="Офис")
    lift = EquipmentFactory(site=site, company=company, name="Лифт грузовой")
    EquipmentFactory(site=other_site, company=company, name="Кондиционер")
    EquipmentFactory(name="Чужой лифт")
    ContractFactory(company=company, sites=[site], number="ТО-7")
    # when
    everything = agent_client.get("/tickets/new/object/", {"contact_id": contact.pk})
    at_site = agent_client.get("/tickets/new/object/", {"contact_id": contact.pk, "site": site.pk})
    the_lift = agent_client.get("/tickets/new/object/", {"contact_id": contact.pk, "equipment": lift.pk})
    # then
    assert [s.name for s in everything.context["sites"]] == ["Офис", "Склад на Ленина"]
    assert {u.name for u in everything.context["units"]} == {"Лифт грузовой", "Кондиционер"}
    assert not everything.context["coverage"].covered
    assert [u.name for u in at_site.context["units"]] == ["Лифт грузовой"]
    assert at_site.context["coverage"].contract.number == "ТО-7"
    assert the_lift.context["site"] == site
    assert "ТО-7" in the_lift.content.decode()
    assert the_lift.context["history"] == []


def test_the_object_panel_shows_the_units_latest_tickets(agent_client, contact, company):
    site = SiteFactory(company=company)
    lift = EquipmentFactory(site=site, company=company)
    older = make_ticket(title="Лифт застрял", company=company, site=site, equipment=lift)
    newer = make_ticket(title="Лифт снова застрял", company=company, site=site, equipment=lift)
    response = agent_client.get("/tickets/new/object/", {"contact_id": contact.pk, "equipment": lift.pk})
    assert response.context["history"] == [newer, older]
    assert "Лифт снова застрял" in response.content.decode()


def test_the_object_panel_without_a_caller_asks_for_one(agent_client):
    response = agent_client.get("/tickets/new/object/")
    assert response.status_code == 200
    assert response.context["coverage"] is None


def test_a_ticket_for_a_unit_takes_its_site_company_and_contract(agent_client, contact, company):
    # given
    site = SiteFactory(company=company)
    lift = EquipmentFactory(site=site, company=company)
    contract = ContractFactory(company=company, equipment=[lift])
    # when
    response = agent_client.post(
        "/tickets/new/",
        {"contact_id": contact.pk, "equipment": lift.pk, "title": "Лифт стоит", "channel": "phone"},
    )
    # then
    ticket = Ticket.objects.get(title="Лифт стоит")
    assert response.status_code == 302
    assert (ticket.equipment, ticket.site, ticket.company, ticket.contract) == (lift, site, company, contract)


def test_a_unit_of_another_company_is_refused(agent_client, contact):
    # given
    foreign = EquipmentFactory()
    # when
    response = agent_client.post(
        "/tickets/new/",
        {"contact_id": contact.pk, "equipment": foreign.pk, "title": "Чужой лифт", "channel": "phone"},
    )
    # then
    assert response.status_code == 200
    assert not Ticket.objects.filter(title="Чужой лифт").exists()
    assert "another company" in response.content.decode() or "другой компании" in response.content.decode()


@pytest.mark.parametrize("select", ["999999", "abc"])
def test_choosing_an_unknown_contact_is_404(agent_client, select):
    # when
    response = agent_client.get("/tickets/contacts/lookup/", {"select": select})
    # then
    assert response.status_code == 404


def test_creating_a_ticket_for_an_existing_contact(agent_client, agent, contact, company, team):
    # given
    site = SiteFactory(company=company)
    # when
    response = agent_client.post(
        "/tickets/new/",
        {
            "contact_id": contact.pk,
            "site": site.pk,
            "title": "Не работает лифт",
            "description": "Застрял на третьем этаже",
            "channel": Channel.PHONE,
            "team": team.pk,
        },
    )
    # then
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert (ticket.contact, ticket.company, ticket.site, ticket.team) == (contact, company, site, team)
    assert ticket.created_by == agent
    assert ticket.articles.get().body == "Застрял на третьем этаже"


def test_creating_a_ticket_with_a_new_contact(agent_client, company):
    # when
    response = agent_client.post(
        "/tickets/new/",
        {
            "new_contact_name": "Ольга Новикова",
            "new_contact_phone": "+7 (903) 111-22-33",
            "new_contact_email": "olga@romashka.test",
            "new_contact_company": company.pk,
            "title": "Нет воды",
            "channel": Channel.PHONE,
        },
    )
    # then
    ticket = Ticket.objects.get()
    contact = Contact.objects.get(full_name="Ольга Новикова")
    assert response.status_code == 302
    assert ticket.contact == contact
    assert ticket.company == company
    assert contact.primary_email == "olga@romashka.test"
    assert contact.phones.get().normalized == "9031112233"


def test_creating_a_ticket_without_a_caller(agent_client, agent):
    # when
    response = agent_client.post("/tickets/new/", {"title": "Плановый обход", "channel": Channel.PHONE})
    # then
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert (ticket.title, ticket.contact, ticket.company, ticket.created_by) == ("Плановый обход", None, None, agent)


def test_the_intake_page_renders(agent_client):
    # when
    response = agent_client.get("/tickets/new/")
    # then
    assert response.status_code == 200
    assert response.context["contact"] is None


def test_a_new_contact_with_a_taken_email_creates_nothing(agent_client, contact):
    # given
    contacts_before = Contact.objects.count()
    # when
    response = agent_client.post(
        "/tickets/new/",
        {
            "new_contact_name": "Самозванец",
            "new_contact_email": "PETR@romashka.test",
            "title": "Нет воды",
            "channel": Channel.PHONE,
        },
    )
    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "new_contact_email": ["petr@romashka.test already belongs to another contact."]
    }
    assert "already belongs to another contact" in response.content.decode()
    assert Ticket.objects.count() == 0
    assert Contact.objects.count() == contacts_before
    assert ContactEmail.objects.filter(email="petr@romashka.test").count() == 1


def test_a_ticket_without_a_subject_is_refused(agent_client, contact):
    # when
    response = agent_client.post("/tickets/new/", {"contact_id": contact.pk, "channel": Channel.PHONE})
    # then
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["title"]
    assert response.context["contact"] == contact
    assert Ticket.objects.count() == 0


def test_a_site_of_another_company_is_refused_visibly(agent_client, contact, other_company):
    # given
    site = SiteFactory(company=other_company)
    # when
    response = agent_client.post(
        "/tickets/new/", {"contact_id": contact.pk, "site": site.pk, "title": "Нет воды", "channel": Channel.PHONE}
    )
    # then
    assert response.status_code == 200
    assert Ticket.objects.count() == 0
    assert "The site belongs to another company." in response.content.decode()


def test_a_contractor_cannot_open_a_ticket_for_a_contact(login, contractor, contact):
    # when: contractors only work on tickets assigned to them; intake is not theirs
    response = login(contractor).post(
        "/tickets/new/", {"contact_id": contact.pk, "title": "Нет воды", "channel": Channel.PHONE}
    )
    # then
    assert response.status_code == 404
    assert Ticket.objects.count() == 0


def test_lookup_finds_a_contact_without_a_company(agent_client):
    # given
    ContactFactory(company=None, full_name="Частное Лицо", phone="8-999-000-11-22")
    # when
    response = agent_client.get("/tickets/contacts/lookup/", {"q": "999 000"})
    # then
    assert _suggested(response) == ["Частное Лицо"]
