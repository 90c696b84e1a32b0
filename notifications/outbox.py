"""The outbox: every message Otklik sends to a person (by email, Telegram, WhatsApp) goes through here
(DESIGN.md, "delivery"; docs/architecture/email.md, "Outbound"; telegram.md, "Outbound").

Each OutboxMessage.channel has a sender in SENDERS: "module.function(rows, now) -> {row id: status}"
taking claimed rows of that channel and recording each outcome (record_sent/record_failure).

A message is composed once, when it is queued, and stored as bytes with its Message-ID, so a retry
sends exactly the same message. Queueing is idempotent on `dedup_key` (queueing the reply to an
article twice gives one row). A Huey task sends a row right after the queueing transaction
commits; a periodic task (every minute) sends whatever is due — rows whose first send did not
happen (the worker was down) and retries. Sending never holds a transaction open: a row is
claimed (queued → sending, with a lease), sent, and the outcome recorded.

Failures: a temporary one (4xx, connection refused, timeout) is retried after RETRY_MINUTES[n]
minutes; after the last, or at once on a permanent refusal (5xx), the row is FAILED with the
server's words in `last_error`. An agent may "retry now" a failed row.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.choices import TransportSecurity
from channels.models import Mailbox
from core.db import insert_or_skip
from notifications.choices import AlertKind
from notifications.models import OutboxKind, OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd, … failed attempt; one more failure after the last → FAILED.
RETRY_MINUTES = (1, 5, 15, 60, 240, 720)
MAX_ATTEMPTS = len(RETRY_MINUTES) + 1
# A claimed row whose worker died is sent again once its lease runs out.
SEND_LEASE = timedelta(minutes=10)
SMTP_TIMEOUT = 30
# For composers: CRLF line ends, bodies in quoted-printable/base64, so the bytes pass any SMTP
# server (no 8BITMIME needed).
MAIL_POLICY = policy.SMTP.clone(cte_type="7bit")
# A word joiner (U+2060, invisible) between "=" and "?".
_ENCODED_WORD_START_BROKEN = "=\u2060?"


def header_text(text: str) -> str:
    """Text for a header of a composed mail (a subject, a display name): on one line, and with no
    "=?" left in it. The email package reads "=?…?=" in a header's text as an RFC 2047 word: a
    client's name or subject that came in as a broken one ("=?utf-8?B?broken base64!!!?=") turned
    into undecodable bytes, and composing the mail raised UnicodeEncodeError. With a word joiner
    after the "=" the text is sent as itself, encoded, and reads the same."""
    text = " ".join(text.split())
    return text.replace("=?", _ENCODED_WORD_START_BROKEN) if "=?" in text else text


# channel → "module.function(rows: list[OutboxMessage], now) -> dict[row id, status]".
SENDERS = {
    "email": "notifications.outbox.email_deliver",
    "telegram": "channels.telegram.outbound.telegram_deliver",
    "whatsapp": "channels.whatsapp.outbound.whatsapp_deliver",
    "webhook": "automation.rules.webhooks.webhook_deliver",
}


@dataclass(frozen=True)
class ComposedEmail:
    """What a composer hands to the outbox: the finished RFC 5322 bytes and what to show of them."""

    recipient: str  # the main recipient (To); the envelope also takes every To/Cc of the payload
    sender: str  # envelope sender (MAIL FROM): bounces come back to it
    subject: str
    message_id: str  # without angle brackets
    payload: bytes


@dataclass(frozen=True)
class ComposedChatMessage:
    """What a chat channel's composer hands to the outbox: the API request to make (as bytes) and
    the chat it goes to."""

    recipient: str  # the chat id
    payload: bytes
    subject: str = ""
    message_id: str = ""


def outbox_enqueue(
    *,
    kind: str,
    dedup_key: str,
    compose: Callable[[], ComposedEmail | ComposedChatMessage],
    channel: str = "email",
    ticket: Any = None,
    article: Any = None,
    mailbox: Mailbox | None = None,
    route: str = "",
) -> tuple[OutboxMessage, bool]:
    """Queue one message under `dedup_key`, once: a key queued before keeps its row.

    Returns (row, created). The row is sent by a task after the current transaction commits
    (nothing is sent if it rolls back). Call it inside the transaction that made the reason to
    send (the reply, the ticket), so the two commit together. `route`: why the message takes
    another path than the ticket's channel (OutboxRoute), shown on the article.

    `compose()` runs before the insert — a new key is the common case, and the insert is then one
    statement (`insert_or_skip`) — and what it made is dropped when the key was queued before."""
    email = compose()
    row = OutboxMessage(
        channel=channel,
        kind=kind,
        dedup_key=dedup_key[:255],
        ticket=ticket,
        article=article,
        mailbox=mailbox,
        recipient=email.recipient[:500],
        subject=email.subject[:500],
        message_id=email.message_id[:500],
        payload=email.payload,
        route=route,
    )
    if not insert_or_skip(row):
        return OutboxMessage.objects.get(dedup_key=dedup_key[:255]), False
    _send_after_commit(row.pk)
    return row, True


def outbox_bulk_enqueue(
    *, kind: str, items: Iterable[tuple[str, ComposedEmail | ComposedChatMessage]], channel: str = "email"
) -> int:
    """Queue many (dedup_key, message) pairs in one INSERT, skipping keys already queued (staff
    notifications after an SLA sweep). One send task runs after commit. Returns how many rows
    the INSERT was given."""
    rows = [
        OutboxMessage(
            channel=channel,
            kind=kind,
            dedup_key=key[:255],
            recipient=email.recipient[:500],
            subject=email.subject[:500],
            message_id=email.message_id[:500],
            payload=email.payload,
        )
        for key, email in items
    ]
    if rows:
        OutboxMessage.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        _send_due_after_commit()
    return len(rows)


def _send_after_commit(outbox_id: int) -> None:
    from notifications.tasks import outbox_send_task

    transaction.on_commit(lambda: outbox_send_task(outbox_id))


def _send_due_after_commit() -> None:
    from notifications.tasks import outbox_send_due_task

    transaction.on_commit(lambda: outbox_send_due_task())


@transaction.atomic
def outbox_retry(*, message: OutboxMessage) -> bool:
    """An agent's "retry now" on a failed message: queue it again with a fresh round of attempts.
    Returns False when the row is not failed (already sent, queued, or bounced)."""
    updated = OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.FAILED).update(
        status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    if updated:
        _send_after_commit(message.pk)
    return bool(updated)


def _due(now: datetime) -> Q:
    # A "sending" row past its lease was claimed by a worker that never finished.
    return Q(status__in=[OutboxStatus.QUEUED, OutboxStatus.SENDING], next_attempt_at__lte=now)


def _claim(ids: list[int], now: datetime) -> list[int]:
    """Mark rows as being sent by us. On PostgreSQL, rows another worker holds are skipped
    (SELECT … FOR UPDATE SKIP LOCKED) instead of waited for; everywhere the conditional UPDATE is
    the claim itself — a row another worker claimed first no longer matches and is not ours."""
    if not ids:
        return []
    lease = now + SEND_LEASE
    with transaction.atomic():
        if connection.vendor == "postgresql":
            ids = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(_due(now), pk__in=ids)
                .values_list("pk", flat=True)
            )
            OutboxMessage.objects.filter(pk__in=ids).update(status=OutboxStatus.SENDING, next_attempt_at=lease)
            return ids
        claimed = []
        for pk in ids:
            if OutboxMessage.objects.filter(_due(now), pk=pk).update(
                status=OutboxStatus.SENDING, next_attempt_at=lease
            ):
                claimed.append(pk)
        return claimed


def outbox_send(*, outbox_id: int, now: datetime | None = None) -> str:
    """Send one row if it is due (the on-commit task). Returns its status afterwards."""
    now = now or timezone.now()
    if not _claim([outbox_id], now):
        row = OutboxMessage.objects.filter(pk=outbox_id).values_list("status", flat=True).first()
        return row or "missing"
    return _deliver_claimed([outbox_id], now)[0]


def outbox_send_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Send up to `limit` due rows, oldest first (the periodic reconciler). Returns how many were
    sent successfully."""
    now = now or timezone.now()
    ids = list(OutboxMessage.objects.filter(_due(now)).order_by("next_attempt_at", "id").values_list("pk", flat=True))
    claimed = _claim(ids[:limit], now)
    return sum(1 for status in _deliver_claimed(claimed, now) if status == OutboxStatus.SENT)


class _RawEmail(EmailMessage):
    """Hands stored bytes to a Django mail backend unchanged (the SMTP backend sends
    `message().as_bytes()`; the locmem one used in tests keeps the object)."""

    def __init__(self, *, payload: bytes, sender: str, recipients: list[str], subject: str) -> None:
        super().__init__(subject=subject, from_email=sender, to=recipients)
        self.payload = payload

    def message(self) -> Any:  # type: ignore[override]
        return _Bytes(self.payload)


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return self.data


def _backend(mailbox: Mailbox | None) -> BaseEmailBackend:
    """The mailbox's own SMTP server, or the installation's mail settings (EMAIL_*) when the
    mailbox names none (and for staff notifications, which have no mailbox)."""
    if mailbox is None or not mailbox.smtp_host:
        return get_connection(fail_silently=False)
    return SmtpBackend(
        host=mailbox.smtp_host,
        port=mailbox.smtp_port,
        username=mailbox.smtp_username or None,
        password=mailbox.smtp_password or None,
        use_tls=mailbox.smtp_security == TransportSecurity.STARTTLS,
        use_ssl=mailbox.smtp_security == TransportSecurity.SSL,
        timeout=SMTP_TIMEOUT,
        fail_silently=False,
    )


def _envelope(payload: bytes) -> tuple[str, list[str]]:
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(payload)
    recipients = [address for _, address in getaddresses(headers.get_all("To", []) + headers.get_all("Cc", []))]
    sender = getaddresses(headers.get_all("From", []))
    return (sender[0][1] if sender else ""), [a for a in dict.fromkeys(recipients) if a]


def smtp_failure(exc: BaseException) -> tuple[str, bool]:
    """(what the server said, whether it is permanent). 5xx refusals are permanent, except an
    authentication failure (a settings problem: once fixed, the retries go out)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = []
        codes = []
        for address, (code, text) in exc.recipients.items():
            codes.append(code)
            parts.append(f"{address}: {code} {_text(text)}")
        return "; ".join(parts) or "recipients refused", bool(codes) and all(500 <= c < 600 for c in codes)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}", False
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}", 500 <= exc.smtp_code < 600
    if isinstance(exc, ssl.SSLError | OSError | smtplib.SMTPException):
        return f"{type(exc).__name__}: {exc}", False
    return f"{type(exc).__name__}: {exc}", False


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _deliver_claimed(ids: list[int], now: datetime) -> list[str]:
    """Hand claimed rows to their channel's sender; returns each row's status afterwards."""
    by_channel: dict[str, list[OutboxMessage]] = {}
    for row in OutboxMessage.objects.filter(pk__in=ids).select_related("mailbox").order_by("mailbox_id", "id"):
        by_channel.setdefault(row.channel, []).append(row)
    statuses: dict[int, str] = {}
    for channel, rows in by_channel.items():
        if channel not in SENDERS:
            for row in rows:
                statuses[row.pk] = record_failure(row, f"no sender for channel {channel!r}", now, permanent=True)
            continue
        module, _, name = SENDERS[channel].rpartition(".")
        statuses.update(getattr(import_module(module), name)(rows, now))
    return [statuses.get(pk, "missing") for pk in ids]


def email_deliver(rows: list[OutboxMessage], now: datetime) -> dict[int, str]:
    """Send claimed email rows, one SMTP connection per mailbox, and record each outcome."""
    backends: dict[int | None, BaseEmailBackend] = {}
    statuses: dict[int, str] = {}
    try:
        for row in rows:
            sender, recipients = _envelope(bytes(row.payload))
            if row.mailbox is not None:
                sender = row.mailbox.address
            if not recipients:
                no_one = ValueError("the message has no recipients")
                statuses[row.pk] = _record_failure(row, no_one, now, permanent=True)
                continue
            email = _RawEmail(payload=bytes(row.payload), sender=sender, recipients=recipients, subject=row.subject)
            backend = backends.get(row.mailbox_id)
            try:
                if backend is None:
                    backend = backends[row.mailbox_id] = _backend(row.mailbox)
                    backend.open()
                backend.send_messages([email])
            except Exception as exc:
                if backend is not None:
                    # The connection may be in any state after an error: start afresh next time.
                    _close(backend)
                    backends.pop(row.mailbox_id, None)
                statuses[row.pk] = _record_failure(row, exc, now)
                continue
            statuses[row.pk] = record_sent(row)
    finally:
        for backend in backends.values():
            _close(backend)
    return statuses


def _close(backend: BaseEmailBackend) -> None:
    # Closing a broken connection may fail too; there is nothing left to do then.
    with contextlib.suppress(Exception):
        backend.close()


def record_sent(row: OutboxMessage) -> str:
    OutboxMessage.objects.filter(pk=row.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), attempts=row.attempts + 1, last_error=""
    )
    return OutboxStatus.SENT


def _record_failure(row: OutboxMessage, exc: BaseException, now: datetime, *, permanent: bool = False) -> str:
    text, refused = smtp_failure(exc)
    return record_failure(row, text, now, permanent=permanent or refused)


def record_failure(
    row: OutboxMessage, text: str, now: datetime, *, permanent: bool = False, retry_at: datetime | None = None
) -> str:
    """A failed attempt: FAILED when permanent or out of attempts, else queued again at `retry_at`
    (the provider said when) or after the next of RETRY_MINUTES."""
    attempts = row.attempts + 1
    if permanent or attempts >= MAX_ATTEMPTS:
        status, next_at = OutboxStatus.FAILED, now
    else:
        status, next_at = OutboxStatus.QUEUED, retry_at or now + timedelta(minutes=RETRY_MINUTES[attempts - 1])
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(pk=row.pk, status=OutboxStatus.SENDING).update(
            status=status, attempts=attempts, last_error=text[:5000], next_attempt_at=next_at
        )
        if updated and status == OutboxStatus.FAILED:
            _reply_undelivered_safely(row=row, error=text)
    return status


def record_deferred(row: OutboxMessage, until: datetime, *, note: str = "") -> str:
    """Not sent yet, and not a failure: pacing, or the provider asked to come back later (HTTP
    429 retry_after). Queued again for `until` without using up an attempt."""
    OutboxMessage.objects.filter(pk=row.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.QUEUED, next_attempt_at=until, last_error=note[:5000]
    )
    return OutboxStatus.QUEUED


def outbox_mark_bounced(*, message_id: str, error: str, ticket_id: int | None = None, recipient: str = "") -> int:
    """A delivery status notification came back for our `message_id` (without brackets): the
    inbound pipeline (channels/email/inbound.py, _bounce_attach) records it here, and the article
    shows "bounced". `ticket_id`: only that ticket's messages; `recipient`: the address that
    bounced (a Cc may bounce while the To got it). Returns how many rows were marked now; a
    second notification of the same bounce marks, records and alerts nothing."""
    rows = OutboxMessage.objects.filter(message_id=message_id.strip("<>"))
    if ticket_id is not None:
        rows = rows.filter(ticket_id=ticket_id)
    marked = 0
    for row in list(rows.exclude(status=OutboxStatus.BOUNCED)):
        with transaction.atomic():
            # Conditional: of two notifications processed at once, one marks and alerts.
            if (
                OutboxMessage.objects.filter(pk=row.pk)
                .exclude(status=OutboxStatus.BOUNCED)
                .update(status=OutboxStatus.BOUNCED, last_error=error[:5000])
            ):
                marked += 1
                _reply_undelivered_safely(row=row, error=error, recipient=recipient)
    return marked


def _reply_undelivered_safely(*, row: OutboxMessage, error: str, recipient: str = "") -> None:
    """reply_undelivered, in a savepoint: the row's outcome is recorded whatever becomes of the
    history entry and the alerts (a failure there is logged)."""
    try:
        with transaction.atomic():
            reply_undelivered(row=row, error=error, recipient=recipient)
    except Exception:
        logger.exception("outbox row %s: recording that the reply did not arrive failed", row.pk)


def reply_undelivered(*, row: OutboxMessage, error: str, recipient: str = "") -> None:
    """An agent's reply will not reach the client (refused for good, out of attempts, bounced):
    the ticket's history says so — which also refreshes an open ticket page — and the reply's
    author and the ticket's assignee are alerted, so that someone calls the client. Notices and
    other automatic mail only show their state on the ticket."""
    if row.kind != OutboxKind.REPLY or row.ticket_id is None:
        return
    from notifications.services import notify_many
    from tickets.choices import EventKind
    from tickets.models import Article, Ticket, TicketEvent

    ticket = Ticket.objects.select_related("assignee").filter(pk=row.ticket_id).first()
    if ticket is None:
        return
    if (
        row.article_id
        and TicketEvent.objects.filter(
            ticket=ticket, kind=EventKind.DELIVERY_FAILED, data__article_id=row.article_id
        ).exists()
    ):
        return  # a reply sent in parts (a long text, its files) is one reply: told once
    recipient = recipient or row.recipient
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.DELIVERY_FAILED,
        data={"article_id": row.article_id, "channel": row.channel, "recipient": recipient, "error": error[:300]},
        team_id_at_event=ticket.team_id,
    )
    author = Article.objects.filter(pk=row.article_id).select_related("author_user").first() if row.article_id else None
    number = ticket.number

    def text() -> str:
        return _("The reply on ticket №%(number)s did not reach %(recipient)s: %(error)s") % {
            "number": number,
            "recipient": recipient,
            "error": error[:200],
        }

    people = [author.author_user if author else None, ticket.assignee]
    notify_many([(people, text, AlertKind.DELIVERY_FAILED, ticket)])


def default_sender() -> str:
    """The installation's sender address (DEFAULT_FROM_EMAIL) for mail without a mailbox."""
    found = getaddresses([settings.DEFAULT_FROM_EMAIL])
    return found[0][1] if found and found[0][1] else "noreply@localhost"
