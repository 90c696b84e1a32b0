from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    """Rules (conditions → actions), time rules, assignment strategies, repeated complaints.
    Hooks into ticket changes through tickets/hooks.py (registered in ready())."""

    name = "automation"
    verbose_name = _("Automation")
