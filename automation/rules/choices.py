from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleTrigger(models.TextChoices):
    CREATED = "created", _("Ticket created")
    UPDATED = "updated", _("Ticket updated")
    ARTICLE_CLIENT = "article_client", _("Message from the client")
    ARTICLE_AGENT = "article_agent", _("Reply or note from an agent")
    SLA_WARNING = "sla_warning", _("SLA deadline at risk")
    SLA_BREACH = "sla_breach", _("SLA deadline missed")
    TIME = "time", _("On a schedule (time rule)")


class TimeAnchor(models.TextChoices):
    """What a time rule counts its minutes from; a new value of it starts a new episode."""

    STATUS = "status", _("since the status was set")
    CREATED = "created", _("since the ticket was created")
    UPDATED = "updated", _("since the last change")
