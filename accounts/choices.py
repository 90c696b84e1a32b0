from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENT = "agent", _("Agent / dispatcher")
    ENGINEER = "engineer", _("Field engineer")
    CONTRACTOR = "contractor", _("Contractor")
    CLIENT = "client", _("Client contact")


STAFF_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.ENGINEER, Role.CONTRACTOR})
# Roles that see every team's queue, not only their own teams'.
ALL_QUEUES_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})
ASSIGNABLE_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.ENGINEER, Role.CONTRACTOR})


class Language(models.TextChoices):
    RU = "ru", "Русский"
    EN = "en", "English"
