"""Writes of the imports app: upload a file, map its columns, check it (dry run), import it in a
background job that survives a dead worker, undo the last import of a resource.
See docs/architecture/imports.md."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from core.bulk import bulk_update_rows
from imports.choices import ACTIVE_STATUSES, ChangeAction, JobStatus, Phase
from imports.engine import BatchResult, Pipeline, job_reader, run_pipeline
from imports.models import ImportChange, ImportJob, ImportRowError
from imports.readers import ImportFileError, TableReader, file_format_for
from imports.resources.base import REGISTRY, Resource, resource_class

logger = logging.getLogger(__name__)

# A worker that has not written a heartbeat for this long is presumed dead; its job is re-queued.
STALE_AFTER = timedelta(minutes=3)
# A job whose worker died this many times is given up: it is likely what kills the worker.
MAX_ATTEMPTS = 3
UNDO_REPORT_LIMIT = 1000
CHUNK = 900  # ids per IN (…) list


class Superseded(Exception):
    """Another worker took the job over (ours was presumed dead): stop without writing."""


# --- upload and mapping --------------------------------------------------------------------------


def import_job_create(*, user: User, resource: str, upload: UploadedFile) -> ImportJob:
    """Store an uploaded CSV/XLSX file as a new job, read its header and guess the mapping.
    Raises ValidationError (field "file" or "resource") for an unknown resource, a file too large,
    of another type, unreadable or empty; nothing is stored then."""
    if resource not in _registry():
        raise ValidationError({"resource": _("Choose what to import.")})
    limit = settings.OTKLIK_IMPORT_MAX_BYTES
    if upload.size and upload.size > limit:
        message = _("The file is %(size)s MB; the limit is %(limit)s MB.") % {
            "size": round(upload.size / 1024 / 1024, 1),
            "limit": limit // 1024 // 1024,
        }
        raise ValidationError({"file": message})
    try:
        file_format = file_format_for(upload.name or "")
        head = TableReader(file=upload, file_format=file_format).head()  # type: ignore[arg-type]
    except ImportFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    upload.seek(0)
    job = ImportJob(
        resource=resource,
        created_by=user,
        language=(translation.get_language() or settings.LANGUAGE_CODE)[:2],
        filename=(upload.name or "")[:255],
        file_format=file_format,
        encoding=head.encoding,
        delimiter=head.delimiter,
        header_line=head.header_line,
        headers=head.headers,
        samples=head.samples,
        mapping=resource_class(resource).guess_mapping(head.headers),
    )
    job.file.save(f"{uuid.uuid4().hex}.{file_format}", upload, save=False)
    job.save()
    return job


def _registry() -> dict[str, type[Resource]]:
    from imports import resources  # noqa: F401

    return REGISTRY


def import_mapping_errors(*, resource: str, mapping: dict[str, str], width: int) -> list[str]:
    """What is wrong with a mapping: unknown columns, a field chosen twice, a required field missing."""
    cls = resource_class(resource)
    codes = {c.code for c in cls.columns}
    errors = []
    used: dict[str, int] = {}
    for index, code in mapping.items():
        if code not in codes or not index.isdigit() or int(index) >= width:
            errors.append(_("Unknown field «%(field)s».") % {"field": code})
            continue
        if code in used:
            errors.append(
                _("«%(field)s» is chosen for two columns (%(first)s and %(second)s).")
                % {"field": cls.column(code).label, "first": used[code] + 1, "second": int(index) + 1}
            )
        used[code] = int(index)
    for code in cls.required_codes():
        if code not in used:
            errors.append(_("Choose the column for «%(field)s»: it is required.") % {"field": cls.column(code).label})
    return errors


@transaction.atomic
def import_job_set_mapping(*, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    """Save which file column feeds which field ("" skips a column). Raises ValidationError listing
    every problem; only jobs not yet imported can be re-mapped."""
    if job.status not in (JobStatus.UPLOADED, JobStatus.MAPPED, JobStatus.CHECKED, JobStatus.FAILED) or (
        job.status == JobStatus.FAILED and job.phase == Phase.RUN
    ):
        raise ValidationError(_("This file has already been imported."))
    mapping = {index: code for index, code in mapping.items() if code}
    errors = import_mapping_errors(resource=job.resource, mapping=mapping, width=len(job.headers))
    if errors:
        raise ValidationError(errors)
    job.mapping = mapping
    job.status = JobStatus.MAPPED
    job.error = ""
    job.save(update_fields=["mapping", "status", "error"])
    return job


# --- check and run -------------------------------------------------------------------------------


def _reset_counts(job: ImportJob) -> list[str]:
    job.total_rows = job.processed_rows = job.created_count = job.updated_count = 0
    job.unchanged_count = job.failed_count = job.last_line = 0
    return [
        "total_rows",
        "processed_rows",
        "created_count",
        "updated_count",
        "unchanged_count",
        "failed_count",
        "last_line",
    ]


def _enqueue_process(job_id: int) -> None:
    from imports.tasks import import_job_process_task

    transaction.on_commit(lambda: import_job_process_task(job_id))


@transaction.atomic
def import_job_check(*, job: ImportJob) -> ImportJob:
    """Queue a dry run: every row validated, nothing written but the row errors and the counts."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status not in (JobStatus.MAPPED, JobStatus.CHECKED) or not job.mapping:
        raise ValidationError(_("Map the columns first."))
    job.row_errors.filter(phase=Phase.CHECK).delete()
    fields = _reset_counts(job)
    job.status, job.phase, job.error = JobStatus.CHECKING, Phase.CHECK, ""
    job.run_token, job.heartbeat_at, job.attempts = "", timezone.now(), 0
    job.save(update_fields=[*fields, "status", "phase", "error", "run_token", "heartbeat_at", "attempts"])
    _enqueue_process(job.pk)
    return job


# An import or an undo of the resource is under way: another one would race it over the same rows.
BUSY_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.UNDOING})


def _lock_resource(job: ImportJob) -> ImportJob:
    """Lock every job of `job`'s resource and return `job` re-read. All callers lock the same rows
    in the same (pk) order, so of two imports or undos started at once of the same data the second
    waits for the first to commit and then sees it busy (see _refuse_while_busy)."""
    list(ImportJob.objects.select_for_update().filter(resource=job.resource).order_by("pk").values_list("pk"))
    return ImportJob.objects.select_for_update().get(pk=job.pk)


def _refuse_while_busy(job: ImportJob) -> None:
    """Raises ValidationError while another import or undo of the same data runs."""
    if ImportJob.objects.filter(resource=job.resource, status__in=BUSY_STATUSES).exclude(pk=job.pk).exists():
        raise ValidationError(_("Another import or undo of this data is under way; wait until it ends."))


@transaction.atomic
def import_job_start(*, job: ImportJob) -> ImportJob:
    """Queue the import itself. Rows with errors are skipped and reported; the rest is written.
    Raises ValidationError before the columns are mapped, or while another import or undo of
    the same data runs."""
    job = _lock_resource(job)
    if job.status not in (JobStatus.MAPPED, JobStatus.CHECKED) or not job.mapping:
        raise ValidationError(_("Map the columns first."))
    _refuse_while_busy(job)
    fields = _reset_counts(job)
    job.status, job.phase, job.error = JobStatus.QUEUED, Phase.RUN, ""
    job.run_token, job.heartbeat_at, job.attempts = "", timezone.now(), 0
    job.started_at = timezone.now()
    job.save(update_fields=[*fields, "status", "phase", "error", "run_token", "heartbeat_at", "attempts", "started_at"])
    _enqueue_process(job.pk)
    return job


def _claim(job_id: int, statuses: Iterable[str]) -> tuple[ImportJob, str] | None:
    """Take the job for this worker unless another live worker has it."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in statuses:
            return None
        now = timezone.now()
        if job.run_token and job.heartbeat_at and job.heartbeat_at > now - STALE_AFTER:
            return None
        if job.attempts >= MAX_ATTEMPTS:
            _give_up(job)
            return None
        token = uuid.uuid4().hex
        job.run_token, job.heartbeat_at, job.attempts = token, now, job.attempts + 1
        fields = ["run_token", "heartbeat_at", "attempts"]
        if job.status == JobStatus.QUEUED:
            job.status = JobStatus.RUNNING
            fields.append("status")
        job.save(update_fields=fields)
    return job, token


def _give_up(job: ImportJob) -> None:
    """Stop a locked job that MAX_ATTEMPTS workers started and none finished: an import or dry run
    fails, an undo goes back to the import it was undoing with the reason in its report."""
    message = _("Stopped after %(attempts)s attempts: the worker kept stopping.") % {"attempts": job.attempts}
    job.run_token, job.heartbeat_at = "", None
    if job.status == JobStatus.UNDOING:
        job.status, job.undo_report = _status_before_undo(job), {"error": message}
        job.save(update_fields=["status", "undo_report", "run_token", "heartbeat_at"])
    else:
        job.status, job.error, job.finished_at = JobStatus.FAILED, message, timezone.now()
        job.save(update_fields=["status", "error", "finished_at", "run_token", "heartbeat_at"])
    logger.error("import job %s given up after %s attempts", job.pk, job.attempts)


def _status_before_undo(job: ImportJob) -> str:
    """An undo starts from a finished or a failed import (import_job_undoable); only a failed one
    has an error."""
    return JobStatus.FAILED if job.error else JobStatus.DONE


def _locked(job: ImportJob, token: str) -> ImportJob:
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if locked.run_token != token:
        raise Superseded
    return locked


def import_job_process(*, job_id: int) -> None:
    """The worker's part: run the job's dry run or import, batch by batch. An import resumes after
    the last committed batch when an earlier worker died; a dry run starts over. Safe to call any
    number of times for the same job."""
    claimed = _claim(job_id, {JobStatus.CHECKING, JobStatus.QUEUED, JobStatus.RUNNING})
    if claimed is None:
        return
    job, token = claimed
    with translation.override(job.language):
        try:
            if job.phase == Phase.CHECK:
                _process(job, token, write=False)
            else:
                _process(job, token, write=True)
        except Superseded:
            return
        except ImportFileError as exc:
            _fail(job, token, str(exc))
        except Exception as exc:
            logger.exception("import job %s failed", job.pk)
            _fail(job, token, _("Unexpected error: %(error)s") % {"error": exc})


def _fail(job: ImportJob, token: str, message: str) -> None:
    with transaction.atomic():
        try:
            locked = _locked(job, token)
        except Superseded:
            return
        locked.status, locked.error, locked.finished_at = JobStatus.FAILED, message[:2000], timezone.now()
        locked.save(update_fields=["status", "error", "finished_at"])


def _process(job: ImportJob, token: str, *, write: bool) -> None:
    phase = Phase.RUN if write else Phase.CHECK
    with transaction.atomic():
        locked = _locked(job, token)
        if not write and locked.processed_rows:  # a dry run interrupted half-way starts over
            locked.row_errors.filter(phase=Phase.CHECK).delete()
        fields = _reset_counts(locked) if not write and locked.processed_rows else []
        locked.total_rows = sum(1 for _row in job_reader(job))
        locked.heartbeat_at = timezone.now()
        locked.save(update_fields=[*fields, "total_rows", "heartbeat_at"])
    skip_through = locked.last_line if write else 0

    def on_batch(pipeline: Pipeline, result: BatchResult) -> bool:
        with transaction.atomic():
            current = _locked(job, token)
            if write:
                ImportChange.objects.bulk_create(pipeline.save(result), batch_size=1000)
            ImportRowError.objects.bulk_create(pipeline.errors_of(result.failed, phase=phase), batch_size=1000)
            current.processed_rows += len(result.rows)
            current.created_count += len(result.created)
            current.updated_count += len(result.updated)
            current.unchanged_count += len(result.unchanged)
            current.failed_count += len(result.failed)
            current.last_line = result.last_line
            current.heartbeat_at = timezone.now()
            current.save(
                update_fields=[
                    "processed_rows",
                    "created_count",
                    "updated_count",
                    "unchanged_count",
                    "failed_count",
                    "last_line",
                    "heartbeat_at",
                ]
            )
        return True

    run_pipeline(job, on_batch=on_batch, skip_through=skip_through)
    with transaction.atomic():
        done = _locked(job, token)
        done.status = JobStatus.DONE if write else JobStatus.CHECKED
        done.finished_at = timezone.now() if write else done.finished_at
        done.save(update_fields=["status", "finished_at"])


# --- undo ----------------------------------------------------------------------------------------


def import_job_undoable(*, job: ImportJob) -> bool:
    """Only the most recent import of each kind of data can be undone, once."""
    if job.phase != Phase.RUN or job.status not in (JobStatus.DONE, JobStatus.FAILED) or job.started_at is None:
        return False
    latest = (
        ImportJob.objects.filter(
            resource=job.resource,
            phase=Phase.RUN,
            status__in=[JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE, JobStatus.FAILED, JobStatus.UNDOING],
            started_at__isnull=False,
        )
        .order_by("-started_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return latest == job.pk


@transaction.atomic
def import_job_undo_request(*, job: ImportJob) -> ImportJob:
    """Queue the undo of an import (see import_job_undo_process). Raises ValidationError when the
    job is not the most recent import of its data, or while another import or undo of it runs."""
    job = _lock_resource(job)
    if not import_job_undoable(job=job):
        raise ValidationError(_("Only the most recent import of this data can be undone."))
    _refuse_while_busy(job)
    job.status, job.run_token, job.heartbeat_at, job.attempts = JobStatus.UNDOING, "", timezone.now(), 0
    job.save(update_fields=["status", "run_token", "heartbeat_at", "attempts"])
    job_id = job.pk

    def enqueue() -> None:
        from imports.tasks import import_job_undo_task

        import_job_undo_task(job_id)

    transaction.on_commit(enqueue)
    return job


def import_job_undo_process(*, job_id: int) -> None:
    """Delete what the import created and put back what it updated, in one transaction, except
    records changed since the import or still used (by tickets, contacts, parts…): those are
    left alone and listed in job.undo_report."""
    claimed = _claim(job_id, {JobStatus.UNDOING})
    if claimed is None:
        return
    job, token = claimed
    with translation.override(job.language):
        try:
            with transaction.atomic():
                _locked(job, token)
                report = _undo(job)
                done = _locked(job, token)
                done.status, done.undone_at, done.undo_report = JobStatus.UNDONE, timezone.now(), report
                done.save(update_fields=["status", "undone_at", "undo_report"])
        except Superseded:
            return
        except Exception as exc:
            logger.exception("undo of import job %s failed", job.pk)
            with transaction.atomic():
                locked = ImportJob.objects.select_for_update().get(pk=job.pk)
                locked.status = _status_before_undo(locked)
                locked.undo_report = {"error": _("The undo failed: %(error)s") % {"error": exc}}
                locked.save(update_fields=["status", "undo_report"])


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _undo(job: ImportJob) -> dict[str, Any]:
    resource = resource_class(job.resource)()
    model = resource.model
    manager = model._default_manager  # type: ignore[attr-defined]
    created: dict[int, Any] = {}
    updated: dict[int, tuple[Any, Any]] = {}
    for object_id, action, previous, stamp in job.changes.values_list("object_id", "action", "previous", "stamp"):
        if action == ChangeAction.CREATED:
            created[object_id] = stamp
        else:
            updated[object_id] = (previous, stamp)
    # The rows stay locked until the undo commits: a user saving one of them meanwhile waits, and
    # then finds it deleted or restored — never changed after the stamp was compared and then
    # silently overwritten.
    current: dict[int, Any] = {}
    for chunk in _chunks(sorted([*created, *updated])):
        current.update(manager.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk", "updated_at"))
    left: dict[int, str] = {}
    changed_since = _("changed after the import")
    for object_id, stamp in created.items():
        if object_id in current and current[object_id] != stamp:
            left[object_id] = changed_since
    for object_id, (_previous, stamp) in updated.items():
        if object_id not in current:
            left[object_id] = _("deleted after the import")
        elif current[object_id] != stamp:
            left[object_id] = changed_since

    # What to delete: created, still there, unchanged, and pointed at by nothing that stays.
    doomed = {pk for pk in created if pk in current and pk not in left}
    self_relations = []
    for label, field_name, reason in resource.protecting_relations:
        related = apps.get_model(label)
        if related is model:
            self_relations.append((field_name, str(reason)))
            continue
        for chunk in _chunks(sorted(doomed)):
            for target in related._default_manager.filter(**{f"{field_name}__in": chunk}).values_list(
                field_name, flat=True
            ):
                if target in doomed:
                    left[target] = str(reason)
        doomed -= set(left)
    while self_relations:
        kept = 0
        for field_name, reason in self_relations:
            for chunk in _chunks(sorted(doomed)):
                pairs = manager.filter(**{f"{field_name}__in": chunk}).values_list("pk", field_name)
                for pk, target in pairs:
                    if pk not in doomed and target in doomed:
                        left[target] = reason
                        doomed.discard(target)
                        kept += 1
        if not kept:
            break

    deleted = _delete(resource, sorted(doomed), left)
    restored = _restore(resource, {pk: updated[pk][0] for pk in updated if pk not in left})
    labels = {}
    sample = sorted(left)[:UNDO_REPORT_LIMIT]
    for chunk in _chunks(sample):
        labels.update({pk: str(obj) for pk, obj in manager.in_bulk(chunk).items()})
    return {
        "deleted": deleted,
        "restored": restored,
        "left_alone_count": len(left),
        "left_alone": [{"id": pk, "label": labels.get(pk, f"#{pk}"), "reason": left[pk]} for pk in sample],
    }


def _delete(resource: Resource, ids: list[int], left: dict[int, str]) -> int:
    if not ids:
        return 0
    try:
        with transaction.atomic():
            resource.delete(ids)
        return len(ids)
    except (ProtectedError, RestrictedError, IntegrityError):
        pass
    # Something the relations list does not know still points at some of them: one by one.
    deleted = 0
    for pk in ids:
        try:
            with transaction.atomic():
                resource.delete([pk])
            deleted += 1
        except (ProtectedError, RestrictedError, IntegrityError):
            left[pk] = _("used by other records")
    return deleted


def _restore(resource: Resource, previous: dict[int, dict[str, Any]]) -> int:
    model = resource.model
    manager = model._default_manager  # type: ignore[attr-defined]
    restored = 0
    now = timezone.now()
    for chunk in _chunks(sorted(previous)):
        objs = manager.in_bulk(chunk)
        extras = []
        changed: set[str] = set()
        for pk, obj in objs.items():
            current = resource.snapshot_fields(obj)
            for attname, value in previous[pk].items():
                if attname.startswith("_") or current.get(attname) == value:
                    continue
                model_field = _field_by_attname(model, attname)
                setattr(obj, attname, None if value is None else model_field.to_python(value))
                changed.add(model_field.name)
            obj.updated_at = now  # type: ignore[attr-defined]
            extras.append((obj, {k: v for k, v in previous[pk].items() if k.startswith("_")}))
        bulk_update_rows(model, list(objs.values()), [*sorted(changed), "updated_at"])
        resource.restore_extra([(obj, extra) for obj, extra in extras if extra])
        restored += len(objs)
    return restored


def _field_by_attname(model: type[models.Model], attname: str) -> Any:
    for model_field in model._meta.concrete_fields:
        if model_field.attname == attname:
            return model_field
    raise KeyError(attname)


# --- the reconciler ------------------------------------------------------------------------------


def import_jobs_reconcile(*, stale_after: timedelta = STALE_AFTER) -> int:
    """Re-queue jobs whose worker stopped writing heartbeats (killed, machine restarted). The job
    resumes after its last committed batch, so nothing is written twice. A job whose workers
    stopped MAX_ATTEMPTS times is given up instead (see _give_up). Returns how many were re-queued."""
    from imports.tasks import import_job_process_task, import_job_undo_task

    cutoff = timezone.now() - stale_after
    requeued = 0
    for job_id in ImportJob.objects.filter(status__in=ACTIVE_STATUSES, heartbeat_at__lt=cutoff).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            if job.status not in ACTIVE_STATUSES or (job.heartbeat_at and job.heartbeat_at >= cutoff):
                continue
            if job.attempts >= MAX_ATTEMPTS:
                _give_up(job)
                continue
            job.run_token, job.heartbeat_at = "", timezone.now()
            job.save(update_fields=["run_token", "heartbeat_at"])
            task = import_job_undo_task if job.status == JobStatus.UNDOING else import_job_process_task
            transaction.on_commit(lambda task=task, job_id=job_id: task(job_id))  # type: ignore[misc]
        requeued += 1
        logger.warning("import job %s re-queued after its worker stopped", job_id)
    return requeued
