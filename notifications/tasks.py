"""Queue adapters. The rows are the state (notifications.Notification, notifications.OutboxMessage);
every task is idempotent, and a periodic task picks up whatever an on-commit task missed."""

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, lock_task
from huey.exceptions import TaskLockedException

from notifications.outbox import outbox_send, outbox_send_due
from notifications.services import notifications_mail_pending


def _mail_pending_unless_running() -> int:
    """One worker at a time hands notifications to the outbox. A task that finds another at it
    returns quietly (seeding or a sweep queues hundreds at once): the running one, or the next
    minute's, takes every row still waiting."""
    lock = HUEY.lock_task("notifications-mail")
    if lock.is_locked():
        return 0
    try:
        with lock:
            return notifications_mail_pending()
    except TaskLockedException:
        return 0


@db_task()
def notifications_mail() -> int:
    return _mail_pending_unless_running()


@db_periodic_task(crontab(minute="*"))
def notifications_mail_retry() -> int:
    """Every minute: queue the mail of notifications the on-commit task did not (a worker was down)."""
    return _mail_pending_unless_running()


@db_task()
def outbox_send_task(outbox_id: int) -> str:
    """Right after the queueing transaction commits: send that one message."""
    return outbox_send(outbox_id=outbox_id)


@db_task()
def outbox_send_due_task() -> int:
    return outbox_send_due()


@db_periodic_task(crontab(minute="*"))
@lock_task("outbox-send-due")
def outbox_send_due_periodic() -> int:
    """Every minute: send what is due — retries, and rows whose on-commit send never ran."""
    return outbox_send_due()


@db_periodic_task(crontab(minute="*"))
@lock_task("busy-replies")
def busy_replies_periodic() -> int:
    """Every minute: "all operators are busy" to clients nobody has answered yet (notifications/busy.py)."""
    from notifications.busy import busy_replies_send

    return busy_replies_send()
