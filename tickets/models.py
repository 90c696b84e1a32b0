"""Ticket core data. See docs/architecture/tickets.md."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import BilingualNameMixin
from tickets.choices import (
    OPEN_CATEGORIES,
    ArticleKind,
    AuthorKind,
    Channel,
    ClockState,
    EventKind,
    LinkKind,
    StatusCategory,
)


class Status(BilingualNameMixin):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    category = models.CharField(_("category"), max_length=10, choices=StatusCategory.choices)
    order = models.PositiveIntegerField(_("order"), default=0)
    colour = models.CharField(_("colour"), max_length=7, default="#64748b")
    is_default = models.BooleanField(_("default for new tickets"), default=False)
    is_delay = models.BooleanField(
        _("delayed until a date"), default=False, help_text=_("Requires a date; the ticket reopens by itself then.")
    )
    pauses_sla = models.BooleanField(
        _("pauses the SLA"),
        default=False,
        help_text=_("Time spent in this status is not counted (e.g. waiting for the client)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("status")
        verbose_name_plural = _("statuses")
        ordering = ["order", "id"]


class Priority(BilingualNameMixin):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0, help_text=_("Lower is more urgent."))
    colour = models.CharField(_("colour"), max_length=7, default="#64748b")
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")
        ordering = ["order", "id"]


class TicketType(BilingualNameMixin):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")
        ordering = ["order", "id"]


class ServiceCategory(BilingualNameMixin):
    """An entry of the service catalogue; new tickets in it go to its default team."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    default_team = models.ForeignKey(
        "accounts.Team", verbose_name=_("default team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    visible_in_portal = models.BooleanField(_("visible in portal"), default=True)

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service catalogue")
        ordering = ["order", "name_ru"]


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    # casefold()ed name: "Лифт" and "лифт" are one tag on every database (SQLite's own
    # case-insensitive matching covers ASCII only).
    key = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.key = self.name.casefold()[:64]
        super().save(*args, **kwargs)


class TicketSequence(models.Model):
    """Counter for human-friendly ticket numbers (one row). Incremented with UPDATE ... RETURNING,
    which holds the row lock only until the creating transaction commits."""

    name = models.CharField(max_length=32, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class Ticket(models.Model):
    # Foreign keys marked db_index=False are covered by the composite indexes in Meta (company,
    # contact, team, assignee lead one each) or are never filtered alone (type, category): every
    # extra index on this hot table costs inserts and query planning time.
    number = models.BigIntegerField(_("number"), unique=True)
    title = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    status = models.ForeignKey(Status, verbose_name=_("status"), on_delete=models.PROTECT, related_name="+")
    # Copy of status.category kept on the row so the open queues filter and sort on one index.
    status_category = models.CharField(max_length=10, choices=StatusCategory.choices, editable=False)
    delayed_until = models.DateTimeField(_("delayed until"), null=True, blank=True)
    priority = models.ForeignKey(Priority, verbose_name=_("priority"), on_delete=models.PROTECT, related_name="+")
    type = models.ForeignKey(
        TicketType,
        verbose_name=_("type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    category = models.ForeignKey(
        ServiceCategory,
        verbose_name=_("service category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    company = models.ForeignKey(
        "customers.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,
    )
    site = models.ForeignKey(
        "customers.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    equipment = models.ForeignKey(
        "assets.Equipment",
        verbose_name=_("equipment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        help_text=_("The contract that covered the ticket when it was registered or re-triaged."),
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
        db_index=False,
    )
    observers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("observers"), blank=True, related_name="observed_tickets"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="tickets")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.PHONE)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    received_at = models.DateTimeField(
        _("received"), default=timezone.now, help_text=_("When the first message arrived at the channel.")
    )
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # SLA clocks (sla/clock.py computes them; sla/services.py stores them).
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy",
        verbose_name=_("SLA policy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,
    )
    sla_first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    sla_first_response_state = models.CharField(max_length=10, choices=ClockState.choices, blank=True, default="")
    sla_next_response_started = models.DateTimeField(null=True, blank=True)
    sla_next_response_due = models.DateTimeField(_("next response due"), null=True, blank=True)
    sla_next_response_state = models.CharField(max_length=10, choices=ClockState.choices, blank=True, default="")
    sla_resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_resolution_state = models.CharField(max_length=10, choices=ClockState.choices, blank=True, default="")
    sla_paused_seconds = models.PositiveIntegerField(_("time paused, seconds"), default=0)
    sla_paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    # The nearest deadline of a running target (queues sort by it), whether any target was
    # missed, and when the sweep must look at the ticket next (warning, escalation or breach).
    sla_due = models.DateTimeField(_("next deadline"), null=True, blank=True)
    sla_breached = models.BooleanField(_("SLA breached"), default=False)
    sla_next_check = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated"),
            models.Index(fields=["-created_at", "-id"], name="ticket_created"),
            models.Index(
                fields=["-updated_at", "-id"],
                name="ticket_open_updated",
                condition=Q(status_category__in=[c.value for c in OPEN_CATEGORIES]),
            ),
            models.Index(
                fields=["team", "-updated_at", "-id"],
                name="ticket_open_team_updated",
                condition=Q(status_category__in=[c.value for c in OPEN_CATEGORIES]),
            ),
            models.Index(
                fields=["assignee", "-updated_at", "-id"],
                name="ticket_open_assignee_updated",
                condition=Q(status_category__in=[c.value for c in OPEN_CATEGORIES]),
            ),
            models.Index(fields=["team", "status_category", "-updated_at"], name="ticket_team_state"),
            models.Index(fields=["assignee", "status_category", "-updated_at"], name="ticket_assignee_state"),
            models.Index(fields=["company", "-updated_at"], name="ticket_company_updated"),
            models.Index(fields=["contact", "-updated_at"], name="ticket_contact_updated"),
            models.Index(fields=["delayed_until"], name="ticket_delayed", condition=Q(delayed_until__isnull=False)),
            models.Index(fields=["sla_next_check"], name="ticket_sla_check", condition=Q(sla_next_check__isnull=False)),
            models.Index(
                fields=["sla_due", "id"],
                name="ticket_open_sla_due",
                condition=Q(status_category__in=[c.value for c in OPEN_CATEGORIES]),
            ),
            # The busy auto-reply's sweep (notifications/busy.py): open tickets no agent answered yet.
            models.Index(
                fields=["team", "created_at"],
                name="ticket_unanswered",
                condition=Q(first_response_at__isnull=True, status_category__in=[c.value for c in OPEN_CATEGORIES]),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status_category in OPEN_CATEGORIES


class TicketLink(models.Model):
    """A symmetric "related" link between two tickets (parent/child is Ticket.parent)."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=16, choices=LinkKind.choices, default=LinkKind.RELATED)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="ticket_link_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="ticket_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class Article(models.Model):
    """One message in a ticket's conversation: a public reply (client or agent) or an internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="articles")
    kind = models.CharField(_("kind"), max_length=10, choices=ArticleKind.choices, default=ArticleKind.PUBLIC)
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.AGENT)
    body = models.TextField(_("text"))
    # Email (channels/email): the sanitized HTML of the new part, the quoted history and signature
    # folded away under it (HTML when the mail had HTML, else text), and the envelope shown on the
    # article (from, to, cc, subject, message_id).
    body_html = models.TextField(blank=True)
    quoted = models.TextField(blank=True)
    quoted_is_html = models.BooleanField(default=False)
    has_remote_images = models.BooleanField(default=False)
    # Written by someone who is neither the ticket's contact nor one of its known participants:
    # attached, flagged, and the client is not notified of it.
    from_stranger = models.BooleanField(default=False)
    email_meta = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now, help_text=_("When the message arrived at the channel."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="article_ticket_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} on ticket {self.ticket_id}"

    @property
    def is_internal(self) -> bool:
        return self.kind == ArticleKind.NOTE

    @property
    def author_name(self) -> str:
        if self.author_user_id:
            return str(self.author_user)
        if self.author_contact_id:
            return str(self.author_contact)
        return str(_("System"))


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name is the content hash: no user-controlled path, no collisions by name.
    now = timezone.now()
    return f"{now:%Y/%m}/{instance.sha256}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # An image an HTML email shows in place (<img src="cid:...">): rendered in the body, not listed.
    content_id = models.CharField(max_length=255, blank=True)
    is_inline = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type in {"image/jpeg", "image/png", "image/gif", "image/webp"}


class ImmutableError(Exception):
    pass


class TicketEvent(models.Model):
    """An immutable record of one change to a ticket. History, realtime updates and (later)
    notifications, SLA recalculation and webhooks all read these."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict)
    # Denormalised so the realtime poll can tell "something changed in my teams" from the event alone.
    team_id_at_event = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["ticket", "id"], name="event_ticket")]

    def __str__(self) -> str:
        return f"{self.kind} on ticket {self.ticket_id}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise ImmutableError("Ticket events are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ImmutableError("Ticket events are immutable.")


class TicketPresence(models.Model):
    """Who has a ticket open right now, refreshed by the ticket page's poll."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_replying = models.BooleanField(default=False)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="presence_unique")]

    def __str__(self) -> str:
        return f"user {self.user_id} on ticket {self.ticket_id}"


class SavedView(models.Model):
    """A named set of queue filters saved by an agent (shared views are visible to all agents)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=100)
    filters = models.JSONField(default=dict)
    is_shared = models.BooleanField(_("shared with all agents"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
