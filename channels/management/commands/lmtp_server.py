"""Listen for inbound mail: LMTP on LMTP_HOST:LMTP_PORT (and plain SMTP on LMTP_SMTP_PORT when
set). Runs until SIGINT/SIGTERM. See channels/email/lmtp.py."""

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from channels.email.lmtp import InboundMailController


class Command(BaseCommand):
    help = "Run the inbound mail listener (LMTP, optionally also SMTP)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.LMTP_HOST)
        parser.add_argument("--port", type=int, default=settings.LMTP_PORT)
        parser.add_argument(
            "--smtp-port", type=int, default=settings.LMTP_SMTP_PORT, help="Also listen for plain SMTP on this port."
        )

    def handle(self, *args: object, **options: object) -> None:
        # aiosmtpd logs every connection at INFO; the listener's own problems are warnings.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        host = str(options["host"])
        listeners = [InboundMailController(host=host, port=int(str(options["port"])), workers=settings.LMTP_WORKERS)]
        if options["smtp_port"]:
            listeners.append(
                InboundMailController(
                    host=host, port=int(str(options["smtp_port"])), lmtp=False, workers=settings.LMTP_WORKERS
                )
            )
        stopping = threading.Event()
        signal.signal(signal.SIGINT, lambda *_args: stopping.set())
        signal.signal(signal.SIGTERM, lambda *_args: stopping.set())
        for listener in listeners:
            listener.start()
            kind = "LMTP" if listener.lmtp else "SMTP"
            self.stdout.write(f"{kind} listening on {host}:{listener.port}")
        try:
            stopping.wait()
        finally:
            for listener in listeners:
                listener.stop()
