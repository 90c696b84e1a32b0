"""The SLA report: counts and shares per grouping, business-hour times, filters, the page, the
export files, access and query counts."""

import csv
import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.choices import Role
from sla.calendars import clocks_reset
from sla.models import BusinessCalendar, SlaPolicy, WorkingInterval
from sla.report import Grouping, ReportFilters, breached_targets, sla_breached_list_for_user, sla_report_for_user
from tests.factories import (
    ClientUserFactory,
    CompanyFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
    priority,
)
from tickets.models import Ticket

MSK = ZoneInfo("Europe/Moscow")
MARCH = ReportFilters(date_from=date(2025, 3, 1), date_to=date(2025, 3, 31))


def msk(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=MSK)


@pytest.fixture(autouse=True)
def _fresh_clocks():
    clocks_reset()
    yield
    clocks_reset()


@pytest.fixture
def login(db):
    def make(user):
        browser = Client(headers={"Accept-Language": "en"})
        browser.force_login(user)
        return browser

    return make


@pytest.fixture
def supervisor(db):
    return UserFactory(full_name="Семён Старший", role=Role.SUPERVISOR, language="en", time_zone="Europe/Moscow")


@pytest.fixture
def calendar(db):
    """Mon–Fri 9:00–18:00 Moscow time, the default calendar."""
    calendar = BusinessCalendar.objects.create(
        code="msk", name="Москва 9–18", time_zone="Europe/Moscow", is_default=True
    )
    for weekday in range(5):
        WorkingInterval.objects.create(calendar=calendar, weekday=weekday, start=time(9), end=time(18))
    return calendar


@pytest.fixture
def world(db, calendar):
    """Five tickets with known clocks in March 2025 (Moscow time) and one in April.

    A  team 1, agent 1, company 1, normal:   Mon 03.03 10:00, answered 12:00 (2 h), resolved
       Tue 10:00 (9 h); both met.
    B  team 1, agent 2, company 2, critical: Fri 07.03 17:00, answered Mon 10:00 (2 h, breached,
       due Fri 18:00); resolution running.
    C  team 2, unassigned, company 1, normal: Sat 08.03 12:00, answered Mon 09:30 (0.5 h, met),
       resolved Mon 13:00 (4 h, breached, due 11:00).
    D  no team, no policy, no company, normal: Tue 11.03 00:30 Moscow (Mon 21:30 UTC); both paused.
    E  as A but received 01.04 00:30 Moscow (31.03 21:30 UTC): outside March.
    """
    policy = SlaPolicy.objects.create(name="Стандарт", calendar=calendar)
    team1 = TeamFactory(name_en="Service", name_ru="Сервис")
    team2 = TeamFactory(name_en="Lifts", name_ru="Лифты")
    agent1 = UserFactory(full_name="Анна Агент", role=Role.AGENT)
    agent2 = UserFactory(full_name="Борис Агент", role=Role.AGENT)
    company1 = CompanyFactory(name="ООО Ромашка")
    company2 = CompanyFactory(name="АО Василёк")

    def ticket(title, *, prio="normal", **columns):
        created = make_ticket(title=title, priority=priority(prio))
        Ticket.objects.filter(pk=created.pk).update(**columns)
        created.refresh_from_db()
        return created

    tickets = {
        "A": ticket(
            "A", team=team1, assignee=agent1, company=company1, sla_policy=policy, received_at=msk(3, 10),
            first_response_at=msk(3, 12), resolved_at=msk(4, 10),
            sla_first_response_state="met", sla_resolution_state="met",
        ),
        "B": ticket(
            "B", prio="critical", team=team1, assignee=agent2, company=company2, sla_policy=policy,
            received_at=msk(7, 17), first_response_at=msk(10, 10), sla_first_response_due=msk(7, 18),
            sla_first_response_state="breached", sla_resolution_state="running", sla_breached=True,
        ),
        "C": ticket(
            "C", team=team2, company=company1, sla_policy=policy, received_at=msk(8, 12),
            first_response_at=msk(10, 9, 30), resolved_at=msk(10, 13), sla_resolution_due=msk(10, 11),
            sla_first_response_state="met", sla_resolution_state="breached", sla_breached=True,
        ),
        "D": ticket(
            "D", received_at=msk(11, 0, 30), sla_first_response_state="paused", sla_resolution_state="paused"
        ),
        "E": ticket(
            "E", team=team1, assignee=agent1, company=company1, sla_policy=policy, received_at=msk(1, 0, 30, month=4),
            first_response_at=msk(1, 12, month=4), sla_first_response_state="met", sla_resolution_state="running",
        ),
    }  # fmt: skip
    return {
        **tickets,
        "policy": policy,
        "team1": team1,
        "team2": team2,
        "agent1": agent1,
        "agent2": agent2,
        "company1": company1,
        "company2": company2,
    }


def summary(row):
    fr, res = row.first_response, row.resolution
    return (
        row.label,
        row.tickets,
        (fr.met, fr.breached, fr.pending, fr.share, fr.average_hours, fr.median_hours),
        (res.met, res.breached, res.pending, res.share, res.average_hours, res.median_hours),
    )


def report(user, grouping, filters=MARCH):
    with translation.override("en"):  # labels are in the viewer's language
        return sla_report_for_user(user=user, filters=filters, grouping=grouping, tz=MSK)


# --- counts, shares and times -----------------------------------------------------------------


def test_totals_count_states_and_measure_business_hours(world, supervisor):
    # when
    result = report(supervisor, Grouping.MONTH)

    # then: first response 2 h, 2 h, 0.5 h; resolution 9 h, 4 h — all in working hours only
    assert [summary(r) for r in result.rows] == [
        ("March 2025", 4, (2, 1, 1, 66.7, 1.5, 2.0), (1, 1, 2, 50.0, 6.5, 6.5)),
    ]
    assert summary(result.totals) == ("Total", 4, (2, 1, 1, 66.7, 1.5, 2.0), (1, 1, 2, 50.0, 6.5, 6.5))
    assert result.broken_calendars == []


def test_grouping_by_team(world, supervisor):
    result = report(supervisor, Grouping.TEAM)

    assert [summary(r) for r in result.rows] == [
        ("Lifts", 1, (1, 0, 0, 100.0, 0.5, 0.5), (0, 1, 0, 0.0, 4.0, 4.0)),
        ("Service", 2, (1, 1, 0, 50.0, 2.0, 2.0), (1, 0, 1, 100.0, 9.0, 9.0)),
        ("No team", 1, (0, 0, 1, None, None, None), (0, 0, 1, None, None, None)),
    ]
    assert [r.key for r in result.rows] == [world["team2"].pk, world["team1"].pk, None]


def test_grouping_by_agent_company_and_priority(world, supervisor):
    by_agent = report(supervisor, Grouping.AGENT)
    by_company = report(supervisor, Grouping.COMPANY)
    by_priority = report(supervisor, Grouping.PRIORITY)

    assert [(r.label, r.tickets, r.first_response.share) for r in by_agent.rows] == [
        ("Анна Агент", 1, 100.0),
        ("Борис Агент", 1, 0.0),
        ("Unassigned", 2, 100.0),
    ]
    assert [(r.label, r.tickets, r.resolution.share, r.resolution.median_hours) for r in by_company.rows] == [
        ("АО Василёк", 1, None, None),
        ("ООО Ромашка", 2, 50.0, 6.5),
        ("No company", 1, None, None),
    ]
    # the most urgent priority first
    assert [(r.key, r.tickets, r.first_response.breached) for r in by_priority.rows] == [
        (priority("critical").pk, 1, 1),
        (priority("normal").pk, 3, 0),
    ]


def test_periods_are_days_and_weeks_of_the_viewers_time_zone(world, supervisor):
    by_day = report(supervisor, Grouping.DAY)
    by_week = report(supervisor, Grouping.WEEK)
    in_utc = sla_report_for_user(user=supervisor, filters=MARCH, grouping=Grouping.DAY, tz=ZoneInfo("UTC"))

    assert [(r.key, r.tickets) for r in by_day.rows] == [
        (date(2025, 3, 3), 1),
        (date(2025, 3, 7), 1),
        (date(2025, 3, 8), 1),
        (date(2025, 3, 11), 1),  # 00:30 in Moscow
    ]
    assert [r.label for r in by_day.rows] == ["03.03.2025", "07.03.2025", "08.03.2025", "11.03.2025"]
    assert [(r.key, r.tickets, r.label) for r in by_week.rows] == [
        (date(2025, 3, 3), 3, "03.03.2025 – 09.03.2025"),
        (date(2025, 3, 10), 1, "10.03.2025 – 16.03.2025"),
    ]
    # in UTC, D arrived on the 10th and E (21:30 on 31 March) falls into March
    assert [(r.key, r.tickets) for r in in_utc.rows][-2:] == [(date(2025, 3, 10), 1), (date(2025, 3, 31), 1)]


def test_a_ticket_without_any_calendar_is_measured_round_the_clock(db, supervisor):
    # given: no calendars at all (not even the shipped ones)
    BusinessCalendar.objects.all().delete()
    created = make_ticket(title="24/7")
    Ticket.objects.filter(pk=created.pk).update(
        received_at=msk(8, 12), first_response_at=msk(9, 12), sla_first_response_state="met"
    )

    result = report(supervisor, Grouping.MONTH)

    assert result.totals.first_response.average_hours == 24.0


def test_a_calendar_without_working_time_is_reported_and_counted_round_the_clock(world, supervisor):
    empty = BusinessCalendar.objects.create(code="empty", name="Пустой")
    SlaPolicy.objects.filter(pk=world["policy"].pk).update(calendar=empty)

    result = report(supervisor, Grouping.TEAM)

    assert result.broken_calendars == ["Пустой"]
    assert result.rows[0].resolution.average_hours == 49.0  # C: Sat 12:00 → Mon 13:00


def test_filters_narrow_the_tickets(world, supervisor):
    def tickets(**filters):
        values = {"date_from": date(2025, 3, 1), "date_to": date(2025, 3, 31), **filters}
        return report(supervisor, Grouping.MONTH, ReportFilters(**values)).totals.tickets

    assert tickets(team_id=world["team1"].pk) == 2
    assert tickets(assignee_id=world["agent1"].pk) == 1
    assert tickets(company_id=world["company1"].pk) == 2
    assert tickets(priority_id=priority("critical").pk) == 1
    assert tickets(date_from=date(2025, 3, 8), date_to=date(2025, 3, 10)) == 1
    assert tickets(date_from=date(2025, 3, 1), date_to=date(2025, 4, 30)) == 5
    assert tickets(team_id=world["team1"].pk, assignee_id=world["agent2"].pk) == 1
    assert tickets(team_id=world["team2"].pk, company_id=world["company2"].pk) == 0


def test_breached_list_says_which_target_and_how_late(world, supervisor):
    tickets = list(sla_breached_list_for_user(user=supervisor, filters=MARCH, tz=MSK))

    assert [t.title for t in tickets] == ["C", "B"]
    late = {t.title: [(b.target, b.late) for b in breached_targets(t, now=msk(20, 12))] for t in tickets}
    assert late == {
        "C": [("resolution", timedelta(hours=2))],
        "B": [("first_response", timedelta(days=2, hours=16))],
    }


def test_an_outstanding_breach_is_late_until_now_and_a_missed_next_response_is_listed(world, supervisor):
    Ticket.objects.filter(pk=world["B"].pk).update(first_response_at=None)
    Ticket.objects.filter(pk=world["A"].pk).update(sla_breached=True, sla_next_response_state="met")
    tickets = {t.title: t for t in sla_breached_list_for_user(user=supervisor, filters=MARCH, tz=MSK)}

    assert [(b.target, b.late) for b in breached_targets(tickets["B"], now=msk(8, 10))] == [
        ("first_response", timedelta(hours=16))
    ]
    assert [(b.target, b.due, b.late) for b in breached_targets(tickets["A"], now=msk(8, 10))] == [
        ("next_response", None, None)
    ]


# --- the page ----------------------------------------------------------------------------------


def test_the_page_shows_the_table_and_the_breached_tickets(world, supervisor, login):
    params = {"date_from": "2025-03-01", "date_to": "31.03.2025", "group": "team"}

    response = login(supervisor).get("/sla/report/", params)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Service" in page and "Lifts" in page and "No team" in page
    assert "66.7" in page and "6.5" in page
    assert f"/tickets/{world['B'].number}/" in page and f"/tickets/{world['C'].number}/" in page
    assert f"/tickets/{world['A'].number}/" not in page
    assert "2 d 16 h" in page and "2 h 0 min" in page
    # a team row narrows the report to that team, grouped by agent
    assert f"?date_from=2025-03-01&amp;date_to=2025-03-31&amp;group=agent&amp;team={world['team1'].pk}" in page
    assert "/sla/report/export/?date_from=2025-03-01&amp;date_to=2025-03-31&amp;group=team&amp;format=csv" in page


def test_the_page_defaults_to_the_current_month_by_day(world, supervisor, login):
    response = login(supervisor).get("/sla/report/")

    assert response.status_code == 200
    today = response.context["report"].filters.date_from
    assert today.day == 1 and response.context["report"].grouping == "day"
    assert response.context["report"].filters.date_to.month == today.month


def test_the_page_is_in_russian_for_a_russian_viewer(world, login):
    viewer = UserFactory(role=Role.ADMIN, language="ru")
    browser = Client()
    browser.force_login(viewer)

    page = browser.get(
        "/sla/report/", {"date_from": "2025-03-01", "date_to": "2025-03-31", "group": "team"}
    ).content.decode()

    assert "Отчёт по SLA" in page and "Первый ответ" in page and "66,7" in page and "выполнен, %" in page
    assert "2 д 16 ч" in page and "Без группы" in page


@pytest.mark.parametrize(
    ("params", "period"),
    [
        ({"date_from": "2025-03-10"}, (date(2025, 3, 10), date(2025, 3, 31))),
        ({"date_to": "05.02.2025"}, (date(2025, 2, 1), date(2025, 2, 5))),
    ],
)
def test_one_date_given_means_the_rest_of_its_month(supervisor, login, params, period):
    report = login(supervisor).get("/sla/report/", params).context["report"]

    assert (report.filters.date_from, report.filters.date_to) == period


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "31.02.2025"}, "Enter a date as YYYY-MM-DD or DD.MM.YYYY."),
        ({"date_from": "2025-03-10", "date_to": "2025-03-01"}, "The end of the period is before its start."),
        ({"date_from": "1900-01-01"}, "Choose a date from 01.01.2000 to 31.12.2099."),
        ({"date_to": "9999-12-31"}, "Choose a date from 01.01.2000 to 31.12.2099."),
        ({"team": "999999"}, "There is no such team."),
        ({"assignee": "abc"}, "There is no such agent."),
        ({"company": "999999"}, "There is no such company."),
        ({"priority": "999999"}, "There is no such priority."),
        ({"group": "year"}, "Choose how to group"),
    ],
)
def test_bad_input_gets_a_clear_message(world, supervisor, login, params, message):
    browser = login(supervisor)

    page = browser.get("/sla/report/", params)
    export = browser.get("/sla/report/export/", {**params, "format": "csv"})

    assert page.status_code == 200
    assert message in page.content.decode()
    assert "report" not in page.context
    assert export.status_code == 400
    assert message in export.content.decode()


def test_an_unknown_export_format_is_refused(supervisor, login):
    response = login(supervisor).get("/sla/report/export/", {"format": "pdf"})

    assert response.status_code == 400
    assert response.content.decode() == "Unknown export format: choose csv or xlsx."


def test_only_admins_and_supervisors_see_the_report(db, login):
    agent = UserFactory(role=Role.AGENT)
    client_user = ClientUserFactory()
    admin = UserFactory(role=Role.ADMIN)

    for url in ("/sla/report/", "/sla/report/export/?format=csv"):
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
        assert login(agent).get(url).status_code == 403
        assert login(client_user).get(url)["Location"] == "/portal/"
        assert login(admin).get(url).status_code == 200


def test_query_count_does_not_grow_with_the_tickets(world, supervisor, login):
    browser = login(supervisor)
    params = {"date_from": "2025-03-01", "date_to": "2025-03-31"}

    def queries(group):
        with CaptureQueriesContext(connection) as captured:
            assert browser.get("/sla/report/", {**params, "group": group}).status_code == 200
        return len(captured)

    queries("day")  # warms the reference snapshot and the calendar's clock, both kept per process
    before = {group: queries(group) for group in ("day", "team", "agent", "company")}
    for n in range(12):
        created = make_ticket(title=f"more {n}")
        Ticket.objects.filter(pk=created.pk).update(
            team=world["team2"] if n % 2 else world["team1"], assignee=world["agent1"] if n % 3 else None,
            company=CompanyFactory(), sla_policy=world["policy"], received_at=msk(12 + n, 10),
            first_response_at=msk(12 + n, 11), resolved_at=msk(12 + n, 15),
            sla_first_response_state="met", sla_resolution_state="breached", sla_breached=True,
        )  # fmt: skip
    after = {group: queries(group) for group in ("day", "team", "agent", "company")}

    assert after == before


# --- the export --------------------------------------------------------------------------------


def test_csv_export_has_the_table_and_the_breached_tickets(world, supervisor, login):
    response = login(supervisor).get(
        "/sla/report/export/", {"date_from": "2025-03-01", "date_to": "2025-03-31", "group": "team", "format": "csv"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="sla-2025-03-01-2025-03-31.csv"'
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    blank = lines.index([])
    table, breached = lines[:blank], lines[blank + 1 :]
    assert table[0][:4] == ["Team", "Tickets", "First response: met", "First response: breached"]
    assert table[1:] == [
        ["Lifts", "1", "1", "0", "0", "100", "0,5", "0,5", "0", "1", "0", "0", "4", "4"],
        ["Service", "2", "1", "1", "0", "50", "2", "2", "1", "0", "1", "100", "9", "9"],
        ["No team", "1", "0", "0", "1", "", "", "", "0", "0", "1", "", "", ""],
        ["Total", "4", "2", "1", "1", "66,7", "1,5", "2", "1", "1", "2", "50", "6,5", "6,5"],
    ]
    assert breached[0] == [
        "Number", "Subject", "Target", "Deadline", "Late by, hours", "Assignee", "Team", "Received"
    ]  # fmt: skip
    assert breached[1:] == [
        [str(world["C"].number), "C", "Resolution", "10.03.2025 11:00", "2", "", "Lifts", "08.03.2025 12:00"],
        [str(world["B"].number), "B", "First response", "07.03.2025 18:00", "64", "Борис Агент", "Service",
         "07.03.2025 17:00"],
    ]  # fmt: skip


def test_xlsx_export_has_two_sheets(world, supervisor, login):
    response = login(supervisor).get(
        "/sla/report/export/", {"date_from": "2025-03-01", "date_to": "2025-03-31", "group": "month", "format": "xlsx"}
    )

    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["SLA report", "Breached tickets"]
    table = list(workbook["SLA report"].iter_rows(values_only=True))
    assert table[0][:2] == ("Month", "Tickets")
    assert table[1:] == [
        ("March 2025", 4, 2, 1, 1, 66.7, 1.5, 2, 1, 1, 2, 50, 6.5, 6.5),
        ("Total", 4, 2, 1, 1, 66.7, 1.5, 2, 1, 1, 2, 50, 6.5, 6.5),
    ]
    breached = list(workbook["Breached tickets"].iter_rows(values_only=True))
    assert breached[1] == (
        world["C"].number, "C", "Resolution", datetime(2025, 3, 10, 11), 2, None, "Lifts", datetime(2025, 3, 8, 12)
    )  # fmt: skip
    assert len(breached) == 3


def test_export_cells_that_look_like_formulas_stay_text(world, supervisor, login):
    Ticket.objects.filter(pk=world["C"].pk).update(title='=HYPERLINK("http://evil")')
    browser = login(supervisor)
    params = {"date_from": "2025-03-01", "date_to": "2025-03-31", "group": "team"}

    raw = b"".join(browser.get("/sla/report/export/", {**params, "format": "csv"}).streaming_content)
    workbook = openpyxl.load_workbook(
        io.BytesIO(b"".join(browser.get("/sla/report/export/", {**params, "format": "xlsx"}).streaming_content))
    )

    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert '\'=HYPERLINK("http://evil")' in [line[1] for line in lines if len(line) > 1]
    cell = workbook["Breached tickets"]["B2"]
    assert cell.value == '=HYPERLINK("http://evil")' and cell.data_type == "s"
