"""The queue only triggers work; the rows in intake.InboundMessage are the state. Processing is
idempotent, and the reconciler re-queues anything stored but unprocessed."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from intake import services


@db_task()
def inbound_process_task(inbound_id: int) -> None:
    """Queued once per stored message; processes a batch of whatever waits, oldest first (the
    message it was queued for, or older ones: a backlog drains in batches, and the tasks of
    messages an earlier batch took find nothing left). A task per message means the tasks never
    run out before the messages do; the reconciler covers a lost queue."""
    # Returns nothing on purpose: Huey would store a returned value as a result nobody reads
    # (one more write to the queue's storage per message, kept until read).
    services.inbound_process_batch()


@db_periodic_task(crontab(minute="*"))
@lock_task("inbound-reconcile")
def inbound_reconcile_task() -> int:
    return services.inbound_reconcile()
