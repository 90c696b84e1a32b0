"""Import and export of the client base, for administrators and supervisors."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.http import AuthedHttpRequest
from imports import services
from imports.choices import ACTIVE_STATUSES, JobStatus, Phase
from imports.exports import escape_cell, export_csv_chunks, export_xlsx_file
from imports.forms import MappingForm, UploadForm
from imports.resources.base import REGISTRY, resource_choices, resource_class
from imports.selectors import import_job_get_for_user, import_job_list_for_user, import_row_error_list, user_can_import

ERRORS_PER_PAGE = 100


def import_admin_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Administrators and supervisors only: anonymous visitors go to the login page, client contacts
    get 404 (the page does not exist for them), other staff 403."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not user_can_import(request.user):
            if not request.user.is_agent_side:
                raise Http404
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _validation_messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


@import_admin_required
def index(request: AuthedHttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None, initial={"resource": request.GET.get("resource")})
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(
                user=request.user, resource=form.cleaned_data["resource"], upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            return redirect("imports:job_mapping", pk=job.pk)
    jobs = Paginator(import_job_list_for_user(user=request.user), 20).get_page(request.GET.get("page"))
    labels = dict(resource_choices())
    for job in jobs:
        job.resource_label = labels.get(job.resource, job.resource)  # type: ignore[attr-defined]
    return render(
        request,
        "imports/index.html",
        {"form": form, "page": jobs, "resources": resource_choices(), "nav": "imports"},
    )


@import_admin_required
def job_mapping(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    job = import_job_get_for_user(user=request.user, job_id=pk)
    if not _remappable(job):
        return redirect("imports:job_detail", pk=job.pk)
    form = MappingForm(request.POST or None, job=job)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.import_job_set_mapping(job=job, mapping=form.mapping())
            if request.POST.get("action") == "import":
                services.import_job_start(job=job)
            else:
                services.import_job_check(job=job)
        except ValidationError as exc:
            problems = _validation_messages(exc)
        else:
            return redirect("imports:job_detail", pk=job.pk)
    cls = resource_class(job.resource)
    return render(
        request,
        "imports/mapping.html",
        {
            "job": job,
            "form": form,
            "rows": form.rows(),
            "problems": problems,
            "resource_label": cls.label,
            "columns": cls.columns,
            "nav": "imports",
        },
    )


def _remappable(job: Any) -> bool:
    """Columns can change until the import runs (a dry run that failed included)."""
    return job.status in (JobStatus.UPLOADED, JobStatus.MAPPED, JobStatus.CHECKED) or (
        job.status == JobStatus.FAILED and job.phase == Phase.CHECK
    )


def _job_context(request: AuthedHttpRequest, job: Any) -> dict[str, Any]:
    errors = Paginator(import_row_error_list(job=job), ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "job": job,
        "resource_label": resource_class(job.resource).label,
        "active": job.status in ACTIVE_STATUSES,
        "errors": errors,
        "undoable": services.import_job_undoable(job=job),
        "remappable": _remappable(job),
        "elapsed": _elapsed(job),
        "nav": "imports",
    }


def _elapsed(job: Any) -> int | None:
    if not job.started_at:
        return None
    end = job.finished_at or timezone.now()
    return max(0, int((end - job.started_at).total_seconds()))


@import_admin_required
def job_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    job = import_job_get_for_user(user=request.user, job_id=pk)
    if job.status == JobStatus.UPLOADED:
        return redirect("imports:job_mapping", pk=job.pk)
    return render(request, "imports/job.html", _job_context(request, job))


@import_admin_required
def job_progress(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The progress block, polled by htmx every second; once the job is over the page reloads."""
    job = import_job_get_for_user(user=request.user, job_id=pk)
    response = render(request, "imports/_progress.html", _job_context(request, job))
    if job.status not in ACTIVE_STATUSES and getattr(request, "htmx", False):
        response["HX-Refresh"] = "true"
    return response


@require_POST
@import_admin_required
def job_action(request: AuthedHttpRequest, pk: int, action: str) -> HttpResponse:
    job = import_job_get_for_user(user=request.user, job_id=pk)
    actions = {
        "check": services.import_job_check,
        "start": services.import_job_start,
        "undo": services.import_job_undo_request,
    }
    if action not in actions:
        raise Http404
    try:
        actions[action](job=job)
    except ValidationError as exc:
        for message in _validation_messages(exc):
            messages.error(request, message)
    return redirect("imports:job_detail", pk=job.pk)


@import_admin_required
def job_errors_csv(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    job = import_job_get_for_user(user=request.user, job_id=pk)

    def chunks():  # type: ignore[no-untyped-def]
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow([_("Line"), _("Column"), _("Error")])
        yield "\ufeff" + buffer.getvalue()
        for line, column, message in (
            import_row_error_list(job=job).values_list("line", "column", "message").iterator(2000)
        ):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([line, escape_cell(column), escape_cell(message)])
            yield buffer.getvalue()

    response = StreamingHttpResponse((c.encode() for c in chunks()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="errors-{job.pk}.csv"'
    return response


@import_admin_required
def export(request: AuthedHttpRequest, resource: str, file_format: str) -> HttpResponseBase:
    resource_choices()  # loads the registry
    if resource not in REGISTRY or file_format not in ("csv", "xlsx"):
        raise Http404
    filename = f"{resource}-{timezone.localdate():%Y-%m-%d}.{file_format}"
    if file_format == "csv":
        response = StreamingHttpResponse(export_csv_chunks(resource=resource), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return FileResponse(
        export_xlsx_file(resource=resource),
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
