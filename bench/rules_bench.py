"""Automation rules benchmark: evaluation of 200 active rules per ticket event, and the time
rules add to ticket_create. Goal: ≤ 1 ms per event on average.

Builds a fresh database (SQLite file under a temporary folder by default; `--database-url`
for PostgreSQL, dropped and re-created), migrates it, adds 200 active rules in a realistic mix
(by trigger: created 80, updated 50, client message 50, time 20; conditions on priority,
channel, client category, VIP, team, tags, words with morphology, a regex, business hours, and
a few "recent tickets from the site" counts) and 500 tickets with Russian and English texts.

Then:
1. evaluation: for N ticket events (created / updated / client message, mixed), the engine's
   work as the hook does it — compiled rules of the trigger, each rule's conditions against the
   ticket already loaded, cheapest first — without the actions' writes; prints mean and p99 µs;
2. ticket_create: N tickets created with the rules on and N with them off (OTKLIK_AUTOMATION_RULES),
   prints the mean ms of each and the difference (the rules that matched ran their actions).

    uv run python bench/rules_bench.py [--events 20000] [--creates 300]
      [--database-url postgres://postgres@127.0.0.1:5432/otklik_bench_rules]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RU_WORDS = [
    "пожар, дым, задымл*",
    "лифт, застря*",
    "затоп*, протеч*, потоп",
    "нет электричества, искрит",
    "кондиционер, жарко",
    "принтер, картридж",
    "пропуск, охрана",
    "уборк*, мусор",
    "дверь, замок, ключ*",
    "отоплен*, батаре*, холодно",
    "интернет, wi-fi, сеть",
    "касс*, терминал",
]
RARE_WORDS = [
    "вентиляц*",
    "шлагбаум",
    "домофон",
    "видеонаблюден*",
    "сигнализац*",
    "эскалатор",
    "насос",
    "котельн*",
    "генератор",
    "ибп",
    "щиток",
    "автомат*",
    "канализац*",
    "засор",
    "крыша",
    "кровл*",
    "фасад",
    "окно",
    "стекло",
    "парковк*",
    "газон",
    "снег",
    "наледь",
    "сосульк*",
    "ventilation",
    "barrier",
    "intercom",
    "cctv",
    "pump",
    "boiler",
    "generator",
    "ups",
    "sewer",
    "roof",
    "window",
    "parking",
    "snow",
    "ice",
]
EN_WORDS = ["fire, smoke", "lift, elevator*, stuck", "flood*, leak*", "printer, toner", "door, lock*", "heating, cold"]
TITLES = [
    "Не работает кондиционер в переговорной",
    "Застрял лифт между 3 и 4 этажом",
    "Протечка с потолка над кассой",
    "Принтер не печатает, замятие бумаги",
    "Не открывается дверь в серверную",
    "Холодно в офисе, батареи чуть тёплые",
    "Нужен пропуск для подрядчика",
    "The printer on floor 2 is out of toner",
    "Water leaking in the basement",
    "Мигает свет в коридоре",
]


def prepare(url: str | None) -> str:
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='otklik-rules-bench-')}/bench.sqlite3"
    else:
        import psycopg

        name = url.rsplit("/", 1)[1]
        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    return url


def make_rules(rng: random.Random) -> None:
    from accounts.models import Team
    from automation.models import Rule
    from automation.rules.actions import clean_action
    from automation.rules.conditions import clean_condition
    from customers.models import CompanyCategory
    from tickets.models import Priority

    Rule.objects.all().delete()  # the shipped rules are replaced by the mix below
    priorities = list(Priority.objects.values_list("pk", flat=True))
    teams = [Team.objects.create(code=f"team{n}", name_ru=f"Группа {n}", name_en=f"Team {n}") for n in range(8)]
    categories = [
        CompanyCategory.objects.create(code=f"cat{n}", name_ru=f"Категория {n}", name_en=f"Category {n}", is_vip=n == 0)
        for n in range(4)
    ]
    plan = [("created", 80), ("updated", 50), ("article_client", 50), ("time", 20)]
    order = 0
    for trigger, count in plan:
        for _n in range(count):
            order += 10
            # Every rule has one selective condition, as real rules do: words (most), a regex, or
            # a client category with a priority.
            conditions = []
            roll = rng.random()
            if roll < 0.7:
                words = rng.choice(RU_WORDS + EN_WORDS) + ", " + ", ".join(rng.sample(RARE_WORDS, 8))
                conditions.append({"field": "text", "op": "any", "value": words})
            elif roll < 0.85:
                conditions.append({"field": "regex", "op": "match", "value": r"\b(срочно|urgent|авари\w*)\b"})
            else:
                conditions.append({"field": "company_category", "op": "in", "value": [rng.choice(categories).pk]})
            if rng.random() < 0.5:
                conditions.append({"field": "priority", "op": "in", "value": rng.sample(priorities, 2)})
            if rng.random() < 0.3:
                conditions.append(
                    {"field": "channel", "op": "in", "value": rng.sample(["phone", "email", "portal", "telegram"], 2)}
                )
            if rng.random() < 0.2:
                conditions.append({"field": "company_category", "op": "in", "value": [rng.choice(categories).pk]})
            if rng.random() < 0.1:
                conditions.append({"field": "vip", "op": "yes", "value": None})
            if rng.random() < 0.2:
                conditions.append({"field": "team", "op": "not_in", "value": [rng.choice(teams).pk]})
            if rng.random() < 0.1:
                conditions.append({"field": "tags", "op": "none", "value": "спам"})
            if rng.random() < 0.1:
                conditions.append({"field": "business_hours", "op": rng.choice(["yes", "no"]), "value": None})
            if trigger == "updated" and rng.random() < 0.5:
                conditions.append({"field": "changed", "op": "any", "value": ["priority", "status"]})
            if rng.random() < 0.05:
                conditions.append(
                    {"field": "recent_tickets", "op": "gte", "value": {"scope": "site", "hours": 4, "min": 3}}
                )
            actions = [{"action": "add_tags", "value": f"rule-{order}"}]
            if rng.random() < 0.3:
                actions.append({"action": "set_team", "value": rng.choice(teams).pk})
            fields = {}
            if trigger == "time":
                fields = {
                    "time_anchor": rng.choice(["status", "created", "updated"]),
                    "time_minutes": rng.choice([5, 60, 4320]),
                }
            Rule.objects.create(
                name=f"Правило {order}",
                trigger=trigger,
                order=order,
                conditions=[clean_condition(c) for c in conditions],
                actions=[clean_action(a) for a in actions],
                **fields,
            )


def make_tickets(rng: random.Random, count: int) -> list:
    from customers.models import Company, CompanyCategory, Site
    from tickets.services import ticket_create

    categories = list(CompanyCategory.objects.all())
    companies = [Company.objects.create(name=f"ООО Клиент {n}", category=rng.choice(categories)) for n in range(20)]
    sites = [Site.objects.create(company=c, name=f"Объект {c.pk}") for c in companies]
    tickets = []
    for n in range(count):
        site = rng.choice(sites)
        tickets.append(
            ticket_create(
                actor=None,
                title=rng.choice(TITLES),
                description=f"{rng.choice(TITLES)}. Просьба посмотреть сегодня, заявка {n}.",
                channel=rng.choice(["phone", "email", "portal", "telegram"]),
                company=site.company,
                site=site,
            )
        )
    return tickets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    url = prepare(args.database_url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("HUEY_BACKEND", "immediate")  # after-commit tasks must not need a worker
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from automation.rules.conditions import Context
    from automation.rules.engine import rules_reset, snapshot
    from tickets.models import Article, Ticket

    rng = random.Random(7)
    settings.OTKLIK_AUTOMATION_RULES = False
    make_rules(rng)
    make_tickets(rng, 500)
    rules_reset()
    current = snapshot()
    counts = {trigger: len(rules) for trigger, rules in current.by_trigger.items()}
    print(f"database: {connection.vendor}; active rules by trigger: {counts} (total {sum(counts.values())})")

    # 1. evaluation per event
    tickets = list(Ticket.objects.select_related("company", "contract").order_by("id"))
    firsts = {a.ticket_id: a for a in Article.objects.order_by("id")}
    triggers = ["created", "updated", "article_client"]
    samples: list[float] = []
    matched = 0
    queries = [0]

    def counting(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries[0] += 1
        return execute(sql, params, many, context)

    profile = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    wrapper = connection.execute_wrapper(counting)
    wrapper.__enter__()
    for n in range(args.events):
        ticket = tickets[n % len(tickets)]
        trigger = triggers[n % 3]
        ctx = Context(
            ticket=ticket,
            trigger=trigger,
            article=firsts.get(ticket.pk) if trigger != "updated" else None,
            changed=frozenset({"priority"}) if trigger == "updated" else frozenset(),
            business_clock=current.business_clock,
        )
        started = time.perf_counter()
        rules = current.by_trigger.get(trigger, [])
        matched += sum(1 for rule in rules if rule.matches(ctx))
        samples.append(time.perf_counter() - started)
    wrapper.__exit__(None, None, None)
    if profile is not None:
        import pstats

        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    samples_us = sorted(s * 1e6 for s in samples)
    p99 = samples_us[int(len(samples_us) * 0.99) - 1]
    print(
        f"evaluation: {args.events} events, mean {statistics.fmean(samples_us):.1f} µs, "
        f"p50 {samples_us[len(samples_us) // 2]:.1f} µs, p99 {p99:.1f} µs per event; "
        f"{matched / args.events:.2f} rules matched per event, {queries[0] / args.events:.2f} queries per event"
    )

    # 2. ticket_create with and without rules
    from customers.models import Site
    from tickets.choices import EventKind
    from tickets.models import TicketEvent
    from tickets.services import ticket_create

    sites = list(Site.objects.select_related("company"))

    def creates(enabled: bool, neutral: bool) -> list[float]:
        """Timings of ticket_create; `neutral`: texts no rule's words match, no client (category)."""
        settings.OTKLIK_AUTOMATION_RULES = enabled
        times = []
        for n in range(args.creates):
            site = sites[n % len(sites)]
            title = f"Заявка {n} по объекту" if neutral else TITLES[n % len(TITLES)]
            body = f"Просьба связаться, номер {n}." if neutral else f"{TITLES[(n * 3) % len(TITLES)]}. Заявка {n}."
            place = {} if neutral else {"company": site.company, "site": site}
            started = time.perf_counter()
            ticket_create(actor=None, title=title, description=body, channel="portal", **place)
            times.append(time.perf_counter() - started)
        return times

    creates(False, False)  # warm-up
    cases = {
        "nothing matches (no client, plain text)": True,
        "realistic texts and clients": False,
    }
    results: dict[tuple[str, bool], list[float]] = {(name, on): [] for name in cases for on in (False, True)}
    for _round in range(2):  # interleaved, so the machine's load hits all alike
        for name, neutral in cases.items():
            for on in (False, True):
                results[(name, on)] += creates(on, neutral)
    fired = TicketEvent.objects.filter(kind=EventKind.RULE_FIRED, ticket__title__startswith="Заявка ").count()
    print(f"rules fired on the 'nothing matches' tickets: {fired}")
    for name in cases:
        off = statistics.fmean(results[(name, False)]) * 1000
        on = statistics.fmean(results[(name, True)]) * 1000
        print(
            f"ticket_create, {name}: rules off {off:.2f} ms, on {on:.2f} ms, added {on - off:.2f} ms "
            f"({len(results[(name, True)])} tickets each)"
        )
    print(
        "(realistic texts: the matching rules' actions run through the ticket services — each change "
        "is saved, recorded and runs the hooks again, so most of the added time is those writes)"
    )


if __name__ == "__main__":
    main()
