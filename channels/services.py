"""Writes of the channels app that are not the pipeline itself (channels/email/inbound.py)."""

from __future__ import annotations

from channels.email.parsing import headline_and_dedup_key
from channels.models import Mailbox
from intake.choices import InboundSource
from intake.models import InboundMessage
from intake.services import inbound_store


def inbound_upload(*, raw: bytes, mailbox: Mailbox | None) -> tuple[InboundMessage, bool]:
    """Store a message an administrator uploaded (.eml), to be processed like delivered mail.
    Returns (row, created): a message stored before (same Message-ID or bytes) is not stored
    again. Without a mailbox the pipeline finds it from the recipients."""
    from_address, subject, dedup_key = headline_and_dedup_key(raw)
    return inbound_store(
        channel="email",
        source=InboundSource.UPLOAD,
        raw=raw,
        dedup_key=dedup_key,
        mailbox=mailbox,
        from_address=from_address,
        subject=subject,
    )
