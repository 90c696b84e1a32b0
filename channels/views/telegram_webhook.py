"""The endpoint Telegram posts updates to (setWebhook with our secret_token). See
docs/architecture/telegram.md, "Inbound"."""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels.selectors import telegram_webhook_secret
from channels.telegram.intake import telegram_update_store
from intake.choices import InboundSource

SECRET_HEADER = "HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN"  # noqa: S105 (a header name, not a secret)


@csrf_exempt
@require_POST
def telegram_webhook(request: HttpRequest, bot_id: int) -> HttpResponse:
    """401 (nothing stored) without the bot's secret; 400 (nothing stored) for a body that is not
    an update; 200 once the update is committed — Telegram retries anything else."""
    expected = telegram_webhook_secret(bot_id=bot_id)
    given = request.META.get(SECRET_HEADER, "")
    # Compared even for an unknown bot, so the answer's timing does not tell which ids exist.
    if not hmac.compare_digest(given.encode(), (expected or "-").encode()) or not expected:
        return JsonResponse({"ok": False}, status=401)
    try:
        telegram_update_store(bot_id=bot_id, raw=request.body, source=InboundSource.WEBHOOK)
    except ValueError as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=400)
    return JsonResponse({"ok": True})
