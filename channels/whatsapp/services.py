"""Writes of the WhatsApp channel's administration (docs/architecture/whatsapp.md, "Administration")."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from channels.models import WhatsAppAccount
from channels.whatsapp import api


def whatsapp_account_test(*, account: WhatsAppAccount) -> dict[str, Any]:
    """Ask the Cloud API for the account's number (GET /{phone-number-id}) with its token. On
    success the display number is kept and the last error cleared; a refusal is kept in
    last_error and raised as WhatsAppApiError."""
    try:
        number = api.phone_number(account)
    except api.WhatsAppApiError as exc:
        WhatsAppAccount.objects.filter(pk=account.pk).update(last_error=str(exc)[:5000], last_error_at=timezone.now())
        raise
    display = str(number.get("display_phone_number") or "")[:50]
    WhatsAppAccount.objects.filter(pk=account.pk).update(
        last_error="", last_error_at=None, display_phone_number=display or account.display_phone_number
    )
    return number
