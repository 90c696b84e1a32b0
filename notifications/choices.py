"""Choices of staff alerts a person can tune in their profile (docs/architecture/notifications.md)
and of the client notices (docs/architecture/notices.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    TICKET_NEW = "ticket_new", _("New ticket in my teams")
    TICKET_ASSIGNED = "ticket_assigned", _("A ticket is assigned to me")
    CLIENT_REPLIED = "client_replied", _("A client wrote on my ticket")
    SLA_WARNING = "sla_warning", _("SLA at risk")
    SLA_BREACH = "sla_breach", _("SLA missed")
    SLA_ESCALATION = "sla_escalation", _("SLA escalation")
    # Sent by automation rules (automation/rules/actions.py: "notify", "escalate").
    RULE = "rule", _("An automation rule calls me")
    RULE_ESCALATION = "rule_escalation", _("Escalation by an automation rule")
    DELIVERY_FAILED = "delivery_failed", _("My reply did not reach the client")


# Without a saved choice: every kind shows in the app; every kind but "new ticket in my teams"
# (one per ticket for each member of a busy team) is also mailed, as all notifications were
# before preferences existed; Telegram is opt-in (it needs linking first anyway).
EMAIL_BY_DEFAULT = frozenset(AlertKind) - {AlertKind.TICKET_NEW}

# When one change earns a person two alerts about the same ticket (created, then assigned to
# them by a rule in the same transaction), the one not delivered yet becomes the weightier.
KIND_WEIGHT = {AlertKind.TICKET_NEW: 1, AlertKind.CLIENT_REPLIED: 2, AlertKind.TICKET_ASSIGNED: 3}


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
