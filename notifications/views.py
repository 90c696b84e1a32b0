from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.http import AuthedHttpRequest
from notifications.models import Notification, OutboxMessage
from notifications.outbox import outbox_retry
from notifications.services import notifications_mark_read
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
