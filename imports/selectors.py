"""Reads of the imports app, scoped to the person asking: only administrators and supervisors
see import jobs (everyone else gets 404 from the views before reaching here)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from imports.choices import IMPORT_ROLES, Phase
from imports.models import ImportJob, ImportRowError


def user_can_import(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in IMPORT_ROLES)


def import_job_list_for_user(*, user: User) -> QuerySet[ImportJob]:
    if not user_can_import(user):
        return ImportJob.objects.none()
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")


def import_job_get_for_user(*, user: User, job_id: int) -> ImportJob:
    try:
        return import_job_list_for_user(user=user).get(pk=job_id)
    except (ImportJob.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def import_row_error_list(*, job: ImportJob) -> QuerySet[ImportRowError]:
    """The errors of the job's latest pass (the dry run, or the import once it ran)."""
    return job.row_errors.filter(phase=job.phase or Phase.CHECK).order_by("line", "id")
