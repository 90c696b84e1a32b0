"""Choices of the client notices (docs/architecture/notices.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Request received")
    ASSIGNED = "assigned", _("Engineer assigned")
    STATUS_CHANGED = "status_changed", _("Status changed")
    RESOLVED = "resolved", _("Request resolved")
    BUSY = "busy", _("All operators busy")


class NoticeLanguage(models.TextChoices):
    RU = "ru", "Русский"
    EN = "en", "English"


class BusyHours(models.TextChoices):
    ALWAYS = "always", _("At any time")
    BUSINESS = "business", _("Only during business hours")
    OUTSIDE = "outside", _("Only outside business hours")
