"""Equipment import through the services: checking, creating, updating, parents, parameters."""

from datetime import date

from assets.models import Equipment
from imports.tests.helpers import check, counts, errors, new_job, run
from tests.factories import EquipmentFactory, EquipmentKindFactory

HEADER = [
    "Клиент",
    "Объект",
    "Вид оборудования",
    "Наименование",
    "Инв. номер",
    "Серийный номер",
    "Входит в",
    "Параметры",
    "Дата установки",
    "Гарантия до",
]


def test_a_windows_1251_file_creates_units_with_parents_and_parameters(admin, world):
    # given: a rooftop unit and its part listed after it, Russian Excel CSV (cp1251, ";")
    rows = [
        HEADER,
        [
            "ООО Ромашка",
            "Офис на Ленина",
            "Сплит-система",
            "Кондиционер в переговорной",
            "ИНВ-001",
            "SN-1",
            "",
            "Мощность, кВт: 3,5; Фреон: R410A; инвертор: да",
            "01.03.2023",
            "2026-03-01",
        ],
        ["7701234567", "S-1", "lift", "Лифт пассажирский", "ИНВ-002", "", "", "", "", ""],
        ["1C-001", "Склад", "split", "Внутренний блок", "ИНВ-003", "", "ИНВ-001", "power_kw: 2", "", ""],
    ]
    job = new_job(admin, "equipment", rows)
    # when
    job = run(job)
    # then
    assert job.status == "done"
    assert counts(job) == {"total": 3, "processed": 3, "created": 3, "updated": 0, "unchanged": 0, "failed": 0}
    units = {e.inventory_number: e for e in Equipment.objects.select_related("site", "kind", "parent")}
    conditioner = units["ИНВ-001"]
    assert (conditioner.company, conditioner.site, conditioner.kind.code) == (
        world["romashka"],
        world["office"],
        "split",
    )
    assert conditioner.parameters == {"power_kw": 3.5, "freon": "R410A", "inverter": True}
    assert (conditioner.installed_on, conditioner.warranty_until) == (date(2023, 3, 1), date(2026, 3, 1))
    assert units["ИНВ-002"].site == world["office"]
    assert units["ИНВ-003"].parent == conditioner
    assert units["ИНВ-003"].site == world["store"]
    assert units["ИНВ-003"].parameters == {"power_kw": 2}


def test_the_dry_run_lists_every_broken_row_with_its_line_and_writes_nothing(admin, world):
    # given
    rows = [
        HEADER,
        ["ООО Ромашка", "", "split", "Хороший", "ИНВ-1", "", "", "", "01.02.2024", ""],  # line 2
        ["ООО Ромашка", "", "split", "", "ИНВ-2", "", "", "", "", ""],  # line 3: no name
        ["ООО Неизвестная", "", "split", "Блок", "ИНВ-3", "", "", "", "", ""],  # line 4: unknown company
        ["ООО Ромашка", "", "split", "Блок", "ИНВ-4", "", "", "", "31.02.2024", ""],  # line 5: bad date
        ["ООО Ромашка", "", "split", "Блок", "ИНВ-5", "", "", "мощность, квт: много", "", ""],  # line 6: bad number
        ["ООО Ромашка", "", "split", "Дубль", "ИНВ-1", "", "", "", "", ""],  # line 7: duplicate of line 2
        [],  # line 8: empty, skipped
        ["АО Василёк", "S-1", "lift", "Лифт", "ИНВ-6", "", "", "", "", ""],  # line 9: another company's site
        ["ООО Ромашка", "", "вентилятор", "Вент", "ИНВ-7", "", "ИНВ-404", "", "", ""],  # line 10: kind, parent
    ]
    job = new_job(admin, "equipment", rows)
    # when
    job = check(job)
    # then
    assert job.status == "checked"
    assert counts(job) == {"total": 8, "processed": 8, "created": 1, "updated": 0, "unchanged": 0, "failed": 7}
    assert errors(job) == [
        (3, "Наименование", "A value is required."),
        (4, "Клиент", "No company «ООО Неизвестная» (looked up by external id, INN and name)."),
        (5, "Дата установки", "«31.02.2024» is not a date: write it as 31.12.2024 or 2024-12-31."),
        (6, "Параметры", "мощность, квт: «много» is not a number."),
        (7, "Инв. номер", "The same record is already on line 2."),
        (9, "Объект", "The site «S-1» belongs to another company."),
        (10, "Вид оборудования", "No equipment kind «вентилятор»."),
    ]
    assert Equipment.objects.count() == 0


def test_the_dry_run_speaks_russian_to_a_russian_admin(admin, world):
    # given
    rows = [HEADER, ["ООО Ромашка", "", "split", "", "ИНВ-2", "", "", "", "", ""]]
    job = new_job(admin, "equipment", rows, language="ru")
    # when
    job = check(job)
    # then
    assert errors(job) == [(2, "Наименование", "Значение обязательно.")]


def test_rows_with_errors_are_skipped_and_the_others_imported(admin, world):
    # given
    rows = [
        HEADER,
        ["ООО Ромашка", "", "split", "Блок 1", "ИНВ-1", "", "", "", "", ""],
        ["ООО Ромашка", "", "split", "Блок 2", "ИНВ-2", "", "", "", "вчера", ""],
        ["ООО Ромашка", "", "split", "Блок 3", "ИНВ-3", "", "", "", "", ""],
    ]
    # when
    job = run(new_job(admin, "equipment", rows))
    # then
    assert counts(job)["created"] == 2
    assert errors(job) == [(3, "Дата установки", "«вчера» is not a date: write it as 31.12.2024 or 2024-12-31.")]
    assert sorted(Equipment.objects.values_list("inventory_number", flat=True)) == ["ИНВ-1", "ИНВ-3"]


def test_rows_update_units_found_by_inventory_or_serial_number_and_count_unchanged_ones(admin, world):
    # given
    kind = EquipmentKindFactory(code="lift")
    by_inventory = EquipmentFactory(company=world["romashka"], kind=kind, name="Старое имя", inventory_number="ИНВ-1")
    by_serial = EquipmentFactory(company=world["romashka"], kind=kind, name="Лифт", serial_number="SN-9")
    same = EquipmentFactory(company=world["romashka"], kind=kind, name="Без изменений", inventory_number="ИНВ-3")
    rows = [
        ["Клиент", "Вид", "Наименование", "Инв. номер", "Серийный номер", "Модель"],
        ["ООО Ромашка", "lift", "Новое имя", "ИНВ-1", "", "ПЛ-1000"],
        ["ООО Ромашка", "lift", "Лифт", "", "SN-9", "ПЛ-2000"],
        ["ООО Ромашка", "lift", "Без изменений", "ИНВ-3", "", ""],
        ["ООО Ромашка", "lift", "Новый", "ИНВ-4", "", ""],
    ]
    # when
    job = run(new_job(admin, "equipment", rows))
    # then
    assert counts(job) == {"total": 4, "processed": 4, "created": 1, "updated": 2, "unchanged": 1, "failed": 0}
    by_inventory.refresh_from_db()
    by_serial.refresh_from_db()
    same.refresh_from_db()
    assert (by_inventory.name, by_inventory.model) == ("Новое имя", "ПЛ-1000")
    assert by_serial.model == "ПЛ-2000"
    assert Equipment.objects.count() == 4


def test_a_unit_cannot_become_a_part_of_its_own_part(admin, world):
    # given
    kind = EquipmentKindFactory(code="lift")
    top = EquipmentFactory(company=world["romashka"], kind=kind, inventory_number="TOP")
    EquipmentFactory(company=world["romashka"], kind=kind, inventory_number="PART", parent=top)
    rows = [["Клиент", "Вид", "Наименование", "Инв. номер", "Входит в"], ["ООО Ромашка", "lift", "Верх", "TOP", "PART"]]
    # when
    job = check(new_job(admin, "equipment", rows))
    # then
    assert errors(job) == [(2, "Входит в", "A unit cannot be part of itself or of its own parts.")]


def test_an_xlsx_file_with_real_dates_and_numbers_imports(admin, world):
    # given
    rows = [
        ["Company", "Kind", "Name", "Inventory number", "Installed", "Parameters"],
        ["ООО Ромашка", "Split system", "Unit", 100234, date(2022, 7, 1), "Power, kW: 7"],
    ]
    # when
    job = run(new_job(admin, "equipment", rows, name="units.xlsx"))
    # then
    assert counts(job)["created"] == 1
    unit = Equipment.objects.get()
    assert (unit.inventory_number, unit.installed_on, unit.parameters) == ("100234", date(2022, 7, 1), {"power_kw": 7})


def test_a_number_parameter_with_too_many_digits_is_a_row_error(admin, world):
    # given
    rows = [
        HEADER,
        ["ООО Ромашка", "", "split", "Блок 1", "ИНВ-1", "", "", "power_kw: 1e5000", "", ""],
        ["ООО Ромашка", "", "split", "Блок 2", "ИНВ-2", "", "", "power_kw: 1e999999999", "", ""],
        ["ООО Ромашка", "", "split", "Блок 3", "ИНВ-3", "", "", "power_kw: 1234567890123456", "", ""],
        ["ООО Ромашка", "", "split", "Блок 4", "ИНВ-4", "", "", "power_kw: 123456789012345", "", ""],
    ]
    # when
    job = check(new_job(admin, "equipment", rows))
    # then
    assert errors(job) == [
        (2, "Параметры", "power_kw: «1e5000» is too large."),
        (3, "Параметры", "power_kw: «1e999999999» is too large."),
        (4, "Параметры", "power_kw: «1234567890123456» is out of range: at most 15 digits."),
    ]
