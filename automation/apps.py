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
        self._ready_rules()

    def _ready_rules(self) -> None:
        """Rules (automation/rules/): the hooks at order 100, the compiled rules' invalidation,
        and the time-rule sweep's periodic task."""
        from django.db.models.signals import post_delete, post_save

        from automation.models import Rule
        from automation.rules import tasks  # noqa: F401  (registers the periodic task with Huey)
        from automation.rules.engine import hooks_install, rules_changed
        from tickets.hooks import hook_register

        hooks_install(hook_register)

        def _changed(**kwargs: object) -> None:
            rules_changed()

        post_save.connect(_changed, sender=Rule, weak=False, dispatch_uid="automation-rule-saved")
        post_delete.connect(_changed, sender=Rule, weak=False, dispatch_uid="automation-rule-deleted")
