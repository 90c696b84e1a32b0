"""SLA background jobs. The database holds the state (clock columns, SlaFiring, SlaRecalculation);
these only trigger work, and each is safe to run twice. The sweep runs every 30 seconds: Huey's
schedule has minute steps, so the minute's task sweeps and queues a second sweep half a minute
later."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from sla import policy_services
from sla.calendar_services import calendars_seed_due_years
from sla.sweep import sla_sweep


@db_task()
@lock_task("sla-sweep")
def sla_sweep_task() -> int:
    return sum(v for k, v in sla_sweep().items() if k != "tickets")


@db_periodic_task(crontab(minute="*"))
@lock_task("sla-sweep-schedule")
def sla_sweep_every_half_minute() -> int:
    fired = sla_sweep_task.call_local()
    sla_sweep_task.schedule(delay=30)
    return fired


@db_periodic_task(crontab(minute="41", hour="2"))
@lock_task("sla-calendars-seed-years")
def seed_production_calendar_years() -> int:
    """Nightly: from 1 December on, seed next year's Russian production calendar into every
    calendar that follows it (idempotent: the same year again changes nothing)."""
    return len(calendars_seed_due_years())


@db_task()
def sla_recalculation_task(recalculation_id: int) -> None:
    """Recompute the clocks of every open ticket after the SLA set-up changed."""
    policy_services.sla_recalculation_process(recalculation_id=recalculation_id)


@db_periodic_task(crontab(minute="*"))
@lock_task("sla-recalculations-reconcile")
def reconcile_sla_recalculations() -> int:
    """Every minute: re-queue recalculations left unfinished by a worker that died."""
    return policy_services.sla_recalculations_reconcile()
