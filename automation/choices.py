from django.db import models
from django.utils.translation import gettext_lazy as _


class Strategy(models.TextChoices):
    """How a team's new tickets find an assignee (automation/assignment/strategies.py)."""

    MANUAL = "manual", _("Manual (a person assigns)")
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    SKILL = "skill", _("By skill (service categories)")
    SITE = "site", _("By site (default engineer, else nearest)")


class AbsenceKind(models.TextChoices):
    LEAVE = "leave", _("Leave")
    SICK = "sick", _("Sick leave")
    OTHER = "other", _("Other absence")


class IncidentState(models.TextChoices):
    OPEN = "open", _("Awaiting decision")
    CONFIRMED = "confirmed", _("Parent incident created")
    DISMISSED = "dismissed", _("Dismissed")
