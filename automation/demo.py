"""Demo data for automatic assignment and repeated complaints (core/management/commands/seed_demo.py
calls this after the demo tickets exist, so the strategies do not reshuffle the demo's stories)."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.choices import Role
from accounts.models import Team, User
from automation.assignment.services import absence_create, agent_profile_set, team_assignment_set, work_shifts_set
from customers.models import Site
from tickets.models import ServiceCategory
from tickets.services import ticket_create

COMPLAINTS = [
    ("Мигает свет на 3 этаже", "Добрый день! Мигает свет на 3 этаже, в open space работать невозможно."),
    ("На третьем этаже моргает освещение", "С утра на третьем этаже моргает освещение, глаза устают."),
    ("свет мерцает в коридоре 3 этаж", "Свет мерцает в коридоре, 3 этаж, возле лифтов."),
]
# Home bases around Moscow (latitude, longitude) for the engineers, in STAFF order.
HOMES = [
    (Decimal("55.7558"), Decimal("37.6173")),
    (Decimal("55.8970"), Decimal("37.4297")),
    (Decimal("55.6110"), Decimal("37.7280")),
]


def seed_automation_demo() -> None:
    strategies = {
        "engineering": ("site", {}),
        "electric": ("skill", {}),
        "it": ("least_loaded", {"critical": 4, "high": 2, "normal": 1, "low": 0.5}),
    }
    for code, (strategy, weights) in strategies.items():
        team = Team.objects.filter(code=code).first()
        if team is not None:
            team_assignment_set(team=team, strategy=strategy, priority_weights=weights)
    engineers = list(User.objects.filter(role=Role.ENGINEER, is_active=True).order_by("id"))
    categories = {c.code: c for c in ServiceCategory.objects.all()}
    today = timezone.localdate()
    for n, engineer in enumerate(engineers):
        # Every third engineer keeps no schedule: always on shift (the documented rule).
        if n % 3 != 2:
            weekdays = range(5) if n % 2 == 0 else range(2, 7)
            work_shifts_set(user=engineer, shifts=[(d, time(9), time(18)) for d in weekdays])
        home = HOMES[n % len(HOMES)]
        skills = list(categories.values())[n % max(len(categories), 1) :][:2]
        if engineer.teams.filter(code="electric").exists() and "lighting" in categories:
            skills.append(categories["lighting"])
        agent_profile_set(user=engineer, categories=skills, home_latitude=home[0], home_longitude=home[1])
    if len(engineers) > 2:
        absence_create(
            user=engineers[2],
            kind="leave",
            start_date=today - timedelta(days=2),
            end_date=today + timedelta(days=9),
            note="Ежегодный отпуск",
        )
    if engineers:
        absence_create(
            user=engineers[0], kind="sick", start_date=today + timedelta(days=20), end_date=today + timedelta(days=24)
        )
    # Three similar complaints from one floor of one site, through the normal path: a potential incident.
    site = Site.objects.filter(company__contacts__isnull=False).order_by("id").first()
    if site is None:
        return
    contacts = list(site.company.contacts.order_by("id")[:3])
    # In the lighting category: its team (electricians) assigns by skill, so the history shows why.
    lighting = categories.get("lighting")
    for n, (title, description) in enumerate(COMPLAINTS):
        ticket_create(
            actor=None,
            title=title,
            description=description,
            channel="email" if n != 1 else "telegram",
            site=site,
            contact=contacts[n % len(contacts)],
            category=lighting,
        )
