from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StatusCategory(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_CATEGORIES = (StatusCategory.NEW, StatusCategory.OPEN, StatusCategory.PENDING)


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    EMAIL = "email", pgettext_lazy("channel", "Email")
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    WEB = "web", _("Web form")
    QR = "qr", _("QR label")
    AGENT = "agent", _("Agent")


class ArticleKind(models.TextChoices):
    PUBLIC = "public", _("Public reply")
    NOTE = "note", _("Internal note")


class AuthorKind(models.TextChoices):
    AGENT = "agent", _("Agent")
    CONTACT = "contact", _("Client")
    SYSTEM = "system", _("System")


class LinkKind(models.TextChoices):
    RELATED = "related", _("Related")


class EventKind(models.TextChoices):
    CREATED = "created", _("Ticket created")
    FIELD_CHANGED = "field_changed", _("Field changed")
    STATUS_CHANGED = "status_changed", _("Status changed")
    ASSIGNED = "assigned", _("Assignee changed")
    ARTICLE_ADDED = "article_added", _("Article added")
    TAGS_CHANGED = "tags_changed", _("Tags changed")
    OBSERVERS_CHANGED = "observers_changed", _("Observers changed")
    LINK_ADDED = "link_added", _("Link added")
    LINK_REMOVED = "link_removed", _("Link removed")
    MERGED = "merged", _("Merged")
    MERGED_INTO = "merged_into", _("Merged into another ticket")
    REOPENED = "reopened", _("Reopened automatically")
    WORK_ADDED = "work_added", _("Work recorded")
    WORK_REMOVED = "work_removed", _("Work removed")
    SLA_WARNING = "sla_warning", _("SLA deadline at risk")
    SLA_BREACHED = "sla_breached", _("SLA deadline missed")
    SLA_ESCALATED = "sla_escalated", _("SLA escalation")
    RULE_FIRED = "rule_fired", _("Automation rule fired")
    RULES_CUT_OFF = "rules_cut_off", _("Automation rules cut off (loop)")
    NOTICE_SENT = "notice_sent", _("Client notified")
    DELIVERY_FAILED = "delivery_failed", _("A reply did not reach the client")


class Sort(models.TextChoices):
    UPDATED_DESC = "-updated", _("Recently updated")
    UPDATED_ASC = "updated", _("Least recently updated")
    CREATED_DESC = "-created", _("Newest")
    CREATED_ASC = "created", _("Oldest")
    PRIORITY = "priority", _("Priority")
    SLA_DUE = "sla", _("Nearest SLA deadline")


class SlaFilter(models.TextChoices):
    BREACHED = "breached", _("Deadline missed")
    AT_RISK = "at_risk", _("Due within an hour")
    RUNNING = "running", _("Clock running")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
