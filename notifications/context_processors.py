from typing import Any

from django.db import connection
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
            # Written out: the ORM's aggregate cost ten times the Python of this (bench/README.md,
            # session 17) on every staff page.
            table, q = Notification._meta.db_table, connection.ops.quote_name
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT COUNT(*), MAX({q('id')}) FROM {q(table)}"
                    f" WHERE {q('user_id')} = %s AND {q('read_at')} IS NULL",
                    [user.pk],
                )
                found["count"], found["last"] = cursor.fetchone()
        return found

    return {
        "unread_notifications": lambda: unread()["count"] or 0,
        "notification_cursor": lambda: unread()["last"] or 0,
    }
