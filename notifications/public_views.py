"""The request page a client notice links to (docs/architecture/notices.md, "The link"): the
request's number, subject and status; for a resolved request, "all is well, close it" or
"reopen" with a comment. The signed token in the address is the only key."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import form_add_service_errors
from notifications.notices import notice_language, ticket_from_link_token
from notifications.services import notice_resolution_confirm, notice_resolution_reopen
from tickets.choices import StatusCategory


class ReopenForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("What is still wrong?"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000
    )


def notice_ticket(request: HttpRequest, token: str) -> HttpResponse:
    ticket = ticket_from_link_token(token)
    if ticket is None:
        raise Http404
    translation.activate(notice_language(ticket))
    form = ReopenForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "confirm":
            if notice_resolution_confirm(ticket=ticket):
                messages.success(request, _("Thank you! The request is closed."))
            return redirect("notices:ticket", token=token)
        if action == "reopen":
            form = ReopenForm(request.POST)
            if form.is_valid():
                try:
                    notice_resolution_reopen(ticket=ticket, comment=form.cleaned_data["comment"])
                except ValidationError as exc:
                    form_add_service_errors(form, exc)
                else:
                    messages.success(request, _("The request is open again. We will answer soon."))
                    return redirect("notices:ticket", token=token)
    return render(
        request,
        "notifications/notice_ticket.html",
        {
            "ticket": ticket,
            "form": form,
            "resolved": ticket.status_category == StatusCategory.RESOLVED,
            "closed": ticket.status_category == StatusCategory.CLOSED,
        },
        status=400 if form.errors else 200,
    )
