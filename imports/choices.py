from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role

# Who may import and export the client base.
IMPORT_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Columns to map")
    MAPPED = "mapped", _("Ready to check")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")
    UNDOING = "undoing", _("Undoing")
    UNDONE = "undone", _("Undone")


# A worker is working on the job (its heartbeat is watched by the reconciler).
ACTIVE_STATUSES = frozenset({JobStatus.CHECKING, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.UNDOING})


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class Phase(models.TextChoices):
    CHECK = "check", _("Check")
    RUN = "run", _("Import")


class ChangeAction(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
