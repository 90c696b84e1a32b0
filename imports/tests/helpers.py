"""Building files and driving jobs through the services in tests."""

import csv
import io
from datetime import date

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from imports import services


def csv_bytes(rows, *, encoding="cp1251", delimiter=";", bom=False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def new_job(user, resource: str, rows, *, name="data.csv", language="en", **csv_options):
    """A job as the upload screen makes it, for a person using `language` (row errors speak it)."""
    data = xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows, **csv_options)
    with translation.override(language):
        return services.import_job_create(user=user, resource=resource, upload=upload(name, data))


def check(job):
    """Dry run in this process (what the worker does), the job re-read afterwards."""
    services.import_job_set_mapping(job=job, mapping=job.mapping)
    services.import_job_check(job=job)
    services.import_job_process(job_id=job.pk)
    job.refresh_from_db()
    return job


def run(job):
    if job.status == "uploaded":
        services.import_job_set_mapping(job=job, mapping=job.mapping)
    services.import_job_start(job=job)
    services.import_job_process(job_id=job.pk)
    job.refresh_from_db()
    return job


def undo(job):
    services.import_job_undo_request(job=job)
    services.import_job_undo_process(job_id=job.pk)
    job.refresh_from_db()
    return job


def errors(job):
    return [(e.line, e.column, e.message) for e in job.row_errors.filter(phase=job.phase).order_by("line", "id")]


def counts(job):
    return {
        "total": job.total_rows,
        "processed": job.processed_rows,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "failed": job.failed_count,
    }


TODAY = date(2024, 5, 17)
