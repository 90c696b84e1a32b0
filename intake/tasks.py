"""The queue only triggers work; the rows in intake.InboundMessage are the state. Processing is
idempotent, and the reconciler re-queues anything stored but unprocessed."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from intake import services

# Ahead of the other tasks waiting (the answers and notices that processing queues): a backlog of
# messages is drained first, and what it queues is sent after (services.inbound_process_queued).
PROCESSING_PRIORITY = 10


@db_task(priority=PROCESSING_PRIORITY)
def inbound_process_task(inbound_id: int | None = None) -> None:
    """Queued when a message is stored and no such task is waiting yet (services.inbound_trigger);
    processes a batch of whatever waits, oldest first. `inbound_id` is accepted for the tasks
    queued before this rule (one per message); it is not used. The reconciler covers a lost queue."""
    # Returns nothing on purpose: Huey would store a returned value as a result nobody reads
    # (one more write to the queue's storage per message, kept until read).
    services.inbound_process_queued()


@db_periodic_task(crontab(minute="*"))
@lock_task("inbound-reconcile")
def inbound_reconcile_task() -> int:
    return services.inbound_reconcile()
