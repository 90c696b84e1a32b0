from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received")  # stored, not processed yet
    PROCESSED = "processed", _("Processed")  # became an article (or was deliberately attached/ignored)
    FAILED = "failed", _("Failed")  # processing raised; shown to administrators, re-processable
    QUARANTINED = "quarantined", _("Quarantined")  # refused by a limit (size); kept, re-processable


class InboundSource(models.TextChoices):
    LMTP = "lmtp", "LMTP"
    IMAP = "imap", "IMAP"
    UPLOAD = "upload", _("Upload")
    WEBHOOK = "webhook", _("Webhook")
    POLLING = "polling", _("Long polling")
    FORM = "form", _("Web form")
