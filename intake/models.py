"""The durable store of inbound messages (DESIGN.md, "The flow of a request", step 1). A row is
committed before the sender hears "accepted" (LMTP 250, IMAP \\Seen, HTTP 200); processing turns it
into an article later and records the outcome here. Nothing is deleted on failure."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.choices import InboundSource, InboundStatus
from tickets.choices import Channel


class InboundMessage(models.Model):
    channel = models.CharField(max_length=16, choices=Channel.choices)
    source = models.CharField(max_length=16, choices=InboundSource.choices)
    mailbox = models.ForeignKey(
        "otklik_channels.Mailbox", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages"
    )
    # Idempotency: the Message-ID for email ("<...>" without brackets), else "sha256:<hex of the raw bytes>".
    dedup_key = models.CharField(max_length=500)
    raw = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    envelope_from = models.CharField(max_length=500, blank=True)
    envelope_to = models.JSONField(default=list, blank=True)
    # Shown in the failed-inbound list before (or without) a successful parse.
    from_address = models.CharField(_("from"), max_length=500, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    status = models.CharField(_("status"), max_length=16, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages"
    )
    article = models.ForeignKey(
        "tickets.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["channel", "dedup_key"], name="inbound_channel_dedup_unique")]
        indexes = [
            # The reconciler and the failed list read only unfinished rows.
            models.Index(
                fields=["status", "received_at"],
                name="inbound_unfinished",
                condition=~Q(status="processed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.dedup_key}"
