from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    """Rules (conditions → actions), time rules, assignment strategies, repeated complaints.
    Hooks into ticket changes through tickets/hooks.py (registered in ready())."""

    name = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        from automation.assignment.hooks import register as register_assignment
        from automation.repeats.hooks import register as register_repeats

        register_assignment()
        register_repeats()
