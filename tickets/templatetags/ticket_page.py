"""Parts of the ticket page written out in Python: through the template engine each history
entry or form field costs a dozen node renders and two `date` filters (bench/README.md, session
17). The markup is what the templates they replace gave (tickets/tests/test_ticket_page_markup.py)."""

import html
from typing import Any

from django import template
from django.forms import BaseForm
from django.utils import timezone
from django.utils.html import conditional_escape, urlize
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core.templatetags.fast_forms import fast_select
from tickets.choices import ArticleKind, AuthorKind, Channel
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


ARTICLE = (
    '\n<article class="article {css}" id="article-{pk}">\n  <div class="article-head">\n'
    "    <span><strong>{name}</strong>\n      {badge}\n      {stranger}\n"
    '      <span class="muted">· {channel}</span></span>\n'
    '    <time datetime="{iso}">{shown}</time>\n  </div>\n  {top}\n  {body}\n  {bottom}\n</article>\n'
)
# What _article_top.html and _article_bottom.html give for an article without those parts.
NO_TOP, NO_BOTTOM = "\n  \n  ", "\n  "


@register.simple_tag(takes_context=True)
def conversation_articles(context: template.Context, articles: list[Any]) -> SafeString:
    """The conversation's <article>s (as articles_prepare_for_display left them): the head and the
    body written here; the email headers, deliveries, image notice, quoted text and files — parts
    most articles lack — rendered by their templates only for the articles that have them."""
    engine = context.template.engine  # type: ignore[union-attr]
    top_template = engine.get_template("tickets/_article_top.html")
    bottom_template = engine.get_template("tickets/_article_bottom.html")
    note_badge = f'<span class="badge" style="background:#b45309">{html.escape(_("Internal note"))}</span>'
    client_badge = f'<span class="muted">{html.escape(_("client"))}</span>'
    stranger_badge = '<span class="badge badge-stranger" title="{}">{}</span>'.format(
        html.escape(
            _(
                "Neither the contact of this ticket, nor a colleague of theirs, nor anyone in this thread wrote "
                "it. The client was not notified."
            )
        ),
        html.escape(_("Unknown sender")),
    )
    automatic_badge = '<span class="badge badge-automatic" title="{}">{}</span>'.format(
        html.escape(
            _(
                "The sender's mail program wrote it (an out-of-office or another automatic answer); "
                "such mail does not reopen a ticket."
            )
        ),
        html.escape(_("Automatic reply")),
    )
    channels = {value: str(label) for value, label in Channel.choices}
    parts = []
    for a in articles:
        if a.kind == ArticleKind.NOTE:
            css, badge = "note", note_badge
        elif a.author_kind == AuthorKind.CONTACT:
            css, badge = "from-client", client_badge
        else:
            css, badge = "from-agent", ""
        at = timezone.localtime(a.created_at)
        if a.email_meta or a.deliveries or a.images_blocked:
            with context.push(a=a):
                top = top_template.render(context)
        else:
            top = NO_TOP
        if a.quoted or a.listed_attachments:
            with context.push(a=a):
                bottom = bottom_template.render(context)
        else:
            bottom = NO_BOTTOM
        if a.display_html:
            body = f'<div class="article-body email-html">{a.display_html}</div>'
        else:
            body = f'<div class="article-body">{linked_text(a.body)}</div>'
        parts.append(
            ARTICLE.format(
                css=css + (" from-stranger" if a.from_stranger else ""),
                pk=a.pk,
                name=html.escape(a.author_name),
                badge=badge,
                stranger=stranger_badge
                if a.from_stranger
                else (automatic_badge if a.email_meta and a.email_meta.get("automatic") else ""),
                channel=html.escape(channels.get(a.channel, a.channel)),
                iso=at.isoformat(),
                shown=at.strftime("%d.%m.%Y %H:%M"),
                top=top,
                body=body,
                bottom=bottom,
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 - texts escaped here, display HTML sanitised, the parts by templates


@register.simple_tag
def field_blocks(form: BaseForm) -> SafeString:
    """`{% for field in form %}{% include "includes_field.html" %}{% endfor %}`, written here (an
    ErrorList renders safe HTML)."""
    parts = []
    for field in form:
        errors = field.errors
        if getattr(field.field.widget, "input_type", "") == "select":
            control = fast_select(field)
        else:
            control = conditional_escape(str(field))  # a widget renders safe HTML
        help_text = f'<div class="help">{conditional_escape(field.help_text)}</div>' if field.help_text else ""
        label = conditional_escape(capfirst(field.label))
        parts.append(
            f'<div class="field{" has-error" if errors else ""}">\n'
            f'  <label for="{conditional_escape(field.id_for_label)}">{label}</label>\n'
            f"  {control}\n  {help_text}\n  {errors if errors else ''}\n</div>\n"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every text escaped above, the controls are safe HTML


_LINK_ATTRIBUTES = ' rel="noopener noreferrer nofollow" target="_blank"'


def linked_text(text: str) -> str:
    """Plain text as HTML, escaped, its web addresses as links opening a new tab (a call's
    recording, a Telegram location's map, a link a client pasted). What a client wrote: the links
    never pass the referrer or ask search engines to follow them."""
    if "http" not in text and "www." not in text:
        return html.escape(text)
    linked = urlize(text, nofollow=False, autoescape=True)
    return linked.replace('<a href="http', f'<a{_LINK_ATTRIBUTES} href="http')
