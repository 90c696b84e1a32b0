"""Administrators' pages of the Telegram channel: bots list and edit, webhook registration.
See docs/architecture/telegram.md, "Administration"."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from channels.choices import TelegramMode
from channels.forms import TelegramBotForm
from channels.selectors import telegram_bot_get_for_user, telegram_bot_list_for_user
from channels.telegram.api import TelegramApiError
from channels.telegram.intake import PublicUrlMissing, telegram_bot_register_webhook, telegram_bot_settings_saved
from channels.views.mail_admin import _page
from core.http import AuthedHttpRequest
from tickets.views.common import admin_required


@admin_required
def telegram_bot_list(request: AuthedHttpRequest) -> HttpResponse:
    bots = list(telegram_bot_list_for_user(user=request.user))
    return _page(request, "channels/telegram_bot_list.html", "telegram", bots=bots)


@admin_required
def telegram_bot_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    bot = telegram_bot_get_for_user(user=request.user, bot_id=pk) if pk else None
    # Read before the form writes the posted values onto the bot. A new bot is set up by
    # "Register webhook" / "Remove webhook"; an edited one is compared with what it was.
    was_polling_and_active = bot is None or (bot.mode == TelegramMode.POLLING and bot.is_active)
    form = TelegramBotForm(request.POST or None, instance=bot)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
        messages.success(request, _("Saved."))
        try:
            telegram_bot_settings_saved(bot=saved, was_polling_and_active=was_polling_and_active)
        except TelegramApiError as exc:
            messages.warning(
                request,
                _(
                    "Telegram could not be told to stop sending to the webhook (%(error)s). Press "
                    '"Remove webhook (use long polling)" once it can be reached: until then polling '
                    "gets nothing."
                )
                % {"error": _api_error(exc)},
            )
        return redirect("channels:telegram_bot_edit", pk=saved.pk)
    return _page(request, "channels/telegram_bot_edit.html", "telegram", form=form, bot=bot)


@admin_required
@require_POST
def telegram_bot_register(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    bot = telegram_bot_get_for_user(user=request.user, bot_id=pk)
    try:
        url = telegram_bot_register_webhook(bot=bot)
    except PublicUrlMissing:
        messages.error(
            request,
            _(
                "A webhook needs this installation's public https address: set OTKLIK_PUBLIC_URL and "
                "restart. Without a public address, choose long polling."
            ),
        )
        return redirect("channels:telegram_bot_edit", pk=bot.pk)
    except TelegramApiError as exc:
        messages.error(request, _("Telegram refused: %(error)s") % {"error": _api_error(exc)})
        return redirect("channels:telegram_bot_edit", pk=bot.pk)
    if bot.mode == TelegramMode.WEBHOOK:
        messages.success(request, _("Webhook registered: %(url)s") % {"url": url})
    else:
        messages.success(request, _("Webhook removed: Otklik fetches this bot's updates by long polling."))
    return redirect("channels:telegram_bot_edit", pk=bot.pk)


def _api_error(exc: TelegramApiError) -> str:
    """Telegram's answer as an administrator reads it: its code and words, or what went wrong on
    the way (code 0: Telegram was not reached)."""
    if exc.code == 0:
        return _("Telegram could not be reached: %(error)s") % {"error": exc.description}
    return f"{exc.code} {exc.description}"
