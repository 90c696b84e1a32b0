"""In-app notifications for staff (the bell in the top bar), also sent by email and Telegram as
each person chose (NotificationSetting). A Huey task hands the rows not handled yet to the outbox,
and a periodic job retries. See docs/architecture/notifications.md."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32)
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # When the mailer handled the row: queued its email and/or Telegram message, or found that the
    # person wants neither for this kind.
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            # The live poll: "anything for me after id N?" (notifications/views.py, notification_live).
            models.Index(fields=["user", "id"], name="notification_user_id"),
            models.Index(fields=["user"], name="notification_unread", condition=Q(read_at__isnull=True)),
            models.Index(fields=["created_at"], name="notification_unmailed", condition=Q(emailed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.text


class NotificationSetting(models.Model):
    """One person's choice for one kind of alert (notifications.choices.AlertKind). No row means
    the defaults: shown in the app, mailed unless EMAIL_BY_DEFAULT says otherwise, no Telegram.
    In-app is always on while the kind is enabled; `enabled=False` silences the kind entirely."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings")
    kind = models.CharField(max_length=32)
    enabled = models.BooleanField(default=True)
    email = models.BooleanField(default=True)
    telegram = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_setting_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")  # the client's phone has it (WhatsApp status)
    READ = "read", _("Read")  # the client opened it (WhatsApp status)
    FAILED = "failed", _("Failed")  # gave up after the retries, or refused permanently
    BOUNCED = "bounced", _("Bounced")  # accepted, then a delivery status notification came back


class OutboxKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    ACKNOWLEDGEMENT = "ack", _("Acknowledgement")
    STATUS = "status", _("Status notice")
    NOTIFICATION = "notification", _("Staff notification")
    CHAT = "chat", _("Chat message")  # a bot's own words in a chat (asking for the phone, /status)
    WEBHOOK = "webhook", _("Webhook")  # an automation rule's POST (automation/rules/webhooks.py)


class OutboxRoute(models.TextChoices):
    """Why a reply took another path than the ticket's channel (shown to the agent on the article)."""

    DIRECT = "", _("The ticket's channel")
    TEMPLATE = "template", _("Template: outside the 24-hour window")
    EMAIL = "email", _("Email: outside the 24-hour window")
    WINDOW_CLOSED = "window_closed", _("Not sent: outside the 24-hour window")


class OutboxMessage(models.Model):
    """One message to one recipient on one channel (DESIGN.md, "delivery"). The message is composed
    when queued (so a retry sends the same bytes with the same Message-ID) and sent by a Huey task;
    the periodic reconciler picks up whatever is due. `dedup_key` makes queueing idempotent."""

    channel = models.CharField(max_length=16)
    kind = models.CharField(max_length=16, choices=OutboxKind.choices)
    dedup_key = models.CharField(max_length=255, unique=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="outbox_messages"
    )
    article = models.ForeignKey(
        "tickets.Article", null=True, blank=True, on_delete=models.CASCADE, related_name="outbox_messages"
    )
    mailbox = models.ForeignKey(
        "otklik_channels.Mailbox", null=True, blank=True, on_delete=models.SET_NULL, related_name="outbox_messages"
    )
    recipient = models.CharField(max_length=500)
    subject = models.CharField(max_length=500, blank=True)
    message_id = models.CharField(max_length=500, blank=True)
    payload = models.BinaryField(blank=True)
    route = models.CharField(max_length=16, choices=OutboxRoute.choices, default=OutboxRoute.DIRECT, blank=True)
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due",
                condition=Q(status__in=["queued", "sending"]),
            ),
            models.Index(fields=["recipient", "kind", "created_at"], name="outbox_recipient_recent"),
            # WhatsApp statuses and email bounces find the row by the provider's message id.
            models.Index(fields=["message_id"], name="outbox_message_id"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} → {self.recipient}"
