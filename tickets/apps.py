from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self) -> None:
        from tickets import reference  # noqa: F401 - connects the snapshot's invalidation signals
