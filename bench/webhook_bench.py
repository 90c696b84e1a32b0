"""Benchmark messenger webhook intake end to end: Telegram updates posted by 8 concurrent clients to
the real webhook endpoint served by gunicorn, stored durably (HTTP 200 only after commit), then
processed into tickets and articles by the real Huey consumer (`run_huey`), with the bot's answers
(acknowledgements with the ticket number) sent through the outbox to a local stand-in of the Bot
API. See bench/README.md, "Webhook intake".

    uv run python bench/webhook_bench.py                              # the default runs (RUNS)
    uv run python bench/webhook_bench.py --runs pg-process2 --messages 2000
    uv run python bench/webhook_bench.py --list

Each run is a child process (Django is set up once per process): the database is dropped and
re-created (PostgreSQL `otklik_bench_webhook`, `--database-url` or BENCH_WEBHOOK_DATABASE_URL;
or a fresh SQLite file), migrated, and given one bot routed to a team and messages/2 client chats
already linked to contacts (as after the client shared their phone number). The timed phase posts
`--messages` text updates in Russian: every chat writes twice, its first message opening a ticket
(and queueing the bot's acknowledgement), its second — posted half a run later — adding to it.

Figures: acknowledged messages/s (HTTP 200 answers per second, from the first request to the last
answer: each answer means the update is committed), processed messages/s (from the first request
until no stored update is left unprocessed; in a "staged" run the consumer starts only after the
last answer, and the figure is the backlog drained from then on), webhook latency p50/p99, the CPU time of gunicorn and
of the Huey consumer, the machine's CPU use, and checks that every message became exactly what it
should (tickets, articles, acknowledgements sent).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.email_bench import Child, _free_port, _machine_cpu, _wait_port, process_and_report  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/otklik_bench_webhook"
# Database 12 of the local Redis belongs to this benchmark and is flushed before each run.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
CONCURRENCY = 8
# Chats whose two messages each warm the in-process profile up before it measures (--profile).
WARM_UP_CHATS = 20
BOT_TOKEN = "123456:bench-token"  # noqa: S105 (the stand-in accepts any token)

TEXTS = [
    "Здравствуйте! В переговорной на 3 этаже не работает кондиционер, очень жарко.",
    "Протечка в серверной, вода капает с потолка рядом со стойкой.",
    "Не открывается турникет на проходной, сотрудники не могут пройти.",
    "Лифт застрял между 5 и 6 этажами, внутри никого нет.",
    "Нет отопления в офисе, батареи холодные с утра.",
    "Мигает свет в коридоре второго этажа, лампы трещат.",
    "Принтер в бухгалтерии печатает пустые листы, замена картриджа не помогла.",
    "Шумит вентиляция в open space, гул слышно весь день.",
]
FOLLOW_UPS = [
    "Фото прислать не могу, но ситуация не меняется.",
    "Доступ на объект с 9:00 до 18:00, пропуск закажем.",
    "Добавлю: проблема повторяется уже третий день.",
    "Спасибо, ждём инженера.",
]


@dataclass(frozen=True)
class Run:
    name: str
    database: str  # "postgres" | "sqlite"
    worker_type: str  # run_huey -k
    workers: int  # run_huey -w
    web_workers: int  # gunicorn -w (gthread, 4 threads each)
    # Staged: the Huey consumer starts only once every update is acknowledged, so intake and
    # processing are each measured with the machine to themselves (the backlog is then drained).
    staged: bool = False


RUNS = {
    run.name: run
    for run in [
        Run("pg-process2", "postgres", "process", 2, 2),
        Run("pg-process2-staged", "postgres", "process", 2, 2, staged=True),
        Run("pg-thread4", "postgres", "thread", 4, 2),
        Run("sqlite-thread2", "sqlite", "thread", 2, 2),
    ]
}
DEFAULT_RUNS = "pg-process2,pg-process2-staged,sqlite-thread2"


def _update(update_id: int, chat_id: int, text: str, sent: int) -> bytes:
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": sent,
                "chat": {"id": chat_id, "type": "private", "first_name": f"Клиент {chat_id}"},
                "from": {"id": chat_id, "is_bot": False, "first_name": f"Клиент {chat_id}", "language_code": "ru"},
                "text": text,
            },
        },
        ensure_ascii=False,
    ).encode()


def generate(messages: int, *, seed: int) -> list[bytes]:
    """`messages` updates from messages/2 chats: first the chats' first messages, then their
    second ones, so the two messages of one chat are half a run apart."""
    rng = random.Random(seed)
    chats = messages // 2
    now = int(time.time())
    first = [_update(1_000 + n, 10_000 + n, rng.choice(TEXTS), now) for n in range(chats)]
    second = [_update(1_000 + chats + n, 10_000 + n, rng.choice(FOLLOW_UPS), now) for n in range(chats)]
    return first + second


def post_all(url: str, secret: str, bodies: list[bytes], *, concurrency: int) -> dict[str, Any]:
    """POST every body from `concurrency` threads with one keep-alive client each."""
    import httpx

    work: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        work.put(body)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    last_answer = [0.0]
    lock = threading.Lock()
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}

    def client() -> None:
        with httpx.Client(timeout=60) as http:
            while True:
                try:
                    body = work.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                try:
                    status = http.post(url, content=body, headers=headers).status_code
                except httpx.HTTPError:
                    status = 0
                finished = time.perf_counter()
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == 200:
                        latencies.append(finished - started)
                    last_answer[0] = max(last_answer[0], finished)

    threads = [threading.Thread(target=client) for _n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"statuses": statuses, "latencies": latencies, "last_answer": last_answer[0]}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def run_one(run: Run, *, messages: int, database_url: str, redis_url: str, seed: int) -> dict[str, Any]:
    from channels.tests.telegram_standin import TelegramStandIn

    work = Path(tempfile.mkdtemp(prefix="otklik-webhook-bench-"))
    logs = BASE_DIR / "bench" / "results" / f"webhook-{run.name}"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    standin = TelegramStandIn()
    env = {
        **os.environ,
        "OTKLIK_VAR_DIR": str(work),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "TELEGRAM_API_URL": standin.url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
    }
    if run.database == "postgres":
        from bench.seed import recreate_database

        recreate_database(database_url)
        env.update({"DATABASE_URL": database_url, "HUEY_BACKEND": "redis", "REDIS_URL": redis_url})
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    else:
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        env["HUEY_BACKEND"] = "sqlite"
    os.environ.clear()
    os.environ.update(env)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Team
    from channels.choices import TelegramChatState, TelegramMode
    from channels.models import TelegramBot, TelegramChat
    from customers.models import Contact, ContactPhone
    from intake.choices import InboundStatus
    from intake.models import InboundMessage
    from notifications.models import OutboxMessage, OutboxStatus
    from tickets.models import Article, Ticket

    call_command("migrate", verbosity=0)
    team = Team.objects.create(code="support", name_ru="Поддержка", name_en="Support")
    bot = TelegramBot.objects.create(name="Bench bot", token=BOT_TOKEN, mode=TelegramMode.WEBHOOK, team=team)
    chats = messages // 2
    contacts = Contact.objects.bulk_create(
        [Contact(full_name=f"Клиент {10_000 + n}", language="ru") for n in range(chats)], batch_size=2000
    )
    ContactPhone.objects.bulk_create(
        [ContactPhone(contact=contact, phone=f"+7900{n:07d}") for n, contact in enumerate(contacts)], batch_size=2000
    )
    TelegramChat.objects.bulk_create(
        [
            TelegramChat(
                bot=bot, chat_id=10_000 + n, user_id=10_000 + n, contact=contact, state=TelegramChatState.LINKED
            )
            for n, contact in enumerate(contacts)
        ],
        batch_size=2000,
    )
    secret = bot.webhook_secret
    connection.close()
    bodies = generate(messages, seed=seed)

    children: list[Child] = []
    result: dict[str, Any] = {"run": run.name, "messages": messages}

    def wait_processed(total: int, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        rows = waiting = -1
        while time.monotonic() < deadline:
            rows = InboundMessage.objects.count()
            waiting = InboundMessage.objects.filter(status=InboundStatus.RECEIVED).count()
            connection.close()
            if rows >= total and waiting == 0:
                return time.perf_counter()
            time.sleep(0.05)
        raise RuntimeError(f"not processed in {timeout} s: {rows} rows, {waiting} waiting")

    try:
        port = _free_port()
        web = Child(
            "gunicorn",
            [],
            env=env,
            logs=logs,
            command=[
                "gunicorn",
                "config.wsgi:application",
                "-w",
                str(run.web_workers),
                "-k",
                "gthread",
                "--threads",
                "4",
                "-b",
                f"127.0.0.1:{port}",
            ],
        )
        children.append(web)
        huey_args = ["run_huey", "--quiet", "-w", str(run.workers), "-k", run.worker_type]
        if not run.staged:
            huey = Child("huey", huey_args, env=env, logs=logs)
            children.append(huey)
        _wait_port(port, web)
        url = f"http://127.0.0.1:{port}/channels/telegram/{bot.pk}/webhook/"
        # Warm-up (not timed): one request per web thread, so imports and connections are made.
        warm = post_all(url, secret, [b"{}"] * 16, concurrency=CONCURRENCY)
        if warm["statuses"].get(400) != 16:
            raise RuntimeError(f"warm-up answers {warm['statuses']}, expected 400 for an empty update")

        busy0, total0, steal0, kernel0 = _machine_cpu()
        web_cpu0 = web.memory()["cpu_s"]
        huey_cpu0 = 0.0 if run.staged else huey.memory()["cpu_s"]
        t0 = time.perf_counter()
        posted = post_all(url, secret, bodies, concurrency=CONCURRENCY)
        accepted_at = posted["last_answer"]
        web_cpu1 = web.memory()["cpu_s"]
        processing_started = t0
        if run.staged:
            processing_started = time.perf_counter()
            huey = Child("huey", huey_args, env=env, logs=logs)
            children.append(huey)
        done = wait_processed(messages, timeout=3600)
        busy1, total1, steal1, kernel1 = _machine_cpu()
        huey_cpu1 = huey.memory()["cpu_s"]
        # Let the outbox finish the acknowledgements before counting them: they are paced at
        # Telegram's 30 messages/s overall (channels/telegram/outbound.py), so this takes a while.
        deadline = time.monotonic() + chats / 30 + 120
        while time.monotonic() < deadline:
            unsent = OutboxMessage.objects.filter(status__in=[OutboxStatus.QUEUED, OutboxStatus.SENDING]).count()
            connection.close()
            if not unsent:
                break
            time.sleep(0.2)
        acknowledgements_done = time.perf_counter()
        accepted = posted["statuses"].get(200, 0)
        latencies = posted["latencies"]
        result.update(
            acknowledged=accepted,
            other_statuses={str(k): v for k, v in posted["statuses"].items() if k != 200},
            accept_seconds=round(accepted_at - t0, 2),
            acknowledged_per_second=round(accepted / (accepted_at - t0), 1),
            processed_seconds=round(done - processing_started, 2),
            processed_per_second=round(messages / (done - processing_started), 1),
            webhook_p50_ms=round(statistics.median(latencies) * 1000, 1) if latencies else None,
            webhook_p99_ms=round(_percentile(latencies, 0.99) * 1000, 1),
            gunicorn_cpu_ms_per_message=round(1000 * (web_cpu1 - web_cpu0) / messages, 2),
            huey_cpu_ms_per_message=round(1000 * (huey_cpu1 - huey_cpu0) / messages, 2),
            machine_cpu_percent=round(100 * (busy1 - busy0) / (total1 - total0), 0),
            machine_steal_percent=round(100 * (steal1 - steal0) / (total1 - total0), 0),
            machine_kernel_percent=round(100 * (kernel1 - kernel0) / (total1 - total0), 0),
            load_after=[round(v, 2) for v in os.getloadavg()],
            failed=InboundMessage.objects.filter(status=InboundStatus.FAILED).count(),
            tickets=Ticket.objects.count(),
            articles=Article.objects.count(),
            acknowledgements_sent=len(standin.calls("sendMessage")),
            acknowledgements_seconds=round(acknowledgements_done - t0, 1),
        )
        result["as_expected"] = (
            result["tickets"] == chats
            and result["articles"] == messages
            and result["failed"] == 0
            and result["acknowledgements_sent"] == chats
        )
    finally:
        for child in children:
            child.stop()
        standin.close()
        connection.close()
        shutil.rmtree(work, ignore_errors=True)
    return result


def profile(*, messages: int, database_url: str, seed: int, top: int, use_cprofile: bool = True) -> None:
    """Store `messages` updates, then process them in this process under cProfile (after a
    warm-up of WARM_UP_CHATS chats' two updates each), counting queries per message by statement.
    PostgreSQL at database_url + "_profile" (re-created), the Huey queue in memory and not
    consumed (so the acknowledgements are queued, not sent)."""
    from collections import deque

    from bench.seed import recreate_database

    url = database_url + "_profile"
    recreate_database(url)
    work = Path(tempfile.mkdtemp(prefix="otklik-webhook-profile-"))
    os.environ.update({"DATABASE_URL": url, "HUEY_BACKEND": "memory", "OTKLIK_VAR_DIR": str(work), "DJANGO_DEBUG": "0"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Team
    from channels.choices import TelegramChatState, TelegramMode
    from channels.models import TelegramBot, TelegramChat
    from channels.telegram.intake import telegram_update_store
    from customers.models import Contact
    from intake.choices import InboundSource
    from intake.services import inbound_process_batch

    call_command("migrate", verbosity=0)
    team = Team.objects.create(code="support", name_ru="Поддержка", name_en="Support")
    bot = TelegramBot.objects.create(name="Bench bot", token=BOT_TOKEN, mode=TelegramMode.WEBHOOK, team=team)
    contacts = Contact.objects.bulk_create([Contact(full_name=f"Клиент {n}") for n in range(messages // 2)])
    TelegramChat.objects.bulk_create(
        [
            TelegramChat(bot=bot, chat_id=10_000 + n, contact=contact, state=TelegramChatState.LINKED)
            for n, contact in enumerate(contacts)
        ]
    )
    bodies = generate(messages, seed=seed)
    # A warm-up (not measured) as a running worker has had: the first batches import the URL
    # configuration, the notice templates and so on, which would otherwise count as processing.
    warm = [Contact.objects.create(full_name=f"Прогрев {n}") for n in range(WARM_UP_CHATS)]
    TelegramChat.objects.bulk_create(
        [
            TelegramChat(bot=bot, chat_id=90_000 + n, contact=contact, state=TelegramChatState.LINKED)
            for n, contact in enumerate(warm)
        ]
    )
    now = int(time.time())
    for n in range(2 * WARM_UP_CHATS):
        raw = _update(900_000 + n, 90_000 + n % WARM_UP_CHATS, TEXTS[n % len(TEXTS)], now)
        telegram_update_store(bot_id=bot.pk, raw=raw, source=InboundSource.WEBHOOK)
    while inbound_process_batch():
        pass
    connection.queries_log = deque(maxlen=100 * messages)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as stored_queries:
        for body in bodies:
            telegram_update_store(bot_id=bot.pk, raw=body, source=InboundSource.WEBHOOK)
    store_seconds = time.perf_counter() - started
    process_and_report(
        messages=messages,
        noun="updates",
        store_seconds=store_seconds,
        stored_queries=len(stored_queries),
        top=top,
        use_cprofile=use_cprofile,
    )
    shutil.rmtree(work, ignore_errors=True)


def _fmt(result: dict[str, Any]) -> str:
    return (
        f"{result['run']}: {result['messages']} updates at concurrency {CONCURRENCY}: "
        f"acknowledged {result['acknowledged']} in {result['accept_seconds']} s = "
        f"{result['acknowledged_per_second']}/s (p50 {result['webhook_p50_ms']} ms, p99 {result['webhook_p99_ms']} ms"
        f"{', other answers ' + str(result['other_statuses']) if result['other_statuses'] else ''}); "
        f"processed in {result['processed_seconds']} s = {result['processed_per_second']}/s; "
        f"CPU per message: gunicorn {result['gunicorn_cpu_ms_per_message']} ms, "
        f"huey {result['huey_cpu_ms_per_message']} ms; machine CPU {result['machine_cpu_percent']}% "
        f"(kernel {result.get('machine_kernel_percent')}%, stolen {result.get('machine_steal_percent')}%); "
        f"tickets {result['tickets']}, articles {result['articles']}, failed {result['failed']}, "
        f"bot answers sent {result['acknowledgements_sent']} ({result['acknowledgements_seconds']} s after the first "
        f"update; paced at 30/s) — "
        f"{'as expected' if result['as_expected'] else 'NOT as expected'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--runs", default=DEFAULT_RUNS, help=f"comma-separated, of: {', '.join(RUNS)}")
    parser.add_argument("--list", action="store_true", help="print the run names and exit")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_WEBHOOK_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="profile the processing in this process instead")
    parser.add_argument("--top", type=int, default=40, help="lines of the profile and query list")
    parser.add_argument("--no-cprofile", action="store_true", help="with --profile: time and count queries only")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        profile(
            messages=args.messages,
            database_url=args.database_url,
            seed=args.seed,
            top=args.top,
            use_cprofile=not args.no_cprofile,
        )
        return
    if args.list:
        for run in RUNS.values():
            print(
                f"{run.name}: {run.database}, gunicorn -w {run.web_workers} (gthread ×4), "
                f"run_huey -k {run.worker_type} -w {run.workers}"
            )
        return
    if args.child:
        result = run_one(
            RUNS[args.child],
            messages=args.messages,
            database_url=args.database_url,
            redis_url=args.redis_url,
            seed=args.seed,
        )
        print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)
        return

    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    results = []
    for name in args.runs.split(","):
        run = RUNS[name.strip()]
        command = [sys.executable, __file__, "--child", run.name, "--messages", str(args.messages)]
        command += ["--database-url", args.database_url, "--redis-url", args.redis_url, "--seed", str(args.seed)]
        child = subprocess.run(command, cwd=BASE_DIR, stdout=subprocess.PIPE, text=True)
        for line in child.stdout.splitlines():
            if line.startswith("RESULT "):
                results.append(json.loads(line[len("RESULT ") :]))
            else:
                print(line)
        if child.returncode:
            print(f"{run.name} failed with exit code {child.returncode}")
        elif results:
            print(_fmt(results[-1]), flush=True)
    out = BASE_DIR / "bench" / "results" / f"webhook-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"\nwritten to {out.relative_to(BASE_DIR)}")
    for result in results:
        print(_fmt(result))


if __name__ == "__main__":
    main()
