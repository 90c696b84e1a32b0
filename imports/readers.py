"""Reading an uploaded table: CSV in any encoding and delimiter Russian Excel or 1C produces
(UTF-8 with or without BOM, windows-1251, UTF-16 "Unicode text"; ";", "," or tab), or the first
sheet of an XLSX workbook. Rows come out as lists of strings with the line number the person sees
in Excel (the header is line 1 when the table starts at the top)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import IO, Any

from django.utils.translation import gettext as _

from imports.choices import FileFormat

CSV_DELIMITERS = [";", "\t", ","]
SAMPLE_ROWS = 5
# A cell this long is not a spreadsheet value: refuse the row rather than hold megabytes.
csv.field_size_limit(1024 * 1024)


# What openpyxl raises for a damaged workbook: a broken archive, missing parts, malformed XML
# (SyntaxError covers xml.etree's ParseError and lxml's XMLSyntaxError).
XLSX_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError, ValueError, SyntaxError)


class ImportFileError(Exception):
    """The file cannot be read as a table; the message says why, in the user's language."""


@dataclass
class TableHead:
    file_format: str
    encoding: str = ""
    delimiter: str = ""
    header_line: int = 1
    headers: list[str] = field(default_factory=list)
    samples: list[list[str]] = field(default_factory=list)


def file_format_for(filename: str) -> str:
    name = filename.lower()
    if name.endswith(".csv") or name.endswith(".txt"):
        return FileFormat.CSV
    if name.endswith(".xlsx"):
        return FileFormat.XLSX
    if name.endswith(".xls"):
        raise ImportFileError(_("Old Excel files (.xls) are not supported: save the file as .xlsx or CSV."))
    raise ImportFileError(_("Upload a .csv or .xlsx file."))


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with: a BOM wins, then strict UTF-8, then windows-1251
    (what Russian Excel writes for "CSV (разделители — точка с запятой)")."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251"), "cp1251"
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The file's encoding is not recognised: save it as UTF-8 or windows-1251.")) from exc


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most columns, consistently: the header's
    column count must recur in the lines after it."""
    head = "\n".join(text.splitlines()[:30])
    best, best_score = ";", (0, 0)
    for delimiter in CSV_DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(head), delimiter=delimiter) if any(c.strip() for c in r)]
        except csv.Error:  # e.g. a cell over the field size limit: reading the file says so
            continue
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        agreeing = sum(1 for r in rows[1:] if len(r) == width)
        score = (agreeing, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# Spreadsheet programs run a cell starting with these as a formula ("CSV injection"): such text
# is written with a leading apostrophe, which the import strips again (readers.unescape_cell).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A signed number or a phone number: "+7 (912) 345-67-89", "-12.5". Only digits, spaces, dots,
# brackets and dashes after the sign, so no function call and no other operator can hide in it
# ("-2+3+cmd|' /C calc'!A0" does not match) and it is left as it is.
NUMBER_OR_PHONE = re.compile(r"[+-]?[0-9\s().-]+")


def needs_escape(text: str) -> bool:
    """Whether the export puts an apostrophe before `text`: it would run as a formula, or it
    already starts with an apostrophe that the import would otherwise strip."""
    text = text.lstrip("'")
    return text.startswith(FORMULA_STARTS) and not NUMBER_OR_PHONE.fullmatch(text)


def unescape_cell(text: str) -> str:
    """Undo the apostrophe our CSV export puts before text that would run as a formula: exactly
    the inverse of exports.escape_cell."""
    if text.startswith("'") and needs_escape(text[1:]):
        return text[1:]
    return text


def cell_text(value: Any) -> str:
    """An XLSX cell as the text the same cell would have in a CSV export."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0, 0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return unescape_cell(str(value).strip())


class TableReader:
    """Iterates a stored file. `rows()` yields (line, cells) for every non-empty row after the header."""

    def __init__(self, *, file: IO[bytes], file_format: str, encoding: str = "", delimiter: str = "") -> None:
        self.file = file
        self.file_format = file_format
        self.encoding = encoding
        self.delimiter = delimiter

    def _all_rows(self) -> Iterator[tuple[int, list[str]]]:
        if self.file_format == FileFormat.CSV:
            yield from self._csv_rows()
        else:
            yield from self._xlsx_rows()

    def _csv_rows(self) -> Iterator[tuple[int, list[str]]]:
        self.file.seek(0)
        data = self.file.read()
        if self.encoding:
            text = data.decode(self.encoding, errors="replace")
            if text.startswith("\ufeff"):
                text = text[1:]
        else:
            text, self.encoding = decode(data)
        if not self.delimiter:
            self.delimiter = detect_delimiter(text)
        # Excel shows one row per record, quoted line breaks included: the record number is the line.
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
        try:
            for line, row in enumerate(reader, start=1):
                yield line, [unescape_cell(c.strip()) for c in row]
        except csv.Error as exc:
            raise ImportFileError(_("The CSV file is damaged: %(error)s") % {"error": exc}) from exc

    def _xlsx_rows(self) -> Iterator[tuple[int, list[str]]]:
        import openpyxl

        self.file.seek(0)
        try:
            workbook = openpyxl.load_workbook(self.file, read_only=True, data_only=True)
        except XLSX_ERRORS as exc:
            raise ImportFileError(_("The file is not a valid XLSX workbook.")) from exc
        try:
            sheet = workbook.worksheets[0]
            for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield line, [cell_text(v) for v in values]
        except (*XLSX_ERRORS, IndexError) as exc:
            # The sheet is read lazily: a truncated or corrupt sheet shows only here.
            raise ImportFileError(_("The XLSX file is damaged: %(error)s") % {"error": exc}) from exc
        finally:
            workbook.close()

    def head(self) -> TableHead:
        """The header (the first non-empty row) and a few rows of samples."""
        head = TableHead(file_format=self.file_format)
        for line, cells in self._all_rows():
            if not any(cells):
                continue
            if not head.headers:
                head.header_line = line
                head.headers = _trim(cells)
                continue
            head.samples.append(cells)
            if len(head.samples) >= SAMPLE_ROWS:
                break
        if not head.headers:
            raise ImportFileError(_("The file is empty."))
        if len(head.headers) < 1 or not any(head.headers):
            raise ImportFileError(_("The first row must name the columns."))
        head.encoding, head.delimiter = self.encoding, self.delimiter
        width = len(head.headers)
        head.samples = [(s + [""] * width)[:width] for s in head.samples]
        return head

    def rows(self, *, header_line: int) -> Iterator[tuple[int, list[str]]]:
        for line, cells in self._all_rows():
            if line <= header_line or not any(cells):
                continue
            yield line, cells


def _trim(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells = cells[:-1]
    return cells
