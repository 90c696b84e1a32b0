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

DATA is read in chunks (ChunkedData) rather than aiosmtpd's line at a time: a typical message
is several hundred lines, and reading them one by one cost more CPU than storing the message.
The active LMTP mailboxes are kept for MAILBOXES_FRESH_SECONDS per listener, so RCPT needs no query
(an address not among them is looked up afresh before it is refused).

The ORM runs in a small thread pool off the event loop. Its threads keep their connections
between messages; a failure closes the thread's connection (close_old_connections), so the next
message reconnects if the database went away.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AnyStr

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session, syntax
from django.conf import settings
from django.db import close_old_connections, connections

from channels.choices import MailboxInbound
from channels.email.inbound import mailbox_for_address
from channels.email.parsing import headline_and_dedup_key
from channels.models import Mailbox
from intake.choices import InboundSource
from intake.services import inbound_store

logger = logging.getLogger(__name__)

# aiosmtpd's own answers to DATA that it sends before the handler is asked.
DATA_ERRORS_FROM_AIOSMTPD = ("552 Error: Too much mail data", "500 Line too long")


def lmtp_max_bytes() -> int:
    return int(getattr(settings, "LMTP_MAX_BYTES", 64 * 1024 * 1024))


# How long a listener trusts its list of active LMTP mailboxes for accepting a recipient.
MAILBOXES_FRESH_SECONDS = 5.0
# DATA is read this much at a time (what the socket has, up to this).
DATA_CHUNK_BYTES = 256 * 1024
END_OF_DATA = b"\r\n.\r\n"
LINE_TOO_LONG = "500 Line too long (see RFC5321 4.5.3.1.6)"
TOO_MUCH_DATA = "552 Error: Too much mail data"


# "<local@domain>" whose local part is a dot-atom and domain a plain host name: the text between
# the brackets is then exactly the addr-spec aiosmtpd's parser returns. Anything else (quoted
# local parts, comments, source routes, "<>") goes to that parser.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ANGLE_ADDR = re.compile(rf"<({_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>(\Z|[ \t].*\Z)", re.S)


class ChunkedData(SMTP):
    """DATA read in chunks, with the same answers as aiosmtpd's line-by-line reader: the
    content is the lines up to the lone ".", each line's leading dot removed (RFC 5321 4.5.2);
    "552 Error: Too much mail data" over data_size_limit (wire bytes, as aiosmtpd counts them) and
    "500 Line too long" for a line over line_length_limit with its CRLF — whichever came first,
    judged per chunk; the rest of the message is read and discarded. Bytes that follow the
    final "." (a pipelining client's next command) are handed back to the command reader."""

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            content, error = await self._read_data()
        except asyncio.CancelledError:
            # The connection was reset during DATA.
            self._writer.close()
            raise
        if content is None:
            return  # the client went away before the end of the data
        if error:
            await self.push(error)
            self._set_post_data_state()
            return
        self.envelope.content = content
        self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push(status)

    async def _read_data(self) -> tuple[bytes | None, str]:
        """(content, "") at the end of the data, (b"", error reply) over a limit, (None, "") when
        the client went away first."""
        # A line end before the first line, so that an empty message (".\r\n" at once) and a
        # leading dot on the first line look like every other line's.
        buffer = bytearray(b"\r\n")
        search_from = 0  # the terminator does not start before this
        checked = 2  # the lines up to here (just after a CRLF) are within the limits
        error = ""
        while True:
            end = buffer.find(END_OF_DATA, search_from)
            if not error:
                complete = end + 2 if end >= 0 else buffer.rfind(b"\r\n") + 2
                if complete > checked:
                    error = self._over_a_limit(bytes(buffer[checked:complete]), size_before=checked - 2)
                    checked = complete
                if not error and end < 0 and len(buffer) - checked > self.line_length_limit:
                    error = LINE_TOO_LONG  # the line being received is already too long
            if end >= 0:
                break
            if error:
                # Over a limit the content is discarded as it comes; only what may hold the start
                # of the terminator is kept.
                del buffer[: max(0, len(buffer) - len(END_OF_DATA) + 1)]
                checked = len(buffer)
            search_from = max(0, len(buffer) - len(END_OF_DATA) + 1)
            chunk = await self._reader.read(DATA_CHUNK_BYTES)
            if not chunk:
                return None, ""
            buffer += chunk
        rest = end + len(END_OF_DATA)
        if rest < len(buffer):
            # A pipelined command after the data: handed back to the reader for _handle_client.
            self._reader._buffer[:0] = buffer[rest:]  # type: ignore[attr-defined]
        if error:
            return b"", error
        return bytes(buffer[: end + 2]).replace(b"\r\n.", b"\r\n")[2:], ""

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """aiosmtpd's address parser, with a fast path for the form nearly every MTA sends
        ("<local@domain>" with a dot-atom local part, then the parameters): its parser builds
        a header token tree and defines a class per call, a tenth of the listener's CPU."""
        match = _PLAIN_ANGLE_ADDR.match(arg)
        if match is None:
            return super()._getaddr(arg)
        address, rest = match.group(1), match.group(2).lstrip(" \t")
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, rest

    def _over_a_limit(self, lines: bytes, *, size_before: int) -> str:
        """The error reply for complete CRLF-ended lines that follow `size_before` bytes of data,
        "" when they are within the limits — the first limit passed, in aiosmtpd's order."""
        limit, line_limit = self.data_size_limit, self.line_length_limit
        within_size = not limit or size_before + len(lines) <= limit
        if within_size and max(map(len, lines.split(b"\r\n"))) + 2 <= line_limit:
            return ""  # the common case, decided without a line-by-line loop
        size = size_before
        for line in lines.split(b"\r\n")[:-1]:
            if len(line) > line_limit:
                return LINE_TOO_LONG  # aiosmtpd's reader overruns before the size is counted
            size += len(line) + 2
            if limit and size > limit:
                return TOO_MUCH_DATA
            if len(line) + 2 > line_limit:
                return LINE_TOO_LONG
        return ""


class OtklikSMTP(ChunkedData, SMTP):
    pass


class OtklikLMTP(ChunkedData, LMTP):
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


def _lmtp_mailboxes() -> list[Mailbox]:
    try:
        return list(Mailbox.objects.filter(is_active=True, inbound=MailboxInbound.LMTP))
    except Exception:
        close_old_connections()
        raise


def _store(*, raw: bytes, mailbox: Mailbox, envelope_from: str, envelope_to: list[str]) -> None:
    try:
        from_address, subject, dedup_key = headline_and_dedup_key(raw)
        inbound_store(
            channel="email",
            source=InboundSource.LMTP,
            raw=raw,
            dedup_key=dedup_key,
            mailbox=mailbox,
            envelope_from=envelope_from,
            envelope_to=envelope_to,
            from_address=from_address,
            subject=subject,
        )
    except Exception:
        close_old_connections()
        raise


class InboundMailHandler:
    """aiosmtpd handler: RCPT checks the mailbox, DATA stores the message (see the module doc)."""

    def __init__(self, *, lmtp: bool, executor: ThreadPoolExecutor) -> None:
        self.lmtp = lmtp
        self.executor = executor
        self._mailboxes: list[Mailbox] = []
        self._mailboxes_read_at = -MAILBOXES_FRESH_SECONDS

    async def _mailbox_for(self, address: str) -> Mailbox | None:
        """The active LMTP mailbox `address` reaches: from the list read at most
        MAILBOXES_FRESH_SECONDS ago, or — when it is older or does not have the address (a mailbox
        added a moment ago must not be refused) — from a fresh read."""
        if time.monotonic() - self._mailboxes_read_at < MAILBOXES_FRESH_SECONDS:
            found = mailbox_for_address(address, self._mailboxes)
            if found is not None:
                return found
        read_at = time.monotonic()
        self._mailboxes = await self._in_thread(_lmtp_mailboxes)
        self._mailboxes_read_at = read_at
        return mailbox_for_address(address, self._mailboxes)

    async def _in_thread(self, function: Any, /, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: function(**kwargs))

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            mailbox = await self._mailbox_for(address)
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
        server_class = OtklikLMTP if self.lmtp else OtklikSMTP
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
