"""The SLA report page and its CSV / XLSX export (sla/urls.py collects each module's
urlpatterns). The maths lives in sla/report.py; this only parses the filters and renders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.http import AuthedHttpRequest
from sla.report import (
    BreachedTarget,
    Grouping,
    Report,
    ReportRow,
    breached_targets,
    period_range,
    sla_breached_list_for_user,
    sla_report_for_user,
)
from sla.report_export import export_csv_chunks, export_xlsx_file
from sla.report_forms import ReportFilterForm
from sla.views.common import sla_manager_required
from tickets.models import Ticket

BREACHED_PER_PAGE = 50
# Where a click on a row of the table leads: the same report narrowed to that row, grouped finer.
DRILL_DOWN = {
    Grouping.MONTH: Grouping.DAY,
    Grouping.WEEK: Grouping.DAY,
    Grouping.DAY: Grouping.TEAM,
    Grouping.TEAM: Grouping.AGENT,
    Grouping.AGENT: Grouping.DAY,
    Grouping.COMPANY: Grouping.DAY,
    Grouping.PRIORITY: Grouping.DAY,
}
FILTER_PARAMETERS = ("date_from", "date_to", "group", "team", "assignee", "priority", "company")


@dataclass
class BreachedLine:
    ticket: Ticket
    targets: list[tuple[BreachedTarget, str]]  # each missed target, and how late in words


def _form(request: AuthedHttpRequest) -> ReportFilterForm:
    return ReportFilterForm({k: request.GET[k] for k in FILTER_PARAMETERS if k in request.GET})


def _query(form: ReportFilterForm, **changes: Any) -> str:
    """The report's GET parameters with `changes` (None drops a parameter)."""
    data = form.cleaned_data
    params: dict[str, Any] = {
        "date_from": data["date_from"].isoformat(),
        "date_to": data["date_to"].isoformat(),
        "group": data["group"],
    }
    for name in ("team", "assignee", "priority", "company"):
        if data.get(name) is not None:
            params[name] = data[name].pk
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return urlencode(params)


def _drill_down(form: ReportFilterForm, report: Report, row: ReportRow) -> str | None:
    """The query of the report narrowed to `row` (None for rows that cannot be a filter, such
    as "no team")."""
    grouping, finer = report.grouping, DRILL_DOWN[report.grouping]
    if grouping in Grouping.PERIODS:
        first, last = period_range(row.key, grouping)
        first = max(first, report.filters.date_from)
        last = min(last, report.filters.date_to)
        return _query(form, date_from=first, date_to=last, group=finer)
    if row.key is None:
        return None
    parameter = {"team": "team", "agent": "assignee", "company": "company", "priority": "priority"}[grouping]
    return _query(form, **{parameter: row.key, "group": finer})


def duration_text(value: timedelta | None) -> str:
    """ "2 d 3 h", "3 h 15 min", "7 min"; "—" when not known."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return ngettext("%(minutes)d min", "%(minutes)d min", minutes) % {"minutes": minutes}


@sla_manager_required
def sla_report(request: AuthedHttpRequest) -> HttpResponse:
    form = _form(request)
    context: dict[str, Any] = {"form": form, "nav": "sla"}
    if form.is_valid():
        filters = form.report_filters()
        report = sla_report_for_user(user=request.user, filters=filters, grouping=form.cleaned_data["group"])
        breached_tickets = sla_breached_list_for_user(user=request.user, filters=filters)
        page = Paginator(breached_tickets, BREACHED_PER_PAGE).get_page(request.GET.get("page"))
        now = timezone.now()
        breached = [
            BreachedLine(ticket, [(t, duration_text(t.late)) for t in breached_targets(ticket, now=now)])
            for ticket in page
        ]
        context.update(
            report=report,
            rows=[(row, _drill_down(form, report, row)) for row in report.rows],
            page=page,
            breached=breached,
            query=_query(form),
            company=form.cleaned_data.get("company"),
            without_company=_query(form, company=None),
        )
    return render(request, "sla/report.html", context)


def _error_text(form: ReportFilterForm) -> str:
    """The form's errors as plain text lines: "Received from: Enter a date …"."""
    lines = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(str(error) for error in errors)
        lines.append(f"{label}: {text}" if label else text)
    return "\n".join(lines)


@sla_manager_required
def sla_report_export(request: AuthedHttpRequest) -> HttpResponseBase:
    file_format = request.GET.get("format", "csv")
    if file_format not in ("csv", "xlsx"):
        return HttpResponseBadRequest(_("Unknown export format: choose csv or xlsx."), content_type="text/plain")
    form = _form(request)
    if not form.is_valid():
        return HttpResponseBadRequest(_error_text(form), content_type="text/plain; charset=utf-8")
    filters = form.report_filters()
    tz = timezone.get_current_timezone()
    report = sla_report_for_user(user=request.user, filters=filters, grouping=form.cleaned_data["group"], tz=tz)
    breached = sla_breached_list_for_user(user=request.user, filters=filters, tz=tz)
    filename = f"sla-{filters.date_from:%Y-%m-%d}-{filters.date_to:%Y-%m-%d}.{file_format}"
    if file_format == "csv":
        response = StreamingHttpResponse(
            export_csv_chunks(report=report, breached=breached, tz=tz), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return FileResponse(
        export_xlsx_file(report=report, breached=breached, tz=tz),
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


urlpatterns: list[URLPattern] = [
    path("report/", sla_report, name="report"),
    path("report/export/", sla_report_export, name="report_export"),
]
