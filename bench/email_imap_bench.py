"""Benchmark the IMAP intake: N generated messages appended into a real Dovecot (the tests' server,
tests/imap_server.py), then one `mailbox_fetch` storing them all (size and headers, BODY.PEEK[],
inbound_store commit, \\Seen, position). Prints messages/s of the fetch. Processing into tickets
is not part of it (the queue is kept in memory and not consumed). See bench/README.md.

    uv run python bench/email_imap_bench.py                      # 2,000 messages, SQLite in a temp dir
    uv run python bench/email_imap_bench.py --messages 10000 \\
        --database-url postgres://postgres@127.0.0.1:5432/otklik_bench_imap   # dropped and re-created
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

SUBJECTS_RU = ["Не работает кондиционер", "Протечка в серверной", "Сломался турникет", "Нет отопления в офисе"]
SUBJECTS_EN = ["Air conditioner is down", "Leak in the server room", "Turnstile is broken", "No heating"]


def generate(number: int, rng: random.Random) -> bytes:
    russian = number % 2 == 0
    message = EmailMessage()
    message["From"] = f"client{rng.randint(1, 500)}@example.ru"
    message["To"] = "support@otklik.test"
    message["Subject"] = f"{rng.choice(SUBJECTS_RU if russian else SUBJECTS_EN)} ({number})"
    message["Date"] = formatdate()
    message["Message-ID"] = f"<bench-{number}@example.ru>"
    text = "Здравствуйте! Просим прислать инженера.\n" if russian else "Hello, please send an engineer.\n"
    message.set_content(text * rng.randint(1, 20))
    if number % 10 == 0:
        message.add_attachment(rng.randbytes(20_000), maintype="image", subtype="jpeg", filename="фото.jpg")
    return bytes(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--database-url", default="", help="PostgreSQL to use (dropped and re-created)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="otklik-imap-bench-"))
    os.environ["OTKLIK_VAR_DIR"] = str(work)
    os.environ["HUEY_BACKEND"] = "memory"  # queued processing stays in memory, unconsumed
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if args.database_url:
        from bench.seed import recreate_database

        recreate_database(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from channels.choices import MailboxInbound, TransportSecurity
    from channels.email.imap import mailbox_fetch
    from channels.models import Mailbox
    from intake.models import InboundMessage
    from tests.imap_server import DovecotServer

    call_command("migrate", verbosity=0)
    server = DovecotServer().start()
    try:
        account = server.account()
        rng = random.Random(5)
        messages = [generate(n, rng) for n in range(args.messages)]
        started = time.perf_counter()
        client = server.client(account)
        for raw in messages:
            client.append("INBOX", raw)
        client.logout()
        append_seconds = time.perf_counter() - started

        settings.OTKLIK_IMAP_CA_FILE = server.cafile
        mailbox = Mailbox.objects.create(
            name="Bench",
            address="support@otklik.test",
            inbound=MailboxInbound.IMAP,
            imap_host="127.0.0.1",
            imap_port=server.ssl_port,
            imap_security=TransportSecurity.SSL,
            imap_username=account.username,
            imap_password=account.password,
        )
        started = time.perf_counter()
        report = mailbox_fetch(mailbox=mailbox)
        fetch_seconds = time.perf_counter() - started
        again = time.perf_counter()
        second = mailbox_fetch(mailbox=mailbox)
        refetch_seconds = time.perf_counter() - again
    finally:
        server.stop()

    backend = "PostgreSQL" if args.database_url else "SQLite"
    megabytes = sum(map(len, messages)) / 1e6
    print(f"{args.messages} messages, {megabytes:.1f} MB, {backend}; appended in {append_seconds:.1f} s")
    print(
        f"fetch: {report.stored} stored in {fetch_seconds:.1f} s = {report.stored / fetch_seconds:.0f} messages/s"
        f"{' (error: ' + report.error + ')' if report.error else ''}"
    )
    print(f"second fetch (nothing new): {second.stored} stored in {refetch_seconds:.2f} s")
    assert InboundMessage.objects.count() == args.messages
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
