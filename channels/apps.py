from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "channels"
    label = "otklik_channels"  # "channels" is the name of a well-known third-party app
    verbose_name = _("Channels")

    def ready(self) -> None:
        from channels.email.hooks import acknowledgement_hook_register
        from channels.email.outbound import ticket_acknowledge

        acknowledgement_hook_register(ticket_acknowledge)
