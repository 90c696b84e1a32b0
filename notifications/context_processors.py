from typing import Any

from django.db.models import Count, Max
from django.http import HttpRequest

from notifications.models import Notification


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    """The bell's count and the live poll's starting cursor (the newest unread id), for staff
    pages: one query on the unread index, made only when a template asks."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_agent_side:
        return {}
    found: dict[str, int | None] = {}

    def unread() -> dict[str, int | None]:
        if not found:
            found.update(
                Notification.objects.filter(user=user, read_at__isnull=True).aggregate(
                    count=Count("id"), last=Max("id")
                )
            )
        return found

    return {
        "unread_notifications": lambda: unread()["count"] or 0,
        "notification_cursor": lambda: unread()["last"] or 0,
    }
