"""Automation data. Each subsystem keeps its models under its own banner: rules
(automation/rules/, docs/architecture/automation-rules.md), assignment and schedules
(docs/architecture/assignment.md), repeated complaints."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from automation.choices import AbsenceKind, IncidentState, Strategy
from automation.rules.choices import RuleTrigger, TimeAnchor

# --- Assignment and schedules ---
# See docs/architecture/assignment.md.


class TeamAssignment(models.Model):
    """A team's assignment strategy. The row is also the lock that serialises the choice of an
    assignee per team (select_for_update): two workers creating tickets for one team at once
    choose one after the other, so a round-robin slot is never handed out twice."""

    team = models.OneToOneField(
        "accounts.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="assignment"
    )
    strategy = models.CharField(_("strategy"), max_length=20, choices=Strategy.choices, default=Strategy.MANUAL)
    # Round-robin: the member who got the last ticket; the next one goes to the member after them.
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Least loaded: the weight of one open ticket per priority code ({"critical": 4, …}); a
    # priority not listed weighs 1.
    priority_weights = models.JSONField(_("weights per priority"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("team assignment strategy")
        verbose_name_plural = _("team assignment strategies")

    def __str__(self) -> str:
        return f"{self.team} · {self.get_strategy_display()}"


class AgentProfile(models.Model):
    """What automatic assignment knows of a staff member: the service categories they handle
    (skills) and their home base (for "nearest engineer")."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="agent_profile"
    )
    categories = models.ManyToManyField(
        "tickets.ServiceCategory", verbose_name=_("service categories handled"), blank=True, related_name="+"
    )
    home_latitude = models.DecimalField(_("home base latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    home_longitude = models.DecimalField(
        _("home base longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return str(self.user)


class WorkShift(models.Model):
    """One weekly shift in the agent's own time zone. A shift whose end is not after its start
    runs past midnight into the next day (22:00–06:00)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="work_shifts")
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 = Monday, as datetime.weekday()
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        verbose_name = _("work shift")
        verbose_name_plural = _("work shifts")
        ordering = ["user", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="work_shift_weekday"),
            models.UniqueConstraint(fields=["user", "weekday", "start"], name="work_shift_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.weekday} {self.start:%H:%M}–{self.end:%H:%M}"


class Absence(models.Model):
    """Leave, sick leave or another absence: whole days, both ends included, in the agent's time zone."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences")
    kind = models.CharField(_("kind"), max_length=10, choices=AbsenceKind.choices, default=AbsenceKind.LEAVE)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to (inclusive)"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["user", "-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="absence_dates_order")
        ]
        indexes = [models.Index(fields=["user", "end_date"], name="absence_user_end")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.start_date}–{self.end_date}"


# --- Repeated complaints ---
# See docs/architecture/assignment.md, "Repeated complaints".


class PotentialIncident(models.Model):
    """Several similar complaints from one site in a short time: probably one cause. A supervisor
    turns it into a parent incident (one ticket, the complaints its children, every client told at
    once) or dismisses it."""

    site = models.ForeignKey("customers.Site", verbose_name=_("site"), on_delete=models.CASCADE, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=IncidentState.choices, default=IncidentState.OPEN)
    tickets = models.ManyToManyField("tickets.Ticket", verbose_name=_("tickets"), related_name="potential_incidents")
    # The words the complaints share (stems) and the location they name, for the list page.
    summary = models.CharField(_("summary"), max_length=255, blank=True)
    parent = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("parent incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What the supervisor told the clients when making the parent incident ("" = the standard
    # text, in each client's language); a complaint joining later gets the same.
    notice = models.TextField(_("message to the clients"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("detected"), default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("potential incident")
        verbose_name_plural = _("potential incidents")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["state", "-updated_at"], name="incident_state_updated")]

    def __str__(self) -> str:
        return f"incident {self.pk} at site {self.site_id}"


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
