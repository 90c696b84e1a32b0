from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.http import AuthedHttpRequest
from notifications.forms import NotificationSettingsForm
from notifications.models import Notification, OutboxMessage
from notifications.outbox import outbox_retry
from notifications.selectors import notification_settings_for_user
from notifications.services import notification_settings_save, notifications_mark_read
from tickets.selectors import ticket_get_for_user
from tickets.views.common import agent_required


@agent_required
def notification_list(request: AuthedHttpRequest) -> HttpResponse:
    rows = list(Notification.objects.filter(user=request.user).select_related("ticket")[:100])
    return render(request, "notifications/list.html", {"rows": rows, "nav": "notifications"})


@agent_required
@require_POST
def notification_read_all(request: AuthedHttpRequest) -> HttpResponse:
    notifications_mark_read(user=request.user)
    return redirect("notifications:list")


LIVE_ROWS = 5


@agent_required
def notification_live(request: AuthedHttpRequest) -> HttpResponse:
    """The bell's poll (every 2 s, docs/adr/0001): unread notifications newer than `after`. Nothing
    new → 204 after one indexed query and htmx leaves the page alone; else the bell with its new
    count and cursor, and a toast per new alert (out-of-band, into #toasts)."""
    try:
        after = int(request.GET.get("after") or 0)
    except ValueError:
        return HttpResponseBadRequest("after: an integer id")
    rows = list(
        Notification.objects.filter(user=request.user, read_at__isnull=True, pk__gt=after)
        .select_related("ticket")
        .order_by("-pk")[:LIVE_ROWS]
    )
    if not rows:
        return HttpResponse(status=204)
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return render(
        request, "notifications/_live.html", {"rows": rows, "unread": unread, "cursor": rows[0].pk, "toast": True}
    )


@agent_required
@require_POST
def notification_settings(request: AuthedHttpRequest) -> HttpResponse:
    """The "Notifications" section of the profile: which alerts, and how."""
    form = NotificationSettingsForm(request.POST, current=notification_settings_for_user(user=request.user))
    if form.is_valid():
        notification_settings_save(user=request.user, choices=form.choices())
        messages.success(request, _("Notification settings saved."))
    else:
        messages.error(request, _("The notification settings were not saved: %(errors)s") % {"errors": form.errors})
    return redirect(reverse("accounts:profile") + "#notifications")


@agent_required
@require_POST
def telegram_link(request: AuthedHttpRequest) -> HttpResponse:
    """ "Link Telegram": a one-time code for the chosen bot; the profile then shows its t.me link."""
    from channels.models import TelegramBot
    from channels.telegram.staff import telegram_link_code_create

    try:
        bot_id = int(request.POST.get("bot") or 0)
    except ValueError:
        bot_id = 0
    bot = get_object_or_404(TelegramBot, pk=bot_id, is_active=True)
    try:
        telegram_link_code_create(user=request.user, bot=bot)
    except ValueError:
        messages.error(request, _("This bot cannot link accounts yet: an administrator should register it first."))
    return redirect(reverse("accounts:profile") + "#telegram")


@agent_required
@require_POST
def telegram_unlink(request: AuthedHttpRequest) -> HttpResponse:
    from channels.telegram.staff import telegram_staff_unlink

    if telegram_staff_unlink(user=request.user):
        messages.success(request, _("Telegram is unlinked: alerts will not go there any more."))
    return redirect(reverse("accounts:profile") + "#telegram")


@agent_required
@require_POST
def outbox_retry_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """ "Retry now" on a failed outgoing message, from the ticket page. Only for a message of a
    ticket the agent may see (404 otherwise)."""
    number = OutboxMessage.objects.filter(pk=pk, ticket__isnull=False).values_list("ticket__number", flat=True).first()
    if number is None:
        raise Http404
    ticket = ticket_get_for_user(user=request.user, number=number)
    message = OutboxMessage.objects.only("pk", "status").get(pk=pk, ticket=ticket)
    if outbox_retry(message=message):
        messages.success(request, _("The message is queued to be sent again."))
    else:
        messages.info(request, _("The message is not in the failed state any more."))
    return redirect("tickets:detail", number=number)
