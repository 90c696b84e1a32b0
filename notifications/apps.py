from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Agents' alerts on ticket changes (notifications/alerts.py).
        from notifications.alerts import alerts_register

        alerts_register()

        # Client notices hang off every ticket change (docs/architecture/notices.md).
        from notifications.delivery import HOOK_ORDER, ticket_created, ticket_creation_started, ticket_updated
        from tickets.hooks import hook_register

        hook_register("created", ticket_creation_started, order=0)
        hook_register("created", ticket_created, order=HOOK_ORDER)
        hook_register("updated", ticket_updated, order=HOOK_ORDER)
