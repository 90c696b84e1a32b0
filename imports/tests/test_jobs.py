"""The background job: the Huey task path, resuming after a dead worker, the reconciler."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assets.models import Equipment
from imports import engine, services
from imports.models import ImportChange, ImportJob
from imports.tests.helpers import counts, new_job

HEADER = ["Клиент", "Вид", "Наименование", "Инв. номер", "Входит в"]


class WorkerKilled(BaseException):
    """What the process sees of a SIGKILL: nothing runs after it, not even `except Exception`."""


def _file(n: int):
    return [HEADER] + [
        ["ООО Ромашка", "split", f"Блок {i}", f"ИНВ-{i}", f"ИНВ-{i - 1}" if i % 2 == 0 else ""] for i in range(1, n + 1)
    ]


def test_the_import_runs_as_a_huey_task_after_commit(admin, world, huey_immediate, django_capture_on_commit_callbacks):
    # given
    job = new_job(admin, "equipment", _file(5))
    services.import_job_set_mapping(job=job, mapping=job.mapping)
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.import_job_start(job=job)
    # then
    job.refresh_from_db()
    assert len(callbacks) == 1
    assert job.status == "done"
    assert counts(job) == {"total": 5, "processed": 5, "created": 5, "updated": 0, "unchanged": 0, "failed": 0}
    assert job.attempts == 1


def test_an_import_whose_worker_died_is_resumed_by_the_reconciler_without_duplicates(
    admin, world, monkeypatch, huey_immediate, django_capture_on_commit_callbacks
):
    # given: batches of 3 rows; the worker dies while writing the third batch
    monkeypatch.setattr(engine, "BATCH_SIZE", 3)
    job = new_job(admin, "equipment", _file(10))
    services.import_job_set_mapping(job=job, mapping=job.mapping)
    services.import_job_start(job=job)
    real_save, calls = engine.Pipeline.save, []

    def dying_save(self, result):
        calls.append(result.last_line)
        if len(calls) == 3:
            raise WorkerKilled
        return real_save(self, result)

    monkeypatch.setattr(engine.Pipeline, "save", dying_save)
    with pytest.raises(WorkerKilled):
        services.import_job_process(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.last_line, job.processed_rows, job.created_count) == ("running", 7, 6, 6)
    assert Equipment.objects.count() == 6
    monkeypatch.setattr(engine.Pipeline, "save", real_save)
    # when: the reconciler finds it silent
    assert services.import_jobs_reconcile() == 0  # the heartbeat is fresh: the worker may be alive
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.import_jobs_reconcile() == 1
    # then: the job continued after line 7, each unit exists once, parents linked across the restart
    job.refresh_from_db()
    assert job.status == "done"
    assert (job.attempts, job.processed_rows, job.created_count, job.failed_count) == (2, 10, 10, 0)
    assert sorted(Equipment.objects.values_list("inventory_number", flat=True)) == sorted(
        f"ИНВ-{i}" for i in range(1, 11)
    )
    assert Equipment.objects.get(inventory_number="ИНВ-8").parent.inventory_number == "ИНВ-7"
    assert ImportChange.objects.filter(job=job).count() == 10


def test_a_second_worker_does_not_take_a_job_whose_worker_is_alive(admin, world):
    # given
    job = new_job(admin, "equipment", _file(2))
    services.import_job_set_mapping(job=job, mapping=job.mapping)
    services.import_job_start(job=job)
    ImportJob.objects.filter(pk=job.pk).update(status="running", run_token="someone-else", heartbeat_at=timezone.now())
    # when
    services.import_job_process(job_id=job.pk)
    # then
    job.refresh_from_db()
    assert (job.status, job.processed_rows, Equipment.objects.count()) == ("running", 0, 0)


def test_a_worker_replaced_by_the_reconciler_stops_writing(admin, world, monkeypatch):
    # given: a slow worker the reconciler gave up on
    monkeypatch.setattr(engine, "BATCH_SIZE", 1)
    job = new_job(admin, "equipment", _file(3))
    services.import_job_set_mapping(job=job, mapping=job.mapping)
    services.import_job_start(job=job)
    real_prepare = engine.Pipeline.prepare

    def prepare_while_the_reconciler_requeues(self, chunk):
        ImportJob.objects.filter(pk=job.pk).update(run_token="")
        return real_prepare(self, chunk)

    monkeypatch.setattr(engine.Pipeline, "prepare", prepare_while_the_reconciler_requeues)
    # when
    services.import_job_process(job_id=job.pk)
    # then: it wrote nothing
    job.refresh_from_db()
    assert (job.status, job.processed_rows, Equipment.objects.count()) == ("running", 0, 0)


def test_the_dry_run_and_undo_also_run_as_tasks(admin, world, huey_immediate, django_capture_on_commit_callbacks):
    job = new_job(admin, "equipment", _file(2))
    services.import_job_set_mapping(job=job, mapping=job.mapping)
    with django_capture_on_commit_callbacks(execute=True):
        services.import_job_check(job=job)
    job.refresh_from_db()
    assert (job.status, job.created_count, Equipment.objects.count()) == ("checked", 2, 0)
    with django_capture_on_commit_callbacks(execute=True):
        services.import_job_start(job=job)
    with django_capture_on_commit_callbacks(execute=True):
        services.import_job_undo_request(job=job)
    job.refresh_from_db()
    assert (job.status, job.undo_report["deleted"], Equipment.objects.count()) == ("undone", 2, 0)


def test_a_broken_file_fails_the_job_with_the_reason(admin, world):
    job = new_job(admin, "equipment", _file(2))
    services.import_job_set_mapping(job=job, mapping=job.mapping)
    services.import_job_start(job=job)
    job.file.storage.delete(job.file.name)
    services.import_job_process(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error.startswith("Unexpected error:")


def _started(admin, rows):
    job = new_job(admin, "equipment", rows)
    services.import_job_set_mapping(job=job, mapping=job.mapping)
    return services.import_job_start(job=job)


@pytest.mark.parametrize("busy", ["queued", "running", "undoing"])
def test_an_import_does_not_start_while_another_of_the_same_data_is_under_way(admin, world, busy):
    # given
    first = _started(admin, _file(2))
    ImportJob.objects.filter(pk=first.pk).update(status=busy)
    second = new_job(admin, "equipment", _file(3))
    services.import_job_set_mapping(job=second, mapping=second.mapping)
    companies = new_job(admin, "companies", [["Наименование"], ["ООО Ёлка"]])
    services.import_job_set_mapping(job=companies, mapping=companies.mapping)
    # when
    with pytest.raises(ValidationError) as refused:
        services.import_job_start(job=second)
    services.import_job_start(job=companies)
    # then: another kind of data is not held up
    assert refused.value.messages == ["Another import or undo of this data is under way; wait until it ends."]
    assert ImportJob.objects.get(pk=second.pk).status == "mapped"
    assert ImportJob.objects.get(pk=companies.pk).status == "queued"


def test_an_undo_does_not_start_while_another_of_the_same_data_is_under_way(admin, world):
    # given: an older import of the same data is being undone
    older = _started(admin, _file(2))
    services.import_job_process(job_id=older.pk)
    latest = _started(admin, _file(3))
    services.import_job_process(job_id=latest.pk)
    ImportJob.objects.filter(pk=older.pk).update(status="undoing")
    # when
    with pytest.raises(ValidationError) as refused:
        services.import_job_undo_request(job=latest)
    # then
    assert refused.value.messages == ["Another import or undo of this data is under way; wait until it ends."]
    assert ImportJob.objects.get(pk=latest.pk).status == "done"


@pytest.mark.skipif(not connection.features.has_select_for_update, reason="the database has no row locks")
def test_the_undo_locks_the_rows_before_comparing_their_stamps(admin, world):
    # given
    job = _started(admin, _file(2))
    services.import_job_process(job_id=job.pk)
    services.import_job_undo_request(job=job)
    # when
    with CaptureQueriesContext(connection) as queries:
        services.import_job_undo_process(job_id=job.pk)
    # then
    table = Equipment._meta.db_table
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and f'"{table}"."updated_at"' in q["sql"]]
    assert reads and all("FOR UPDATE" in sql for sql in reads[:1])


def test_the_reconciler_gives_up_a_job_whose_worker_kept_dying(admin, world, django_capture_on_commit_callbacks):
    # given: the third worker on this import died too
    job = _started(admin, _file(2))
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", run_token="dead", attempts=3, heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        requeued = services.import_jobs_reconcile()
    # then
    job.refresh_from_db()
    assert (requeued, len(callbacks)) == (0, 0)
    assert (job.status, job.error, job.run_token) == (
        "failed",
        "Stopped after 3 attempts: the worker kept stopping.",
        "",
    )


def test_a_worker_does_not_take_a_job_already_tried_three_times(admin, world):
    job = _started(admin, _file(2))
    ImportJob.objects.filter(pk=job.pk).update(attempts=3)
    services.import_job_process(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, Equipment.objects.count()) == ("failed", 3, 0)


def test_an_undo_given_up_goes_back_to_the_import(admin, world):
    # given
    job = _started(admin, _file(2))
    services.import_job_process(job_id=job.pk)
    services.import_job_undo_request(job=job)
    ImportJob.objects.filter(pk=job.pk).update(
        attempts=3, run_token="dead", heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    # when
    services.import_jobs_reconcile()
    # then
    job.refresh_from_db()
    assert (job.status, job.undo_report) == ("done", {"error": "Stopped after 3 attempts: the worker kept stopping."})
    assert Equipment.objects.count() == 2


def test_every_start_gets_fresh_attempts(admin, world):
    job = new_job(admin, "equipment", _file(2))
    services.import_job_set_mapping(job=job, mapping=job.mapping)
    services.import_job_check(job=job)
    services.import_job_process(job_id=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(attempts=3)
    services.import_job_start(job=job)
    services.import_job_process(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 1)
