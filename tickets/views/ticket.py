"""Ticket page, phone intake, replies, property changes, links, merge, attachment download."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.choices import Role
from assets.models import Equipment
from assets.selectors import equipment_get_for_user
from channels.email.display import articles_prepare_for_display
from contracts.coverage import coverage_for
from contracts.selectors import work_lines_for_ticket
from core.http import AuthedHttpRequest, parse_id
from customers.models import Contact
from customers.selectors import (
    contact_get_for_user,
    contact_search_for_user,
    site_list_for_user,
)
from notifications.selectors import article_goes_out
from tickets import services
from tickets.choices import ArticleKind
from tickets.forms import (
    LinkForm,
    MergeForm,
    ReplyForm,
    TicketCreateForm,
    TicketPropertiesForm,
    equipment_choice_rows,
)
from tickets.models import Attachment, Ticket
from tickets.reference import reference
from tickets.selectors import (
    TicketPageRelations,
    article_thread_for_user,
    colleagues_present,
    event_list_for_ticket,
    intake_panel_for_user,
    linked_tickets_for_user,
    ticket_get_for_page,
    ticket_get_for_user,
    ticket_list_for_user,
    ticket_live_state,
    ticket_page_relations,
    ticket_visibility_q,
)
from tickets.views.common import agent_required, dispatcher_required, uploads


def _properties_form(ticket, relations: TicketPageRelations, contractor: bool = False) -> TicketPropertiesForm:  # type: ignore[no-untyped-def]
    delayed = timezone.localtime(ticket.delayed_until) if ticket.delayed_until else None
    with_units = bool(ticket.company_id) and not contractor
    parts = getattr(ticket, "page_parts", None)  # read with the ticket for its page
    rows = None
    if with_units:
        # Without active units of the company nor a unit of its own, the list is empty: no read.
        rows = equipment_choice_rows(ticket) if parts is None or parts.units or ticket.equipment_id else []
    return TicketPropertiesForm(
        ticket=ticket,
        contractor=contractor,
        equipment_rows=rows,
        initial={
            "equipment": ticket.equipment_id,
            "status": ticket.status,
            "delayed_until": delayed,
            "priority": ticket.priority,
            "type": ticket.type,
            "category": ticket.category,
            "team": ticket.team,
            "assignee": ticket.assignee,
            # Names and ids are all the form shows of the tags and the observers.
            "tags": ", ".join(relations.tag_names),
            "observers": relations.observer_ids,
        },
    )


def _ticket_context(request: AuthedHttpRequest, ticket) -> dict:  # type: ignore[no-untyped-def]
    user = request.user
    customer_base = user.role != Role.CONTRACTOR
    parts = getattr(ticket, "page_parts", None)  # which side-panel reads find anything (page read)
    events = event_list_for_ticket(user=user, ticket=ticket)
    relations = ticket_page_relations(ticket, viewer=user)
    related_ids = relations.related_ids
    # The related tickets, the children, the parent and the ticket this one was merged into, in one
    # read of what the links card shows of them (those the viewer may see; none for most tickets).
    named = related_ids | relations.child_ids | {ticket.parent_id, ticket.merged_into_id} - {None}
    linked = linked_tickets_for_user(user=user, ids=named)
    by_pk = {t.pk: t for t in linked}
    articles = article_thread_for_user(user=user, ticket=ticket)
    # Email bodies: inline images in place, remote ones held back until asked for (?images=<id>).
    images = request.GET.get("images", "")
    articles_prepare_for_display(articles, show_images_of={int(images)} if images.isdecimal() else set())
    return {
        "ticket": ticket,
        "articles": articles,
        "events": events,
        "event_cursor": events[-1].pk if events else 0,
        "properties_form": _properties_form(ticket, relations, contractor=not customer_base),
        # The reply box's statuses and the link actions (the forms themselves are not rendered).
        "reply_statuses": reference().settable_statuses,
        "link_actions": LinkForm.base_fields["action"].choices,  # type: ignore[attr-defined]
        "related": [t for t in linked if t.pk in related_ids],
        "children": [t for t in linked if t.pk in relations.child_ids],
        "parent": by_pk.get(ticket.parent_id) if ticket.parent_id else None,
        "merged_into": by_pk.get(ticket.merged_into_id) if ticket.merged_into_id else None,
        "present": relations.present,
        "incident_ids": relations.incident_ids,
        # Contracts, debts and prices are for staff who work with the customer base, not contractors.
        "coverage": coverage_for(
            company=ticket.company,
            site=ticket.site,
            equipment=ticket.equipment,
            category=ticket.category,
            # The ticket read looked for the ticket's company's contracts; without a company the
            # coverage goes by the unit's company, so it reads them itself.
            contracts=None if parts is None or parts.contracts or not ticket.company_id else [],
        )
        if customer_base
        else None,
        "works": work_lines_for_ticket(ticket) if parts is None or parts.works else [],
        # The "Record work" form's fields come when it is opened (contracts.views.work_form).
        "records_work": customer_base,
        "nav": "queue",
        # One fetch of the staff for both the assignee and the observers lists.
        "staff": reference().staff,
    }


@agent_required
def ticket_detail(request: AuthedHttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get_for_page(user=request.user, number=number)
    services.presence_touch(ticket=ticket, user=request.user, is_replying=False)
    return render(request, "tickets/detail.html", _ticket_context(request, ticket))


@agent_required
def ticket_live(request: AuthedHttpRequest, number: int) -> HttpResponse:
    """Polled every 2 s by the ticket page: refreshes presence, and when the ticket has new
    events re-renders conversation, properties and history (out-of-band swaps) — the reply
    box is outside those regions, so text being typed is never lost."""
    # The ticket's id and newest event in one read; the whole page is read only when it changed.
    ticket, latest = ticket_live_state(user=request.user, number=number)
    services.presence_touch(ticket=ticket, user=request.user, is_replying=request.GET.get("replying") == "1")
    since_param = request.GET.get("since", "")
    since = int(since_param) if since_param.isdecimal() else 0
    if latest > since:
        context = _ticket_context(request, ticket_get_for_page(user=request.user, number=number))
        context["refresh"] = True
    else:
        context = {
            "ticket": ticket,
            "event_cursor": since,
            "present": colleagues_present(ticket=ticket, viewer=request.user),
        }
    return render(request, "tickets/_live.html", context)


@agent_required
@require_POST
def ticket_reply(request: AuthedHttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get_for_user(user=request.user, number=number)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("The reply could not be sent: %(e)s") % {"e": form.errors.as_text()})
        return redirect("tickets:detail", number=number)
    try:
        article = services.ticket_reply(
            ticket=ticket,
            author=request.user,
            body=form.cleaned_data["body"],
            kind=form.cleaned_data["kind"],
            attachments=uploads(form.cleaned_data["attachments"]),
            status=form.cleaned_data.get("status"),
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("tickets:detail", number=number)
    kind = form.cleaned_data["kind"]
    if kind == ArticleKind.NOTE:
        messages.success(request, _("Internal note added."))
    elif not article_goes_out(article_id=article.pk):
        # No channel reaches the client (a missed call from an unknown number, a web request
        # with a phone only): "sent" would be untrue.
        messages.warning(
            request,
            _(
                "The reply is saved, but no message went out: Otklik has no way to write to this client "
                "(no email address, Telegram chat or WhatsApp). They see it on their request's page if they "
                "have one; otherwise call them."
            ),
        )
    else:
        messages.success(request, _("Reply sent."))
    return redirect("tickets:detail", number=number)


@agent_required
@require_POST
def ticket_update_view(request: AuthedHttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get_for_user(user=request.user, number=number)
    form = TicketPropertiesForm(request.POST, ticket=ticket, contractor=request.user.role == Role.CONTRACTOR)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("tickets:detail", number=number)
    data = form.cleaned_data
    try:
        services.ticket_apply_properties(
            ticket=ticket,
            actor=request.user,
            status=data["status"],
            delayed_until=data.get("delayed_until"),
            priority=data["priority"],
            type=data["type"],
            category=data["category"],
            team=data["team"],
            assignee=data["assignee"],
            tags=data["tags"],
            observers=list(data["observers"]),
            **({"equipment": data["equipment"]} if "equipment" in data else {}),
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("tickets:detail", number=number)
    messages.success(request, _("Ticket updated."))
    return redirect("tickets:detail", number=number)


@agent_required
@require_POST
def ticket_links_view(request: AuthedHttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get_for_user(user=request.user, number=number)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("tickets:detail", number=number)
    action = form.cleaned_data["action"]
    other = None
    if action != "detach":
        if not form.cleaned_data.get("number"):
            messages.error(request, _("Enter a ticket number."))
            return redirect("tickets:detail", number=number)
        try:
            other = ticket_get_for_user(user=request.user, number=form.cleaned_data["number"])
        except Http404:
            messages.error(request, _("Ticket #%(n)s was not found.") % {"n": form.cleaned_data["number"]})
            return redirect("tickets:detail", number=number)
    try:
        if action == "related" and other:
            services.ticket_link(ticket=ticket, actor=request.user, other=other)
        elif action == "unlink" and other:
            services.ticket_unlink(ticket=ticket, actor=request.user, other=other)
        elif action == "parent" and other:
            services.ticket_set_parent(ticket=ticket, actor=request.user, parent=other)
        elif action == "child" and other:
            services.ticket_set_parent(ticket=other, actor=request.user, parent=ticket)
        elif action == "detach":
            services.ticket_set_parent(ticket=ticket, actor=request.user, parent=None)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("tickets:detail", number=number)
    messages.success(request, _("Links updated."))
    return redirect("tickets:detail", number=number)


@agent_required
@require_POST
def ticket_merge_view(request: AuthedHttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get_for_user(user=request.user, number=number)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the target ticket number and confirm."))
        return redirect("tickets:detail", number=number)
    try:
        target = ticket_get_for_user(user=request.user, number=form.cleaned_data["number"])
        services.ticket_merge(source=ticket, target=target, actor=request.user)
    except Http404:
        messages.error(request, _("Ticket #%(n)s was not found.") % {"n": form.cleaned_data["number"]})
        return redirect("tickets:detail", number=number)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("tickets:detail", number=number)
    messages.success(request, _("Ticket #%(a)s merged into #%(b)s.") % {"a": ticket.number, "b": target.number})
    return redirect("tickets:detail", number=target.number)


@dispatcher_required
def ticket_create_view(request: AuthedHttpRequest) -> HttpResponse:
    form = TicketCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            caller: Contact | services.NewCaller | None = None
            if data.get("contact_id"):
                caller = contact_get_for_user(user=request.user, contact_id=data["contact_id"])
            elif data.get("new_contact_name"):
                caller = services.NewCaller(
                    full_name=data["new_contact_name"],
                    phone=data.get("new_contact_phone") or "",
                    email=data.get("new_contact_email") or "",
                    company=data.get("new_contact_company"),
                )
            site = data.get("site")
            if site is not None:
                site = site_list_for_user(user=request.user).filter(pk=site.pk).first()
            ticket = services.ticket_create_for_caller(
                actor=request.user,
                caller=caller,
                title=data["title"],
                description=data["description"],
                channel=data["channel"],
                priority=data.get("priority"),
                type=data.get("type"),
                category=data.get("category"),
                site=site,
                equipment=_visible_unit(request, data.get("equipment")),
                team=data.get("team"),
                assignee=data.get("assignee"),
                attachments=uploads(data["attachments"]),
            )
        except ValidationError as exc:
            for field, errors in (
                exc.message_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.messages)]
            ):
                target = field if field in form.fields else None
                if target is not None and form.fields[target].widget.is_hidden:
                    target = None  # an error under a hidden input would never be seen
                if field in ("full_name", "phones", "emails"):
                    target = {
                        "full_name": "new_contact_name",
                        "phones": "new_contact_phone",
                        "emails": "new_contact_email",
                    }[field]
                for error in errors:
                    form.add_error(target, error)
        except Http404:
            form.add_error(None, _("The chosen contact was not found."))
        else:
            messages.success(request, _("Ticket #%(n)s created.") % {"n": ticket.number})
            return redirect("tickets:detail", number=ticket.number)
    # The form came back with errors: keep the caller chosen before (whatever else was wrong),
    # or the next submit would open the ticket without them.
    contact = None
    if form.is_bound and form.cleaned_data.get("contact_id"):
        try:
            contact = contact_get_for_user(user=request.user, contact_id=form.cleaned_data["contact_id"])
        except Http404:
            contact = None
    if not form.is_bound:
        # The caller's card of an incoming call links here (channels/telephony): ?contact=<id> or ?phone=.
        wanted = request.GET.get("contact") or ""
        if wanted.isdecimal() and len(wanted) < 19:
            try:
                contact = contact_get_for_user(user=request.user, contact_id=int(wanted))
                form.initial["contact_id"] = contact.pk
            except Http404:
                contact = None
        if contact is None and request.GET.get("phone"):
            form.initial["new_contact_phone"] = request.GET["phone"][:50]
    preselect = request.GET.get("equipment") or ""
    context = {
        "form": form,
        "contact": contact,
        "preselect": preselect if preselect.isdecimal() else "",
        "nav": "create",
    }
    return render(request, "tickets/create.html", context)


def _visible_unit(request: AuthedHttpRequest, unit: Equipment | None) -> Equipment | None:
    if unit is None:
        return None
    return equipment_get_for_user(user=request.user, equipment_id=unit.pk)


def _int_param(request: AuthedHttpRequest, name: str) -> int | None:
    return parse_id(request.GET.get(name) or "")


@dispatcher_required
def intake_object(request: AuthedHttpRequest) -> HttpResponse:
    """Phone intake's "where and what" panel: the caller's company's sites and units (the unit
    list follows the chosen site), and whether the request is covered by a contract. Re-rendered
    as the dispatcher picks the caller, the site, the unit or the service."""
    unit_param = "equipment" if "equipment" in request.GET else "preselect"
    panel = intake_panel_for_user(
        user=request.user,
        contact_id=_int_param(request, "contact_id"),
        new_contact_company_id=_int_param(request, "new_contact_company"),
        site_id=_int_param(request, "site"),
        unit_id=_int_param(request, unit_param),
        category_id=_int_param(request, "category"),
    )
    return render(request, "tickets/_intake_object.html", vars(panel))


@dispatcher_required
def contact_lookup(request: AuthedHttpRequest) -> HttpResponse:
    """As-you-type contact search for phone intake (name, phone or email fragment); with
    `select=<id>` returns the chosen contact's card with its company's sites."""
    if request.GET.get("select"):
        select = request.GET["select"]
        if not select.isdecimal():
            raise Http404
        contact = contact_get_for_user(user=request.user, contact_id=int(select))
        open_tickets = (
            ticket_list_for_user(user=request.user)
            .filter(contact=contact)
            .exclude(status_category__in=["resolved", "closed"])[:5]
        )
        return render(
            request,
            "tickets/_contact_selected.html",
            {"contact": contact, "open_tickets": open_tickets},
        )
    contacts = contact_search_for_user(user=request.user, query=request.GET.get("q", ""))
    return render(
        request, "tickets/_contact_suggestions.html", {"contacts": contacts, "query": request.GET.get("q", "")}
    )


def attachment_download(request: AuthedHttpRequest, pk: int) -> FileResponse:
    """Serve an attachment to someone who may see its ticket (and, for clients, its article):
    always as a download, with nosniff, never from a public URL."""
    if not request.user.is_authenticated:
        raise Http404
    attachment = (
        Attachment.objects.select_related("article", "ticket")
        .filter(ticket__in=Ticket.objects.filter(ticket_visibility_q(request.user)).values("pk"))
        .filter(pk=pk)
        .first()
    )
    if attachment is None or (not request.user.is_agent_side and attachment.article.kind != ArticleKind.PUBLIC):
        raise Http404
    inline = request.GET.get("inline") == "1" and attachment.is_image
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=not inline, filename=attachment.filename, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
