"""Queue entry points of the channels app; the work is in the services they call."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from channels.email.imap import imap_poll_due


@db_periodic_task(crontab(minute="*"))
@lock_task("imap-poll-due")
def imap_poll_task() -> int:
    """Fallback IMAP poll for installs that run no `imap_listener`; skips mailboxes a listener holds."""
    return sum(report.stored for report in imap_poll_due())
