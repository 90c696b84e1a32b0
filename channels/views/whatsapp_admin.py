"""Administrators' pages of the WhatsApp channel: numbers list and edit, "test connection".
See docs/architecture/whatsapp.md, "Administration"."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from channels.forms import WhatsAppAccountForm
from channels.models import WhatsAppAccount
from channels.selectors import whatsapp_account_get_for_user, whatsapp_account_list_for_user
from channels.views.mail_admin import _page
from channels.whatsapp.api import WhatsAppApiError
from channels.whatsapp.services import whatsapp_account_test
from core.http import AuthedHttpRequest
from tickets.views.common import admin_required


@admin_required
def whatsapp_account_list(request: AuthedHttpRequest) -> HttpResponse:
    accounts = list(whatsapp_account_list_for_user(user=request.user))
    return _page(request, "channels/whatsapp_account_list.html", "whatsapp", accounts=accounts)


@admin_required
def whatsapp_account_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    account = whatsapp_account_get_for_user(user=request.user, account_id=pk) if pk else None
    form = WhatsAppAccountForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
        messages.success(request, _("Saved."))
        return redirect("channels:whatsapp_account_edit", pk=saved.pk)
    webhook_url = _webhook_url(request, account) if account else ""
    return _page(
        request,
        "channels/whatsapp_account_edit.html",
        "whatsapp",
        form=form,
        account=account,
        webhook_url=webhook_url,
    )


def _webhook_url(request: AuthedHttpRequest, account: WhatsAppAccount) -> str:
    """The callback URL for Meta's console: under OTKLIK_PUBLIC_URL when set (behind a proxy the
    request's own host may be an internal one), else this request's address."""
    path = reverse("channels:whatsapp_webhook", args=[account.pk])
    base = str(getattr(settings, "OTKLIK_PUBLIC_URL", "") or "").rstrip("/")
    return base + path if base.startswith(("https://", "http://")) else request.build_absolute_uri(path)


@admin_required
@require_POST
def whatsapp_account_test_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    account = whatsapp_account_get_for_user(user=request.user, account_id=pk)
    try:
        number = whatsapp_account_test(account=account)
    except WhatsAppApiError as exc:
        messages.error(request, _("WhatsApp refused: %(error)s") % {"error": exc})
        return redirect("channels:whatsapp_account_edit", pk=account.pk)
    messages.success(
        request,
        _("Connected: %(number)s (%(name)s).")
        % {"number": number.get("display_phone_number") or "?", "name": number.get("verified_name") or "?"},
    )
    return redirect("channels:whatsapp_account_edit", pk=account.pk)
