"""A supervisor sets up an SLA policy in the browser — VIP clients: critical first response in
15 minutes, resolution in 4 business hours on the Russian production calendar, and "critical
not taken in 5 minutes" escalated to the supervisor. A VIP ticket then shows the right
deadlines, pausing stops its clock, the escalation reaches the supervisor exactly once (the
bell), and the SLA report lists the missed deadline."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.choices import Role
from customers.models import CompanyCategory
from notifications.models import Notification
from sla.models import BusinessCalendar, SlaPolicy, WorkingInterval
from sla.seeding import russian_calendar_seed
from sla.services import ticket_sla_refresh
from sla.sweep import sla_sweep
from tests.e2e.pages import log_in
from tests.factories import CompanyFactory, TeamFactory, UserFactory, make_ticket, priority, status
from tickets.models import Article, Ticket
from tickets.services import article_create, ticket_set_status

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS)),
    pytest.mark.usefixtures("migrated_data_restored_afterwards", "empty_search_index_afterwards"),
]

MSK = ZoneInfo("Europe/Moscow")
# Tuesday 2026-11-24 10:00 Moscow: a working day in the Russian production calendar.
RECEIVED = datetime(2026, 11, 24, 10, 0, tzinfo=MSK)
PASSWORD = "Sla-Journey-2026"


def _russian_calendar() -> BusinessCalendar:
    """The shipped default calendar — or the same made here when an earlier live-server test's
    flush left the migration-made rows out (tests/e2e run in one database)."""
    calendar = BusinessCalendar.objects.filter(is_default=True, is_24x7=False).first()
    if calendar is None:
        calendar = BusinessCalendar.objects.create(code="ru-msk", name="РФ (Москва)", is_default=True, country="RU")
        for weekday in range(5):
            WorkingInterval.objects.create(calendar=calendar, weekday=weekday, start=time(9), end=time(18))
        russian_calendar_seed(calendar, 2026)
        calendar.save()
    return calendar


def test_supervisor_sets_up_vip_sla_and_sees_it_work(live_server, browser):
    # given: a supervisor leading a team, a VIP client category and a VIP client
    supervisor = UserFactory(email="ira@otklik.test", role=Role.SUPERVISOR, language="en", password=PASSWORD)
    team = TeamFactory(supervisor=supervisor)
    vip = CompanyCategory.objects.create(code="vip", name_ru="VIP", name_en="VIP", is_vip=True)
    client_company = CompanyFactory(name="ООО Важный клиент", category=vip)
    russian = _russian_calendar()
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    log_in(page, f"{live_server.url}/accounts/login/", supervisor.email, PASSWORD)

    # when: the supervisor creates the policy in the editor
    page.goto(f"{live_server.url}/sla/policies/new/")
    page.fill("input[name=name]", "VIP-клиенты")
    page.select_option("select[name=calendar]", str(russian.pk))
    page.check("input[name=vip_only]")
    critical = str(priority("critical").pk)
    row = next(i for i in range(4) if page.input_value(f"input[name='targets-{i}-priority']") == critical)
    page.fill(f"input[name='targets-{row}-first_response']", "15m")
    page.uncheck(f"input[name='targets-{row}-first_response_business']")
    page.fill(f"input[name='targets-{row}-resolution']", "4h")
    page.check(f"input[name='targets-{row}-resolution_business']")
    page.click("button[name=add_level]")
    page.wait_for_load_state("networkidle")
    page.select_option("select[name='levels-0-target']", "first_response")
    page.select_option("select[name='levels-0-trigger']", "after_start")
    page.fill("input[name='levels-0-minutes']", "5")
    page.select_option("select[name='levels-0-priority']", str(priority("critical").pk))
    page.uncheck("input[name='levels-0-notify_assignee']")
    page.check("input[name='levels-0-notify_supervisor']")
    page.locator(".sla-policy-form .actions button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("body")).to_contain_text("VIP-клиенты")
    policy = SlaPolicy.objects.get(name="VIP-клиенты")

    # and a critical request of the VIP client arrives at 10:00
    ticket = make_ticket(
        title="Не работает лифт",
        priority=priority("critical"),
        company=client_company,
        team=team,
        received_at=RECEIVED,
    )
    ticket.refresh_from_db()

    # then: the deadlines are the policy's
    assert ticket.sla_policy == policy
    assert ticket.sla_first_response_due == RECEIVED + timedelta(minutes=15)
    assert ticket.sla_resolution_due == RECEIVED + timedelta(hours=4)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    expect(page.locator("#ticket-summary .sla")).to_be_visible()

    # and the escalation fires once however often the sweep runs (10:06 and 10:07)
    sla_sweep(now=RECEIVED + timedelta(minutes=6))
    sla_sweep(now=RECEIVED + timedelta(minutes=7))
    assert Notification.objects.filter(user=supervisor, ticket=ticket, kind="sla_escalation").count() == 1
    page.goto(f"{live_server.url}/notifications/")
    # (besides the "new ticket in your team" alert the supervisor also got)
    expect(page.locator(".result", has_text="SLA escalation")).to_have_count(1)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    expect(page.locator("body")).to_contain_text("SLA escalation")

    # and the first response missed at 10:15 is in the SLA report
    sla_sweep(now=RECEIVED + timedelta(minutes=20))
    page.goto(f"{live_server.url}/sla/report/?date_from=2026-11-01&date_to=2026-11-30")
    expect(page.locator("body")).to_contain_text(f"#{ticket.number}")

    # and after a late first reply (10:25), waiting for the client (10:30) pauses the clock. The
    # journey's day is fixed and the day the tests run on is not: the reply and the status change
    # are moved to those moments and the clock is read at 10:40.
    reply = article_create(ticket=ticket, author=supervisor, body="Выезжаем. На каком этаже?")
    ticket_set_status(ticket=ticket, actor=supervisor, status=status("waiting_client"))
    Article.objects.filter(pk=reply.pk).update(
        created_at=RECEIVED + timedelta(minutes=25), received_at=RECEIVED + timedelta(minutes=25)
    )
    Ticket.objects.filter(pk=ticket.pk).update(first_response_at=RECEIVED + timedelta(minutes=25))
    ticket.events.filter(kind="status_changed").update(created_at=RECEIVED + timedelta(minutes=30))
    ticket.refresh_from_db()
    ticket_sla_refresh(ticket, now=RECEIVED + timedelta(minutes=40))
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    ticket.refresh_from_db()
    assert ticket.sla_resolution_state == "paused"
    expect(page.locator("#ticket-summary")).to_contain_text("SLA paused")
