"""SLA: business calendars, policies with per-priority targets and escalation levels, and the
record of every escalation fired. The clocks themselves live on the ticket (tickets.Ticket
sla_* columns) so queues sort and the sweep finds due tickets by index."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import validate_time_zone


class CalendarCountry(models.TextChoices):
    NONE = "", _("none: days are entered by hand")
    RUSSIA = "RU", _("Russia: the production calendar is seeded every year")


class BusinessCalendar(models.Model):
    """Working hours per weekday plus a table of exceptional days, in one time zone. A calendar
    with a `country` gets that country's holidays seeded for every year (sla/seeding.py)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Moscow", validators=[validate_time_zone]
    )
    is_24x7 = models.BooleanField(_("round the clock (24/7)"), default=False)
    country = models.CharField(
        _("public holidays of"), max_length=2, choices=CalendarCountry.choices, default="", blank=True
    )
    is_default = models.BooleanField(_("default calendar"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkingInterval(models.Model):
    """One stretch of working time on a weekday (several a day, e.g. around a lunch break)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 = Monday … 6 = Sunday
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="interval_weekday_range"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="interval_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday}: {self.start:%H:%M}–{self.end:%H:%M}"


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Day off")
    WORKDAY = "workday", _("Working day")
    SHORTENED = "shortened", _("Shortened day")


class CalendarDay(models.Model):
    """An exception to the weekly schedule: a holiday or transferred day off, a transferred
    working day (e.g. a Saturday), or a shortened pre-holiday day. A working or shortened day
    may give its own hours; otherwise a working day uses `workday_pattern` weekday's hours and a
    shortened day its own weekday's hours less `shortened_by_minutes` at the end."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days")
    day = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("note"), max_length=200, blank=True)
    hours = models.JSONField(
        _("hours"), default=list, blank=True, help_text=_('Own working hours, e.g. [["09:00", "13:00"]]')
    )
    shortened_by_minutes = models.PositiveIntegerField(_("shortened by, minutes"), default=60)
    workday_pattern = models.PositiveSmallIntegerField(_("works like weekday"), default=0)
    is_manual = models.BooleanField(_("edited by hand"), default=False, help_text=_("Kept when the year is re-seeded."))

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["calendar", "day"], name="calendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.day:%d.%m.%Y} {self.get_kind_display()}"


class SlaPolicy(models.Model):
    """The first active policy, by `order`, whose conditions all match a ticket applies to it.
    An empty condition matches anything."""

    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    companies = models.ManyToManyField("customers.Company", verbose_name=_("companies"), blank=True, related_name="+")
    company_categories = models.ManyToManyField(
        "customers.CompanyCategory", verbose_name=_("client categories"), blank=True, related_name="+"
    )
    vip_only = models.BooleanField(_("VIP clients only"), default=False)
    contracts = models.ManyToManyField("contracts.Contract", verbose_name=_("contracts"), blank=True, related_name="+")
    sites = models.ManyToManyField("customers.Site", verbose_name=_("sites"), blank=True, related_name="+")
    priorities = models.ManyToManyField("tickets.Priority", verbose_name=_("priorities"), blank=True, related_name="+")
    types = models.ManyToManyField("tickets.TicketType", verbose_name=_("types"), blank=True, related_name="+")
    categories = models.ManyToManyField(
        "tickets.ServiceCategory", verbose_name=_("service categories"), blank=True, related_name="+"
    )
    channels = models.JSONField(_("channels"), default=list, blank=True)
    teams = models.ManyToManyField("accounts.Team", verbose_name=_("teams"), blank=True, related_name="+")
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policies",
        help_text=_("Empty: the default calendar."),
    )
    use_site_calendar = models.BooleanField(
        _("use the site's calendar"), default=False, help_text=_("When the ticket's site has a calendar of its own.")
    )
    warn_percent = models.PositiveSmallIntegerField(_("warn at, percent of the target"), default=80)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(warn_percent__gte=1, warn_percent__lte=99), name="policy_warn_range")
        ]

    def __str__(self) -> str:
        return self.name


class TargetKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class SlaTarget(models.Model):
    """A policy's deadlines for one priority, in minutes; business or calendar time each."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.ForeignKey(
        "tickets.Priority", verbose_name=_("priority"), on_delete=models.CASCADE, related_name="+"
    )
    first_response_minutes = models.PositiveIntegerField(_("first response, minutes"), null=True, blank=True)
    first_response_business = models.BooleanField(_("first response in business time"), default=True)
    next_response_minutes = models.PositiveIntegerField(_("next response, minutes"), null=True, blank=True)
    next_response_business = models.BooleanField(_("next response in business time"), default=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution, minutes"), null=True, blank=True)
    resolution_business = models.BooleanField(_("resolution in business time"), default=True)

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_unique")]

    def __str__(self) -> str:
        return f"{self.policy} / {self.priority}"


class EscalationTrigger(models.TextChoices):
    AFTER_START = "after_start", _("minutes after the clock started, target not met")
    BEFORE_DUE = "before_due", _("minutes before the deadline")
    AFTER_BREACH = "after_breach", _("minutes after the deadline was missed")


class SlaEscalation(models.Model):
    """A level of escalation: when it fires (relative to a target) and what it does. Each level
    fires at most once per ticket, target and clock episode (SlaFiring)."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalations")
    target = models.CharField(_("target"), max_length=16, choices=TargetKind.choices)
    trigger = models.CharField(_("when"), max_length=12, choices=EscalationTrigger.choices)
    minutes = models.PositiveIntegerField(_("minutes"), default=0)
    priority = models.ForeignKey(
        "tickets.Priority",
        verbose_name=_("only for priority"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    notify_assignee = models.BooleanField(_("notify the assignee"), default=True)
    notify_supervisor = models.BooleanField(_("notify the team supervisor"), default=False)
    notify_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("notify this person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reassign_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("move to team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reassign_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assign to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    raise_priority = models.ForeignKey(
        "tickets.Priority",
        verbose_name=_("raise priority to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        ordering = ["policy", "target", "order", "id"]

    def __str__(self) -> str:
        return f"{self.get_target_display()}: {self.get_trigger_display()} {self.minutes}"


class SlaFiring(models.Model):
    """That a warning or an escalation level fired for a ticket: the unique key makes firing
    exactly-once under any number of workers. `episode` separates clock runs (each client
    message restarts the next-response clock; a reopened ticket runs its resolution again)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sla_firings")
    target = models.CharField(max_length=16, choices=TargetKind.choices)
    escalation = models.ForeignKey(SlaEscalation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    level = models.CharField(max_length=40)  # "warning", "breach" or "escalation:<id>"
    episode = models.CharField(max_length=40, default="")
    fired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "target", "level", "episode"], name="sla_firing_once")]
        indexes = [models.Index(fields=["fired_at"], name="sla_firing_time")]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.target} {self.level}"


class RecalculationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    SUPERSEDED = "superseded", _("Superseded")


ACTIVE_RECALCULATION_STATUSES = (RecalculationStatus.QUEUED, RecalculationStatus.RUNNING)


class SlaRecalculation(models.Model):
    """One background recomputation of the clocks of every open ticket after the SLA set-up
    changed (a policy saved, reordered or deleted, a calendar edited). Progress is committed per
    batch, tickets in id order after `last_ticket_id`, so a worker that died is resumed where it
    stopped; a newer request supersedes an unfinished one (it would recompute the same tickets)."""

    status = models.CharField(
        _("status"), max_length=12, choices=RecalculationStatus.choices, default=RecalculationStatus.QUEUED
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    total = models.PositiveIntegerField(_("tickets"), default=0)
    done = models.PositiveIntegerField(_("recalculated"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    last_ticket_id = models.BigIntegerField(default=0)
    run_token = models.CharField(max_length=32, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA recalculation")
        verbose_name_plural = _("SLA recalculations")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status"], name="sla_recalculation_status")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.done}/{self.total}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RECALCULATION_STATUSES

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == RecalculationStatus.DONE else 0
        return min(100, self.done * 100 // self.total)
