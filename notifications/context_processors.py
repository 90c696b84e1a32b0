from typing import Any

from django.http import HttpRequest

from notifications.models import Notification


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    """The bell's count, for staff pages (one indexed count)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_agent_side:
        return {}

    def count() -> int:
        return Notification.objects.filter(user=user, read_at__isnull=True).count()

    return {"unread_notifications": count}
