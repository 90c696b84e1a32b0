from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.http import AuthedHttpRequest
from notifications.models import Notification
from notifications.services import notifications_mark_read
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
