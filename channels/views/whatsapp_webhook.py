"""The endpoint Meta calls for a WhatsApp number: GET once to verify the subscription
(hub.challenge), POST for every batch of messages and statuses, signed with the app secret.
See docs/architecture/whatsapp.md, "Inbound"."""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels.models import WhatsAppAccount
from channels.whatsapp.intake import signature_valid, whatsapp_webhook_store

SIGNATURE_HEADER = "HTTP_X_HUB_SIGNATURE_256"


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request: HttpRequest, account_id: int) -> HttpResponse:
    account = WhatsAppAccount.objects.filter(pk=account_id, is_active=True).first()
    if request.method == "GET":
        return _verify(request, account)
    # POST: 401 (nothing stored) unless the raw body carries the app secret's signature; 400
    # (nothing stored) for a body that is not a WhatsApp webhook; 200 once everything is committed
    # — Meta retries anything else. The HMAC is computed for unknown ids too (timing).
    header = request.META.get(SIGNATURE_HEADER, "")
    secret = account.app_secret if account is not None else "-"
    if not signature_valid(app_secret=secret, raw=request.body, header=header) or account is None:
        return JsonResponse({"ok": False}, status=401)
    try:
        whatsapp_webhook_store(account=account, raw=request.body)
    except ValueError as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=400)
    return JsonResponse({"ok": True})


def _verify(request: HttpRequest, account: WhatsAppAccount | None) -> HttpResponse:
    """Meta's subscription check: hub.mode=subscribe and our verify token → echo hub.challenge."""
    given = request.GET.get("hub.verify_token", "")
    expected = account.verify_token if account is not None else "-"
    matches = hmac.compare_digest(given.encode(), expected.encode())
    if request.GET.get("hub.mode") != "subscribe" or not matches or account is None:
        return HttpResponse("forbidden", status=403, content_type="text/plain")
    return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
