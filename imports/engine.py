"""The import pipeline: rows of the file → parsed values → references resolved → duplicates in the
file refused → the record to update found → values written onto a new or existing record → whole
batches saved. The same code validates (dry run, nothing written) and imports. See
docs/architecture/imports.md."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk import bulk_update_rows
from imports.choices import ChangeAction
from imports.models import ImportChange, ImportJob, ImportRowError
from imports.readers import TableReader
from imports.resources.base import Column, Resource, Row, resource_class
from imports.values import CellError

BATCH_SIZE = 2000


@dataclass
class BatchResult:
    rows: list[Row]
    created: list[Row]
    updated: list[Row]
    unchanged: list[Row]
    failed: list[Row]
    last_line: int


def job_reader(job: ImportJob) -> Iterator[tuple[int, list[str]]]:
    with job.file.open("rb") as handle:
        reader = TableReader(file=handle, file_format=job.file_format, encoding=job.encoding, delimiter=job.delimiter)
        yield from reader.rows(header_line=max(job.header_line, 1))


def batches(rows: Iterator[tuple[int, list[str]]], size: int = BATCH_SIZE) -> Iterator[list[tuple[int, list[str]]]]:
    while True:
        chunk = list(islice(rows, size))
        if not chunk:
            return
        yield chunk


class Pipeline:
    """One pass over a job's file. Holds the lookups and the identities seen so far, so a later
    row can refer to a record an earlier row creates, and a repeated record is reported."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.resource: Resource = resource_class(job.resource)()
        self.resource.load()
        self.columns: dict[int, Column] = {int(i): self.resource.column(code) for i, code in job.mapping.items()}
        self.header_of = {column.code: _header(job.headers, i) for i, column in self.columns.items()}
        self.seen: dict[tuple[str, Any], int] = {}

    def column_title(self, code: str) -> str:
        if not code:
            return ""
        return self.header_of.get(code) or str(self.resource.column(code).label)

    def _parse(self, line: int, cells: list[str]) -> Row:
        row = Row(line=line, values={})
        for index, column in self.columns.items():
            raw = cells[index] if index < len(cells) else ""
            try:
                value = column.parse(raw)
            except CellError as exc:
                row.fail(column.code, str(exc))
                continue
            if value is None and column.required:
                row.fail(column.code, _("A value is required."))
                continue
            row.values[column.code] = value
        return row

    def prepare(self, chunk: list[tuple[int, list[str]]]) -> list[Row]:
        """Every row of the chunk checked and, when good, holding the object to save (row.instance)."""
        resource = self.resource
        rows = [self._parse(line, cells) for line, cells in chunk]
        for row in rows:
            resource.resolve(row)  # also after a bad cell: report the row's other problems too
            if not row.errors:
                row.existing_id = resource.find(row)
        existing = resource.fetch({r.existing_id for r in rows if r.existing_id and not r.errors})
        resource.prefetch_extra(existing)
        for row in rows:
            if row.errors:
                continue
            keys = resource.keys(row)
            if row.existing_id:
                keys.append(("pk", row.existing_id, ""))
            repeated = next(((key, self.seen[key[:2]]) for key in keys if key[:2] in self.seen), None)
            if repeated:
                (_kind, _value, code), first_line = repeated
                row.fail(code, _("The same record is already on line %(line)s.") % {"line": first_line})
                continue
            if row.existing_id:
                obj = existing.get(row.existing_id)
                if obj is None:  # deleted while the import ran
                    row.fail("", _("The record to update no longer exists."))
                    continue
                row.previous = resource.snapshot(obj)
            else:
                obj = resource.new()
            resource.fill(row, obj)
            if row.errors:
                continue
            row.instance = obj
            resource.remember(row, obj)
            for key in keys:
                self.seen[key[:2]] = row.line
        return rows

    def classify(self, rows: list[Row]) -> BatchResult:
        created, updated, unchanged, failed = [], [], [], []
        for row in rows:
            if row.errors:
                failed.append(row)
            elif row.previous is None:
                created.append(row)
            elif self.resource.changed(row, row.instance):  # type: ignore[arg-type]
                updated.append(row)
            else:
                unchanged.append(row)
        return BatchResult(rows, created, updated, unchanged, failed, rows[-1].line if rows else 0)

    def save(self, result: BatchResult) -> list[ImportChange]:
        """Write a classified batch (inside the caller's transaction); the changes to record."""
        resource = self.resource
        model = resource.model
        now = timezone.now()
        for row in result.created:
            row.instance.updated_at = now  # type: ignore[union-attr]
        resource.create([row.instance for row in result.created])  # type: ignore[misc]
        if result.updated:
            fields = set()
            for row in result.updated:
                row.instance.updated_at = now  # type: ignore[union-attr]
                current = resource.snapshot_fields(row.instance)  # type: ignore[arg-type]
                fields |= {k for k, v in current.items() if row.previous.get(k) != v}  # type: ignore[union-attr]
            names = [model._meta.get_field(name).name for name in resource.written_fields]
            changed = [n for n in names if getattr(model._meta.get_field(n), "attname", n) in fields] + ["updated_at"]
            for row in result.updated:  # a parent created in this batch has its id only now
                row.instance._prepare_related_fields_for_save(operation_name="bulk_update", fields=None)  # type: ignore[union-attr]
            bulk_update_rows(model, [row.instance for row in result.updated], changed)  # type: ignore[misc]
        resource.save_extra(result.created + result.updated)
        changes = [
            ImportChange(
                job=self.job,
                object_id=row.instance.pk,  # type: ignore[union-attr]
                action=ChangeAction.CREATED,
                stamp=row.instance.updated_at,  # type: ignore[union-attr]
            )
            for row in result.created
        ]
        changes += [
            ImportChange(
                job=self.job,
                object_id=row.instance.pk,  # type: ignore[union-attr]
                action=ChangeAction.UPDATED,
                previous=row.previous,
                stamp=now,
            )
            for row in result.updated
        ]
        return changes

    def errors_of(self, rows: list[Row], *, phase: str) -> list[ImportRowError]:
        return [
            ImportRowError(
                job=self.job, phase=phase, line=row.line, column=self.column_title(e.column)[:255], message=e.message
            )
            for row in rows
            for e in row.errors
        ]


def _header(headers: list[str], index: int) -> str:
    if index < len(headers) and headers[index]:
        return headers[index]
    return _("Column %(number)s") % {"number": index + 1}


def run_pipeline(
    job: ImportJob,
    *,
    on_batch: Callable[[Pipeline, BatchResult], bool],
    skip_through: int = 0,
    batch_size: int | None = None,
) -> Pipeline:
    """Feed the file through a pipeline batch by batch. Batches ending at or before `skip_through`
    (committed by an earlier, interrupted run) are replayed without writing, only so the
    identities they hold are known; `on_batch` gets the others and returns False to stop."""
    pipeline = Pipeline(job)
    try:
        for chunk in batches(job_reader(job), batch_size or BATCH_SIZE):
            rows = pipeline.prepare(chunk)
            if chunk[-1][0] > skip_through and not on_batch(pipeline, pipeline.classify(rows)):
                break
            # The lookups only grow (every row's record stays findable): move what exists now out
            # of the cyclic garbage collector's sight, or each collection rescans all of it and a
            # 100,000-row file costs quadratic time.
            gc.freeze()
    finally:
        gc.unfreeze()
    return pipeline
