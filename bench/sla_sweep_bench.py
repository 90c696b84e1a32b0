"""SLA benchmark, part 2: one sweep over 100,000 open tickets of which 1,000 are due, end to
end (finding them, firing warnings/breaches/escalations with their events and notifications,
moving each ticket's next check). Goal: ≤ 1 s.

Creates the PostgreSQL database `otklik_bench_sweep` (dropped first), migrates it, makes one
policy with an escalation level and inserts the tickets with their clocks in bulk.

    uv run python bench/sla_sweep_bench.py [--tickets 100000] [--due 1000]
      [--database-url postgres://postgres@127.0.0.1:5432/otklik_bench_sweep]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/otklik_bench_sweep"


def prepare(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_SWEEP_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()

    started = time.perf_counter()
    prepare(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Mail goes out from the worker: the sweep only queues it (SqliteHuey file under var/).
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from accounts.choices import Role
    from accounts.models import Team, User
    from sla.models import EscalationTrigger, SlaEscalation, SlaPolicy, SlaTarget
    from sla.sweep import sla_sweep
    from tickets.models import Priority, Status, Ticket

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    supervisor = User.objects.create_user(
        email="sup@bench.local", password=None, full_name="Старший", role=Role.SUPERVISOR
    )
    engineer = User.objects.create_user(email="eng@bench.local", password=None, full_name="Инженер", role=Role.ENGINEER)
    team = Team.objects.create(code="bench", name_ru="Бенч", name_en="Bench", supervisor=supervisor)
    normal = Priority.objects.get(code="normal")
    from sla.models import BusinessCalendar

    always = BusinessCalendar.objects.get(is_24x7=True)
    policy = SlaPolicy.objects.create(name="Bench", order=1, warn_percent=80, calendar=always)
    SlaTarget.objects.create(
        policy=policy, priority=normal, first_response_minutes=60, resolution_minutes=8 * 60, resolution_business=False
    )
    SlaEscalation.objects.create(
        policy=policy, target="resolution", trigger=EscalationTrigger.AFTER_BREACH, minutes=0, notify_supervisor=True
    )
    status = Status.objects.get(code="open")
    now = timezone.now()
    print(f"database ready in {time.perf_counter() - started:.1f} s; inserting {args.tickets:,} tickets …")
    rows = []
    for n in range(1, args.tickets + 1):
        # Due now: the 80 % warning of the 8-hour resolution fell due (deadline in 30 minutes);
        # the others have hours to go. One moment per due ticket, as in daily life.
        due_now = n <= args.due
        received = now - timedelta(minutes=450) if due_now else now - timedelta(minutes=5)
        rows.append(
            Ticket(
                number=n,
                title=f"Заявка {n}",
                status=status,
                status_category=status.category,
                priority=normal,
                team=team,
                assignee=engineer if n % 2 else None,
                channel="phone",
                created_at=received,
                updated_at=received,
                received_at=received,
                first_response_at=received + timedelta(minutes=20),
                sla_policy=policy,
                sla_first_response_state="met",
                sla_resolution_due=received + timedelta(hours=8),
                sla_resolution_state="running",
                sla_due=received + timedelta(hours=8),
                sla_next_check=(now - timedelta(minutes=1)) if due_now else now + timedelta(hours=6),
            )
        )
        if len(rows) == 5000:
            Ticket.objects.bulk_create(rows)
            rows = []
    Ticket.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"tickets inserted ({time.perf_counter() - started:.1f} s since start); sweeping …")
    t0 = time.perf_counter()
    counts = sla_sweep(now=now)
    elapsed = time.perf_counter() - t0
    print(
        f"sweep: {elapsed:.3f} s for {counts['tickets']:,} due tickets among {args.tickets:,} open "
        f"(warnings {counts['warning']}, breaches {counts['breach']}, escalations {counts['escalation']}) "
        f"— goal ≤ 1 s: {'MET' if elapsed <= 1 else 'MISSED'}"
    )
    t0 = time.perf_counter()
    again = sla_sweep(now=now)
    print(f"second sweep (nothing due): {time.perf_counter() - t0:.3f} s, {sum(again.values())} fired")


if __name__ == "__main__":
    main()
