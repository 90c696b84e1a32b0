"""Benchmark the email channel end to end: generated mail delivered over LMTP (4 client
connections) or IMAP (appended to the tests' Dovecot, fetched by `imap_listener --once`), stored by
the real listener process, processed into tickets by the real Huey consumer (`run_huey`), until
every InboundMessage is processed. See bench/README.md, "Email intake".

    uv run python bench/email_bench.py                         # the default set of runs (see RUNS)
    uv run python bench/email_bench.py --runs pg-lmtp-thread4 --messages 2000
    uv run python bench/email_bench.py --list                  # the run names

Each run is a child process of this script (Django is set up once per process, and the SQLite run
needs its own settings): the database is dropped and re-created (PostgreSQL `otklik_bench_email`,
`--database-url` or BENCH_EMAIL_DATABASE_URL), migrated, given one mailbox (support@bench.local,
auto_reply off: no acknowledgements are queued, so no SMTP is involved) and 200 companies that own
an email domain each. A warm-up of 200 new requests (not timed) opens the tickets the replies of
the timed phase answer (In-Reply-To and References name the warm-up Message-IDs, so threading is
deterministic). Then the timed phase: half new requests, half replies, Russian and English, plain
and multipart/alternative, 10% with one 50-300 KB PDF or JPEG attachment.

Figures: messages/s end to end (from the first byte sent until no message is left unprocessed),
acceptance (LMTP 250 replies per second; IMAP: messages stored per second by the fetch), the peak
RSS (VmHWM) and CPU time of the listener and of the Huey consumer (every worker process), the
machine's CPU use during the run.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/otklik_bench_email"
# Database 13 of the local Redis belongs to this benchmark and is flushed before each run
# (bench/run.py uses 15).
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
MAILBOX = "support@bench.local"
COMPANIES = 200
SENDERS = 2000
WARMUP = 200


@dataclass(frozen=True)
class Run:
    name: str
    database: str  # "postgres" | "sqlite"
    transport: str  # "lmtp" | "imap"
    worker_type: str  # run_huey -k
    workers: int  # run_huey -w


RUNS = {
    run.name: run
    for run in [
        Run("pg-lmtp-thread4", "postgres", "lmtp", "thread", 4),
        Run("pg-lmtp-process2", "postgres", "lmtp", "process", 2),
        Run("pg-lmtp-process4", "postgres", "lmtp", "process", 4),
        Run("pg-imap-process2", "postgres", "imap", "process", 2),
        Run("sqlite-lmtp-thread2", "sqlite", "lmtp", "thread", 2),
    ]
}
DEFAULT_RUNS = "pg-lmtp-thread4,pg-lmtp-process2,pg-imap-process2,sqlite-lmtp-thread2"

# --- the mail -------------------------------------------------------------------------------------

SUBJECTS_RU = [
    "Не работает кондиционер в переговорной",
    "Протечка в серверной",
    "Сломался турникет на проходной",
    "Нет отопления в офисе на третьем этаже",
    "Не печатает принтер в бухгалтерии",
    "Лифт стоит между этажами",
    "Замена картриджа",
    "Шумит вентиляция",
]
SUBJECTS_EN = [
    "Air conditioner is down in the meeting room",
    "Leak in the server room",
    "Turnstile at the entrance is broken",
    "No heating on the third floor",
    "Printer in accounting does not print",
    "Lift stuck between floors",
    "Cartridge replacement",
    "Ventilation is noisy",
]
LINES_RU = [
    "Здравствуйте!",
    "С утра не работает оборудование, просим прислать инженера как можно скорее.",
    "Сотрудники жалуются на температуру в помещении, работать невозможно.",
    "Заявку подаём повторно, в прошлый раз мастер так и не приехал.",
    "Доступ на объект с 9:00 до 18:00, пропуск закажем заранее.",
    "Фото неисправности во вложении, серийный номер указан на табличке.",
    "Контактное лицо на месте — администратор, телефон +7 (495) 123-45-67.",
    "Спасибо, ждём ответа.",
]
LINES_EN = [
    "Hello,",
    "Since this morning the unit has not been working; please send an engineer as soon as possible.",
    "Staff complain about the temperature in the room, it is impossible to work.",
    "We are filing this again, last time the technician never came.",
    "Access to the site from 9:00 to 18:00, we will order a pass in advance.",
    "A photo of the fault is attached, the serial number is on the label.",
    "The contact on site is the administrator, phone +44 20 7946 0958.",
    "Thank you, waiting for your answer.",
]
NAMES_RU = ["Пётр Иванов", "Анна Смирнова", "Олег Кузнецов", "Мария Попова", "Игорь Соколов", "Елена Лебедева"]
NAMES_EN = ["John Smith", "Emma Brown", "Oliver Jones", "Sophie Taylor", "Jack Wilson", "Grace Evans"]


def sender_of(number: int) -> tuple[str, bool]:
    """(address, Russian?) of sender `number` out of SENDERS: user<n>@company<n % COMPANIES>.ru."""
    return f"user{number}@company{number % COMPANIES}.ru", number % 2 == 0


def _body(rng: random.Random, russian: bool) -> str:
    lines = LINES_RU if russian else LINES_EN
    return "\n\n".join([lines[0], *rng.sample(lines[1:-1], rng.randint(2, 5)), lines[-1]]) + "\n"


def _attachment(rng: random.Random, message: EmailMessage) -> None:
    size = rng.randint(50_000, 300_000)
    if rng.random() < 0.5:
        data = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + rng.randbytes(size)
        message.add_attachment(data, maintype="application", subtype="pdf", filename="акт осмотра.pdf")
    else:
        data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(size)
        message.add_attachment(data, maintype="image", subtype="jpeg", filename="IMG_2041.jpg")


def make_message(
    *, rng: random.Random, key: str, sender: int, reply_to: tuple[str, str] | None = None
) -> tuple[bytes, str, str]:
    """One message as a mail client sends it; returns (bytes, Message-ID, subject).
    reply_to = (Message-ID, subject) of the message answered."""
    address, russian = sender_of(sender)
    names = NAMES_RU if russian else NAMES_EN
    message = EmailMessage()
    message["From"] = f"{names[sender % len(names)]} <{address}>"
    message["To"] = f"Support <{MAILBOX}>"
    message["Date"] = formatdate(localtime=True)
    message_id = f"{key}.{sender}@company{sender % COMPANIES}.ru"
    message["Message-ID"] = f"<{message_id}>"
    body = _body(rng, russian)
    if reply_to is None:
        subject = rng.choice(SUBJECTS_RU if russian else SUBJECTS_EN)
    else:
        subject = f"Re: {reply_to[1]}"
        message["In-Reply-To"] = f"<{reply_to[0]}>"
        message["References"] = f"<{reply_to[0]}>"
        quote_head = "пишет:" if russian else "wrote:"
        body += f"\n{formatdate()} Support <{MAILBOX}> {quote_head}\n> " + _body(rng, russian).replace("\n", "\n> ")
    message["Subject"] = subject
    message.set_content(body)
    if rng.random() < 0.5:
        html = "".join(f"<p>{line}</p>" for line in body.split("\n\n"))
        message.add_alternative(f"<html><body>{html}</body></html>", subtype="html")
    if rng.random() < 0.1:
        _attachment(rng, message)
    raw = bytes(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
    return raw, message_id, subject


def generate(count: int, *, seed: int) -> tuple[list[bytes], list[bytes]]:
    """(warm-up messages, timed messages): WARMUP new requests, then `count` messages of which
    every second is a reply to a warm-up message (shuffled)."""
    rng = random.Random(seed)
    warmup = []
    opened = []
    for number in range(WARMUP):
        raw, message_id, subject = make_message(rng=rng, key=f"warm{number}", sender=rng.randrange(SENDERS))
        warmup.append(raw)
        opened.append((message_id, subject, raw))
    timed = []
    for number in range(count):
        if number % 2:
            message_id, subject, raw = opened[rng.randrange(WARMUP)]
            sender = int(message_id.split(".")[1].split("@")[0])
            timed.append(make_message(rng=rng, key=f"reply{number}", sender=sender, reply_to=(message_id, subject))[0])
        else:
            timed.append(make_message(rng=rng, key=f"new{number}", sender=rng.randrange(SENDERS))[0])
    rng.shuffle(timed)
    return warmup, timed


# --- processes ------------------------------------------------------------------------------------


def _proc_status(pid: int, field: str) -> int:
    """A kB figure of /proc/<pid>/status (VmHWM, VmRSS); 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """pid → (command name, CPU seconds used so far) of every process on the machine."""
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, tail = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        fields = tail.split()
        found[int(entry.name)] = (head.split("(", 1)[1], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    return found


def cpu_spent(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], *, top: int = 6
) -> dict[str, float]:
    """CPU seconds used between two `cpu_by_process` readings, summed by command name (postgres,
    redis-server, python, ...), the largest first: where a run's CPU went. A process that started
    in between counts from zero; one that ended in between is missed."""
    spent: dict[str, float] = {}
    for pid, (name, seconds) in after.items():
        previous = before.get(pid)
        used = seconds - previous[1] if previous is not None and previous[0] == name else seconds
        spent[name] = spent.get(name, 0.0) + used
    ranked = sorted(spent.items(), key=lambda item: -item[1])[:top]
    return {name: round(seconds, 1) for name, seconds in ranked if seconds >= 0.05}


def _machine_cpu() -> tuple[float, float, float, float]:
    """(busy, total, stolen, kernel) jiffies of the whole machine; stolen (by the hypervisor, for
    other guests) counts as busy: the time was not ours to use. Kernel: system, irq and softirq
    time (the loopback network's packets are mostly softirq, charged to no process)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    steal = values[7] if len(values) > 7 else 0
    return float(sum(values) - idle), float(sum(values)), float(steal), float(values[2] + values[5] + values[6])


def backend_cpu_seconds(connection: Any) -> float | None:
    """CPU seconds the PostgreSQL backend serving `connection` has used so far (from /proc, so only
    for a server on this machine and a user who may read its processes' stat), else None."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime, the 14th and 15th fields (the 12th and 13th after "pid (comm) state").
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Child:
    """A manage.py command in its own process group, its output in a log file."""

    def __init__(
        self, name: str, args: list[str], *, env: dict[str, str], logs: Path, command: list[str] | None = None
    ) -> None:
        """`args` of manage.py, or a whole `command` (run from the virtual environment's bin)."""
        self.name = name
        self.log = (logs / f"{name}.log").open("wb")
        if command is not None:
            command = [str(Path(sys.executable).parent / command[0]), *command[1:]]
        self.process = subprocess.Popen(
            command or [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def pids(self) -> list[int]:
        return [self.process.pid, *_children(self.process.pid)]

    def memory(self) -> dict[str, Any]:
        """Peak RSS (MB) of the process and of each child (Huey's worker processes)."""
        peaks = [_proc_status(pid, "VmHWM") / 1024 for pid in self.pids()]
        return {"peak_rss_mb": [round(p, 1) for p in peaks], "cpu_s": round(sum(map(_cpu_seconds, self.pids())), 1)}

    def wait_sampling(self) -> dict[str, Any]:
        """Wait for a process that exits by itself, sampling its peak RSS and CPU until it does."""
        sample: dict[str, Any] = {"peak_rss_mb": [0.0], "cpu_s": 0.0}
        while self.process.poll() is None:
            peak, cpu = _proc_status(self.process.pid, "VmHWM") / 1024, _cpu_seconds(self.process.pid)
            if peak:
                sample = {"peak_rss_mb": [round(peak, 1)], "cpu_s": round(cpu, 1)}
            time.sleep(0.05)
        return sample

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGINT)
                self.process.wait(timeout=20)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def _wait_port(port: int, child: Child, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(f"{child.name} exited with {child.process.returncode}; see {child.log.name}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{child.name} does not listen on {port}")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- one run (child process) ----------------------------------------------------------------------


def lmtp_deliver(port: int, messages: list[bytes], *, concurrency: int) -> dict[str, Any]:
    """Deliver over `concurrency` LMTP connections, one message after another on each."""
    work: queue.Queue[bytes] = queue.Queue()
    for raw in messages:
        work.put(raw)
    codes: list[int] = []
    last_reply = [0.0]
    lock = threading.Lock()

    def client() -> None:
        connection = smtplib.LMTP("127.0.0.1", port)
        connection.ehlo("bench.test")
        try:
            while True:
                try:
                    raw = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    connection.sendmail("mta@bench.test", [MAILBOX], raw)
                    code = 250
                except smtplib.SMTPResponseException as error:
                    code = error.smtp_code
                except smtplib.SMTPRecipientsRefused as error:
                    code = next(iter(error.recipients.values()))[0]
                with lock:
                    codes.append(code)
                    last_reply[0] = time.perf_counter()
        finally:
            connection.quit()

    threads = [threading.Thread(target=client) for _n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"accepted": codes.count(250), "refused": len(codes) - codes.count(250), "last_reply": last_reply[0]}


def run_one(run: Run, *, messages: int, database_url: str, redis_url: str, seed: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="otklik-email-bench-"))
    logs = BASE_DIR / "bench" / "results" / f"email-{run.name}"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    env = {
        **os.environ,
        "OTKLIK_VAR_DIR": str(work),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        # No acknowledgements are queued (the mailbox's auto_reply is off); should anything be
        # mailed, it goes to files under the run's var directory.
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

    started = time.perf_counter()
    warmup, timed = generate(messages, seed=seed)
    megabytes = sum(map(len, timed)) / 1e6
    print(f"[{run.name}] generated {len(timed)} messages ({megabytes:.0f} MB) in {time.perf_counter() - started:.1f} s")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Team
    from channels.choices import MailboxInbound, TransportSecurity
    from channels.models import Mailbox
    from customers.models import Company
    from intake.choices import InboundStatus
    from intake.models import InboundMessage
    from tickets.models import Article, Ticket

    call_command("migrate", verbosity=0)
    team = Team.objects.create(code="support", name_ru="Поддержка", name_en="Support")
    Company.objects.bulk_create(
        [Company(name=f"Company {n}", email_domains=f"company{n}.ru") for n in range(COMPANIES)]
    )
    mailbox = Mailbox.objects.create(
        name="Support", address=MAILBOX, team=team, auto_reply=False, inbound=MailboxInbound.LMTP
    )
    connection.close()

    dovecot = None
    children: list[Child] = []
    result: dict[str, Any] = {"run": run.name, "messages": messages, "megabytes": round(megabytes, 1)}

    def wait_processed(total: int, timeout: float) -> float:
        """Until `total` rows exist and none is left RECEIVED; returns the time it happened."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = InboundMessage.objects.count()
            waiting = InboundMessage.objects.filter(status=InboundStatus.RECEIVED).count()
            connection.close()
            if rows >= total and waiting == 0:
                return time.perf_counter()
            time.sleep(0.1)
        raise RuntimeError(f"not processed in {timeout} s: {rows} rows, {waiting} waiting")

    try:
        huey = Child("huey", ["run_huey", "--quiet", "-w", str(run.workers), "-k", run.worker_type], env=env, logs=logs)
        children.append(huey)
        if run.transport == "lmtp":
            port = _free_port()
            lmtp = Child("lmtp", ["lmtp_server", "--port", str(port)], env=env, logs=logs)
            children.append(lmtp)
            _wait_port(port, lmtp)
            lmtp_deliver(port, warmup, concurrency=4)
        else:
            from tests.imap_server import DovecotServer

            dovecot = DovecotServer().start()
            account = dovecot.account()
            Mailbox.objects.filter(pk=mailbox.pk).update(
                inbound=MailboxInbound.IMAP,
                imap_host="127.0.0.1",
                imap_port=dovecot.ssl_port,
                imap_security=TransportSecurity.SSL,
                imap_username=account.username,
                imap_password=account.password,
            )
            connection.close()
            env["OTKLIK_IMAP_CA_FILE"] = dovecot.cafile
            dovecot.append(account, *warmup)
            fetch = Child("imap-warmup", ["imap_listener", "--once"], env=env, logs=logs)
            fetch.process.wait()
            lmtp = fetch
        wait_processed(WARMUP, timeout=600)
        assert Ticket.objects.count() == WARMUP, Ticket.objects.count()
        connection.close()
        print(f"[{run.name}] warm-up: {WARMUP} tickets")

        load_before = os.getloadavg()
        busy0, total0, steal0, kernel0 = _machine_cpu()
        by_command0, own0 = cpu_by_process(), time.process_time()
        imap_sample: dict[str, Any] = {}
        if run.transport == "lmtp":
            t0 = time.perf_counter()
            delivered = lmtp_deliver(port, timed, concurrency=4)
            accepted_at = delivered["last_reply"]
            result.update(accepted=delivered["accepted"], refused=delivered["refused"])
        else:
            assert dovecot is not None
            appending = time.perf_counter()
            dovecot.append(account, *timed)
            result["imap_append_s"] = round(time.perf_counter() - appending, 1)
            print(f"[{run.name}] appended to Dovecot in {result['imap_append_s']} s")
            t0 = time.perf_counter()
            lmtp = Child("imap", ["imap_listener", "--once"], env=env, logs=logs)
            children.append(lmtp)
            imap_sample = lmtp.wait_sampling()
            accepted_at = time.perf_counter()
            result.update(accepted=InboundMessage.objects.count() - WARMUP, refused=0)
        done = wait_processed(WARMUP + messages, timeout=3600)
        busy1, total1, steal1, kernel1 = _machine_cpu()
        own_cpu, by_command1 = time.process_time() - own0, cpu_by_process()
        elapsed = done - t0
        result.update(
            seconds=round(elapsed, 1),
            per_second=round(messages / elapsed, 1),
            accept_seconds=round(accepted_at - t0, 1),
            accept_per_second=round(result["accepted"] / (accepted_at - t0), 1),
            listener=lmtp.memory() if run.transport == "lmtp" else {},
            huey=huey.memory(),
            machine_cpu_percent=round(100 * (busy1 - busy0) / (total1 - total0), 0),
            machine_steal_percent=round(100 * (steal1 - steal0) / (total1 - total0), 0),
            machine_kernel_percent=round(100 * (kernel1 - kernel0) / (total1 - total0), 0),
            # The bench's own process (the LMTP sender's threads and the polling for completion).
            bench_cpu_s=round(own_cpu, 1),
            cpu_by_command=cpu_spent(by_command0, by_command1),
            load_before=[round(v, 2) for v in load_before],
            load_after=[round(v, 2) for v in os.getloadavg()],
            failed=InboundMessage.objects.filter(status=InboundStatus.FAILED).count(),
            tickets=Ticket.objects.count(),
            articles=Article.objects.count(),
        )
        if run.transport == "imap":
            result["listener"] = imap_sample
        # Half new (one ticket each), half replies threaded to warm-up tickets.
        expected_tickets = WARMUP + (messages + 1) // 2
        result["threaded_ok"] = result["tickets"] == expected_tickets and result["articles"] == WARMUP + messages
    finally:
        for child in children:
            child.stop()
        if dovecot is not None:
            dovecot.stop()
        connection.close()
        shutil.rmtree(work, ignore_errors=True)
    return result


# --- in-process profile ------------------------------------------------------------------------


def profile(*, messages: int, database_url: str, seed: int, top: int, use_cprofile: bool = True) -> None:
    """Store `messages` timed messages (after the warm-up), then process them in this process
    under cProfile, counting queries per message by statement, and the CPU this process and its
    PostgreSQL backend spent. PostgreSQL at database_url + "_profile" (dropped and re-created),
    the Huey queue in memory and not consumed."""
    from collections import deque

    from bench.seed import recreate_database

    url = database_url + "_profile"
    recreate_database(url)
    work = Path(tempfile.mkdtemp(prefix="otklik-email-profile-"))
    os.environ.update({"DATABASE_URL": url, "HUEY_BACKEND": "memory", "OTKLIK_VAR_DIR": str(work), "DJANGO_DEBUG": "0"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Team
    from channels.email.headers import headline
    from channels.email.parsing import dedup_key_for
    from channels.models import Mailbox
    from customers.models import Company
    from intake.services import inbound_process, inbound_store

    call_command("migrate", verbosity=0)
    team = Team.objects.create(code="support", name_ru="Поддержка", name_en="Support")
    Company.objects.bulk_create(
        [Company(name=f"Company {n}", email_domains=f"company{n}.ru") for n in range(COMPANIES)]
    )
    mailbox = Mailbox.objects.create(name="Support", address=MAILBOX, team=team, auto_reply=False)
    warmup, timed = generate(messages, seed=seed)

    def store(raw: bytes) -> int:
        sender, subject = headline(raw)
        row, _created = inbound_store(
            channel="email",
            source="lmtp",
            raw=raw,
            dedup_key=dedup_key_for(raw),
            mailbox=mailbox,
            envelope_from="mta@bench.test",
            envelope_to=[MAILBOX],
            from_address=sender,
            subject=subject,
        )
        return row.pk

    for raw in warmup:
        inbound_process(inbound_id=store(raw))
    connection.queries_log = deque(maxlen=100 * messages)  # Django keeps 9,000 by default
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as stored_queries:
        for raw in timed:
            store(raw)
    store_seconds = time.perf_counter() - started
    process_and_report(
        messages=messages,
        noun="messages",
        store_seconds=store_seconds,
        stored_queries=len(stored_queries),
        top=top,
        use_cprofile=use_cprofile,
        pstats_path=BASE_DIR / "bench" / "results" / "email-profile.pstats",
    )
    shutil.rmtree(work, ignore_errors=True)


def process_and_report(
    *,
    messages: int,
    noun: str,
    store_seconds: float,
    stored_queries: int,
    top: int,
    use_cprofile: bool,
    pstats_path: Path | None = None,
) -> None:
    """Process every stored inbound message in this process as the worker does (batches of whatever
    waits) and print what storing and processing cost per message: throughput, statements, this
    process's CPU and its PostgreSQL backend's, the commonest statements, and under cProfile the
    hottest functions (the email and webhook profiles share it)."""
    import cProfile
    import pstats
    import re
    from collections import Counter

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from intake.services import inbound_process_batch

    profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as captured:
        started, cpu_started, backend_started = (
            time.perf_counter(),
            time.process_time(),
            backend_cpu_seconds(connection),
        )
        if use_cprofile:
            profiler.enable()
        while inbound_process_batch():
            pass
        profiler.disable()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        backend_ended = backend_cpu_seconds(connection)
    print(f"store: {messages / store_seconds:.0f} {noun}/s in-process, {stored_queries / messages:.1f} queries each")
    print(
        f"process: {messages / seconds:.0f} {noun}/s in-process{' (under cProfile)' if use_cprofile else ''}, "
        f"{len(captured) / messages:.1f} queries each, "
        f"{1000 * cpu_seconds / messages:.2f} ms of this process's CPU each"
        + _backend_share(backend_started, backend_ended, messages)
    )
    shapes: Counter[str] = Counter()
    for query in captured.captured_queries:
        sql = re.sub(r"\s+", " ", query["sql"])
        shapes[re.sub(r"'[^']*'|\b\d+\b|\"s\d+_x\d+\"", "?", sql)[:160]] += 1
    for shape, count in shapes.most_common(top):
        print(f"{count / messages:6.2f}  {shape}")
    if use_cprofile:
        if pstats_path is not None:
            pstats_path.parent.mkdir(parents=True, exist_ok=True)
            profiler.dump_stats(str(pstats_path))
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("cumulative").print_stats(
            "^" + re.escape(str(BASE_DIR)) + r"/(?!\.venv)", top
        )  # the project's own functions
        stats.sort_stats("tottime").print_stats(top)


def _backend_share(started: float | None, ended: float | None, messages: int) -> str:
    if started is None or ended is None:
        return ""
    return f", {1000 * (ended - started) / messages:.2f} ms of its PostgreSQL backend's"


# --- the orchestrator -----------------------------------------------------------------------------


def _fmt(result: dict[str, Any]) -> str:
    listener = result["listener"]
    huey = result["huey"]
    return (
        f"{result['run']}: {result['messages']} messages ({result['megabytes']} MB) "
        f"end to end {result['seconds']} s = {result['per_second']} messages/s; "
        f"accepted {result['accepted']} in {result['accept_seconds']} s = {result['accept_per_second']}/s; "
        f"failed {result['failed']}, tickets {result['tickets']}, articles {result['articles']}, "
        f"threading {'as expected' if result['threaded_ok'] else 'NOT as expected'}; "
        f"peak RSS listener {listener['peak_rss_mb']} MB (CPU {listener['cpu_s']} s), "
        f"huey {huey['peak_rss_mb']} MB (CPU {huey['cpu_s']} s); machine CPU {result['machine_cpu_percent']}% "
        f"(kernel {result.get('machine_kernel_percent')}%, stolen {result.get('machine_steal_percent')}%), "
        f"load {result['load_before']} -> {result['load_after']}; "
        f"CPU s of the bench itself {result.get('bench_cpu_s')}, by command {result.get('cpu_by_command')}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--runs", default=DEFAULT_RUNS, help=f"comma-separated, of: {', '.join(RUNS)}")
    parser.add_argument("--list", action="store_true", help="print the run names and exit")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_EMAIL_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile the processing in this process instead")
    parser.add_argument("--top", type=int, default=40, help="lines of the profile and query list")
    parser.add_argument("--no-cprofile", action="store_true", help="with --profile: time and count queries only")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.list:
        for run in RUNS.values():
            print(f"{run.name}: {run.database}, {run.transport}, run_huey -k {run.worker_type} -w {run.workers}")
        return
    if args.profile:
        profile(
            messages=args.messages,
            database_url=args.database_url,
            seed=args.seed,
            top=args.top,
            use_cprofile=not args.no_cprofile,
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
    print("Acknowledgements: the mailbox has auto_reply off, so nothing is queued for SMTP.")
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
    out = BASE_DIR / "bench" / "results" / f"email-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"\nwritten to {out.relative_to(BASE_DIR)}")
    for result in results:
        print(_fmt(result))


if __name__ == "__main__":
    main()
