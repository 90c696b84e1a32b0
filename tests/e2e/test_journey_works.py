"""Recording work on a ticket: the "Record work" form's fields come when it is opened (the page
itself does not build them), the price list's items among them; saving records the work."""

import pytest
from django.conf import settings

from accounts.choices import Role
from contracts.models import PriceList, PriceListItem, TicketWork
from tests.e2e.pages import log_in
from tests.factories import CompanyFactory, ContractFactory, TeamFactory, UserFactory, make_ticket

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS)),
    pytest.mark.usefixtures("migrated_data_restored_afterwards", "empty_search_index_afterwards"),
]


def test_the_record_work_form_opens_and_records(live_server, browser):
    # given an agent on a ticket of a company whose contract has a price list
    team = TeamFactory(code="field", name_ru="Выездная", name_en="Field")
    agent = UserFactory(email="eng@otklik.test", full_name="Игорь", role=Role.AGENT, password="Eng-pass-123")
    team.members.add(agent)
    company = CompanyFactory()
    prices = PriceList.objects.create(name="Работы 2026")
    refill = PriceListItem.objects.create(price_list=prices, name="Заправка фреоном", unit="кг", price=1500)
    ContractFactory(company=company, price_list=prices)
    ticket = make_ticket(title="Не холодит", team=team, company=company)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    log_in(page, f"{live_server.url}/accounts/login/", "eng@otklik.test", "Eng-pass-123")
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    assert page.locator("select[name='price_list_item']").count() == 0  # not built with the page

    # when the agent opens "Record work", picks the refill and saves
    page.get_by_text("Записать работу").click()
    choice = page.locator("select[name='price_list_item']")
    choice.wait_for(timeout=5000)
    choice.select_option(str(refill.pk))
    page.fill("input[name='quantity']", "3")
    page.locator("form[action$='/works/'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    # then the work is recorded at the price list's price and shown on the ticket
    work = TicketWork.objects.get(ticket=ticket)
    assert (work.name, str(work.total)) == ("Заправка фреоном", "4500.00")
    assert page.locator(".works").get_by_text("Заправка фреоном").count() == 1
    context.close()
