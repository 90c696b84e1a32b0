"""Time the recalculation of every open ticket's SLA clocks after a policy change.

    uv run python bench/sla_recalc_bench.py --tickets 100000

Recreates the PostgreSQL database `otklik_bench_sla` (or `--database-url`), seeds a calendar
(Mon–Fri 09:00–18:00 with the year's holidays), three policies with targets for every priority
and escalation levels, 300 companies with sites, and N open tickets with a simple bulk insert:
each with its first message, half with an agent's reply, a quarter with a client's follow-up and
a fifth that waited for the client (two status events). Then it times, in this process (what the
Huey task runs): a policy change — the run queued by `sla_policy_save` processed to the end by
`sla_recalculation_process` — and, for comparison, `ticket_sla_refresh` one ticket at a time on
a sample. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.seed import migrate, recreate_database, setup_django  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/otklik_bench_sla"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def seed(n: int, rng: random.Random) -> None:
    from django.db import transaction

    from customers.models import Company, Site
    from sla.models import BusinessCalendar, CalendarDay, SlaEscalation, SlaPolicy, SlaTarget, WorkingInterval
    from tickets.choices import ArticleKind, AuthorKind, Channel, EventKind
    from tickets.models import Article, Priority, Status, Ticket, TicketEvent

    now = datetime.now(UTC)
    with transaction.atomic():
        calendar = BusinessCalendar.objects.create(code="bench", name="Bench 9–18", is_default=True)
        WorkingInterval.objects.bulk_create(
            WorkingInterval(calendar=calendar, weekday=d, start=day_time(9), end=day_time(18)) for d in range(5)
        )
        CalendarDay.objects.bulk_create(
            CalendarDay(calendar=calendar, day=(now - timedelta(days=d)).date(), kind="holiday")
            for d in range(3, 90, 17)
        )
        priorities = list(Priority.objects.all())
        policies = [
            SlaPolicy.objects.create(name="VIP", order=10, calendar=calendar, vip_only=True),
            SlaPolicy.objects.create(name="Phone", order=20, calendar=calendar, channels=[Channel.PHONE]),
            SlaPolicy.objects.create(name="Everything", order=30, calendar=calendar),
        ]
        for policy in policies:
            for index, priority in enumerate(priorities):
                SlaTarget.objects.create(
                    policy=policy,
                    priority=priority,
                    first_response_minutes=15 * (index + 1),
                    first_response_business=index > 0,
                    next_response_minutes=60 * (index + 1),
                    resolution_minutes=240 * (index + 1),
                )
            SlaEscalation.objects.create(policy=policy, target="first_response", trigger="after_start", minutes=5)
            SlaEscalation.objects.create(policy=policy, target="resolution", trigger="after_breach", minutes=60)
        companies = Company.objects.bulk_create(Company(name=f"Bench company {i}") for i in range(300))
        sites = Site.objects.bulk_create(Site(company=c, name=f"Site of {c.name}") for c in companies)
    statuses = {s.code: s for s in Status.objects.all()}
    open_status, waiting = statuses["open"], statuses["waiting_client"]
    channels = [Channel.PHONE, Channel.PORTAL, Channel.API]
    log(f"reference data: 1 calendar, {len(policies)} policies, {len(companies)} companies")
    chunk = 5000
    started = time.perf_counter()
    for first in range(0, n, chunk):
        tickets = []
        for number in range(first + 1, min(n, first + chunk) + 1):
            received = now - timedelta(minutes=rng.randint(5, 60 * 24 * 30))
            site = rng.choice(sites)
            tickets.append(
                Ticket(
                    number=number,
                    title=f"Bench ticket {number}",
                    status=open_status,
                    status_category=open_status.category,
                    priority=rng.choice(priorities),
                    company_id=site.company_id,
                    site=site,
                    channel=rng.choice(channels),
                    received_at=received,
                    created_at=received,
                    updated_at=received,
                )
            )
        with transaction.atomic():
            Ticket.objects.bulk_create(tickets, batch_size=1000)
            articles, events = [], []
            for ticket in tickets:
                at = ticket.received_at
                articles.append(
                    Article(ticket=ticket, kind=ArticleKind.PUBLIC, author_kind=AuthorKind.CONTACT, body="…",
                            received_at=at, created_at=at)
                )  # fmt: skip
                if ticket.number % 2 == 0:
                    reply = at + timedelta(minutes=rng.randint(1, 240))
                    ticket.first_response_at = reply
                    articles.append(
                        Article(ticket=ticket, kind=ArticleKind.PUBLIC, author_kind=AuthorKind.AGENT, body="…",
                                created_at=reply, received_at=reply)
                    )  # fmt: skip
                    if ticket.number % 4 == 0:
                        again = reply + timedelta(minutes=rng.randint(1, 600))
                        articles.append(
                            Article(ticket=ticket, kind=ArticleKind.PUBLIC, author_kind=AuthorKind.CONTACT,
                                    body="…", created_at=again, received_at=again)
                        )  # fmt: skip
                if ticket.number % 5 == 0:
                    paused = at + timedelta(minutes=30)
                    back = paused + timedelta(hours=rng.randint(1, 48))
                    for when, old, new in ((paused, open_status, waiting), (back, waiting, open_status)):
                        events.append(
                            TicketEvent(ticket=ticket, kind=EventKind.STATUS_CHANGED, created_at=when,
                                        data={"old": {"id": old.pk}, "new": {"id": new.pk}})
                        )  # fmt: skip
            Article.objects.bulk_create(articles, batch_size=2000)
            TicketEvent.objects.bulk_create(events, batch_size=2000)
            Ticket.objects.bulk_update([t for t in tickets if t.first_response_at], ["first_response_at"], 1000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"{n} open tickets with articles and events inserted in {time.perf_counter() - started:.1f} s")


def run(n: int, sample: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from sla.models import SlaPolicy, SlaRecalculation
    from sla.policy_services import sla_policy_save, sla_recalculation_process
    from sla.services import ticket_sla_refresh
    from tickets.models import Ticket

    # The policy change: the general policy's place moves and its warning changes.
    policy = SlaPolicy.objects.get(name="Everything")
    policy.warn_percent = 70
    with transaction.atomic():
        sla_policy_save(policy=policy, actor=None)
    recalculation = SlaRecalculation.objects.latest("id")
    started = time.perf_counter()
    sla_recalculation_process(recalculation_id=recalculation.pk)
    elapsed = time.perf_counter() - started
    recalculation.refresh_from_db()
    log(
        f"recalculation of {recalculation.done} open tickets: {elapsed:.1f} s "
        f"({recalculation.done / elapsed:,.0f} tickets/s), {recalculation.changed} changed, "
        f"status {recalculation.status}"
    )
    with_policy = Ticket.objects.filter(sla_policy__isnull=False).count()
    log(f"tickets with a policy afterwards: {with_policy} of {n}")
    tickets = list(Ticket.objects.select_related("company", "site").order_by("?")[:sample])
    now = timezone.now()
    started = time.perf_counter()
    for ticket in tickets:
        ticket_sla_refresh(ticket, now=now)
    one_by_one = time.perf_counter() - started
    log(
        f"for comparison, ticket_sla_refresh one by one: {sample} tickets in {one_by_one:.1f} s "
        f"({sample / one_by_one:,.0f} tickets/s; {n} would take ~{n * one_by_one / sample:.0f} s)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2000, help="tickets refreshed one by one for comparison")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_SLA_DATABASE_URL", DEFAULT_DATABASE_URL))
    args = parser.parse_args(argv)
    os.environ["HUEY_BACKEND"] = "memory"  # the run is processed here, not by a consumer
    log(f"recreating {args.database_url.rsplit('/', 1)[1]}")
    recreate_database(args.database_url)
    migrate(args.database_url)
    setup_django(args.database_url)
    seed(args.tickets, random.Random(1))
    run(args.tickets, args.sample)


if __name__ == "__main__":
    main()
