"""The SLA report as a file: the grouped table, then the breached tickets (one line per missed
target). CSV as Russian Excel opens it (UTF-8 with BOM, ";", decimal comma), streamed; XLSX with
two sheets, written by openpyxl's write-only workbook into a temporary file."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from imports.exports import escape_cell
from sla.report import Grouping, Report, ReportRow, TargetSummary, breached_targets
from tickets.models import Ticket

Value = str | int | float | datetime | None
FLUSH_EVERY = 500


def report_headers(report: Report) -> list[str]:
    group = str(dict(Grouping.choices)[report.grouping])
    columns = [group, _("Tickets")]
    for target in (_("First response"), _("Resolution")):
        columns += [
            f"{target}: {_('met')}",
            f"{target}: {_('breached')}",
            f"{target}: {_('pending')}",
            f"{target}: {_('met')}, %",
            f"{target}: {_('average, business hours')}",
            f"{target}: {_('median, business hours')}",
        ]
    return columns


def _summary(summary: TargetSummary) -> list[Value]:
    return [
        summary.met,
        summary.breached,
        summary.pending,
        summary.share,
        summary.average_hours,
        summary.median_hours,
    ]


def report_lines(report: Report) -> list[list[Value]]:
    rows: list[ReportRow] = [*report.rows, report.totals]
    return [[row.label, row.tickets, *_summary(row.first_response), *_summary(row.resolution)] for row in rows]


def breached_headers() -> list[str]:
    return [
        _("Number"),
        _("Subject"),
        _("Target"),
        _("Deadline"),
        _("Late by, hours"),
        _("Assignee"),
        _("Team"),
        _("Received"),
    ]


def breached_lines(tickets: QuerySet[Ticket], *, now: datetime, tz: tzinfo) -> Iterator[list[Value]]:
    """One line per missed target; times naive in `tz` (spreadsheets know no time zones)."""
    for ticket in tickets.iterator(chunk_size=2000):
        for missed in breached_targets(ticket, now=now):
            yield [
                ticket.number,
                ticket.title,
                missed.label,
                _local(missed.due, tz),
                _hours(missed.late),
                str(ticket.assignee) if ticket.assignee_id else "",
                ticket.team.name if ticket.team_id and ticket.team else "",
                _local(ticket.received_at, tz),
            ]


def _local(moment: datetime | None, tz: tzinfo) -> datetime | None:
    return timezone.localtime(moment, tz).replace(tzinfo=None, microsecond=0) if moment else None


def _hours(late: timedelta | None) -> float | None:
    return round(late.total_seconds() / 3600, 2) if late is not None else None


def _csv_cell(value: Value) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    return escape_cell(value)


def export_csv_chunks(*, report: Report, breached: QuerySet[Ticket], tz: tzinfo) -> Iterator[bytes]:
    """The CSV file in pieces. Headers are translated now, in the request's language; the
    breached lines are read while the response streams, in the same language and time zone."""
    language = translation.get_language()
    now = timezone.now()
    head: list[list[Any]] = [report_headers(report), *report_lines(report), [], breached_headers()]

    def chunks() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        for line in head:
            writer.writerow([_csv_cell(v) for v in line])
        yield "\ufeff".encode() + buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        with translation.override(language), timezone.override(tz):
            for count, line in enumerate(breached_lines(breached, now=now, tz=tz), start=1):
                writer.writerow([_csv_cell(v) for v in line])
                if count % FLUSH_EVERY == 0:
                    yield buffer.getvalue().encode()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue().encode()

    return chunks()


def export_xlsx_file(*, report: Report, breached: QuerySet[Ticket], tz: tzinfo) -> IO[bytes]:
    """A temporary file holding the workbook, positioned at its start; the caller closes it."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    workbook = openpyxl.Workbook(write_only=True)
    table = workbook.create_sheet(title=_("SLA report")[:31])
    table.append(report_headers(report))
    for line in report_lines(report):
        table.append([_xlsx_text(table, v, WriteOnlyCell) for v in line])
    sheet = workbook.create_sheet(title=_("Breached tickets")[:31])
    sheet.append(breached_headers())
    for line in breached_lines(breached, now=timezone.now(), tz=tz):
        cells: list[object] = []
        for value in line:
            if isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "DD.MM.YYYY HH:MM"
                cells.append(cell)
            else:
                cells.append(_xlsx_text(sheet, value, WriteOnlyCell))
        sheet.append(cells)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 — handed over to the response, which closes it
    workbook.save(handle)
    handle.seek(0)
    return handle


def _xlsx_text(sheet: object, value: Value, cell_class: type) -> object:
    if isinstance(value, str) and value.startswith("="):
        cell = cell_class(sheet, value=value)
        cell.data_type = "s"  # text, never a formula
        return cell
    return value
