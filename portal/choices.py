from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketState(models.TextChoices):
    """The tabs of the portal's ticket list."""

    ALL = "all", _("All")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


# How many files one portal message may carry; each is also capped by OTKLIK_ATTACHMENT_MAX_BYTES.
MAX_ATTACHMENTS_PER_MESSAGE = 10
TICKETS_PER_PAGE = 20
