from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received")  # stored, not processed yet
    PROCESSED = "processed", _("Processed")  # became an article (or was deliberately attached/ignored)
    FAILED = "failed", _("Failed")  # processing raised; shown to administrators, re-processable
    QUARANTINED = "quarantined", _("Quarantined")  # refused by a limit (size); kept, re-processable
    # An administrator set a failed or quarantined message aside (junk, or handled by hand): off
    # the failed list, kept, still downloadable and re-processable.
    DISMISSED = "dismissed", pgettext_lazy("inbound status", "Set aside")


class InboundSource(models.TextChoices):
    LMTP = "lmtp", "LMTP"
    IMAP = "imap", "IMAP"
    UPLOAD = "upload", _("Upload")
    WEBHOOK = "webhook", _("Webhook")
    POLLING = "polling", _("Long polling")
    FORM = "form", _("Web form")
