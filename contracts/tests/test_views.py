"""Contract and price list pages, works on tickets, access."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.choices import Role
from contracts.models import Contract, PriceList, PriceListItem, TicketWork
from tests.factories import (
    ContractFactory,
    EquipmentFactory,
    ServiceCategoryFactory,
    SiteFactory,
    UserFactory,
    make_ticket,
)
from tickets.choices import EventKind

pytestmark = pytest.mark.django_db


def _contract_form(company, **extra):
    data = {
        "company": company.pk,
        "number": "ТО-2026/15",
        "status": "active",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "all_sites": "on",
        "all_equipment": "on",
        "hours_period": "month",
        "payment_state": "paid",
        "debt_amount": "0",
    }
    data.update(extra)
    return data


def test_a_contract_for_listed_sites_and_units(agent_client, company, site):
    # given
    unit = EquipmentFactory(site=SiteFactory(company=company), company=company)
    # when
    response = agent_client.post(
        "/contracts/new/",
        _contract_form(company, all_sites="", sites=[site.pk], equipment=[unit.pk], included_hours="20"),
    )
    # then
    contract = Contract.objects.get(number="ТО-2026/15")
    assert response.status_code == 302
    assert list(contract.sites.all()) == [site]
    assert list(contract.equipment.all()) == [unit]
    assert contract.included_hours == Decimal("20")


def test_editing_a_contract_keeps_its_retired_units_services_and_price_list(agent_client, company, site):
    # given: a contract whose unit, service and price list were retired since
    unit = EquipmentFactory(site=site, company=company, is_active=False)
    service = ServiceCategoryFactory(is_active=False)
    price_list = PriceList.objects.create(name="Прайс 2025", is_active=False)
    contract = ContractFactory(
        company=company, number="ТО-1", equipment=[unit], services=[service], price_list=price_list
    )
    # when
    response = agent_client.post(
        f"/contracts/{contract.pk}/edit/",
        _contract_form(
            company,
            number="ТО-1",
            title="Renamed",
            equipment=[unit.pk],
            services=[service.pk],
            price_list=price_list.pk,
        ),
    )
    # then
    contract.refresh_from_db()
    assert response.status_code == 302
    assert contract.title == "Renamed"
    assert list(contract.equipment.all()) == [unit]
    assert list(contract.services.all()) == [service]
    assert contract.price_list == price_list


def test_a_new_contract_is_not_offered_retired_units(agent_client, company, site):
    EquipmentFactory(site=site, company=company, is_active=False)
    active = EquipmentFactory(site=site, company=company)
    form = agent_client.get(f"/contracts/new/?company={company.pk}").context["form"]
    assert list(form.fields["equipment"].queryset) == [active]


def test_a_contract_must_cover_something(agent_client, company):
    response = agent_client.post("/contracts/new/", _contract_form(company, all_sites=""))
    assert response.status_code == 200
    assert "List the covered sites or units" in response.content.decode()
    assert not Contract.objects.exists()


def test_a_debt_needs_its_amount_and_a_paid_contract_owes_nothing(agent_client, company):
    refused = agent_client.post("/contracts/new/", _contract_form(company, payment_state="debt", debt_amount="0"))
    accepted = agent_client.post("/contracts/new/", _contract_form(company, debt_amount="5000"))
    assert refused.status_code == 200
    assert accepted.status_code == 302
    assert Contract.objects.get().debt_amount == 0


def test_a_contract_ending_before_it_starts_is_refused(agent_client, company):
    response = agent_client.post("/contracts/new/", _contract_form(company, ends_on="2025-12-31"))
    assert response.status_code == 200
    assert not Contract.objects.exists()


def test_a_site_of_another_company_cannot_be_covered(agent_client, company):
    foreign = SiteFactory()
    response = agent_client.post("/contracts/new/", _contract_form(company, all_sites="", sites=[foreign.pk]))
    assert response.status_code == 200
    assert not Contract.objects.exists()


def test_works_on_a_ticket_count_against_the_contract_and_are_in_history(agent_client, agent, company, site):
    # given
    price_list = PriceList.objects.create(name="Доп. работы 2026")
    refill = PriceListItem.objects.create(price_list=price_list, name="Заправка фреоном", unit="кг", price=1500)
    contract = ContractFactory(company=company, included_hours=10, price_list=price_list)
    ticket = make_ticket(company=company, site=site, title="Не холодит")
    # when
    agent_client.post(
        f"/contracts/tickets/{ticket.number}/works/", {"name": "Диагностика", "hours": "2.5", "quantity": "1"}
    )
    agent_client.post(
        f"/contracts/tickets/{ticket.number}/works/", {"price_list_item": refill.pk, "hours": "0", "quantity": "3"}
    )
    page = agent_client.get(f"/tickets/{ticket.number}/")
    # then
    diagnosis, refill_work = TicketWork.objects.order_by("id")
    assert (diagnosis.contract, diagnosis.is_billable, diagnosis.total) == (contract, False, Decimal("0"))
    assert (refill_work.is_billable, refill_work.total, refill_work.unit) == (True, Decimal("4500.00"), "кг")
    assert ticket.events.filter(kind=EventKind.WORK_ADDED).count() == 2
    assert "7,5" in page.content.decode() or "7.5" in page.content.decode()  # hours left of 10


def test_the_record_work_form_comes_when_opened(agent_client, company, login):
    # given: a contract with its price list, and an item of another list
    price_list = PriceList.objects.create(name="Доп. работы 2026")
    PriceListItem.objects.create(price_list=price_list, name="Заправка фреоном", unit="кг", price=1500)
    PriceListItem.objects.create(price_list=PriceList.objects.create(name="Чужой"), name="Чужая работа", price=1)
    ContractFactory(company=company, price_list=price_list)
    ticket = make_ticket(company=company)
    # when
    page = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    fields = agent_client.get(f"/contracts/tickets/{ticket.number}/works/form/")
    # then: the page holds the form's frame, asking for its fields when the <details> opens
    assert f'hx-get="/contracts/tickets/{ticket.number}/works/form/" hx-trigger="toggle once"' in page
    assert 'name="price_list_item"' not in page
    html = fields.content.decode()
    assert fields.status_code == 200
    for name in ("name", "price_list_item", "hours", "quantity", "is_billable"):
        assert f'name="{name}"' in html
    assert "Заправка фреоном" in html and "Чужая работа" not in html
    # the fields only for those who may record work on the ticket
    contractor = login(UserFactory(role=Role.CONTRACTOR))
    assert contractor.get(f"/contracts/tickets/{ticket.number}/works/form/").status_code == 404
    assert agent_client.get("/contracts/tickets/999999/works/form/").status_code == 404


def test_removing_a_work_is_recorded(agent_client, company):
    ticket = make_ticket(company=company)
    agent_client.post(f"/contracts/tickets/{ticket.number}/works/", {"name": "Выезд", "hours": "1", "quantity": "1"})
    work = TicketWork.objects.get()
    agent_client.post(f"/contracts/tickets/{ticket.number}/works/{work.pk}/delete/")
    assert not TicketWork.objects.exists()
    assert ticket.events.filter(kind=EventKind.WORK_REMOVED).exists()


def test_the_contract_page_shows_scope_hours_and_debt(agent_client, company):
    contract = ContractFactory(
        company=company, included_hours=8, payment_state="debt", debt_amount=Decimal("12500"),
        starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
    )  # fmt: skip
    html = agent_client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "every site of the company" in html
    assert "12500" in html.replace("\u00a0", "").replace(" ", "").replace(",", "").replace(".00", "")


def test_the_list_filters_debtors(agent_client, company):
    ContractFactory(company=company, number="А-1")
    ContractFactory(company=company, number="Б-2", payment_state="debt", debt_amount=100)
    response = agent_client.get("/contracts/", {"debt": "1"})
    assert [c.number for c in response.context["page"]] == ["Б-2"]


def test_price_lists_are_edited_by_administrators_with_line_errors(admin_client, agent_client):
    # when
    bad = admin_client.post(
        "/contracts/price-lists/new/",
        {
            "name": "Прайс",
            "currency": "RUB",
            "is_active": "on",
            "items_text": "Выезд; шт.; 2000\nЗамена фильтра; шт.; дорого",
        },
    )
    good = admin_client.post(
        "/contracts/price-lists/new/",
        {
            "name": "Прайс",
            "currency": "RUB",
            "is_active": "on",
            "items_text": "Выезд; шт.; 2 000,50; V-1\n\nЧистка; шт.; 800",
        },
    )
    by_agent = agent_client.get("/contracts/price-lists/new/")
    # then
    assert bad.status_code == 200 and "Line 2" in bad.content.decode()
    assert good.status_code == 302
    assert [(i.name, i.price, i.code) for i in PriceListItem.objects.order_by("name")] == [
        ("Выезд", Decimal("2000.50"), "V-1"),
        ("Чистка", Decimal("800.00"), ""),
    ]
    assert by_agent.status_code == 403


def test_contractors_and_clients_do_not_see_contracts(login, client_user, company):
    contract = ContractFactory(company=company)
    contractor = login(UserFactory(role=Role.CONTRACTOR))
    assert contractor.get(f"/contracts/{contract.pk}/").status_code == 404
    assert login(client_user).get(f"/contracts/{contract.pk}/").status_code == 302


def test_a_contractor_on_a_ticket_sees_no_contract_debt_or_prices(login, company):
    # given: a contractor assigned to a ticket of a company in debt
    contractor = UserFactory(role=Role.CONTRACTOR, language="en")
    ContractFactory(company=company, number="SECRET-42", payment_state="debt", debt_amount=123456)
    ticket = make_ticket(company=company, assignee=contractor, title="Протечка")
    # when
    html = login(contractor).get(f"/tickets/{ticket.number}/").content.decode()
    # then
    assert "Протечка" in html
    assert "SECRET-42" not in html
    assert "owes" not in html
    assert "Record work" not in html


def test_the_side_panel_work_lines(agent_client, agent, company, django_assert_num_queries):
    # given: works recorded on two days, one by a colleague, one by no one in particular
    from contracts.selectors import work_lines_for_ticket

    ticket = make_ticket(company=company)
    later = TicketWork.objects.create(ticket=ticket, name="Второй", performed_on=date(2026, 3, 2), performed_by=agent)
    first = TicketWork.objects.create(ticket=ticket, name="Первый", performed_on=date(2026, 3, 1), hours=Decimal("1.5"))
    same_day = TicketWork.objects.create(ticket=ticket, name="Третий", performed_on=date(2026, 3, 2))
    # when
    with django_assert_num_queries(1):
        lines = work_lines_for_ticket(ticket)
        shown = [(w.pk, w.name, w.hours, w.performed_by.full_name if w.performed_by else None) for w in lines]
    # then
    assert shown == [
        (first.pk, "Первый", Decimal("1.50"), None),
        (later.pk, "Второй", Decimal("0.00"), agent.full_name),
        (same_day.pk, "Третий", Decimal("0.00"), None),
    ]
