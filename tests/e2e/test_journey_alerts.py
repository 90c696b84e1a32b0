"""Live alerts: an agent has a page open; a request arrives in their team, then a colleague
assigns them a ticket — each alert pops up (toast and bell count) within a couple of seconds,
without a reload."""

import time

import pytest
from django.conf import settings

from accounts.choices import Role
from tests.e2e.pages import log_in
from tests.factories import ContactFactory, TeamFactory, UserFactory, make_ticket
from tickets.services import ticket_assign

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS)),
    pytest.mark.usefixtures("migrated_data_restored_afterwards", "empty_search_index_afterwards"),
]


def test_alerts_pop_up_on_an_open_page_without_a_reload(live_server, browser):
    # given Daria of the dispatch team on the queue page
    dispatch = TeamFactory(code="dispatch", name_ru="Диспетчерская", name_en="Dispatch")
    daria = UserFactory(email="disp@otklik.test", full_name="Дарья", role=Role.AGENT, password="Disp-pass-123")
    colleague = UserFactory(email="boss@otklik.test", full_name="Олег", role=Role.SUPERVISOR)
    dispatch.members.add(daria)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    log_in(page, f"{live_server.url}/accounts/login/", "disp@otklik.test", "Disp-pass-123")
    page.goto(f"{live_server.url}/tickets/")
    page.evaluate("window.__noReload = true")
    assert page.locator(".bell-count").count() == 0

    # when a client's request lands in the team
    arrived = make_ticket(title="Не открывается шлагбаум", team=dispatch, contact=ContactFactory())
    started = time.monotonic()
    toast = page.locator(".toast", has_text=f"Новая заявка №{arrived.number}: Не открывается шлагбаум")
    toast.wait_for(timeout=5000)
    first_delay = time.monotonic() - started

    # then it pops up within the poll interval, the bell counts it, and the toast links the ticket
    assert first_delay < 3.5
    assert page.locator(".bell-count").inner_text() == "1"
    assert toast.get_attribute("href") == f"/tickets/{arrived.number}/"

    # when a supervisor assigns her another ticket
    other = make_ticket(title="Замена картриджа", actor=colleague)
    ticket_assign(ticket=other, actor=colleague, assignee=daria)

    # then that alert comes too, and the page was never reloaded
    page.locator(".toast", has_text=f"Заявка №{other.number} назначена вам").wait_for(timeout=5000)
    assert page.locator(".bell-count").inner_text() == "2"
    assert page.evaluate("window.__noReload") is True
    context.close()
