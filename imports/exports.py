"""Export of a resource with the same columns the import reads, so an exported file imports back
unchanged: CSV as Russian Excel opens it (UTF-8 with BOM, ";"), streamed row by row, or XLSX
written by openpyxl's write-only workbook (constant memory) into a temporary file."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import date
from typing import IO

from imports.readers import needs_escape
from imports.resources.base import resource_class

FLUSH_EVERY = 500


def escape_cell(value: object) -> object:
    """An apostrophe before text a spreadsheet would run as a formula (see readers.needs_escape)."""
    if isinstance(value, str) and needs_escape(value):
        return "'" + value
    return value


def export_csv_chunks(*, resource: str) -> Iterator[bytes]:
    cls = resource_class(resource)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(cls.export_headers())
    yield "\ufeff".encode() + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(cls().export_rows(for_csv=True), start=1):
        writer.writerow([escape_cell(value) for value in row])
        if count % FLUSH_EVERY == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def export_xlsx_file(*, resource: str) -> IO[bytes]:
    """A temporary file holding the workbook, positioned at its start; the caller closes it."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    cls = resource_class(resource)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(cls.label)[:31])
    sheet.append(cls.export_headers())
    for row in cls().export_rows(for_csv=False):
        cells: list[object] = []
        for value in row:
            if isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "DD.MM.YYYY"
                cells.append(cell)
            elif isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, never a formula
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 — handed over to the response, which closes it
    workbook.save(handle)
    handle.seek(0)
    return handle
