"""Benchmark the SLA report over 100,000 tickets received in one month: the report per grouping,
the report page and both exports. Runs in pytest's test database (SQLite, or PostgreSQL with
DATABASE_URL set), so it needs nothing else:

    uv run pytest -q -s -n 0 bench/sla_report_bench.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/otklik_reporttest uv run pytest -q -s -n 0 bench/sla_report_bench.py
    SLA_BENCH_TICKETS=20000 uv run pytest -q -s -n 0 bench/sla_report_bench.py

Tickets: 10 teams, 50 agents, 500 companies, every priority; 90% under one of two policies (a
Mon–Fri 9–18 Moscow calendar with the May holidays, or a 24/7 one), the rest under the default
calendar; 85% answered within 0–60 hours, 60% resolved within 0–14 days.
"""

from __future__ import annotations

import os
import random
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from sla.calendars import clocks_reset
from sla.models import BusinessCalendar, CalendarDay, DayKind, SlaPolicy, WorkingInterval
from sla.report import Grouping, ReportFilters, sla_report_for_user
from tests.factories import CompanyFactory, TeamFactory, UserFactory
from tickets.models import Priority, Status, Ticket

TICKETS = int(os.environ.get("SLA_BENCH_TICKETS", "100000"))
MSK = ZoneInfo("Europe/Moscow")
MAY = ReportFilters(date_from=date(2025, 5, 1), date_to=date(2025, 5, 31))


def _seed(n: int) -> None:
    rng = random.Random(1)
    office = BusinessCalendar.objects.create(code="office", name="Офис", is_default=True)
    for weekday in range(5):
        WorkingInterval.objects.create(calendar=office, weekday=weekday, start=clock_time(9), end=clock_time(18))
    for day in (1, 2, 8, 9):
        CalendarDay.objects.create(calendar=office, day=date(2025, 5, day), kind=DayKind.HOLIDAY)
    always = BusinessCalendar.objects.create(code="always", name="24/7", is_24x7=True)
    policies = [
        SlaPolicy.objects.create(name="Офис", calendar=office),
        SlaPolicy.objects.create(name="Круглосуточно", calendar=always),
    ]
    teams = [TeamFactory() for _ in range(10)]
    agents = [UserFactory(role=Role.AGENT) for _ in range(50)]
    companies = [CompanyFactory() for _ in range(500)]
    priorities = list(Priority.objects.all())
    status = Status.objects.get(code="new")
    start = datetime(2025, 5, 1, tzinfo=MSK).timestamp()
    month = 31 * 86400
    states = ["met", "met", "met", "breached", "running", "paused", ""]
    batch: list[Ticket] = []
    for number in range(1, n + 1):
        received = datetime.fromtimestamp(start + rng.random() * month, MSK)
        answered = received + timedelta(hours=rng.random() * 60) if rng.random() < 0.85 else None
        resolved = received + timedelta(days=rng.random() * 14) if rng.random() < 0.6 else None
        batch.append(
            Ticket(
                number=number,
                title=f"Заявка {number}",
                status=status,
                status_category=status.category,
                priority=rng.choice(priorities),
                team=rng.choice(teams),
                assignee=rng.choice(agents) if rng.random() < 0.9 else None,
                company=rng.choice(companies),
                sla_policy=rng.choice(policies) if rng.random() < 0.9 else None,
                received_at=received,
                first_response_at=answered,
                resolved_at=resolved,
                sla_first_response_state=rng.choice(states),
                sla_first_response_due=received + timedelta(hours=4),
                sla_resolution_state=rng.choice(states),
                sla_resolution_due=received + timedelta(days=3),
                sla_breached=rng.random() < 0.2,
            )
        )
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    Ticket.objects.bulk_create(batch)


@pytest.mark.django_db
def test_sla_report_bench() -> None:
    began = time.perf_counter()
    _seed(TICKETS)
    print(f"\n{connection.vendor}: seeded {TICKETS} tickets in {time.perf_counter() - began:.1f} s")
    supervisor = UserFactory(role=Role.SUPERVISOR, language="ru")
    clocks_reset()
    for grouping in (Grouping.DAY, Grouping.WEEK, Grouping.TEAM, Grouping.AGENT, Grouping.COMPANY):
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            report = sla_report_for_user(user=supervisor, filters=MAY, grouping=grouping, tz=MSK)
        print(
            f"report by {grouping:8}: {time.perf_counter() - began:5.2f} s, {len(queries)} queries, "
            f"{len(report.rows)} rows, {report.totals.tickets} tickets, "
            f"{report.totals.first_response.measured + report.totals.resolution.measured} times measured"
        )
    browser = Client()
    browser.force_login(supervisor)
    params = {"date_from": "2025-05-01", "date_to": "2025-05-31", "group": "team"}
    for label, url, extra in (
        ("page (first request of the process)", "/sla/report/", {}),
        ("page", "/sla/report/", {}),
        ("csv", "/sla/report/export/", {"format": "csv"}),
        ("xlsx", "/sla/report/export/", {"format": "xlsx"}),
    ):
        began = time.perf_counter()
        response = browser.get(url, {**params, **extra})
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200
        print(f"{label}: {time.perf_counter() - began:5.2f} s, {len(body) // 1024} KiB")
