"""The queue only triggers work; the rows in intake.InboundMessage are the state. Processing is
idempotent, and the reconciler re-queues anything stored but unprocessed."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from intake import services


@db_task()
def inbound_process_task(inbound_id: int) -> str:
    row = services.inbound_process(inbound_id=inbound_id)
    return row.status if row is not None else "missing"


@db_periodic_task(crontab(minute="*"))
@lock_task("inbound-reconcile")
def inbound_reconcile_task() -> int:
    return services.inbound_reconcile()
