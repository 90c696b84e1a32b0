"""Parts of the ticket page written out in Python: through the template engine each history
entry or form field costs a dozen node renders and two `date` filters (bench/README.md, session
17). The markup is what the templates they replace gave (tickets/tests/test_ticket_page_markup.py)."""

import html

from django import template
from django.forms import BaseForm
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core.templatetags.fast_forms import fast_select
from tickets.models import TicketEvent
from tickets.templatetags.tickets_extras import event_text

register = template.Library()

HISTORY_ITEM = (
    '\n  <li><time datetime="{iso}">{shown}</time>\n    <strong>{who}</strong>:\n    {text}</li>\n'
)  # fmt: skip


@register.simple_tag
def history_items(events: list[TicketEvent]) -> SafeString:
    """The <li>s of the ticket's history: when (in the viewer's time zone), who, what."""
    if not events:
        return mark_safe(f'<li class="muted">{html.escape(_("No changes yet."))}</li>\n')  # noqa: S308 - escaped
    system = html.escape(_("System"))
    items = []
    for e in events:
        at = timezone.localtime(e.created_at)
        if e.actor_id and e.actor is not None:
            who = html.escape(e.actor.full_name)
        elif e.actor_contact_id and e.actor_contact is not None:
            who = html.escape(e.actor_contact.full_name)
        else:
            who = system
        items.append(
            HISTORY_ITEM.format(
                iso=at.isoformat(), shown=at.strftime("%d.%m.%Y %H:%M"), who=who, text=conditional_escape(event_text(e))
            )
        )
    return mark_safe("".join(items))  # noqa: S308 - every text escaped above, event_text is safe HTML


@register.simple_tag
def properties_fields(form: BaseForm, staff: list) -> SafeString:
    """The properties form's fields, each a <div class="field"> with its label, control and help:
    the assignee and observer lists from the snapshot's `staff`, the other lists by fast_select,
    the inputs by their widgets."""
    parts = []
    for field in form:
        widget_type = getattr(field.field.widget, "input_type", "")
        if field.name in ("assignee", "observers"):
            control = fast_select(field, objects=staff)
        elif widget_type == "select":
            control = fast_select(field)
        else:
            control = conditional_escape(str(field))  # a widget renders safe HTML
        help_text = f'<div class="help">{conditional_escape(field.help_text)}</div>' if field.help_text else ""
        parts.append(
            f'\n    <div class="field"><label for="{conditional_escape(field.id_for_label)}">'
            f"{conditional_escape(capfirst(field.label))}</label>{control}{help_text}</div>\n  "
        )
    return mark_safe("".join(parts))  # noqa: S308 - every text escaped above, the controls are safe HTML
