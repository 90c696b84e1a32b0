"""Seed the benchmark database: N tickets with 3 articles each on average, their events and search
documents, into a dedicated PostgreSQL database (dropped and created anew on every run).

    uv run python bench/seed.py --tickets 1000000

Phases (each timed): recreate the database and migrate it; reference data (teams, staff, companies,
contacts, sites) through the ORM; drop the secondary indexes and constraints of the big tables;
stream tickets, articles, events and tags with COPY … FREEZE while generating them; build the
search documents in SQL from a staging table with the same text tickets/search.py indexes; recreate
indexes and constraints two at a time; set sequences and ANALYZE. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.text import EQUIPMENT, TextPools  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/otklik_bench"
BENCH_AGENT_EMAIL = "bench.agent@bench.local"
BENCH_PASSWORD = "bench-Passw0rd-2024"  # noqa: S105 — a local benchmark account, printed in the README
SEED_INFO_TABLE = "bench_seed_info"
SEARCH_SOURCE_TABLE = "bench_search_source"
# The tables that get millions of rows: loaded with their secondary indexes and constraints dropped.
BIG_TABLES = ["tickets_ticket", "tickets_article", "tickets_ticketevent", "tickets_ticket_tags", "tickets_search"]
HISTORY_DAYS = 3 * 365
ARTICLES_PER_TICKET = 3
TEN_ARTICLE_EVERY = 250  # every 250th ticket has exactly 10 articles (the ticket page scenario)
CHUNK = 5000  # tickets generated between two writes to the COPY streams

REGIONS = [
    ("msk", "Москва", "Moscow", "Europe/Moscow"),
    ("spb", "Санкт-Петербург", "St Petersburg", "Europe/Moscow"),
    ("ural", "Урал", "Urals", "Asia/Yekaterinburg"),
]
FUNCTIONS = [  # team function code, name ru, name en, service categories it serves
    ("eng", "Инженерная служба", "Engineering", {"hvac", "ventilation", "heating", "plumbing", "lifts"}),
    ("el", "Электрики", "Electricians", {"electric", "lighting", "gates"}),
    ("it", "ИТ-поддержка", "IT support", {"it"}),
    ("cl", "Клининг", "Cleaning", {"cleaning", "other"}),
]
# fmt: off
FIRST_NAMES = [
    "Анна", "Мария", "Елена", "Ольга", "Наталья", "Ирина", "Светлана", "Татьяна", "Юлия", "Дарья", "Алексей",
    "Андрей", "Дмитрий", "Сергей", "Иван", "Михаил", "Николай", "Павел", "Олег", "Роман"
]
LAST_NAMES = [
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров",
    "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев"
]
COMPANY_KINDS = ["ООО", "АО", "ИП", "ГБУ", "ПАО"]
COMPANY_WORDS = [
    "Север", "Восток", "Урал", "Волга", "Сибирь", "Альфа", "Вектор", "Гранд", "Меридиан", "Орион", "Престиж",
    "Радуга", "Спектр", "Старт", "Торговый", "Дом", "Феникс", "Хлеб", "Здоровье", "Логистик", "Авто", "Строй",
    "Маркет", "Сервис", "Групп"
]
# fmt: on
CHANNELS = [
    ("phone", 30),
    ("email", 25),
    ("portal", 12),
    ("telegram", 12),
    ("web", 8),
    ("whatsapp", 5),
    ("api", 5),
    ("agent", 3),
]
PRIORITIES = [("critical", 4), ("high", 18), ("normal", 63), ("low", 15)]
TYPES = [("incident", 70), ("request", 20), ("question", 6), ("planned", 4)]
ARTICLE_COUNT_WEIGHTS = [(1, 22), (2, 24), (3, 20), (4, 14), (5, 9), (6, 6), (7, 3), (8, 2)]
# Final status by age in days: recent tickets are in progress, old ones closed (a few stale ones stay open).
STATUS_BY_AGE = [
    (2, [("new", 30), ("open", 40), ("waiting_client", 15), ("resolved", 10), ("closed", 5)]),
    (14, [("new", 5), ("open", 30), ("waiting_client", 15), ("delayed", 5), ("resolved", 20), ("closed", 25)]),
    (60, [("open", 8), ("waiting_client", 5), ("delayed", 2), ("resolved", 10), ("closed", 75)]),
    (10**6, [("open", 5), ("waiting_client", 3), ("resolved", 2), ("closed", 990)]),
]


def log(message: str) -> None:
    print(message, flush=True)


@contextmanager
def phase(name: str, timings: dict[str, float]) -> Iterator[None]:
    started = time.perf_counter()
    log(f"-- {name} …")
    yield
    elapsed = time.perf_counter() - started
    timings[name] = round(elapsed, 1)
    log(f"   {name}: {elapsed:.1f} s")


# --- database ---------------------------------------------------------------------------------


def _admin_url(url: str) -> tuple[str, str]:
    base, name = url.rsplit("/", 1)
    return base + "/postgres", name.split("?", 1)[0]


def recreate_database(url: str) -> None:
    admin_url, name = _admin_url(url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def connect(url: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(url)
    # Loading settings for this session only: a lost commit can be redone by re-seeding.
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET maintenance_work_mem = '512MB'")
    conn.execute("SET max_parallel_maintenance_workers = 0")  # we build two indexes at a time instead
    conn.execute("SET work_mem = '256MB'")
    conn.commit()
    return conn


# --- reference data ------------------------------------------------------------------------------


@dataclass
class ContactInfo:
    id: int
    company_index: int
    full_name: str
    emails: list[str]
    phones: list[str]
    normalized: list[str]


@dataclass
class Reference:
    statuses: dict[str, Any] = field(default_factory=dict)
    priorities: dict[str, int] = field(default_factory=dict)
    types: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    teams: dict[tuple[str, str], Any] = field(default_factory=dict)  # (region, function) -> Team
    dispatch_team: Any = None
    team_members: dict[int, list[Any]] = field(default_factory=dict)  # team id -> users
    dispatchers: list[Any] = field(default_factory=list)
    companies: list[tuple[int, str, str]] = field(default_factory=list)  # id, name, region
    company_contacts: list[list[ContactInfo]] = field(default_factory=list)
    company_sites: list[list[int]] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)
    bench_agent_id: int = 0


def create_reference_data(n_tickets: int, rng: random.Random) -> Reference:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from accounts.choices import Role
    from accounts.models import Team, User
    from core.management.commands.seed_demo import CATEGORIES, TAGS
    from customers.models import Company, Contact, ContactEmail, ContactPhone, Site, normalize_phone
    from tickets.models import Priority, ServiceCategory, Status, Tag, TicketType

    ref = Reference()
    password = make_password(BENCH_PASSWORD)
    with transaction.atomic():
        ref.statuses = {s.code: s for s in Status.objects.all()}
        ref.priorities = {p.code: p.pk for p in Priority.objects.all()}
        ref.types = {t.code: t.pk for t in TicketType.objects.all()}
        ref.dispatch_team = Team.objects.create(code="dispatch", name_ru="Диспетчерская", name_en="Dispatch")
        for region, region_ru, region_en, _tz in REGIONS:
            for function, name_ru, name_en, _categories in FUNCTIONS:
                ref.teams[(region, function)] = Team.objects.create(
                    code=f"{function}-{region}", name_ru=f"{name_ru} — {region_ru}", name_en=f"{name_en} — {region_en}"
                )
        all_teams = [ref.dispatch_team, *ref.teams.values()]
        users = []
        for index in range(len(all_teams) * 20):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if first.endswith("а") or first.endswith("я"):
                last += "а"
            role = Role.AGENT if index % 4 == 0 else Role.ENGINEER
            users.append(
                User(
                    email=f"staff{index}@bench.local",
                    full_name=f"{first} {last}",
                    role=role,
                    password=password,
                    time_zone=REGIONS[index % 3][3],
                )
            )
        users = User.objects.bulk_create(users)
        for index, user in enumerate(users):
            team = all_teams[index % len(all_teams)]
            team.members.add(user)
            ref.team_members.setdefault(team.pk, []).append(user)
            if team is ref.dispatch_team:
                ref.dispatchers.append(user)
        bench_agent = User.objects.create(
            email=BENCH_AGENT_EMAIL, full_name="Бенчмарк Диспетчер", role=Role.AGENT, password=password
        )
        for team in all_teams:
            team.members.add(bench_agent)
        ref.bench_agent_id = bench_agent.pk
        # The catalogue names one default team per category: the Moscow one (tickets of other
        # regions are routed to their region's team by the generator, as a routing rule would).
        default_team_of = {}
        for function, _name_ru, _name_en, categories in FUNCTIONS:
            for category in categories:
                default_team_of[category] = ref.teams[("msk", function)]
        for order, (code, name_ru, name_en, _team, _parent) in enumerate(CATEGORIES, start=1):
            category = ServiceCategory.objects.create(
                code=code, name_ru=name_ru, name_en=name_en, default_team=default_team_of[code], order=order * 10
            )
            ref.categories[code] = category.pk
        ref.tags = [Tag.objects.create(name=name).pk for name in TAGS]  # save() derives the tag's key

        n_companies = max(50, n_tickets // 200)
        companies = []
        for index in range(n_companies):
            words = rng.sample(COMPANY_WORDS, 2)
            name = f"{words[0]} {words[1]} {index + 1}"
            companies.append(
                Company(
                    name=name,
                    legal_name=f"{rng.choice(COMPANY_KINDS)} «{name}»",
                    inn=str(7700000000 + index),
                    email_domains=f"client{index + 1}.test",
                    phone=_phone(rng),
                )
            )
        companies = Company.objects.bulk_create(companies, batch_size=2000)
        contacts, sites = [], []
        for index, company in enumerate(companies):
            region = REGIONS[index % len(REGIONS)]
            ref.companies.append((company.pk, company.name, region[0]))
            for _k in range(4):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                if first.endswith("а") or first.endswith("я"):
                    last += "а"
                contacts.append(Contact(company=company, full_name=f"{first} {last}", position="Администратор"))
            for k in range(2):
                sites.append(
                    Site(
                        company=company,
                        name=f"Объект {k + 1} — {company.name}",
                        address=f"{region[1]}, ул. Ленина, д. {rng.randint(1, 200)}",
                        time_zone=region[3],
                    )
                )
        contacts = Contact.objects.bulk_create(contacts, batch_size=5000)
        sites = Site.objects.bulk_create(sites, batch_size=5000)
        emails, phones = [], []
        ref.company_contacts = [[] for _ in companies]
        ref.company_sites = [[] for _ in companies]
        company_index = {c.pk: i for i, c in enumerate(companies)}
        for contact in contacts:
            index = company_index[contact.company_id]
            info = ContactInfo(contact.pk, index, contact.full_name, [], [], [])
            for k in range(1 + (contact.pk % 3 == 0)):
                info.emails.append(f"contact{contact.pk}{'.' + str(k) if k else ''}@client{index + 1}.test")
            for _k in range(contact.pk % 3):
                phone = _phone(rng)
                info.phones.append(phone)
                info.normalized.append(normalize_phone(phone))
            emails += [ContactEmail(contact=contact, email=e, is_primary=i == 0) for i, e in enumerate(info.emails)]
            phones += [
                ContactPhone(contact=contact, phone=p, normalized=normalize_phone(p), is_primary=i == 0)
                for i, p in enumerate(info.phones)
            ]
            ref.company_contacts[index].append(info)
        ContactEmail.objects.bulk_create(emails, batch_size=5000)
        ContactPhone.objects.bulk_create(phones, batch_size=5000)
        for site in sites:
            ref.company_sites[company_index[site.company_id]].append(site.pk)
    return ref


def _phone(rng: random.Random) -> str:
    return f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"


# --- dropping and recreating indexes and constraints --------------------------------------------


@dataclass
class SavedSchema:
    unique_indexes: list[str]  # CREATE UNIQUE INDEX … backing primary keys and unique constraints
    attach_constraints: list[str]  # ALTER TABLE … ADD CONSTRAINT … USING INDEX …
    indexes: list[tuple[str, str]]  # (table, CREATE INDEX …)
    foreign_keys: list[tuple[str, str, str]]  # (table, constraint, definition)


def drop_indexes_and_constraints(conn: psycopg.Connection[Any]) -> SavedSchema:
    """Remember and drop every index and key of the big tables and every foreign key pointing at them,
    whatever migrations created them (other apps' tables included)."""
    tables = list(BIG_TABLES)
    foreign_keys = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE contype = 'f' AND (conrelid::regclass::text = ANY(%s) OR confrelid::regclass::text = ANY(%s))",
        [tables, tables],
    ).fetchall()
    keys = conn.execute(
        "SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_indexdef(c.conindid),"
        " c.condeferrable, c.condeferred FROM pg_constraint c"
        " WHERE c.contype IN ('p', 'u') AND c.conrelid::regclass::text = ANY(%s)",
        [tables],
    ).fetchall()
    indexes = conn.execute(
        "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid::regclass::text = ANY(%s)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [tables],
    ).fetchall()
    for table, name, _definition in foreign_keys:
        conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name)))
    for table, name, *_rest in keys:
        conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name)))
    for _table, name, _definition in indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    conn.commit()
    attach = []
    for table, name, kind, _index_definition, deferrable, deferred in keys:
        clause = "PRIMARY KEY" if kind == "p" else "UNIQUE"
        flags = (" DEFERRABLE" if deferrable else "") + (" INITIALLY DEFERRED" if deferred else "")
        attach.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {clause} USING INDEX "{name}"{flags}')
    return SavedSchema(
        unique_indexes=[k[3] for k in keys],
        attach_constraints=attach,
        indexes=[(table, definition) for table, _name, definition in indexes],
        foreign_keys=foreign_keys,
    )


def run_in_parallel(url: str, statements: list[str], workers: int = 2) -> None:
    """Run independent statements on `workers` connections, largest first as given."""
    work: queue.Queue[str] = queue.Queue()
    for statement in statements:
        work.put(statement)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with connect(url) as conn:
                conn.autocommit = True
                while True:
                    try:
                        statement = work.get_nowait()
                    except queue.Empty:
                        return
                    started = time.perf_counter()
                    conn.execute(statement)  # type: ignore[arg-type]
                    log(f"     {time.perf_counter() - started:6.1f} s  {statement[:110]}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


TABLE_WEIGHT = {"tickets_search": 0, "tickets_ticketevent": 1, "tickets_article": 2, "tickets_ticket": 3}


def restore_indexes_and_constraints(url: str, saved: SavedSchema) -> None:
    def weight(statement: str) -> int:
        return next(
            (w for table, w in TABLE_WEIGHT.items() if f" {table} " in statement or f".{table} " in statement), 9
        )

    run_in_parallel(url, sorted(saved.unique_indexes, key=weight))
    with connect(url) as conn:
        for statement in saved.attach_constraints:
            conn.execute(statement)  # type: ignore[arg-type]
        # Foreign keys are added unvalidated (instant) and validated below, two at a time.
        for table, name, definition in saved.foreign_keys:
            conn.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition} NOT VALID')  # type: ignore[arg-type]
        conn.commit()
    # GIN first: the longest build; the rest sorted by table size.
    statements = sorted(
        (definition for _table, definition in saved.indexes), key=lambda s: (" gin " not in s.lower(), weight(s))
    )
    statements += [f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{name}"' for table, name, _d in saved.foreign_keys]
    run_in_parallel(url, statements)


# --- the generator --------------------------------------------------------------------------------

NULL = "\\N"  # COPY text format
ESCAPED_NEWLINE = "\\n"


class Timestamps:
    """Epoch seconds to PostgreSQL text, fast: cached day prefixes and times of day."""

    def __init__(self) -> None:
        self.days: dict[int, str] = {}
        self.times = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(86400)]

    def __call__(self, seconds: int) -> str:
        day = seconds // 86400
        prefix = self.days.get(day)
        if prefix is None:
            prefix = self.days[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d ")
        return prefix + self.times[seconds % 86400]


def _ref_json(obj: Any) -> str:
    return json.dumps({"id": obj.pk, "name_ru": obj.name_ru, "name_en": obj.name_en}, ensure_ascii=False)


def _user_json(user: Any) -> str:
    return json.dumps({"id": user.pk, "name": str(user)}, ensure_ascii=False)


def article_counts(n: int, rng: random.Random) -> list[int]:
    """Articles per ticket: exactly `ARTICLES_PER_TICKET * n` in all, every TEN_ARTICLE_EVERY-th ticket 10."""
    values = [c for c, _w in ARTICLE_COUNT_WEIGHTS]
    counts = rng.choices(values, weights=[w for _c, w in ARTICLE_COUNT_WEIGHTS], k=n)
    for i in range(TEN_ARTICLE_EVERY - 1, n, TEN_ARTICLE_EVERY):
        counts[i] = 10
    difference = ARTICLES_PER_TICKET * n - sum(counts)
    step = 1 if difference > 0 else -1
    while difference:
        i = rng.randrange(n)
        if counts[i] != 10 and 1 <= counts[i] + step <= 8:
            counts[i] += step
            difference -= step
    return counts


class Generator:
    """Generates tickets with their stories as COPY text lines. Generated texts, names, emails and
    phones never hold a tab, newline or backslash (TextPools checks its sentences), so they go into
    the lines unescaped; only the newlines between a search document's parts are written escaped."""

    def __init__(self, ref: Reference, n: int, rng: random.Random, now: int) -> None:
        self.ref, self.n, self.rng, self.now = ref, n, rng, now
        self.text = TextPools(rng)
        self.ts = Timestamps()
        self.counts = article_counts(n, rng)
        self.start = now - HISTORY_DAYS * 86400
        self.article_id = 0
        self.event_id = 0
        self.tag_row_id = 0
        s = ref.statuses
        self.status = {code: (str(st.pk), st.category) for code, st in s.items()}
        self.status_json = {code: _ref_json(st) for code, st in s.items()}
        self.team_json = {t.pk: _ref_json(t) for t in [ref.dispatch_team, *ref.teams.values()]}
        self.user_json: dict[int, str] = {}
        for members in ref.team_members.values():
            for user in members:
                self.user_json[user.pk] = _user_json(user)
        self.team_of_category: dict[tuple[str, str], int] = {}
        for (region, function), team in ref.teams.items():
            for category in next(f[3] for f in FUNCTIONS if f[0] == function):
                self.team_of_category[(region, category)] = team.pk
        self.members = {team_id: [u.pk for u in users] for team_id, users in ref.team_members.items()}
        self.dispatchers = [u.pk for u in ref.dispatchers]
        self.channels = [c for c, w in CHANNELS for _ in range(w)]
        self.priorities = [str(ref.priorities[c]) for c, w in PRIORITIES for _ in range(w)]
        self.types = [str(ref.types[c]) for c, w in TYPES for _ in range(w)]
        self.status_by_age = [
            (limit * 86400, [c for c, w in weights for _ in range(w)]) for limit, weights in STATUS_BY_AGE
        ]
        self.company_count = len(ref.companies)

    def chunk(self, first: int, last: int) -> dict[str, list[str]]:
        """Lines for tickets with ids first..last (inclusive) and everything that belongs to them."""
        rng, ts, ref, text = self.rng, self.ts, self.ref, self.text
        random_ = rng.random
        choice = rng.choice
        tickets: list[str] = []
        articles: list[str] = []
        events: list[str] = []
        tags: list[str] = []
        search: list[str] = []
        span = HISTORY_DAYS * 86400
        for ticket_id in range(first, last + 1):
            created = self.start + span * ticket_id // (self.n + 1) + int(random_() * 3600)
            created = min(created, self.now - 600)
            age = self.now - created
            final = choice(next(codes for limit, codes in self.status_by_age if age < limit))
            company_index = int(random_() * self.company_count)
            company_id, company_name, region = ref.companies[company_index]
            contact = choice(ref.company_contacts[company_index])
            site = choice(ref.company_sites[company_index]) if random_() < 0.9 else None
            equipment_index = int(random_() * len(EQUIPMENT))
            category = EQUIPMENT[equipment_index].category
            team_id = self.team_of_category[(region, category)]
            channel = choice(self.channels)
            by_agent = channel in ("phone", "agent")
            creator = choice(self.dispatchers) if by_agent else None
            assignee = choice(self.members[team_id]) if final != "new" and random_() < 0.92 else None
            title = text.title(equipment_index)
            description = text.message(equipment_index, "client")
            received = created - (0 if by_agent else int(random_() * 240))

            # The conversation: the request, then replies, client messages and notes. The first
            # article repeats the description, as ticket_create writes it.
            count = self.counts[ticket_id - 1]
            latest = self.now - 120
            moment = created
            first_response = None
            bodies = [description, description]
            team_json = self.team_json[team_id]
            created_data = (
                '{"channel": "' + channel + '", "title": ' + json.dumps(title, ensure_ascii=False)
                + ', "team": ' + team_json + ', "assignee": null}'
            )  # fmt: skip
            self.event_id += 1
            events.append(
                f"{self.event_id}\t{ticket_id}\tcreated\t{creator or NULL}\t{NULL if creator else contact.id}\t"
                f"{created_data}\t{team_id}\t{ts(created)}\n"
            )
            self.article_id += 1
            author = f"agent\t{creator}\t{NULL}" if by_agent else f"contact\t{NULL}\t{contact.id}"
            articles.append(
                f"{self.article_id}\t{ticket_id}\tpublic\t{author}\t{channel}\t"
                f"{description}\t{ts(received)}\t{ts(created)}\t{PLAIN_ARTICLE}\n"
            )
            # Spread the story over the time the ticket has lived (a few days at most for finished ones).
            story = max(min(age - 300, 4 * 86400) if final in ("resolved", "closed") else age - 300, 60)
            gap = story // (count + 2)
            if assignee is not None:
                moment = min(moment + int(gap * random_() * 0.3) + 1, latest)
                self.event_id += 1
                events.append(
                    f"{self.event_id}\t{ticket_id}\tassigned\t{choice(self.dispatchers)}\t{NULL}\t"
                    f'{{"old": null, "new": {self.user_json[assignee]}}}\t{team_id}\t{ts(moment)}\n'
                )
                self.event_id += 1
                events.append(
                    f"{self.event_id}\t{ticket_id}\tstatus_changed\t{choice(self.dispatchers)}\t{NULL}\t"
                    f'{{"old": {self.status_json["new"]}, "new": {self.status_json["open"]}, "delayed_until": null}}'
                    f"\t{team_id}\t{ts(moment)}\n"
                )
            agent = assignee or choice(self.members[team_id])
            for position in range(1, count):
                moment = min(moment + int(gap * (0.3 + random_())), latest)
                roll = random_() if position > 1 else 0.0
                self.article_id += 1
                if roll < 0.5:
                    body = text.message(equipment_index, "agent")
                    articles.append(
                        f"{self.article_id}\t{ticket_id}\tpublic\tagent\t{agent}\t{NULL}\tagent\t"
                        f"{body}\t{ts(moment)}\t{ts(moment)}\t{PLAIN_ARTICLE}\n"
                    )
                    first_response = first_response or moment
                    actor, actor_contact, kind, from_client = agent, NULL, "public", "false"
                elif roll < 0.8:
                    body = text.message(equipment_index, "client")
                    client_channel = "email" if by_agent or channel == "api" else channel
                    articles.append(
                        f"{self.article_id}\t{ticket_id}\tpublic\tcontact\t{NULL}\t{contact.id}\t{client_channel}\t"
                        f"{body}\t{ts(moment)}\t{ts(moment)}\t{PLAIN_ARTICLE}\n"
                    )
                    actor, actor_contact, kind, from_client = NULL, contact.id, "public", "true"
                else:
                    body = text.message(equipment_index, "note")
                    articles.append(
                        f"{self.article_id}\t{ticket_id}\tnote\tagent\t{agent}\t{NULL}\tagent\t"
                        f"{body}\t{ts(moment)}\t{ts(moment)}\t{PLAIN_ARTICLE}\n"
                    )
                    actor, actor_contact, kind, from_client = agent, NULL, "note", "false"
                bodies.append(body)
                self.event_id += 1
                events.append(
                    f"{self.event_id}\t{ticket_id}\tarticle_added\t{actor}\t{actor_contact}\t"
                    f'{{"article_id": {self.article_id}, "kind": "{kind}", "attachments": 0, '
                    f'"from_client": {from_client}}}\t{team_id}\t{ts(moment)}\n'
                )
            resolved = closed = delayed_until = None
            if final not in ("new", "open"):
                previous = "open" if assignee is not None else "new"
                for code in ("resolved", "closed") if final == "closed" else (final,):
                    if code == "closed":
                        moment = min(moment + 3600 + int(random_() * 3 * 86400), latest)
                    else:
                        moment = min(moment + int(gap * random_()) + 1, latest)
                    delay = "null"
                    if code == "delayed":
                        delayed_until = self.now + int((1 + random_() * 10) * 86400)
                        delay = f'"{datetime.fromtimestamp(delayed_until, UTC).isoformat()}"'
                    self.event_id += 1
                    events.append(
                        f"{self.event_id}\t{ticket_id}\tstatus_changed\t{agent}\t{NULL}\t"
                        f'{{"old": {self.status_json[previous]}, "new": {self.status_json[code]}, '
                        f'"delayed_until": {delay}}}\t{team_id}\t{ts(moment)}\n'
                    )
                    previous = code
                    if code == "resolved":
                        resolved = moment
                    elif code == "closed":
                        closed = moment
            status_id, status_category = self.status[final]
            tickets.append(
                f"{ticket_id}\t{ticket_id}\t{title}\t{description}\t{status_id}\t{status_category}\t"
                f"{ts(delayed_until) if delayed_until else NULL}\t{choice(self.priorities)}\t{choice(self.types)}\t"
                f"{ref.categories[category]}\t{company_id}\t{contact.id}\t{site or NULL}\t{team_id}\t"
                f"{assignee or NULL}\t{channel}\t{creator or NULL}\t{ts(created)}\t{ts(moment)}\t{ts(received)}\t"
                f"{ts(first_response) if first_response else NULL}\t{ts(resolved) if resolved else NULL}\t"
                f"{ts(closed) if closed else NULL}\t{NO_SLA}\n"
            )
            if random_() < 0.15:
                for tag in rng.sample(ref.tags, 1 + (random_() < 0.3)):
                    self.tag_row_id += 1
                    tags.append(f"{self.tag_row_id}\t{ticket_id}\t{tag}\n")
            # The search document's text, exactly as tickets.search._document_parts builds it.
            bodies.append(contact.full_name)
            bodies += contact.emails
            bodies += contact.phones
            bodies += contact.normalized
            bodies.append(company_name)
            search.append(f"{ticket_id}\t{ticket_id} {title}\t{ESCAPED_NEWLINE.join(bodies)}\n")
        return {
            "tickets_ticket": tickets,
            "tickets_article": articles,
            "tickets_ticketevent": events,
            "tickets_ticket_tags": tags,
            SEARCH_SOURCE_TABLE: search,
        }


NO_SLA = "\t\t\t0\tf"  # the five SLA columns at the end of COPY_COLUMNS["tickets_ticket"]
# The six mail columns at the end of COPY_COLUMNS["tickets_article"]: plain text, nothing quoted or flagged.
PLAIN_ARTICLE = "\t\tf\tf\tf\t{}"
COPY_COLUMNS = {
    "tickets_ticket": [
        "id", "number", "title", "description", "status_id", "status_category", "delayed_until", "priority_id",
        "type_id", "category_id", "company_id", "contact_id", "site_id", "team_id", "assignee_id", "channel",
        "created_by_id", "created_at", "updated_at", "received_at", "first_response_at", "resolved_at", "closed_at",
        # No SLA policy applies to the seeded tickets: clocks not started, nothing paused or breached.
        "sla_first_response_state", "sla_next_response_state", "sla_resolution_state", "sla_paused_seconds",
        "sla_breached",
    ],
    "tickets_article": [
        "id", "ticket_id", "kind", "author_kind", "author_user_id", "author_contact_id", "channel", "body",
        "received_at", "created_at",
        "body_html", "quoted", "quoted_is_html", "has_remote_images", "from_stranger", "email_meta",
    ],
    "tickets_ticketevent": [
        "id", "ticket_id", "kind", "actor_id", "actor_contact_id", "data", "team_id_at_event", "created_at",
    ],
    "tickets_ticket_tags": ["id", "ticket_id", "tag_id"],
    SEARCH_SOURCE_TABLE: ["ticket_id", "heading", "body"],
}  # fmt: skip


def check_columns(conn: psycopg.Connection[Any]) -> None:
    """Refuse to load when a migration added a NOT NULL column without a default that we do not fill."""
    for table, columns in COPY_COLUMNS.items():
        if table == SEARCH_SOURCE_TABLE:
            continue
        missing = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND is_nullable = 'NO'"
            " AND column_default IS NULL AND is_identity = 'NO' AND NOT (column_name = ANY(%s))",
            [table, columns],
        ).fetchall()
        if missing:
            raise SystemExit(f"{table} has new required columns {[m[0] for m in missing]}: teach bench/seed.py them")


def load(url: str, generator: Generator, n: int) -> dict[str, int]:
    """Stream every table through its own connection: COPY … FREEZE into the table truncated in the
    same transaction, so rows are written frozen and all-visible (no vacuum needed afterwards)."""
    connections: dict[str, psycopg.Connection[Any]] = {}
    copies: dict[str, Any] = {}
    stack: list[Any] = []
    rows = dict.fromkeys(COPY_COLUMNS, 0)
    try:
        for table, columns in COPY_COLUMNS.items():
            conn = connections[table] = connect(url)
            conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(table)))
            statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FREEZE)").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            cursor = conn.cursor()
            copy_manager = cursor.copy(statement, writer=QueuedLibpqWriter(cursor))
            copies[table] = copy_manager.__enter__()
            stack.append(copy_manager)
        started = time.perf_counter()
        for first in range(1, n + 1, CHUNK):
            last = min(first + CHUNK - 1, n)
            for table, lines in generator.chunk(first, last).items():
                rows[table] += len(lines)
                copies[table].write("".join(lines))
            if last % (CHUNK * 40) == 0 or last == n:
                rate = last / (time.perf_counter() - started)
                log(f"     {last:>9,} tickets, {rows['tickets_article']:>10,} articles ({rate:,.0f} tickets/s)")
        for copy_manager in stack:
            copy_manager.__exit__(None, None, None)
        stack.clear()
        for conn in connections.values():
            conn.commit()
    finally:
        for copy_manager in stack:
            copy_manager.__exit__(RuntimeError, RuntimeError("aborted"), None)
        for conn in connections.values():
            conn.close()
    return rows


def build_search_documents(url: str, n: int, workers: int = 2) -> None:
    """The tsvector per ticket, computed by PostgreSQL exactly as tickets.search.index_ticket does."""
    bounds = [n * k // workers for k in range(workers + 1)]
    run_in_parallel(
        url,
        [
            f"INSERT INTO tickets_search (ticket_id, document) SELECT ticket_id,"
            f" setweight(to_tsvector('russian', heading), 'A') || setweight(to_tsvector('russian', body), 'B')"
            f" FROM {SEARCH_SOURCE_TABLE} WHERE ticket_id > {bounds[k]} AND ticket_id <= {bounds[k + 1]}"
            for k in range(workers)
        ],
        workers,
    )


def verify_search_documents(sample: int = 200) -> tuple[int, int]:
    """Compare sampled documents with what tickets.search builds for the same ticket:
    (documents compared, mismatches)."""
    from django.db import connection

    from tickets.search import _document_parts

    with connection.cursor() as cursor:
        cursor.execute("SELECT ticket_id FROM tickets_search TABLESAMPLE SYSTEM (1) LIMIT %s", [sample])
        ids = [row[0] for row in cursor.fetchall()]
        mismatches = 0
        for ticket_id in ids:
            heading, body = _document_parts(ticket_id)
            cursor.execute(
                "SELECT document = setweight(to_tsvector('russian', %s), 'A') || setweight(to_tsvector('russian', %s),"
                " 'B') FROM tickets_search WHERE ticket_id = %s",
                [heading, body, ticket_id],
            )
            mismatches += not cursor.fetchone()[0]
    return len(ids), mismatches


def finish(url: str, n: int, seed: int, timings: dict[str, float]) -> None:
    with connect(url) as conn:
        for table in ("tickets_ticket", "tickets_article", "tickets_ticketevent", "tickets_ticket_tags"):
            conn.execute(
                sql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {}))").format(
                    sql.Identifier(table)
                ),
                [table],
            )
        conn.execute("UPDATE tickets_ticketsequence SET value = (SELECT max(number) FROM tickets_ticket)")
        conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(SEARCH_SOURCE_TABLE)))
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (tickets bigint, articles bigint, seed int, seeded_at timestamptz, timings jsonb)"
            ).format(sql.Identifier(SEED_INFO_TABLE))
        )
        conn.execute(
            sql.SQL("INSERT INTO {} SELECT %s, (SELECT count(*) FROM tickets_article), %s, now(), %s").format(
                sql.Identifier(SEED_INFO_TABLE)
            ),
            [n, seed, json.dumps(timings)],
        )
        conn.commit()
    # tickets_search was filled by INSERT (not COPY FREEZE): vacuum it so its pages are all-visible and
    # autovacuum does not start on it during a benchmark. The customer tables were filled through the
    # ORM after migrate had created their trigram (GIN) indexes, so every entry still sits in the
    # indexes' pending lists — the planner then prices them above a full scan (14 ms instead of
    # 0.1 ms per search's contact lookup) until a VACUUM merges them, which autovacuum may not do in
    # time (or at all, where it is switched off). Analyze everything else.
    run_in_parallel(
        url,
        [
            "VACUUM (ANALYZE) tickets_search",
            "VACUUM (ANALYZE) customers_contact, customers_contactemail, customers_contactphone, customers_company",
            "ANALYZE",
        ],
    )
    # Write the loaded pages out now, not in a spread checkpoint during the first benchmark.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def seed(*, url: str, n: int, seed_value: int = 1) -> dict[str, float]:
    timings: dict[str, float] = {}
    total_started = time.perf_counter()
    rng = random.Random(seed_value)
    log(f"Seeding {n:,} tickets into {url}")
    with phase("create database and migrate", timings):
        recreate_database(url)
        migrate(url)
    setup_django(url)
    with phase("reference data (ORM)", timings):
        ref = create_reference_data(n, rng)
    with connect(url) as conn:
        check_columns(conn)
        with phase("drop indexes and constraints", timings):
            saved = drop_indexes_and_constraints(conn)
            conn.execute(
                sql.SQL("CREATE UNLOGGED TABLE {} (ticket_id bigint, heading text, body text)").format(
                    sql.Identifier(SEARCH_SOURCE_TABLE)
                )
            )
            conn.commit()
    now = int(datetime.now(UTC).timestamp())
    with phase("generate and COPY tickets, articles, events, tags", timings):
        generator = Generator(ref, n, rng, now)
        rows = load(url, generator, n)
        log(
            f"     rows: {rows['tickets_ticket']:,} tickets, {rows['tickets_article']:,} articles, "
            f"{rows['tickets_ticketevent']:,} events, {rows['tickets_ticket_tags']:,} tags"
        )
    with phase("search documents (to_tsvector)", timings):
        build_search_documents(url, n)
    with phase("indexes and constraints", timings):
        restore_indexes_and_constraints(url, saved)
    with phase("sequences, VACUUM tickets_search and customers, ANALYZE, CHECKPOINT", timings):
        finish(url, n, seed_value, timings)
        from tickets.services import ticket_number_sequence_sync

        log(f"     the next ticket number is {ticket_number_sequence_sync():,}")
    with phase("verify search documents against tickets/search.py", timings):
        compared, mismatches = verify_search_documents()
        if mismatches or not compared:
            raise SystemExit(f"{mismatches} of {compared} sampled search documents differ from tickets/search.py")
        log(f"     {compared} sampled documents equal to what tickets/search.py builds")
    timings["total"] = round(time.perf_counter() - total_started, 1)
    log(f"Seeded {n:,} tickets in {timings['total']:.0f} s ({timings['total'] / 60:.1f} min)")
    with connect(url) as conn:
        conn.execute(
            sql.SQL("UPDATE {} SET timings = %s").format(sql.Identifier(SEED_INFO_TABLE)), [json.dumps(timings)]
        )
        conn.commit()
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    seed(url=args.database_url, n=args.tickets, seed_value=args.seed)


if __name__ == "__main__":
    main()
