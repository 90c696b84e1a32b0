"""Long polling of every active Telegram bot in polling mode (docs/architecture/telegram.md).
Started by runall as the child "telegram"; with no such bot it only re-reads the list now and then."""

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from channels.choices import TelegramMode
from channels.models import TelegramBot
from channels.telegram.api import TelegramApiError
from channels.telegram.intake import POLL_TIMEOUT, telegram_poll_once

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Fetch updates of Telegram bots in polling mode continuously; --once asks each bot once and exits."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One getUpdates round per bot, then exit.")
        parser.add_argument("--timeout", type=int, default=POLL_TIMEOUT, help="Long-poll timeout, seconds.")
        parser.add_argument("--idle-seconds", type=float, default=30, help="Pause when no bot polls.")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if not options["once"]:
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
        while not stop.is_set():
            bots = list(TelegramBot.objects.filter(is_active=True, mode=TelegramMode.POLLING))
            for bot in bots:
                # Several bots share the round: each waits its part of the timeout.
                timeout = 0 if options["once"] else max(1, options["timeout"] // len(bots))
                try:
                    stored = telegram_poll_once(bot=bot, timeout=timeout)
                except TelegramApiError as exc:
                    logger.warning("telegram bot %s: %s", bot.pk, exc)
                    self.stderr.write(f"{bot.name}: {exc}")
                    stop.wait(5)
                    continue
                if options["once"]:
                    self.stdout.write(f"{bot.name}: {stored} stored")
            if options["once"]:
                return
            if not bots:
                stop.wait(options["idle_seconds"])
