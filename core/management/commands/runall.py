"""Start the whole embedded system in one terminal: web server (gunicorn), the Huey consumer,
the inbound mail listener (LMTP on LMTP_PORT, channels/email/lmtp.py), IMAP intake and Telegram
long polling. Stops everything on Ctrl-C or when any part exits, so a crash is never silent."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run web + worker together (embedded install)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--web-workers", default=os.environ.get("WEB_WORKERS", "2"))

    def handle(self, *args: object, **options: str) -> None:
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        commands = {
            "web": [
                python, "-m", "gunicorn", "config.wsgi:application",
                "--bind", f"{options['host']}:{options['port']}",
                "--workers", options["web_workers"], "--worker-class", "gthread", "--threads", "8",
                "--access-logfile", "-", "--timeout", "60",
            ],
            "worker": [python, manage, "run_huey", "--quiet"],
            "mail": [python, manage, "lmtp_server"],
            "imap": [python, manage, "imap_listener"],
            # Long polling of Telegram bots in polling mode; idles when there are none.
            "telegram": [python, manage, "telegram_poll"],
        }  # fmt: skip
        children: dict[str, subprocess.Popen[bytes]] = {}
        stopping = False

        def stop(*_args: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name, command in commands.items():
            children[name] = subprocess.Popen(command, cwd=settings.BASE_DIR)
            self.stdout.write(f"started {name} (pid {children[name].pid})")
        self.stdout.write(self.style.SUCCESS(f"Otklik is running at http://{options['host']}:{options['port']}/"))
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with code {child.returncode}; stopping")
                        stopping = True
                time.sleep(0.5)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.terminate()
            deadline = time.monotonic() + 10
            for child in children.values():
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
