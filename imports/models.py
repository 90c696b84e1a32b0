"""Import jobs: the uploaded file, its column mapping, the durable progress a worker resumes from,
every row error, and what each import changed (so it can be undone). See docs/architecture/imports.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from imports.choices import ChangeAction, FileFormat, JobStatus, Phase


class ImportJob(models.Model):
    resource = models.CharField(_("data"), max_length=30)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.UPLOADED)
    phase = models.CharField(max_length=5, choices=Phase.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Row errors are written in the language of the person who started the import.
    language = models.CharField(max_length=2, default="ru")
    file = models.FileField(upload_to="imports/%Y/%m/")
    filename = models.CharField(_("file"), max_length=255)
    file_format = models.CharField(max_length=4, choices=FileFormat.choices)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    header_line = models.PositiveIntegerField(default=1)
    headers = models.JSONField(default=list)
    samples = models.JSONField(default=list)
    # {"<column index>": "<field code>"}; columns not listed are skipped.
    mapping = models.JSONField(default=dict)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    # The last file line whose batch is committed: a re-run after a dead worker starts after it.
    last_line = models.PositiveIntegerField(default=0)
    run_token = models.CharField(max_length=32, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    undo_report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["resource", "status", "-created_at"], name="import_resource_status"),
            models.Index(fields=["status", "heartbeat_at"], name="import_status_heartbeat"),
        ]

    def __str__(self) -> str:
        return f"{self.resource}: {self.filename}"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))


class ImportRowError(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    phase = models.CharField(max_length=5, choices=Phase.choices)
    line = models.PositiveIntegerField(_("line"))
    column = models.CharField(_("column"), max_length=255, blank=True)
    message = models.TextField(_("error"))

    class Meta:
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["job", "phase", "line"], name="import_error_job_line")]

    def __str__(self) -> str:
        return f"{self.line}: {self.message}"


class ImportChange(models.Model):
    """One object an import created or updated: `previous` holds the values it replaced, `stamp`
    the updated_at the import wrote (a different value at undo time means someone changed it since)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="changes")
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=7, choices=ChangeAction.choices)
    previous = models.JSONField(null=True, blank=True)
    stamp = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["job", "action", "object_id"], name="import_change_job_object")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_id}"
