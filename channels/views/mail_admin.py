"""Administrators' pages of the email channel: mailboxes, failed inbound mail, .eml upload.
See docs/architecture/email.md, "Failed inbound and mailboxes"."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from channels.forms import EmlUploadForm, MailboxForm
from channels.selectors import (
    inbound_failed_list_for_user,
    inbound_get_for_user,
    mailbox_get_for_user,
    mailbox_list_for_user,
)
from channels.services import inbound_upload
from core.http import AuthedHttpRequest
from intake.failures import failure_summary
from intake.services import inbound_dismiss, inbound_reprocess
from tickets.views.admin_views import REFERENCE_KINDS
from tickets.views.common import admin_required

FAILED_LIST_LIMIT = 200


def _page(request: AuthedHttpRequest, template: str, section: str, **context: object) -> HttpResponse:
    return render(request, template, {"kinds": REFERENCE_KINDS, "nav": "settings", "section": section, **context})


@admin_required
def mailbox_list(request: AuthedHttpRequest) -> HttpResponse:
    return _page(
        request, "channels/mailbox_list.html", "mailboxes", mailboxes=list(mailbox_list_for_user(user=request.user))
    )


@admin_required
def mailbox_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    mailbox = mailbox_get_for_user(user=request.user, mailbox_id=pk) if pk else None
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, _("Saved."))
        return redirect("channels:mailbox_list")
    return _page(request, "channels/mailbox_edit.html", "mailboxes", form=form, mailbox=mailbox)


@admin_required
def inbound_failed_list(request: AuthedHttpRequest) -> HttpResponse:
    dismissed = request.GET.get("show") == "dismissed"
    rows = inbound_failed_list_for_user(user=request.user, dismissed=dismissed)
    shown = list(rows[:FAILED_LIST_LIMIT])
    for row in shown:
        row.summary = failure_summary(row.error)  # type: ignore[attr-defined]
    return _page(
        request,
        "channels/inbound_failed_list.html",
        "failed",
        dismissed=dismissed,
        rows=shown,
        total=rows.count(),
        limit=FAILED_LIST_LIMIT,
        upload_form=EmlUploadForm(),
    )


@admin_required
def inbound_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    row = inbound_get_for_user(user=request.user, inbound_id=pk)
    return _page(request, "channels/inbound_detail.html", "failed", row=row, summary=failure_summary(row.error))


@admin_required
def inbound_download(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The raw message as received, always as a download: it is whatever a stranger sent. Mail as
    .eml; the webhook channels (Telegram, WhatsApp, web form, telephony) stored JSON."""
    row = inbound_get_for_user(user=request.user, inbound_id=pk)
    is_mail = row.channel == "email"
    response = HttpResponse(bytes(row.raw), content_type="message/rfc822" if is_mail else "application/json")
    response["Content-Disposition"] = f'attachment; filename="inbound-{row.pk}.{"eml" if is_mail else "json"}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@admin_required
@require_POST
def inbound_process_again(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    row = inbound_reprocess(inbound=inbound_get_for_user(user=request.user, inbound_id=pk))
    messages.success(request, _("The message is queued to be processed again."))
    return redirect("channels:inbound_detail", pk=row.pk)


@admin_required
@require_POST
def inbound_set_aside(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    inbound_dismiss(inbound=inbound_get_for_user(user=request.user, inbound_id=pk))
    messages.success(request, _("Set aside: the message is off the list, kept, and can still be processed again."))
    return redirect("channels:inbound_failed_list")


@admin_required
@require_POST
def inbound_upload_view(request: AuthedHttpRequest) -> HttpResponse:
    form = EmlUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("channels:inbound_failed_list")
    row, created = inbound_upload(raw=form.cleaned_data["file"].read(), mailbox=form.cleaned_data["mailbox"])
    if created:
        messages.success(request, _("The message is stored and queued for processing."))
    else:
        messages.info(request, _("This message was stored before; it is not stored twice."))
    return redirect("channels:inbound_detail", pk=row.pk)
