from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Agents' alerts on ticket changes (notifications/alerts.py).
        from notifications.alerts import alerts_register

        alerts_register()
