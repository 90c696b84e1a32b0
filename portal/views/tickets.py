"""The contact's tickets: the list, a new request, one ticket's public conversation."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from assets.selectors import equipment_list_for_user
from core.forms import form_add_service_errors
from portal.choices import TICKETS_PER_PAGE, TicketState
from portal.decorators import ClientRequest, client_required
from portal.forms import ReplyForm, TicketCreateForm, uploaded_files
from portal.selectors import service_category_list_for_client, site_list_for_client, ticket_list_for_client
from tickets.choices import Channel, StatusCategory
from tickets.models import Ticket
from tickets.selectors import article_list_for_user, ticket_get_for_user
from tickets.services import article_create, ticket_create


@client_required
def ticket_list(request: ClientRequest) -> HttpResponse:
    state = request.GET.get("state", TicketState.ALL)
    if state not in TicketState.values:
        state = TicketState.ALL
    tickets = ticket_list_for_client(user=request.user, state=state)
    page = Paginator(tickets, TICKETS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/ticket_list.html",
        {"page": page, "state": state, "states": TicketState.choices, "nav": "tickets"},
    )


@client_required
def ticket_create_view(request: ClientRequest) -> HttpResponse:
    user = request.user
    # From a scanned label (portal/views/qr.py): the unit, when it is one of the company's.
    raw_unit = request.POST.get("equipment") or request.GET.get("equipment") or ""
    unit = equipment_list_for_user(user=user).filter(pk=int(raw_unit)).first() if raw_unit.isdecimal() else None
    form = TicketCreateForm(
        request.POST or None,
        request.FILES or None,
        categories=service_category_list_for_client(user=user),
        sites=site_list_for_client(user=user),
        initial={"site": unit.site_id} if unit else None,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = ticket_create(
                    actor=user,
                    contact=user.contact,
                    channel=Channel.QR if unit else Channel.PORTAL,
                    title=data["title"],
                    description=data["description"],
                    category=data.get("category"),
                    site=data.get("site") or (unit.site if unit else None),
                    equipment=unit,
                    attachments=uploaded_files(data["attachments"]),
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Request #%(number)s is registered.") % {"number": ticket.number})
                return redirect("portal:ticket_detail", number=ticket.number)
        status = 400
    return render(request, "portal/ticket_create.html", {"form": form, "unit": unit, "nav": "create"}, status=status)


def _can_reply(ticket: Ticket) -> bool:
    # A closed request stays closed: the contact opens a new one instead of writing into the void.
    return ticket.status_category != StatusCategory.CLOSED and ticket.merged_into_id is None


@client_required
def ticket_detail(request: ClientRequest, number: int) -> HttpResponse:
    """The public conversation (never internal notes) and, on POST, the contact's reply."""
    user = request.user
    ticket = ticket_get_for_user(user=user, number=number)  # Http404 for anything not theirs
    can_reply = _can_reply(ticket)
    form = ReplyForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if not can_reply:
            messages.error(request, _("This request is closed. Create a new request if you still need help."))
            return redirect("portal:ticket_detail", number=ticket.number)
        if form.is_valid():
            try:
                article = article_create(
                    ticket=ticket,
                    author=user,
                    body=form.cleaned_data["body"],
                    attachments=uploaded_files(form.cleaned_data["attachments"]),
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Your reply is sent."))
                url = reverse("portal:ticket_detail", kwargs={"number": ticket.number})
                return redirect(f"{url}#article-{article.pk}")
        status = 400
    articles = article_list_for_user(user=user, ticket=ticket)
    return render(
        request,
        "portal/ticket_detail.html",
        {"ticket": ticket, "articles": articles, "form": form, "can_reply": can_reply, "nav": "tickets"},
        status=status,
    )
