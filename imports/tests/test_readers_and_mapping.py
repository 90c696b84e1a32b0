"""Reading files as Russian Excel and 1C write them, and guessing the column mapping."""

import io
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from imports import services
from imports.exports import escape_cell
from imports.readers import FORMULA_STARTS, TableReader, decode, detect_delimiter, unescape_cell
from imports.resources.base import resource_class
from imports.tests.helpers import csv_bytes, new_job, upload, xlsx_bytes
from imports.values import CellError, parse_decimal, parse_int


def _rows(data: bytes, file_format="csv"):
    reader = TableReader(file=io.BytesIO(data), file_format=file_format)
    head = reader.head()
    return head, list(reader.rows(header_line=head.header_line))


def test_windows_1251_with_semicolons_is_detected():
    # given
    data = csv_bytes([["Наименование", "ИНН"], ["ООО «Ёлка»", "7701234567"]], encoding="cp1251")
    # when
    head, rows = _rows(data)
    # then
    assert (head.encoding, head.delimiter, head.headers) == ("cp1251", ";", ["Наименование", "ИНН"])
    assert rows == [(2, ["ООО «Ёлка»", "7701234567"])]


@pytest.mark.parametrize(
    ("options", "encoding", "delimiter"),
    [
        ({"encoding": "utf-8", "bom": True, "delimiter": ","}, "utf-8-sig", ","),
        ({"encoding": "utf-8", "delimiter": "\t"}, "utf-8", "\t"),
        ({"encoding": "utf-8", "delimiter": ";"}, "utf-8", ";"),
    ],
)
def test_utf8_with_or_without_bom_and_any_delimiter(options, encoding, delimiter):
    # given
    data = csv_bytes([["Имя", "Почта", "Телефон"], ["Иван, старший", "i@a.ru", "+7 912"]], **options)
    # when
    head, rows = _rows(data)
    # then
    assert (head.encoding, head.delimiter) == (encoding, delimiter)
    assert head.headers == ["Имя", "Почта", "Телефон"]
    assert rows == [(2, ["Иван, старший", "i@a.ru", "+7 912"])]


def test_line_numbers_are_excel_rows_with_quoted_line_breaks_and_blank_rows():
    # given: the second record's cell spans two physical lines; a blank row follows
    data = 'Имя;Адрес\r\nА;"ул. Ленина,\r\nд. 1"\r\n;\r\nБ;Тверь\r\n'.encode()
    # when
    _head, rows = _rows(data)
    # then
    assert rows == [(2, ["А", "ул. Ленина,\r\nд. 1"]), (4, ["Б", "Тверь"])]


def test_decode_and_delimiter_helpers():
    assert decode("привет".encode("cp1251")) == ("привет", "cp1251")
    assert decode("\ufeffпривет".encode()) == ("привет", "utf-8-sig")
    assert detect_delimiter("a\tb\tc\n1\t2\t3") == "\t"
    assert detect_delimiter("a,b;c\n1,2;3") == ";"


def test_xlsx_cells_come_out_as_csv_text():
    # given
    from datetime import date, datetime

    data = xlsx_bytes(
        [["Дата", "Число", "Дробь", "Время"], [date(2024, 1, 31), 7701234567, 3.5, datetime(2024, 1, 31, 9, 30)]]
    )
    # when
    _head, rows = _rows(data, "xlsx")
    # then
    assert rows == [(2, ["2024-01-31", "7701234567", "3.5", "2024-01-31 09:30:00"])]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "clients.xls",
            b"\xd0\xcf\x11\xe0",
            "Old Excel files (.xls) are not supported: save the file as .xlsx or CSV.",
        ),
        ("clients.pdf", b"%PDF-1.4", "Upload a .csv or .xlsx file."),
        ("clients.xlsx", b"not a zip", "The file is not a valid XLSX workbook."),
        ("clients.csv", b"\r\n\r\n", "The file is empty."),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(admin, name, data, message):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.import_job_create(user=admin, resource="companies", upload=upload(name, data))
    assert caught.value.message_dict == {"file": [message]}


def test_a_file_over_the_limit_is_refused(admin, settings):
    settings.OTKLIK_IMPORT_MAX_BYTES = 1024 * 1024
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.import_job_create(user=admin, resource="companies", upload=upload("big.csv", b"a;b\n" * 400_000))
    assert caught.value.message_dict == {"file": ["The file is 1.5 MB; the limit is 1 MB."]}


def test_mapping_is_guessed_from_russian_and_english_headers_ignoring_case():
    # when
    mapping = resource_class("equipment").guess_mapping(
        [
            "КЛИЕНТ",
            "Вид оборудования",
            "name",
            "Инв. №",
            "Заводской номер",
            "Примечание",
            "Что-то своё",
            "Inventory number",
        ]
    )
    # then: each field once, unknown headers skipped
    assert mapping == {
        "0": "company",
        "1": "kind",
        "2": "name",
        "3": "inventory_number",
        "4": "serial_number",
        "5": "notes",
    }


def test_mapping_guess_reads_the_export_headers_in_both_languages():
    from django.utils import translation

    for code in ("companies", "contacts", "sites", "equipment", "contracts"):
        cls = resource_class(code)
        for language in ("ru", "en"):
            with translation.override(language):
                headers = cls.export_headers()
            assert list(cls.guess_mapping(headers).values()) == [c.code for c in cls.columns], (code, language)


def test_mapping_is_validated(admin, world):
    # given
    job = new_job(admin, "equipment", [["Клиент", "Имя", "Другое имя"], ["ООО Ромашка", "А", "Б"]])
    # when
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.import_job_set_mapping(job=job, mapping={"0": "company", "1": "name", "2": "name"})
    # then
    assert caught.value.messages == [
        "«Name» is chosen for two columns (2 and 3).",
        "Choose the column for «Kind»: it is required.",
    ]
    job.refresh_from_db()
    assert job.status == "uploaded"


@pytest.mark.parametrize(
    "value",
    [
        "-2+3+cmd|' /C calc'!A0",
        "-1+cmd|' /C calc'!A0",
        '+1+HYPERLINK("http://x")',
        "+ 1+1",
        "=1",
        "@SUM(A1)",
        "-A1",
        "+7 912 cmd",
    ],
)
def test_a_formula_is_escaped_however_it_starts(value):
    assert escape_cell(value) == "'" + value
    assert unescape_cell(escape_cell(value)) == value


@pytest.mark.parametrize("value", ["+7 (912) 345-67-89", "-12.5", "-1", "+1", "8 800 555-35-35", "-"])
def test_numbers_and_phones_are_written_as_they_are(value):
    assert escape_cell(value) == value
    assert unescape_cell(value) == value


@pytest.mark.parametrize("value", ["'=1", "'+7 912", "''-A1", "'", "''"])
def test_text_starting_with_an_apostrophe_survives_the_round_trip(value):
    assert unescape_cell(escape_cell(value)) == value


@given(st.text(alphabet="'=+-@\t\r0123456789 ().aAz|!", max_size=12))
def test_escaping_then_unescaping_gives_the_value_back(value):
    escaped = escape_cell(value)
    assert unescape_cell(escaped) == value
    assert not escaped.startswith(FORMULA_STARTS) or re.fullmatch(r"[+-]?[0-9\s().-]+", escaped)


@pytest.mark.parametrize("text", ["1e5000", "1e999999999", "-1E+40"])
def test_numbers_beyond_any_column_are_refused_without_computing_them(text):
    with pytest.raises(CellError) as refused:
        parse_int(text)
    with pytest.raises(CellError):
        parse_decimal(text, max_digits=9, decimal_places=6)
    assert str(refused.value) == f"«{text}» is too large."


def _rewritten_xlsx(part: str, change) -> bytes:
    """A valid workbook with one of its parts changed by `change`."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["Наименование", "ИНН"], ["ООО Ёлка", "7701234567"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, change(data) if item.filename == part else data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "big.csv",
            b"name;" + b"a" * (1024 * 1024 + 10) + b"\nx;y\n",
            "The CSV file is damaged: field larger than field limit (1048576)",
        ),
        (
            "truncated.xlsx",
            _rewritten_xlsx("xl/worksheets/sheet1.xml", lambda data: data[: len(data) // 2]),
            "The XLSX file is damaged",
        ),
        ("broken.xlsx", _rewritten_xlsx("xl/workbook.xml", lambda data: b"<not xml"), "not a valid XLSX workbook"),
    ],
)
def test_a_damaged_upload_is_refused_with_the_reason(db, admin, name, data, message):
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        services.import_job_create(user=admin, resource="companies", upload=upload(name, data))
    assert message in refused.value.message_dict["file"][0]
