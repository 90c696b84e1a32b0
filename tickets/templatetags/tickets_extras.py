"""How ticket events read in the history, in the viewer's language."""

from datetime import datetime

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from tickets.choices import Channel, EventKind
from tickets.models import Ticket, TicketEvent

register = template.Library()

FIELD_LABELS = {
    "title": gettext_lazy("Subject"),
    "description": gettext_lazy("Description"),
    "priority": gettext_lazy("Priority"),
    "type": gettext_lazy("Type"),
    "category": gettext_lazy("Service category"),
    "company": gettext_lazy("Company"),
    "contact": gettext_lazy("Contact"),
    "site": gettext_lazy("Site"),
    "team": gettext_lazy("Team"),
    "parent": gettext_lazy("Parent ticket"),
}


def _name(ref: object) -> str:
    if ref is None:
        return "—"
    if isinstance(ref, dict):
        if "number" in ref:
            return f"#{ref['number']}"
        if "name_ru" in ref:
            return str(ref["name_en"] if (get_language() or "ru").startswith("en") else ref["name_ru"])
        return str(ref.get("name", "—"))
    return str(ref)


@register.simple_tag
def event_text(event: TicketEvent) -> str:
    d = event.data or {}
    kind = event.kind
    if kind == EventKind.CREATED:
        channel = Channel(d["channel"]).label if d.get("channel") in Channel.values else d.get("channel", "")
        return format_html("{} ({})", _("created the ticket"), channel)
    if kind == EventKind.FIELD_CHANGED:
        label = FIELD_LABELS.get(d.get("field", ""), d.get("field", ""))
        if d.get("field") == "description":
            return format_html("{}", _("changed the description"))
        return format_html("{}: {} → {}", label, _name(d.get("old")), _name(d.get("new")))
    if kind == EventKind.STATUS_CHANGED:
        text = format_html("{}: {} → {}", _("Status"), _name(d.get("old")), _name(d.get("new")))
        if d.get("delayed_until"):
            text = format_html("{} ({} {})", text, _("until"), d["delayed_until"][:16].replace("T", " "))
        return text
    if kind == EventKind.ASSIGNED:
        return format_html("{}: {} → {}", _("Assignee"), _name(d.get("old")), _name(d.get("new")))
    if kind == EventKind.ARTICLE_ADDED:
        if d.get("kind") == "note":
            what = _("added an internal note")
        elif d.get("from_client"):
            what = _("wrote a message")
        else:
            what = _("replied to the client")
        if d.get("attachments"):
            n = d["attachments"]
            return format_html("{} ({})", what, ngettext("%(n)d file", "%(n)d files", n) % {"n": n})
        return format_html("{}", what)
    if kind == EventKind.TAGS_CHANGED:
        return format_html(
            "{}: {} → {}", _("Tags"), ", ".join(d.get("old") or []) or "—", ", ".join(d.get("new") or []) or "—"
        )
    if kind == EventKind.OBSERVERS_CHANGED:
        return format_html("{}: {}", _("Observers"), ", ".join(_name(u) for u in d.get("new") or []) or "—")
    if kind == EventKind.LINK_ADDED:
        return format_html("{} #{}", _("linked as related to"), d.get("ticket"))
    if kind == EventKind.LINK_REMOVED:
        return format_html("{} #{}", _("removed the link to"), d.get("ticket"))
    if kind == EventKind.MERGED:
        n = d.get("articles") or 0
        moved = ngettext("%(n)d message", "%(n)d messages", n) % {"n": n}
        return format_html("{} #{} ({})", _("merged in ticket"), d.get("ticket"), moved)
    if kind == EventKind.MERGED_INTO:
        return format_html("{} #{}", _("merged this ticket into"), d.get("ticket"))
    if kind == EventKind.REOPENED:
        return format_html("{}", _("reopened the ticket: the delay ended"))
    return format_html("{}", kind)


QUEUE_ROW = (
    '<tr data-ticket="{number}" class="{flash}">'
    '<td class="col-check"><input type="checkbox" name="ticket_ids" value="{pk}" aria-label="#{number}"></td>'
    '<td><a class="ticket-title" href="{url}"><span class="ticket-number">#{number}</span> {title}</a>'
    '<div class="small muted">{meta}{tags}</div></td>'
    '<td class="col-inline"><span class="badge" style="background:{status_colour}">{status}</span></td>'
    '<td class="nowrap col-inline"><span class="dot" style="background:{priority_colour}"></span>{priority}</td>'
    '<td class="hide-phone">{company}</td>'
    '<td class="hide-phone">{team}</td>'
    '<td class="col-inline">{assignee}</td>'
    '<td class="hide-phone nowrap small" title="{updated_full}">{updated}</td>'
    "</tr>"
)


@register.simple_tag
def queue_rows(tickets: list[Ticket], flash_after: datetime | None = None) -> SafeString:
    """The queue's <tr>s, built in Python: through the template engine fifty rows cost more CPU
    than everything else on the page together (bench/README.md)."""
    unassigned = format_html('<span class="muted">{}</span>', _("unassigned"))
    rows = []
    for t in tickets:
        meta = " · ".join(
            part for part in (t.contact.full_name if t.contact else "", t.site.name if t.site else "") if part
        )
        meta = f"{meta} · {t.get_channel_display()}" if meta else str(t.get_channel_display())
        updated = timezone.localtime(t.updated_at)
        rows.append(
            format_html(
                QUEUE_ROW,
                number=t.number,
                pk=t.pk,
                flash="flash" if flash_after and t.updated_at > flash_after else "",
                url=reverse("tickets:detail", kwargs={"number": t.number}),
                title=t.title,
                meta=meta,
                tags=format_html_join("", ' <span class="tag">{}</span>', ((tag.name,) for tag in t.tags.all())),
                status_colour=t.status.colour,
                status=t.status.name,
                priority_colour=t.priority.colour,
                priority=t.priority.name,
                company=t.company.name if t.company else "—",
                team=t.team.name if t.team else "—",
                assignee=t.assignee.full_name if t.assignee else unassigned,
                updated_full=date_format(updated, "DATETIME_FORMAT"),
                updated=updated.strftime("%d.%m %H:%M"),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - every part went through format_html
