"""How ticket events read in the history, in the viewer's language."""

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from tickets.choices import Channel, EventKind
from tickets.models import TicketEvent

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
