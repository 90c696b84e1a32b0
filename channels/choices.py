from django.db import models
from django.utils.translation import gettext_lazy as _


class MailboxInbound(models.TextChoices):
    LMTP = "lmtp", _("Delivered to Otklik's LMTP/SMTP listener")
    IMAP = "imap", _("Fetched from an IMAP mailbox")


class TransportSecurity(models.TextChoices):
    SSL = "ssl", _("TLS (implicit)")
    STARTTLS = "starttls", "STARTTLS"
    NONE = "none", _("None (trusted network only)")


class ImapProcessedAction(models.TextChoices):
    SEEN = "seen", _("Mark as read")
    MOVE = "move", _("Move to a folder")


class MessageDirection(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class TelegramMode(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook (Telegram calls Otklik)")
    POLLING = "polling", _("Long polling (Otklik asks Telegram)")


class TelegramChatState(models.TextChoices):
    AWAITING_PHONE = "awaiting_phone", _("Waiting for the phone number")
    LINKED = "linked", _("Linked to a contact")


class CallState(models.TextChoices):
    """Where a phone call is (channels/telephony)."""

    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("Answered")
    ENDED = "ended", _("Ended")
    MISSED = "missed", _("Missed")
