"""The assignment, schedule and incident pages through the client."""

from datetime import date, time

from django.urls import reverse

from accounts.choices import Role
from automation.assignment.services import absence_create, agent_profile_set, work_shifts_set
from automation.choices import IncidentState
from automation.models import Absence, AgentProfile, PotentialIncident, TeamAssignment, WorkShift
from tests.factories import ContactFactory, ServiceCategoryFactory, SiteFactory, UserFactory, make_ticket
from tickets.models import Ticket

LIGHT = [
    ("Мигает свет на 3 этаже", ""),
    ("На третьем этаже моргает освещение", ""),
    ("свет мерцает в коридоре 3 этаж", ""),
]


def _incident():
    site = SiteFactory(name="БЦ Октябрь")
    for title, description in LIGHT:
        make_ticket(site=site, contact=ContactFactory(company=site.company), title=title, description=description)
    return PotentialIncident.objects.get()


def test_supervisor_sets_a_team_strategy_with_weights(login, supervisor, team):
    # when
    response = login(supervisor).post(
        reverse("automation_assignment:team_edit", args=[team.pk]),
        {
            "strategy": "least_loaded",
            "weight_critical": "4",
            "weight_high": "2.5",
            "weight_normal": "1",
            "weight_low": "",
        },
    )
    # then
    assert response.status_code == 302
    setting = TeamAssignment.objects.get(team=team)
    assert setting.strategy == "least_loaded"
    assert setting.priority_weights == {"critical": 4.0, "high": 2.5, "normal": 1.0, "low": 1.0}


def test_bad_weight_is_refused_with_an_error_and_nothing_saved(login, supervisor, team):
    response = login(supervisor).post(
        reverse("automation_assignment:team_edit", args=[team.pk]),
        {"strategy": "least_loaded", "weight_critical": "-3"},
    )
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()
    assert not TeamAssignment.objects.exists()


def test_agents_cannot_manage_strategies_or_incidents(login, team, engineers):
    browser = login(engineers[0])
    assert browser.get(reverse("automation_assignment:team_list")).status_code == 403
    assert browser.get(reverse("automation_assignment:incident_list")).status_code == 403


def test_schedule_editor_saves_shifts_skills_and_home_base(login, supervisor, engineers):
    # given
    anna = engineers[0]
    lighting = ServiceCategoryFactory(name_en="Lighting")
    data = {f"start_{d}": "" for d in range(7)} | {f"end_{d}": "" for d in range(7)}
    data |= {"start_0": "09:00", "end_0": "18:00", "start_4": "22:00", "end_4": "06:00"}
    data |= {"categories": [lighting.pk], "home_latitude": "55.755800", "home_longitude": "37.617300"}
    # when
    response = login(supervisor).post(reverse("automation_assignment:agent_schedule", args=[anna.pk]), data)
    # then
    assert response.status_code == 302
    assert list(WorkShift.objects.filter(user=anna).values_list("weekday", "start", "end")) == [
        (0, time(9), time(18)),
        (4, time(22), time(6)),
    ]
    profile = AgentProfile.objects.get(user=anna)
    assert list(profile.categories.all()) == [lighting]
    assert (str(profile.home_latitude), str(profile.home_longitude)) == ("55.755800", "37.617300")


def test_half_a_shift_is_refused_and_the_old_schedule_kept(login, supervisor, engineers):
    anna = engineers[0]
    work_shifts_set(user=anna, shifts=[(1, time(8), time(17))])
    data = {f"start_{d}": "" for d in range(7)} | {f"end_{d}": "" for d in range(7)} | {"start_2": "10:00"}
    response = login(supervisor).post(reverse("automation_assignment:agent_schedule", args=[anna.pk]), data)
    assert response.status_code == 200
    assert "Give both the start and the end, or neither." in response.content.decode()
    assert list(WorkShift.objects.filter(user=anna).values_list("weekday", flat=True)) == [1]


def test_absences_are_added_and_removed_and_bad_dates_refused(login, supervisor, engineers):
    anna = engineers[0]
    browser = login(supervisor)
    url = reverse("automation_assignment:absence_add", args=[anna.pk])
    browser.post(url, {"kind": "leave", "start_date": "2026-12-20", "end_date": "2026-12-31", "note": "Отпуск"})
    refused = browser.post(url, {"kind": "sick", "start_date": "2026-12-10", "end_date": "2026-12-01"}, follow=True)
    assert "The absence ends before it starts." in refused.content.decode()
    absence = Absence.objects.get(user=anna)
    assert (absence.kind, absence.start_date, absence.end_date, absence.note) == (
        "leave",
        date(2026, 12, 20),
        date(2026, 12, 31),
        "Отпуск",
    )
    browser.post(reverse("automation_assignment:absence_remove", args=[anna.pk, absence.pk]))
    assert not Absence.objects.exists()


def test_agents_see_their_own_schedule_read_only_and_nobody_elses(login, engineers):
    anna, boris, _ = engineers
    work_shifts_set(user=anna, shifts=[(0, time(9), time(18))])
    browser = login(anna)
    page = browser.get(reverse("automation_assignment:agent_schedule", args=[anna.pk]))
    assert page.status_code == 200
    assert "09:00" in page.content.decode()
    assert 'type="time"' not in page.content.decode()
    assert browser.get(reverse("automation_assignment:agent_schedule", args=[boris.pk])).status_code == 404
    assert browser.post(reverse("automation_assignment:agent_schedule", args=[anna.pk]), {}).status_code == 403
    assert browser.post(reverse("automation_assignment:absence_add", args=[anna.pk]), {}).status_code == 403


def test_agent_list_queries_do_not_grow_with_agents(login, supervisor, team, django_assert_max_num_queries):
    # given
    category = ServiceCategoryFactory()
    for n in range(6):
        user = UserFactory(role=Role.ENGINEER)
        team.members.add(user)
        agent_profile_set(user=user, categories=[category], home_latitude=None, home_longitude=None)
        work_shifts_set(user=user, shifts=[(n % 7, time(9), time(18))])
        absence_create(user=user, kind="sick", start_date=date(2026, 1, 1), end_date=date(2026, 1, 2))
    browser = login(supervisor)
    # when / then: session, user, notifications, agents, teams, profiles, categories, shifts, absences
    with django_assert_max_num_queries(12):
        response = browser.get(reverse("automation_assignment:agent_list"))
    assert response.status_code == 200


def test_incident_list_and_make_parent_in_one_click(login, supervisor, django_assert_max_num_queries):
    # given
    incident = _incident()
    browser = login(supervisor)
    # when
    with django_assert_max_num_queries(12):
        page = browser.get(reverse("automation_assignment:incident_list"))
    response = browser.post(reverse("automation_assignment:incident_make_parent", args=[incident.pk]), {"title": ""})
    # then
    assert "Мигает свет на 3 этаже" in page.content.decode()
    incident.refresh_from_db()
    assert incident.state == IncidentState.CONFIRMED
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[incident.parent.number])
    assert Ticket.objects.filter(parent=incident.parent).count() == 3


def test_ticket_page_shows_the_banner(login, supervisor):
    incident = _incident()
    ticket = incident.tickets.order_by("id").first()
    page = login(supervisor).get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert "Possible incident:" in page
    assert "3 similar complaints from this site within a day." in page


def test_dismiss(login, supervisor):
    incident = _incident()
    login(supervisor).post(reverse("automation_assignment:incident_dismiss", args=[incident.pk]))
    incident.refresh_from_db()
    assert incident.state == IncidentState.DISMISSED
