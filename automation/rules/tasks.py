"""Rule background jobs (registered from AutomationConfig.ready()). The sweep is idempotent:
RuleFiring rows make a second worker's run a no-op."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from automation.rules.sweep import time_rules_sweep


@db_periodic_task(crontab(minute="*"))
@lock_task("automation-time-rules")
def time_rules_sweep_periodic() -> int:
    """Every minute: fire the time rules that fell due."""
    return sum(time_rules_sweep().values())
