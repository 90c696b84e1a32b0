"""An administrator writes a rule in the browser — "a client's text with лифт or застря* →
high priority" — adding rows with htmx, tries it on the existing tickets without changing them,
saves it; the next stuck-lift ticket gets the priority and its history names the rule."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.choices import Role
from automation.models import Rule
from tests.e2e.pages import log_in
from tests.factories import UserFactory, make_ticket, priority
from tickets.choices import EventKind
from tickets.models import Ticket, TicketEvent

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS)),
    pytest.mark.usefixtures("migrated_data_restored_afterwards", "empty_search_index_afterwards"),
]
PASSWORD = "Rules-Journey-2026"


@pytest.fixture(autouse=True)
def _rules_on(settings):
    settings.OTKLIK_AUTOMATION_RULES = True


def test_an_administrator_writes_tries_and_saves_a_rule(live_server, browser):
    # given: only this journey's rule runs; an old ticket about a lift
    Rule.objects.update(is_active=False)
    admin = UserFactory(email="root@otklik.test", role=Role.ADMIN, language="en", password=PASSWORD)
    old = make_ticket(title="Застряли в лифте вчера")
    page = browser.new_page(viewport={"width": 390, "height": 844})  # phone width
    log_in(page, f"{live_server.url}/accounts/login/", admin.email, PASSWORD)
    # when: a new rule, a condition row (htmx), its field chosen and applied
    page.goto(f"{live_server.url}/automation/rules/new/")
    page.fill("input[name=name]", "Лифты — высокий")
    page.locator("button[name=add_condition]").click()
    expect(page.locator("select[name='conditions-0-field']")).to_be_visible()
    page.select_option("select[name='conditions-0-field']", "text")
    page.locator("button[name=refresh]").click()
    expect(page.locator("textarea[name='conditions-0-value']")).to_be_visible()
    page.fill("textarea[name='conditions-0-value']", "лифт, застря*")
    page.locator("button[name=add_action]").click()
    page.select_option("select[name='actions-0-action']", "set_priority")
    page.locator("button[name=refresh]").click()
    expect(page.locator("select[name='actions-0-value']")).to_be_visible()
    page.select_option("select[name='actions-0-value']", str(priority("high").pk))
    # and tries it
    page.locator("button[name=try]").click()
    page.wait_for_load_state("networkidle")
    # then: the old ticket would change, nothing did
    trial = page.locator("#rule-trial")
    expect(trial).to_contain_text("1 ticket of 1 would match")
    expect(trial).to_contain_text(f"#{old.number}")
    expect(trial).to_contain_text("Set priority: High")
    assert Ticket.objects.get(pk=old.pk).priority.code == "normal"
    assert not Rule.objects.filter(name="Лифты — высокий").exists()
    # when: saved
    page.locator("button[name=save]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("table.rules-list")).to_contain_text("Лифты — высокий")
    # then: the next stuck-lift ticket is high, and its history says why
    ticket = make_ticket(title="Застрял лифт, подъезд 3")
    assert Ticket.objects.get(pk=ticket.pk).priority.code == "high"
    fired = TicketEvent.objects.get(ticket=ticket, kind=EventKind.RULE_FIRED)
    assert fired.data["rule"]["name"] == "Лифты — высокий"
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    expect(page.locator(".history").first).to_contain_text("rule «Лифты — высокий»: Set priority: High")
    page.close()
