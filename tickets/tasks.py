"""Background jobs of the ticket core. The database holds the state; these only trigger work."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from tickets.services import ticket_reopen_delayed


@db_periodic_task(crontab(minute="*"))
@lock_task("tickets-reopen-delayed")
def reopen_delayed_tickets() -> int:
    """Every minute: tickets "delayed until" a time that has come go back to work."""
    return ticket_reopen_delayed()
