"""Background jobs of imports. The database (ImportJob) holds the state; these only trigger work,
and each is safe to run twice for the same job."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from imports import services


@db_task()
def import_job_process_task(job_id: int) -> None:
    """Dry run or import of one uploaded file."""
    services.import_job_process(job_id=job_id)


@db_task()
def import_job_undo_task(job_id: int) -> None:
    services.import_job_undo_process(job_id=job_id)


@db_periodic_task(crontab(minute="*"))
@lock_task("imports-reconcile")
def reconcile_import_jobs() -> int:
    """Every minute: re-queue jobs left unfinished by a worker that died."""
    return services.import_jobs_reconcile()
