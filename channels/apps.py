from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "channels"
    label = "otklik_channels"  # "channels" is the name of a well-known third-party app
    verbose_name = _("Channels")

    def ready(self) -> None:
        from channels.email.hooks import acknowledgement_hooks
        from channels.email.outbound import ticket_acknowledge

        if ticket_acknowledge not in acknowledgement_hooks:
            acknowledgement_hooks.append(ticket_acknowledge)
