"""Fetch mail of every active IMAP mailbox, idling where the server allows (docs/architecture/email.md)."""

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from channels.email.imap import imap_mailboxes, mailbox_fetch
from channels.email.imap_listener import ImapListener


class Command(BaseCommand):
    help = "Fetch IMAP mailboxes continuously (IDLE or polling); --once fetches each once and exits."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Fetch every IMAP mailbox once, then exit.")
        parser.add_argument(
            "--refresh-seconds", type=float, default=30, help="How often the list of mailboxes is re-read."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            for mailbox in imap_mailboxes():
                report = mailbox_fetch(mailbox=mailbox)
                state = "busy" if report.busy else (report.error or "ok")
                self.stdout.write(
                    f"{mailbox.address}: {report.stored} stored, {report.duplicates} already stored, "
                    f"{report.quarantined} quarantined: {state}"
                )
            return
        stop = threading.Event()

        def request_stop(*_args: object) -> None:
            stop.set()

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        ImapListener(refresh_seconds=options["refresh_seconds"], stop=stop).run()
