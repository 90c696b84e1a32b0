"""How ticket events read in the history, in the viewer's language."""

import html
from datetime import datetime
from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from tickets.choices import Channel, EventKind
from tickets.models import Ticket, TicketEvent
from tickets.selectors import TicketRow

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
    "equipment": gettext_lazy("Equipment"),
    "contract": gettext_lazy("Contract"),
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
        if d.get("field") == "article":
            return format_html("{} ({}: «{}»)", _("edited a message"), _("was"), d.get("old") or "")
        return format_html("{}: {} → {}", label, _name(d.get("old")), _name(d.get("new")))
    if kind == EventKind.STATUS_CHANGED:
        text = format_html("{}: {} → {}", _("Status"), _name(d.get("old")), _name(d.get("new")))
        if d.get("delayed_until"):
            text = format_html("{} ({} {})", text, _("until"), d["delayed_until"][:16].replace("T", " "))
        return text
    if kind == EventKind.ASSIGNED:
        text = format_html("{}: {} → {}", _("Assignee"), _name(d.get("old")), _name(d.get("new")))
        if d.get("auto"):
            from automation.assignment.history import auto_assignment_text

            text = format_html("{} ({})", text, auto_assignment_text(d["auto"]))
        return text
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
    if kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACHED, EventKind.SLA_ESCALATED):
        from sla.models import TargetKind

        target = TargetKind(d["target"]).label if d.get("target") in TargetKind.values else d.get("target", "")
        what = {
            EventKind.SLA_WARNING.value: _("SLA at risk"),
            EventKind.SLA_BREACHED.value: _("SLA deadline missed"),
            EventKind.SLA_ESCALATED.value: _("SLA escalation"),
        }[str(kind)]
        return format_html("{}: {}", what, target)
    if kind in (EventKind.WORK_ADDED, EventKind.WORK_REMOVED):
        what = _("recorded work") if kind == EventKind.WORK_ADDED else _("removed work")
        detail = d.get("name", "")
        if d.get("hours") not in (None, "0", "0.00"):
            detail += " · " + _("%(h)s h") % {"h": d["hours"]}
        if d.get("billable"):
            detail += " · " + _("billed %(total)s ₽") % {"total": d.get("total", "0")}
        return format_html("{}: {}", what, detail)
    if kind in (EventKind.RULE_FIRED, EventKind.RULES_CUT_OFF):
        from automation.rules.history import event_text as rule_event_text

        return rule_event_text(str(kind), d)
    if kind == EventKind.NOTICE_SENT:
        from notifications.choices import NoticeKind

        notice = NoticeKind(d["notice"]).label if d.get("notice") in NoticeKind.values else d.get("notice", "")
        channel = Channel(d["channel"]).label if d.get("channel") in Channel.values else d.get("channel", "")
        return format_html("{} «{}» ({}, {})", _("notified the client"), notice, channel, d.get("recipient", ""))
    if kind == EventKind.DELIVERY_FAILED:
        channel = Channel(d["channel"]).label if d.get("channel") in Channel.values else d.get("channel", "")
        return format_html(
            "{} ({}, {}): {}",
            _("the reply did not reach the client"),
            channel,
            d.get("recipient", ""),
            d.get("error", ""),
        )
    return format_html("{}", kind)


def _span(seconds: float) -> str:
    """Remaining time as "2 d 3 h", "1 h 20 m", "15 m" (negative with a minus sign)."""
    sign = "−" if seconds < 0 else ""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        text = _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    elif hours:
        text = _("%(h)s h %(m)s m") % {"h": hours, "m": mins}
    else:
        text = _("%(m)s m") % {"m": mins}
    return sign + text


SLA_TARGETS = (
    ("sla_first_response_due", "sla_first_response_state", gettext_lazy("First response")),
    ("sla_next_response_due", "sla_next_response_state", gettext_lazy("Next response")),
    ("sla_resolution_due", "sla_resolution_state", gettext_lazy("Resolution")),
)
AT_RISK_SHARE = 0.2  # the last fifth of a target's span is shown as "at risk"


def sla_badge_html(ticket: Ticket | TicketRow, now: datetime | None = None) -> SafeString:
    """The ticket's nearest SLA deadline as a coloured countdown (static/js/otklik.js keeps it
    ticking): green, amber in the last fifth, red when missed; grey when paused or all met."""
    if not ticket.sla_policy_id:
        return mark_safe("")
    now = now or timezone.now()
    if ticket.sla_due is not None:
        due = ticket.sla_due
        label = next((label for field, _s, label in SLA_TARGETS if getattr(ticket, field) == due), "")
        span = max((due - ticket.received_at).total_seconds(), 60)
        risk = due.timestamp() - span * AT_RISK_SHARE
        remaining = (due - now).total_seconds()
        css = "sla-breached" if remaining < 0 else ("sla-risk" if now.timestamp() >= risk else "sla-ok")
        title = f"{label}: {minute_format(timezone.localtime(due), get_format('SHORT_DATETIME_FORMAT'))}"
        return format_html(
            '<span class="sla {}" data-due="{}" data-risk="{}" title="{}">{}</span>',
            css,
            int(due.timestamp()),
            int(risk),
            title,
            _span(remaining),
        )
    states = {getattr(ticket, state) for _due, state, _label in SLA_TARGETS} - {""}
    if "paused" in states:
        return format_html('<span class="sla sla-paused">{}</span>', _("SLA paused"))
    if ticket.sla_breached or "breached" in states:
        return format_html('<span class="sla sla-breached">{}</span>', _("SLA missed"))
    if states == {"met"}:
        return format_html('<span class="sla sla-met">{}</span>', _("SLA met"))
    return mark_safe("")


@register.simple_tag
def sla_badge(ticket: Ticket) -> SafeString:
    return sla_badge_html(ticket)


QUEUE_ROW = (
    '<tr data-ticket="{number}" class="{flash}">'
    '<td class="col-check"><input type="checkbox" name="ticket_ids" value="{pk}" aria-label="#{number}"></td>'
    '<td><a class="ticket-title" href="{url}"><span class="ticket-number">#{number}</span> {title}</a>'
    '<div class="small muted">{meta}{tags}</div></td>'
    '<td class="col-inline"><span class="badge" style="background:{status_colour}">{status}</span></td>'
    '<td class="nowrap col-inline"><span class="dot" style="background:{priority_colour}"></span>{priority}</td>'
    '<td class="nowrap col-inline">{sla}</td>'
    '<td class="hide-phone">{company}</td>'
    '<td class="hide-phone">{team}</td>'
    '<td class="col-inline">{assignee}</td>'
    '<td class="hide-phone nowrap small" title="{updated_full}">{updated}</td>'
    "</tr>"
)


@lru_cache(maxsize=8)
def _ticket_url_pattern(script_prefix: str) -> str:
    return reverse("tickets:detail", kwargs={"number": 987654321}).replace("987654321", "{}")


def ticket_url(number: int) -> str:
    """`reverse("tickets:detail", number)` for list rows: resolved once per process, then formatted
    (a reverse() per row costs more than the rest of the row)."""
    return _ticket_url_pattern(get_script_prefix()).format(int(number))


SEARCH_ROW = (
    '<div class="result"><a class="ticket-title" href="{url}"><span class="ticket-number">#{number}</span> {title}</a> '
    '<span class="badge" style="background:{status_colour}">{status}</span>'
    '<div class="snippet">{who} — {description}</div></div>'
)


@register.simple_tag
def search_rows(tickets: list[Ticket]) -> SafeString:
    """The search page's ticket results, built in Python like the queue's rows."""
    rows = []
    for t in tickets:
        description = t.description or ""
        rows.append(
            format_html(
                SEARCH_ROW,
                url=ticket_url(t.number),
                number=t.number,
                title=t.title,
                status_colour=t.status.colour,
                status=t.status.name,
                who=" · ".join(
                    [
                        *(
                            name
                            for name in (t.company.name if t.company else "", t.contact.full_name if t.contact else "")
                            if name
                        ),
                        timezone.localtime(t.updated_at).strftime("%d.%m.%Y"),
                    ]
                ),
                description=description if len(description) <= 160 else description[:159].rstrip() + "…",
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - every part went through format_html


@register.simple_tag
def queue_rows(tickets: list[TicketRow], flash_after: datetime | None = None) -> SafeString:
    """The queue's <tr>s, built in Python: through the template engine fifty rows cost more CPU
    than everything else on the page together (bench/README.md). Every text is escaped here with
    html.escape — what format_html would do, at a fraction of its cost per call (fifty rows of
    sixteen values); the SLA badge and the "unassigned" mark are already-safe HTML."""
    unassigned = format_html('<span class="muted">{}</span>', _("unassigned"))
    now = timezone.now()
    # Per page, not per row: the channel names in the current language, the long date format.
    channels = {value: str(label) for value, label in Channel.choices}
    long_format = get_format("DATETIME_FORMAT")
    rows = []
    for t in tickets:
        meta = " · ".join(
            part for part in (t.contact.full_name if t.contact else "", t.site.name if t.site else "") if part
        )
        channel = channels.get(t.channel, t.channel)
        meta = f"{meta} · {channel}" if meta else channel
        updated = timezone.localtime(t.updated_at)
        rows.append(
            QUEUE_ROW.format(
                number=t.number,
                pk=t.pk,
                flash="flash" if flash_after and t.updated_at > flash_after else "",
                url=_esc(ticket_url(t.number)),
                title=_esc(t.title),
                meta=_esc(meta),
                tags="".join(f' <span class="tag">{_esc(tag)}</span>' for tag in t.tag_names),  # type: ignore[attr-defined]
                status_colour=_esc(t.status.colour),
                status=_esc(t.status.name),
                priority_colour=_esc(t.priority.colour),
                priority=_esc(t.priority.name),
                sla=sla_badge_html(t, now),
                company=_esc(t.company.name) if t.company else "—",
                team=_esc(t.team.name) if t.team else "—",
                assignee=_esc(t.assignee.full_name) if t.assignee else unassigned,
                updated_full=_esc(minute_format(updated, long_format)),
                updated=updated.strftime("%d.%m %H:%M"),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - every text escaped by _esc, the rest is safe HTML


# Format characters whose output depends on more than a local date, hour and minute (seconds,
# microseconds, the zone, the offset, a timestamp): a format using one is not memoised.
_FINER_THAN_MINUTES = frozenset("suveIOTZUcr")


def minute_format(moment: datetime, fmt: str) -> str:
    """`dateformat.format(moment, fmt)` for a datetime already in local time, remembered by the
    minute: Django's formatter costs ~18 µs a call, and a queue page formats every row's times
    on every load and every live refresh. The text depends only on the language, the format and
    the local date and time to the minute when the format shows nothing finer."""
    if _FINER_THAN_MINUTES.intersection(fmt):
        return dateformat.format(moment, fmt)
    key = (fmt, get_language() or "", moment.replace(second=0, microsecond=0, tzinfo=None))
    text = _minute_texts.get(key)
    if text is None:
        if len(_minute_texts) >= MINUTE_TEXTS_KEPT:
            _minute_texts.clear()
        text = _minute_texts[key] = dateformat.format(moment, fmt)
    return text


MINUTE_TEXTS_KEPT = 8192
_minute_texts: dict[tuple[str, str, datetime], str] = {}


def _esc(value: object) -> str:
    # django.utils.html.escape without its SafeString wrapper (the same characters replaced).
    return html.escape(str(value))
