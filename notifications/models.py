"""In-app notifications for staff (the bell in the top bar), also sent by email and Telegram as
each person chose (NotificationSetting). A Huey task hands the rows not handled yet to the outbox,
and a periodic job retries. See docs/architecture/notifications.md."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.choices import BusyHours, NoticeKind, NoticeLanguage


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
    NOTICE = "notice", _("Client notice")


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
            # Telegram's 30-a-second limit reads the last second's sends before each message.
            models.Index(
                fields=["sent_at"], name="outbox_telegram_sent", condition=Q(channel="telegram", status="sent")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} → {self.recipient}"


class NoticeTemplate(models.Model):
    """The words of one client notice in one language (docs/architecture/notices.md). `subject` is
    used by email only; chat channels send the body. Placeholders: notifications/notices.py."""

    kind = models.CharField(_("notice"), max_length=20, choices=NoticeKind.choices)
    language = models.CharField(_("language"), max_length=2, choices=NoticeLanguage.choices)
    subject = models.CharField(_("email subject"), max_length=255)
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notice template")
        verbose_name_plural = _("notice templates")
        ordering = ["kind", "language"]
        constraints = [models.UniqueConstraint(fields=["kind", "language"], name="notice_template_kind_language")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from notifications.notices import placeholders_check

        errors = {}
        for field in ("subject", "body"):
            try:
                placeholders_check(getattr(self, field))
            except ValidationError as exc:
                errors[field] = exc.messages
        if errors:
            raise ValidationError(errors)


class CompanyNoticeSettings(models.Model):
    """Which notices a company's contacts get. A company without a row gets the defaults
    (acknowledgement, assigned and resolved on; busy on; statuses of the "pending" category
    announced) — see notifications/notices.py, notice_settings_for()."""

    company = models.OneToOneField(
        "customers.Company", on_delete=models.CASCADE, primary_key=True, related_name="notice_settings"
    )
    acknowledgement = models.BooleanField(_("request received"), default=True)
    assigned = models.BooleanField(_("engineer assigned"), default=True)
    resolved = models.BooleanField(_("request resolved"), default=True)
    busy = models.BooleanField(_("all operators busy"), default=True)
    announced_statuses = models.ManyToManyField(
        "tickets.Status",
        verbose_name=_("announced statuses"),
        blank=True,
        related_name="+",
        help_text=_("The client is told when their request moves to one of these statuses."),
    )

    class Meta:
        verbose_name = _("company notice settings")
        verbose_name_plural = _("company notice settings")

    def __str__(self) -> str:
        return str(self.company)


class TeamBusyReply(models.Model):
    """A team's automatic "all operators are busy" reply: sent once to a client whose request
    had no public answer from an agent `after_minutes` after it came (notifications/busy.py)."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, primary_key=True, related_name="busy_reply")
    enabled = models.BooleanField(_("enabled"), default=False)
    after_minutes = models.PositiveIntegerField(
        _("after, minutes"), default=15, validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)]
    )
    hours = models.CharField(_("when"), max_length=10, choices=BusyHours.choices, default=BusyHours.ALWAYS)
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        verbose_name=_("business calendar"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: the default calendar."),
    )
    # Requests that came before the reply was switched on never get it (no flood of old tickets).
    enabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("busy auto-reply")
        verbose_name_plural = _("busy auto-replies")

    def __str__(self) -> str:
        return str(self.team)


class BusyReplyClaim(models.Model):
    """A ticket the busy auto-reply has been decided for (sent, or found unreachable): the row is
    the claim, so two workers never send it twice (the primary key refuses the second)."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="+")
    claimed_at = models.DateTimeField(default=timezone.now)
    sent = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"busy reply for ticket {self.ticket_id}"
