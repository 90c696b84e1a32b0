"""Writes of the inbound store: store first (durable, idempotent), process after commit, record
the outcome. See DESIGN.md "The flow of a request" and docs/architecture/email.md."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from importlib import import_module
from json import JSONDecodeError

from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Mailbox
from core.batch_memo import batch_cached, batch_memo, batch_memo_active
from core.bulk import bulk_update_rows
from core.db import insert_or_skip, savepoint_covers, update_model
from core.deferred import deferred_writes
from core.text import nul_free
from intake.choices import InboundStatus
from intake.models import InboundMessage
from tickets.models import Ticket

logger = logging.getLogger(__name__)

# channel → "module.function" taking the locked InboundMessage and returning (ticket, article)
# (either may be None when the message was deliberately not turned into an article). A processor
# lets the errors of the services it calls through (the message's savepoint takes back all of it;
# see core.db.savepoint_covers): it never catches one to go on.
PROCESSORS = {
    "email": "channels.email.inbound.email_process",
    "telegram": "channels.telegram.inbound.telegram_process",
    "whatsapp": "channels.whatsapp.inbound.whatsapp_process",
    "web": "channels.webform.inbound.webform_process",
    "phone": "channels.telephony.inbound.call_event_process",
}


def _processor(channel: str) -> Callable[[InboundMessage], tuple[object | None, object | None]]:
    module, _dot, name = PROCESSORS[channel].rpartition(".")
    return getattr(import_module(module), name)  # type: ignore[no-any-return]


# Set while a processing task waits in the queue (Huey's key-value storage, shared by the
# listener, the web processes and the workers); see inbound_trigger.
QUEUED_KEY = "intake:inbound-process-queued"


def inbound_trigger(*, force: bool = False) -> None:
    """Queue a processing task unless one is already waiting in the queue. A task processes a
    batch of whatever waits (not one message), so one waiting task serves every message stored
    before it starts: a task per message would mostly find nothing left — its message taken by an
    earlier batch — at the cost of a dequeue, a claim and a transaction each. The task clears the
    mark as it starts, so a message stored after that queues the next one. `force`: queue one
    whatever the mark says (the reconciler: a task lost with the mark still set)."""
    from huey.contrib.djhuey import HUEY

    from intake.tasks import inbound_process_task

    if force:
        HUEY.delete(QUEUED_KEY)
    if HUEY.put_if_empty(QUEUED_KEY, 1):
        inbound_process_task()


def _enqueue(inbound_id: int) -> None:
    """Process the stored message `inbound_id` once the transaction commits."""
    transaction.on_commit(lambda: inbound_trigger())


# A task draining a backlog goes on with the next batch while its batches come full, for up to
# this long; then it hands over to a task queued behind what was queued meanwhile (the answers and
# notices its batches queued), so those wait no longer than this for a worker.
DRAIN_SECONDS = 5.0


def inbound_process_queued(*, drain_seconds: float | None = None) -> int:
    """What the queued task does: clear the queued mark, process batches while they come full
    (for up to DRAIN_SECONDS), returns how many messages were finished. Each full batch queues a
    task at once (one waits at most: inbound_trigger), so that a backlog is drained by every
    worker side by side. A task that queued the next batch behind itself instead would wait in the
    queue behind everything its batch queued — a bot's answers, paced at thirty a second — and
    processing would slow to their pace. With Huey running tasks inline (tests, `immediate`) every
    stored message is processed at its commit and there is no backlog to share."""
    from huey.contrib.djhuey import HUEY

    HUEY.delete(QUEUED_KEY)
    if HUEY.immediate:
        return inbound_process_batch()
    deadline = time.monotonic() + (DRAIN_SECONDS if drain_seconds is None else drain_seconds)
    finished = 0
    while True:
        full = False

        def more_waiting() -> None:
            nonlocal full
            full = True
            inbound_trigger()

        finished += inbound_process_batch(more_waiting=more_waiting)
        if not full or time.monotonic() >= deadline:
            return finished


def inbound_store(
    *,
    channel: str,
    source: str,
    raw: bytes,
    dedup_key: str,
    mailbox: Mailbox | None = None,
    envelope_from: str = "",
    envelope_to: Iterable[str] = (),
    from_address: str = "",
    subject: str = "",
    received_at: datetime | None = None,
    status: str = InboundStatus.RECEIVED,
    error: str = "",
) -> tuple[InboundMessage, bool]:
    """Commit one inbound message, or find the one already stored under (channel, dedup_key).

    Returns (row, created). A new RECEIVED row is queued for processing after commit; a message
    delivered twice (IMAP re-fetch, MTA retry, webhook retry) is stored once. The caller
    acknowledges the sender only after this returns (the row is committed then)."""
    # What a sender wrote is made storable (core/text.py); the raw bytes are kept as received.
    dedup_key = nul_free(dedup_key)
    row = InboundMessage(
        channel=channel,
        source=source,
        mailbox=mailbox,
        dedup_key=dedup_key[:500],
        raw=raw,
        size=len(raw),
        envelope_from=nul_free(envelope_from)[:500],
        envelope_to=nul_free(list(envelope_to)),
        from_address=nul_free(from_address)[:500],
        subject=nul_free(subject)[:500],
        received_at=received_at or timezone.now(),
        status=status,
        error=nul_free(error),
    )
    # One statement whether new (the common case) or stored before (a re-fetch, a retry, another
    # connection a moment ago): INSERT … ON CONFLICT DO NOTHING. Outside a transaction (a webhook
    # request) it commits by itself — durable when it returns; inside one (an IMAP fetch) a
    # duplicate does not break the caller's transaction, and needs no savepoint.
    if not insert_or_skip(row):
        return InboundMessage.objects.get(channel=channel, dedup_key=dedup_key[:500]), False
    if status == InboundStatus.RECEIVED:
        _enqueue(row.pk)
    return row, True


def inbound_process(*, inbound_id: int) -> InboundMessage | None:
    """Turn one stored message into an article now, in a transaction of its own (idempotent: a
    processed row is left alone; a row a worker is processing is waited for). For callers that
    need the outcome at once — the web form shows the ticket number — and for a batch that failed
    as a whole. The worker processes in batches (inbound_process_batch).

    On any error nothing of the processing stays, and the row is marked FAILED with the error for
    the administrators' failed-inbound list."""
    try:
        with transaction.atomic():
            row = InboundMessage.objects.select_for_update().filter(pk=inbound_id).first()
            if row is None or row.status != InboundStatus.RECEIVED:
                return row
            ticket, article = _processor(row.channel)(row)
            _finish(row, InboundStatus.PROCESSED, ticket=ticket, article=article)
            return row
    except ProcessLater as exc:
        logger.warning("inbound message %s queued again: %s", inbound_id, exc)
        InboundMessage.objects.filter(pk=inbound_id, status=InboundStatus.RECEIVED).update(attempts=F("attempts") + 1)
        _enqueue(inbound_id)
        return InboundMessage.objects.filter(pk=inbound_id).first()
    except Exception as exc:
        error = _failure(inbound_id, exc)
        with transaction.atomic():
            if InboundMessage.objects.filter(pk=inbound_id, status=InboundStatus.RECEIVED).update(
                status=InboundStatus.FAILED, error=error, processed_at=timezone.now(), attempts=F("attempts") + 1
            ):
                _alert_administrators_of_failure()
        return InboundMessage.objects.filter(pk=inbound_id).first()


class UnreadableMessage(ValueError):
    """What was stored is not a message its processor can read (mail without headers): the
    sender's fault, not Otklik's — logged without a traceback, shown as such on the failed list.
    (A plain ValueError from a webhook processor's checks counts as such too; its subclasses —
    UnicodeEncodeError and the like — are bugs and keep their traceback.)"""


class ProcessLater(Exception):
    """Raised by a processor when a message must wait for another one still being processed —
    an email reply whose original is stored but not processed yet (in another worker's batch)
    would otherwise open a ticket of its own. The message stays RECEIVED (its `attempts` counted)
    and is queued again; the processor decides how many times it asks (PROCESS_LATER_ATTEMPTS)."""


class TicketBusy(ProcessLater):
    """ProcessLater raised before the processor wrote anything for the message: the ticket it
    goes to is locked by another worker's batch (ticket_lock_or_busy). Waiting for that lock
    would be waiting for the other batch to commit — and where the other batch in turn waits for
    a ticket this one holds, PostgreSQL ends both waits after a second by failing one batch
    (a deadlock). The batch leaves the message for a later batch instead, with nothing to roll
    back, and so later messages of the batch for the same ticket (their order kept)."""


def ticket_lock_or_busy(*, ticket_id: int, attempts: int) -> None:
    """Lock the ticket a message of a worker's batch goes to, or raise TicketBusy when another
    batch holds it (a later batch processes the message). Call before writing anything for the
    message. Outside a batch, on a database without row locks (SQLite: one writer at a time), and
    for a message that has waited PROCESS_LATER_ATTEMPTS times, nothing is done here: the ticket's
    services lock it, waiting as long as it takes."""
    if (
        attempts >= PROCESS_LATER_ATTEMPTS
        or not batch_memo_active()
        or not connection.features.has_select_for_update_skip_locked
    ):
        return
    busy: set[int] = batch_cached("busy-tickets", set)
    if ticket_id in busy:
        raise TicketBusy(f"ticket {ticket_id} is locked by another batch (an earlier message of this batch found it)")
    q = connection.ops.quote_name
    table, pk = q(Ticket._meta.db_table), q(Ticket._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE {pk} = %s FOR UPDATE SKIP LOCKED", [ticket_id])
        if cursor.fetchone() is not None:
            return
        cursor.execute(f"SELECT 1 FROM {table} WHERE {pk} = %s", [ticket_id])
        if cursor.fetchone() is None:
            return  # deleted meanwhile: the services say what becomes of the message
    busy.add(ticket_id)
    raise TicketBusy(f"ticket {ticket_id} is locked by another batch")


# Every other batch running meanwhile tries a deferred message again (it is the oldest waiting),
# so this allows for a few seconds of other workers' batches.
PROCESS_LATER_ATTEMPTS = 20


# A batch is one transaction: one commit (and one WAL flush) for many messages, and one claim of
# all of them. It holds its locks until it commits, so it stops taking new messages after
# BATCH_SECONDS: on PostgreSQL those are row locks (the claimed messages, the tickets and chats
# written), which intake never waits for; on SQLite the transaction holds the database's one write
# lock, which the mail listener and the webhooks wait for to store what arrives — there a batch is
# kept short.
BATCH_SIZE = 25
BATCH_SECONDS = {"postgresql": 0.5, "sqlite": 0.1}
# Channels whose processing reads other messages' outcomes: an email reply waits for its original
# to be processed (ProcessLater), and the email outbound part finds a ticket's mailbox through the
# rows that made it. Their outcome is written as soon as the message is processed, so later
# messages of the batch see it; the other channels' processed messages are recorded together at
# the batch's end.
OUTCOME_READERS = frozenset({"email"})
# A batch reads the raw bytes of at most this much mail at once (the rest in further reads).
BATCH_READ_BYTES = 16 * 1024 * 1024
# A message whose processing keeps meeting a transient database error (a deadlock with another
# batch, a lock timeout) is retried this many times before it is recorded as failed.
TRANSIENT_ATTEMPTS = 5


def inbound_process_batch(*, limit: int = BATCH_SIZE, more_waiting: Callable[[], None] | None = None) -> int:
    """Process what waits, oldest first, in one transaction: first with no savepoint per message,
    and with a savepoint each only when one of its messages raises (the batch is then rolled back
    and processed again). An email's outcome is written as soon as it is processed, so later
    messages of the batch see it; the other channels' processed messages are recorded together
    when the batch ends (OUTCOME_READERS), as are the batch's events, message references and
    search documents (core/deferred.py). Returns how many were finished (processed or failed).

    Rows another worker is processing are skipped (FOR UPDATE SKIP LOCKED): several workers drain
    a backlog side by side, and the queued task of a message a batch already took finds nothing
    left to do. A message that raises is rolled back to its savepoint alone and recorded FAILED
    with the error; one that meets a transient database error (a deadlock) or asks to wait
    (ProcessLater) is left RECEIVED and queued again, as are the messages not reached in the
    batch's time (BATCH_SECONDS). Should the batch fail as a whole (its COMMIT refused, the
    connection lost), its messages are processed again one by one. `more_waiting` is called when
    the batch claimed `limit` messages (others may wait)."""
    claimed: list[tuple[int, int]] = []
    try:
        try:
            return _batch(limit, claimed, savepoints=False, more_waiting=more_waiting)
        except _MessageRaised as exc:
            # Rolled back as a whole: the claimed rows are free again, and claimed anew, oldest first.
            logger.warning("%s; processing the batch again with a savepoint per message", exc)
            claimed.clear()
            return _batch(limit, claimed, savepoints=True, more_waiting=None)
    except Exception:
        if not claimed:
            raise
        logger.exception("a batch of %s inbound messages failed; processing them one by one", len(claimed))
        for inbound_id, _size in claimed:
            inbound_process(inbound_id=inbound_id)
        return len(claimed)


class _MessageRaised(Exception):
    """A message of a batch processed without savepoints raised: the batch is rolled back."""


def _batch(
    limit: int, claimed: list[tuple[int, int]], *, savepoints: bool, more_waiting: Callable[[], None] | None
) -> int:
    """One batch (see inbound_process_batch). Without `savepoints` the messages are processed
    with no savepoint each: the first that raises — or asks to wait (ProcessLater), or meets a
    deadlock — rolls the whole batch back (_MessageRaised), and the caller processes it again with
    them. Failures are rare, and a savepoint per message is two statements of about nine per
    Telegram update and of twelve per email."""
    again: list[int] = []
    # Processed messages whose outcome is written with the batch's end (not OUTCOME_READERS').
    done: list[tuple[InboundMessage, list[str]]] = []
    finished = 0
    # The batch's events, message references and search documents are written together before it
    # commits (core/deferred.py); a message rolled back to its savepoint takes its rows with it.
    with transaction.atomic(), batch_memo(), deferred_writes():
        for inbound_id, size in (
            InboundMessage.objects.select_for_update(skip_locked=True)
            .filter(status=InboundStatus.RECEIVED)
            .order_by("received_at", "id")
            .values_list("id", "size")[:limit]
        ):
            claimed.append((inbound_id, size))
        if more_waiting is not None and len(claimed) >= limit:
            more_waiting()
        deadline = time.monotonic() + BATCH_SECONDS.get(connection.vendor, 0.5)
        tried = False
        for chunk in _read_chunks(claimed):
            for row in InboundMessage.objects.filter(pk__in=chunk).order_by("received_at", "id"):
                if tried and time.monotonic() > deadline:
                    again.append(row.pk)
                    continue
                tried, attempts = True, row.attempts
                if not savepoints:
                    try:
                        with savepoint_covers():  # the batch's transaction covers it all
                            ticket, article = _processor(row.channel)(row)
                        if row.channel in OUTCOME_READERS:
                            _finish(row, InboundStatus.PROCESSED, ticket=ticket, article=article)
                    except TicketBusy as exc:  # nothing of the message was written: no rollback
                        logger.info("inbound message %s left for a later batch: %s", row.pk, exc)
                        InboundMessage.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
                        again.append(row.pk)
                        continue
                    except Exception as exc:
                        raise _MessageRaised(f"inbound message {row.pk} raised {type(exc).__name__}") from exc
                    if row.channel not in OUTCOME_READERS:
                        done.append((row, _outcome(row, InboundStatus.PROCESSED, ticket=ticket, article=article)))
                    finished += 1
                    continue
                fields: list[str] = []
                try:
                    with transaction.atomic():
                        with savepoint_covers():  # the ticket services need no savepoint of their own here
                            ticket, article = _processor(row.channel)(row)
                        if row.channel in OUTCOME_READERS:
                            _finish(row, InboundStatus.PROCESSED, ticket=ticket, article=article)
                        else:
                            fields = _outcome(row, InboundStatus.PROCESSED, ticket=ticket, article=article)
                except (OperationalError, ProcessLater) as exc:
                    row.attempts = attempts  # as stored: the savepoint took back what _finish wrote
                    if attempts + 1 < TRANSIENT_ATTEMPTS or isinstance(exc, ProcessLater):
                        logger.warning("inbound message %s queued again: %s", row.pk, exc)
                        InboundMessage.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
                        again.append(row.pk)
                        continue
                    _finish(row, InboundStatus.FAILED, error=_failure(row.pk, exc))
                    _alert_administrators_of_failure()
                except Exception as exc:
                    row.attempts = attempts
                    _finish(row, InboundStatus.FAILED, error=_failure(row.pk, exc))
                    _alert_administrators_of_failure()
                else:
                    if fields:
                        done.append((row, fields))
                finished += 1
        _finish_together(done)
        for inbound_id in again:
            _enqueue(inbound_id)
    return finished


def _finish_together(done: list[tuple[InboundMessage, list[str]]]) -> None:
    """Record the outcomes of the batch's processed messages in one UPDATE per set of fields."""
    groups: dict[tuple[str, ...], list[InboundMessage]] = {}
    for row, fields in done:
        groups.setdefault(tuple(fields), []).append(row)
    for names, rows in groups.items():
        bulk_update_rows(InboundMessage, rows, names)


def _read_chunks(claimed: list[tuple[int, int]]) -> Iterable[list[int]]:
    chunk: list[int] = []
    size = 0
    for inbound_id, row_size in claimed:
        if chunk and size + row_size > BATCH_READ_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(inbound_id)
        size += row_size
    if chunk:
        yield chunk


def _failure(inbound_id: int, exc: Exception) -> str:
    if isinstance(exc, (UnreadableMessage, JSONDecodeError, ValidationError)) or type(exc) is ValueError:
        # What was sent is not a message we can read (no headers, malformed JSON) or a check
        # refused it: the sender's fault, shown on the failed list; the log needs no traceback.
        logger.warning("inbound message %s failed: %s", inbound_id, exc)
    else:
        logger.error("inbound message %s failed", inbound_id, exc_info=exc)
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=8))
    return nul_free(f"{error}\n\n{detail}")[:20000]


def _alert_administrators_of_failure() -> None:
    """Tell the administrators that a message is waiting on the failed list — once: an
    administrator with such an alert still unread gets no second one (a flood of junk makes one
    alert, not a thousand)."""
    from accounts.choices import Role
    from accounts.models import User
    from notifications.models import Notification
    from notifications.services import notify_many

    try:
        with transaction.atomic():  # a savepoint: an alert that fails takes nothing else with it
            waiting = Notification.objects.filter(kind=FAILED_ALERT, read_at__isnull=True).values("user_id")
            administrators = list(User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk__in=waiting))
            if administrators:
                notify_many([(administrators, _failed_alert_text, FAILED_ALERT, None)])
    except Exception:
        logger.exception("alerting the administrators of a failed inbound message failed")


# Administrators' alert kind (not among the tunable AlertKinds, like "inbound_quarantined").
FAILED_ALERT = "inbound_failed"


def _failed_alert_text() -> str:
    return _(
        "An inbound message could not be turned into a ticket: see Settings → Failed inbound messages "
        "(nothing is lost there; it can be processed again)."
    )


def _finish(
    row: InboundMessage, status: str, *, ticket: object = None, article: object = None, error: str = ""
) -> None:
    """Record the message's outcome (its row is locked by the caller)."""
    update_model(row, _outcome(row, status, ticket=ticket, article=article, error=error))


def _outcome(
    row: InboundMessage, status: str, *, ticket: object = None, article: object = None, error: str = ""
) -> list[str]:
    """Set the message's outcome on `row`; returns the fields to save."""
    row.status, row.error = status, error
    row.ticket_id, row.article_id = getattr(ticket, "pk", None), getattr(article, "pk", None)
    row.attempts += 1
    row.processed_at = timezone.now()
    fields = ["status", "error", "attempts", "processed_at"]
    if row.ticket_id or row.article_id:
        # A message that made no article keeps the ticket and article another message may have
        # given it (a Telegram chat's first words become the ticket once the client shares
        # their number).
        fields += ["ticket", "article"]
    return fields


@transaction.atomic
def inbound_dismiss(*, inbound: InboundMessage) -> InboundMessage:
    """Set a failed or quarantined message aside (an administrator's "remove from the list"): junk,
    or a message handled by hand. Nothing is deleted: it can be downloaded and processed again."""
    row = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if row.status in (InboundStatus.FAILED, InboundStatus.QUARANTINED):
        row.status = InboundStatus.DISMISSED
        row.save(update_fields=["status"])
    return row


@transaction.atomic
def inbound_reprocess(*, inbound: InboundMessage) -> InboundMessage:
    """Put a failed, quarantined or set-aside message back in the queue (an administrator's "retry")."""
    row = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if row.status in (InboundStatus.FAILED, InboundStatus.QUARANTINED, InboundStatus.DISMISSED):
        row.status = InboundStatus.RECEIVED
        row.error = ""
        row.save(update_fields=["status", "error"])
        _enqueue(row.pk)
    return row


def inbound_reconcile(*, older_than: timedelta = timedelta(minutes=1), limit: int = 500) -> int:
    """Queue again what was stored but never processed (a worker died, the queue was lost)."""
    cutoff = timezone.now() - older_than
    ids = list(
        InboundMessage.objects.filter(status=InboundStatus.RECEIVED, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("id", flat=True)[:limit]
    )
    if ids:
        # One task: each full batch queues the next (inbound_process_queued).
        inbound_trigger(force=True)
    return len(ids)
