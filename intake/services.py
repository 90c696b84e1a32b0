"""Writes of the inbound store: store first (durable, idempotent), process after commit, record
the outcome. See DESIGN.md "The flow of a request" and docs/architecture/email.md."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from importlib import import_module

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channels.models import Mailbox
from core.db import insert_or_skip
from intake.choices import InboundStatus
from intake.models import InboundMessage

logger = logging.getLogger(__name__)

# channel → "module.function" taking the locked InboundMessage and returning (ticket, article)
# (either may be None when the message was deliberately not turned into an article).
PROCESSORS = {
    "email": "channels.email.inbound.email_process",
    "telegram": "channels.telegram.inbound.telegram_process",
    "whatsapp": "channels.whatsapp.inbound.whatsapp_process",
    "web": "channels.webform.inbound.webform_process",
    "phone": "channels.telephony.inbound.call_event_process",
}


def _processor(channel: str) -> Callable[[InboundMessage], tuple[object | None, object | None]]:
    module, _, name = PROCESSORS[channel].rpartition(".")
    return getattr(import_module(module), name)  # type: ignore[no-any-return]


def _enqueue(inbound_id: int) -> None:
    from intake.tasks import inbound_process_task

    transaction.on_commit(lambda: inbound_process_task(inbound_id))


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
    row = InboundMessage(
        channel=channel,
        source=source,
        mailbox=mailbox,
        dedup_key=dedup_key[:500],
        raw=raw,
        size=len(raw),
        envelope_from=envelope_from[:500],
        envelope_to=list(envelope_to),
        from_address=from_address[:500],
        subject=subject[:500],
        received_at=received_at or timezone.now(),
        status=status,
        error=error,
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
    """Turn a stored message into an article (idempotent: a processed row is left alone).

    Processing runs in one transaction: on any error nothing of it stays, and the row is marked
    FAILED with the error for the administrators' failed-inbound list."""
    try:
        with transaction.atomic():
            row = InboundMessage.objects.select_for_update().filter(pk=inbound_id).first()
            if row is None or row.status != InboundStatus.RECEIVED:
                return row
            ticket, article = _processor(row.channel)(row)
            row.status = InboundStatus.PROCESSED
            row.error = ""
            row.attempts += 1
            row.processed_at = timezone.now()
            row.ticket_id = getattr(ticket, "pk", None)
            row.article_id = getattr(article, "pk", None)
            row.save(update_fields=["status", "error", "attempts", "processed_at", "ticket", "article"])
            return row
    except Exception as exc:
        logger.exception("inbound message %s failed", inbound_id)
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        detail = traceback.format_exc(limit=8)
        with transaction.atomic():
            InboundMessage.objects.filter(pk=inbound_id, status=InboundStatus.RECEIVED).update(
                status=InboundStatus.FAILED,
                error=f"{error}\n\n{detail}"[:20000],
                processed_at=timezone.now(),
                attempts=F("attempts") + 1,
            )
        return InboundMessage.objects.filter(pk=inbound_id).first()


@transaction.atomic
def inbound_reprocess(*, inbound: InboundMessage) -> InboundMessage:
    """Put a failed or quarantined message back in the queue (an administrator's "retry")."""
    row = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if row.status in (InboundStatus.FAILED, InboundStatus.QUARANTINED):
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
    from intake.tasks import inbound_process_task

    for inbound_id in ids:
        inbound_process_task(inbound_id)
    return len(ids)
