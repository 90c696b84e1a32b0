"""Automation data. Sections: rules (automation/rules/, docs/architecture/automation-rules.md)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from automation.rules.choices import RuleTrigger, TimeAnchor

# ─── Rules ────────────────────────────────────────────────────────────────────────────────────
# A rule's conditions and actions are rows of JSON ({"field", "op", "value"} and
# {"action", "value"}): automation/rules/conditions.py and actions.py define and validate them,
# the editor edits them as form rows.


class Rule(models.Model):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    trigger = models.CharField(_("when"), max_length=20, choices=RuleTrigger.choices, default=RuleTrigger.CREATED)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    stop_processing = models.BooleanField(
        _("stop further rules"), default=False, help_text=_("When this rule fires, the rules below it do not run.")
    )
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list, blank=True)
    # Time rules only: fire once the ticket has matched for `time_minutes` since the anchor.
    time_anchor = models.CharField(_("counted"), max_length=10, choices=TimeAnchor.choices, blank=True)
    time_minutes = models.PositiveIntegerField(_("after, minutes"), null=True, blank=True)
    # Rules shipped with Otklik carry a code (editable and deactivatable like any other).
    code = models.SlugField(max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(trigger="time") | (Q(time_minutes__isnull=False) & ~Q(time_anchor="")),
                name="rule_time_needs_anchor",
            )
        ]

    def __str__(self) -> str:
        return self.name


class RuleFiring(models.Model):
    """A time rule fired on a ticket for one episode (the anchor's value): the unique constraint
    is what makes two sweeping workers fire it once."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    anchor_at = models.DateTimeField()
    fired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "ticket", "anchor_at"], name="rule_firing_once_per_episode")
        ]

    def __str__(self) -> str:
        return f"rule {self.rule_id} on ticket {self.ticket_id} ({self.anchor_at:%Y-%m-%d %H:%M})"
