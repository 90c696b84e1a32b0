"""Repeated complaints in the browser: three people on one floor write that the light flickers;
the supervisor sets a team to round-robin, sees the banner on a complaint, makes the parent
incident in one click, and every client's ticket gets the notice; the history says who
assigned the complaints and why."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.choices import Role
from automation.models import PotentialIncident, TeamAssignment
from tests.e2e.pages import log_in
from tests.factories import ContactFactory, SiteFactory, TeamFactory, UserFactory, make_ticket
from tickets.models import Ticket

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS)),
    pytest.mark.usefixtures("migrated_data_restored_afterwards", "empty_search_index_afterwards"),
]

PASSWORD = "Incident-Journey-2026"
COMPLAINTS = [
    ("Мигает свет на 3 этаже", "Добрый день! Мигает свет на 3 этаже."),
    ("На третьем этаже моргает освещение", "С утра моргает освещение."),
    ("свет мерцает в коридоре 3 этаж", "Свет мерцает в коридоре."),
]


def test_supervisor_turns_repeated_complaints_into_one_incident(live_server, browser):
    # given: a supervisor, an electricians' team of two, a business centre with three tenants' staff
    supervisor = UserFactory(email="ira@otklik.test", role=Role.SUPERVISOR, language="en", password=PASSWORD)
    team = TeamFactory(name_ru="Электрики", name_en="Electricians", supervisor=supervisor)
    electricians = [UserFactory(full_name=name, role=Role.ENGINEER) for name in ("Алексей Попов", "Игорь Новиков")]
    team.members.add(*electricians)
    site = SiteFactory(name="БЦ Октябрь")
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    log_in(page, f"{live_server.url}/accounts/login/", supervisor.email, PASSWORD)

    # when: the supervisor sets the team to round-robin
    page.goto(f"{live_server.url}/automation/assignment/")
    page.get_by_role("link", name="Electricians").click()
    page.select_option("select[name=strategy]", "round_robin")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("table.list")).to_contain_text("Round-robin")
    assert TeamAssignment.objects.get(team=team).strategy == "round_robin"

    # and three complaints arrive from one floor
    tickets = [
        make_ticket(site=site, team=team, contact=ContactFactory(company=site.company), title=t, description=d)
        for t, d in COMPLAINTS
    ]

    # then: the first complaint shows the banner and who got it by turn
    page.goto(f"{live_server.url}/tickets/{tickets[0].number}/")
    expect(page.locator(".incident-banner")).to_contain_text("3 similar complaints from this site within a day.")
    expect(page.locator("#history")).to_contain_text(
        "Assignee: — → Алексей Попов (automatically: Round-robin — next in turn of 2 at work)"
    )

    # when: the supervisor reviews it and makes the parent incident
    page.locator(".incident-banner").get_by_role("link", name="Review").click()
    page.get_by_text("Make parent incident").click()
    page.fill("textarea[name=notice]", "Меняем драйверы светильников на 3 этаже, закончим к 18:00.")
    page.get_by_role("button", name="Create and notify 3 tickets").click()
    page.wait_for_load_state("networkidle")

    # then: the parent incident's page opens, every complaint is its child and got the notice
    incident = PotentialIncident.objects.get()
    parent = incident.parent
    assert page.url.endswith(f"/tickets/{parent.number}/")
    expect(page.locator("#ticket-title")).to_have_text("Incident: Мигает свет на 3 этаже")
    assert sorted(Ticket.objects.filter(parent=parent).values_list("pk", flat=True)) == [t.pk for t in tickets]
    for ticket in tickets:
        assert list(ticket.articles.filter(author_user=supervisor).values_list("body", flat=True)) == [
            "Меняем драйверы светильников на 3 этаже, закончим к 18:00."
        ]
    assert list(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets])
        .order_by("pk")
        .values_list("assignee__full_name", flat=True)
    ) == [
        "Алексей Попов",
        "Игорь Новиков",
        "Алексей Попов",
    ]
