"""The LMTP (and plain SMTP) listener a company's MTA delivers to. See docs/architecture/email.md,
"LMTP listener".

A recipient is accepted at RCPT only when it is an active mailbox that receives by LMTP
(case-insensitive, plus-addressing allowed), else 550. After DATA the message is committed to the
inbound store (intake.services.inbound_store) and only then answered 250; a message larger than
the mailbox allows gets 552, and any failure to store it 451 (temporary: the MTA keeps the
message and tries again; storing is idempotent, so a retry after a lost reply is harmless).

LMTP (RFC 2033) answers DATA once per accepted recipient. aiosmtpd's LMTP class only renames
HELO to LHLO and pushes the single status handle_DATA returns, so handle_DATA returns one line
per recipient joined by CRLF, and the errors aiosmtpd raises itself while reading DATA (too
much data, a line too long) are repeated per recipient by OtklikLMTP.push.

The ORM runs in a small thread pool off the event loop; each call closes stale connections
before and after, as a request would.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AnyStr

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections, connections

from channels.choices import MailboxInbound
from channels.email.headers import headline
from channels.email.inbound import mailbox_for_address
from channels.email.parsing import dedup_key_for
from channels.models import Mailbox
from intake.choices import InboundSource
from intake.services import inbound_store

logger = logging.getLogger(__name__)

# aiosmtpd's own answers to DATA that it sends before the handler is asked.
DATA_ERRORS_FROM_AIOSMTPD = ("552 Error: Too much mail data", "500 Line too long")


def lmtp_max_bytes() -> int:
    return int(getattr(settings, "LMTP_MAX_BYTES", 64 * 1024 * 1024))


class OtklikLMTP(LMTP):
    async def push(self, status: AnyStr) -> None:
        # One reply per accepted recipient, also for the errors aiosmtpd answers by itself.
        text = status.decode("ascii", "replace") if isinstance(status, bytes) else status
        envelope = self.envelope
        recipients = len(envelope.rcpt_tos) if envelope is not None else 0
        if recipients > 1 and text.startswith(DATA_ERRORS_FROM_AIOSMTPD):
            text = "\r\n".join([text] * recipients)
            await super().push(text)
            return
        await super().push(status)


def _recipient_mailbox(address: str) -> Mailbox | None:
    close_old_connections()
    try:
        mailboxes = Mailbox.objects.filter(is_active=True, inbound=MailboxInbound.LMTP)
        return mailbox_for_address(address, mailboxes)
    finally:
        close_old_connections()


def _store(*, raw: bytes, mailbox: Mailbox, envelope_from: str, envelope_to: list[str]) -> None:
    close_old_connections()
    try:
        from_address, subject = headline(raw)
        inbound_store(
            channel="email",
            source=InboundSource.LMTP,
            raw=raw,
            dedup_key=dedup_key_for(raw),
            mailbox=mailbox,
            envelope_from=envelope_from,
            envelope_to=envelope_to,
            from_address=from_address,
            subject=subject,
        )
    finally:
        close_old_connections()


class InboundMailHandler:
    """aiosmtpd handler: RCPT checks the mailbox, DATA stores the message (see the module doc)."""

    def __init__(self, *, lmtp: bool, executor: ThreadPoolExecutor) -> None:
        self.lmtp = lmtp
        self.executor = executor

    async def _in_thread(self, function: Any, /, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: function(**kwargs))

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            mailbox = await self._in_thread(_recipient_mailbox, address=address)
        except Exception:
            logger.exception("looking up the mailbox of %s failed", address)
            return "451 4.3.0 Temporary failure, try again later"
        if mailbox is None:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        mailboxes: dict[str, Mailbox] = getattr(envelope, "otklik_mailboxes", {})
        mailboxes[address] = mailbox
        envelope.otklik_mailboxes = mailboxes  # type: ignore[attr-defined]
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        mailboxes: dict[str, Mailbox] = getattr(envelope, "otklik_mailboxes", {})
        size = len(raw)
        fits = {a for a in envelope.rcpt_tos if size <= min(mailboxes[a].max_message_bytes, lmtp_max_bytes())}
        if not self.lmtp and len(fits) < len(envelope.rcpt_tos):
            # Plain SMTP has one answer for all recipients: refuse the message for all of them.
            return "552 5.3.4 Message too big for a recipient's mailbox"
        stored = True
        if fits:
            first = next(a for a in envelope.rcpt_tos if a in fits)
            try:
                await self._in_thread(
                    _store,
                    raw=raw,
                    mailbox=mailboxes[first],
                    envelope_from=envelope.mail_from or "",
                    envelope_to=list(envelope.rcpt_tos),
                )
            except Exception:
                logger.exception("storing a message from %s failed", envelope.mail_from)
                stored = False
        replies = []
        for address in envelope.rcpt_tos:
            if address not in fits:
                replies.append(f"552 5.3.4 <{address}>: message too big for this mailbox")
            elif stored:
                replies.append(f"250 2.0.0 <{address}> OK")
            else:
                replies.append(f"451 4.3.0 <{address}>: temporary failure, try again later")
        if self.lmtp:
            return "\r\n".join(replies)
        return replies[0] if stored else "451 4.3.0 Temporary failure, try again later"


class InboundMailController(Controller):
    """A listener in its own thread and event loop: LMTP, or plain SMTP with `lmtp=False`."""

    def __init__(self, *, host: str, port: int, lmtp: bool = True, workers: int = 4) -> None:
        self.lmtp = lmtp
        self.workers = workers
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lmtp-db")
        super().__init__(
            InboundMailHandler(lmtp=lmtp, executor=self.executor),
            hostname=host,
            port=port,
            server_hostname="otklik",
            data_size_limit=lmtp_max_bytes(),
            enable_SMTPUTF8=True,
            decode_data=False,
        )

    def factory(self) -> SMTP:
        server_class = OtklikLMTP if self.lmtp else SMTP
        return server_class(self.handler, **self.SMTP_kwargs)

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert=no_assert)
        # Close every worker thread's database connection (kept open between messages for
        # speed): one job per thread, held at a barrier so no thread takes two.
        barrier = threading.Barrier(self.workers)

        def close() -> None:
            connections.close_all()
            barrier.wait(timeout=10)

        for job in [self.executor.submit(close) for _n in range(self.workers)]:
            job.result()
        self.executor.shutdown(wait=True)
