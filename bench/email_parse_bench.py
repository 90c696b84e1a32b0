"""Email parser throughput: messages parsed per second on one core (docs/architecture/email.md).

The corpus: a typical 20 KB Russian reply (plain text + Outlook-style HTML with a long quoted
history and an attachment), every client fixture under channels/tests/fixtures/mail/, and the
real-world messages of CPython's email test suite.

    uv run python bench/email_parse_bench.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def typical_message(size: int = 20_000) -> bytes:
    """A typical reply of about `size` bytes: plain text and Outlook-style HTML in Russian, each
    with the new text, a signature and a long quoted history, plus a small attachment."""
    from email.message import EmailMessage

    history = "> Добрый день! Проверьте, пожалуйста, картридж и сообщите результат. Заявка №347.\n"
    html_history = "<p class=MsoNormal>Добрый день! Проверьте, пожалуйста, картридж и сообщите результат.</p>"
    message = EmailMessage()
    message["From"] = "Ольга Смирнова <olga@example.org>"
    message["To"] = "Служба поддержки <support@demo.local>"
    message["Subject"] = "Re: [#347] Принтер не печатает"
    message["Message-ID"] = "<typical-1@example.org>"
    message["In-Reply-To"] = "<ticket-347-1@demo.local>"
    message["Date"] = "Wed, 12 Mar 2025 11:02:31 +0300"
    new = "Картридж заменили, принтер снова пишет «Замятие бумаги».\n\nС уважением,\nОльга\n\n"
    attribution = '12.03.2025, 10:15, "Служба поддержки" <support@demo.local>:\n'
    repeat = max(1, (size // 2) // len((history).encode()))
    message.set_content(new + attribution + history * repeat)
    html = (
        "<html><head><style>p.MsoNormal{margin:0cm;font-family:Calibri}</style></head><body><div class=WordSection1>"
        "<p class=MsoNormal>Картридж заменили, принтер снова пишет «Замятие бумаги».</p><p class=MsoNormal>&nbsp;</p>"
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class=MsoNormal>'
        "<b>От:</b> Служба поддержки<br><b>Отправлено:</b> 12 марта 2025 г. 10:15<br><b>Кому:</b> Ольга<br>"
        "<b>Тема:</b> [#347] Принтер</p></div>" + html_history * (repeat // 3) + "</div></body></html>"
    )
    message.add_alternative(html, subtype="html")
    message.add_attachment(b"\x89PNG" + b"\x00" * 1000, maintype="image", subtype="png", filename="фото.png")
    return message.as_bytes()


def _corpus() -> dict[str, list[bytes]]:
    import sysconfig

    fixtures = sorted((ROOT / "channels" / "tests" / "fixtures" / "mail").glob("*.eml"))
    stdlib = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"
    return {
        "typical 20 KB reply": [typical_message()],
        "client fixtures": [path.read_bytes() for path in fixtures],
        "CPython email corpus": [path.read_bytes() for path in sorted(stdlib.glob("msg_*.txt"))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent on each corpus")
    arguments = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from channels.email.parsing import EmailParseError, parse_email

    for name, messages in _corpus().items():
        if not messages:
            print(f"{name}: no messages found")
            continue
        for raw in messages:  # warm-up
            with contextlib.suppress(EmailParseError):
                parse_email(raw)
        count = 0
        size = 0
        started = time.perf_counter()
        while time.perf_counter() - started < arguments.seconds:
            for raw in messages:
                with contextlib.suppress(EmailParseError):
                    parse_email(raw)
                count += 1
                size += len(raw)
        elapsed = time.perf_counter() - started
        print(
            f"{name}: {count / elapsed:,.0f} messages/s, {elapsed / count * 1000:.2f} ms per message "
            f"(mean size {size / count / 1024:.1f} KB, {len(messages)} distinct)"
        )


if __name__ == "__main__":
    main()
