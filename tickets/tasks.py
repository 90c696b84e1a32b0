"""Background jobs of the ticket core. The database holds the state; these only trigger work."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from tickets.services import attachment_orphans_sweep, ticket_reopen_delayed


@db_periodic_task(crontab(minute="*"))
@lock_task("tickets-reopen-delayed")
def reopen_delayed_tickets() -> int:
    """Every minute: tickets "delayed until" a time that has come go back to work."""
    return ticket_reopen_delayed()


@db_periodic_task(crontab(minute="17", hour="3"))
@lock_task("tickets-attachment-orphans")
def sweep_orphan_attachment_files() -> int:
    """Nightly: remove files whose saving transaction rolled back (no Attachment row)."""
    return attachment_orphans_sweep()
