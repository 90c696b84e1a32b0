"""Undo of the last import, and export → import changing nothing."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.utils import translation

from assets.models import Equipment
from contracts.models import Contract
from customers.models import Company, Contact, Site
from imports import services
from imports.exports import export_csv_chunks, export_xlsx_file
from imports.models import ImportJob
from imports.services import import_job_undoable
from imports.tests.helpers import counts, new_job, run, undo, upload
from tests.factories import ContactFactory, ContractFactory, EquipmentFactory, EquipmentKindFactory, make_ticket

HEADER = ["Клиент", "Вид", "Наименование", "Инв. номер", "Входит в", "Модель"]


def test_undo_deletes_what_was_created_and_restores_what_was_updated(admin, world):
    # given: one unit updated, three created (one a part of another)
    kind = EquipmentKindFactory(code="lift")
    updated = EquipmentFactory(
        company=world["romashka"], kind=kind, name="Лифт", inventory_number="ИНВ-1", model="Старая"
    )
    rows = [
        HEADER,
        ["ООО Ромашка", "lift", "Лифт грузовой", "ИНВ-1", "", "Новая"],
        ["ООО Ромашка", "lift", "Шахта", "ИНВ-2", "", ""],
        ["ООО Ромашка", "lift", "Кабина", "ИНВ-3", "ИНВ-2", ""],
        ["ООО Ромашка", "split", "Кондиционер", "ИНВ-4", "", ""],
    ]
    job = run(new_job(admin, "equipment", rows))
    assert counts(job)["created"] == 3
    # when
    job = undo(job)
    # then
    assert job.status == "undone"
    assert job.undo_report == {"deleted": 3, "restored": 1, "left_alone_count": 0, "left_alone": []}
    updated.refresh_from_db()
    assert (updated.name, updated.model) == ("Лифт", "Старая")
    assert list(Equipment.objects.values_list("inventory_number", flat=True)) == ["ИНВ-1"]


def test_undo_leaves_alone_what_was_changed_since_or_is_used_by_tickets(admin, world):
    # given
    kind = EquipmentKindFactory(code="lift")
    updated = EquipmentFactory(company=world["romashka"], kind=kind, name="Лифт", inventory_number="ИНВ-1")
    rows = [
        HEADER,
        ["ООО Ромашка", "lift", "Лифт 2", "ИНВ-1", "", ""],
        ["ООО Ромашка", "lift", "С заявкой", "ИНВ-2", "", ""],
        ["ООО Ромашка", "lift", "Правленый", "ИНВ-3", "", ""],
        ["ООО Ромашка", "lift", "Удаляемый", "ИНВ-4", "", ""],
        ["ООО Ромашка", "lift", "Верх", "ИНВ-5", "", ""],
    ]
    job = run(new_job(admin, "equipment", rows))
    with_ticket = Equipment.objects.get(inventory_number="ИНВ-2")
    ticket = make_ticket(company=world["romashka"])
    type(ticket).objects.filter(pk=ticket.pk).update(equipment=with_ticket)
    edited = Equipment.objects.get(inventory_number="ИНВ-3")
    edited.notes = "поправил руками"
    edited.save()
    updated.refresh_from_db()
    updated.model = "Ручная правка"
    updated.save()
    EquipmentFactory(
        company=world["romashka"],
        kind=kind,
        name="Добавлен руками",
        parent=Equipment.objects.get(inventory_number="ИНВ-5"),
    )
    # when
    job = undo(job)
    # then
    report = job.undo_report
    assert (report["deleted"], report["restored"], report["left_alone_count"]) == (1, 0, 4)
    assert sorted((i["label"], i["reason"]) for i in report["left_alone"]) == [
        ("Верх (ИНВ-5)", "has parts that stay"),
        ("Лифт 2 (ИНВ-1)", "changed after the import"),
        ("Правленый (ИНВ-3)", "changed after the import"),
        ("С заявкой (ИНВ-2)", "has tickets"),
    ]
    assert not Equipment.objects.filter(inventory_number="ИНВ-4").exists()
    updated.refresh_from_db()
    assert (updated.name, updated.model) == ("Лифт 2", "Ручная правка")


def test_undo_of_contacts_and_contracts_restores_emails_and_covered_sites(admin, world):
    # given
    contact = ContactFactory(company=world["romashka"], full_name="Пётр", email="petr@romashka.ru")
    contract = ContractFactory(company=world["romashka"], number="ТО-1", all_sites=False)
    contract.sites.set([world["office"]])
    contacts_job = run(
        new_job(admin, "contacts", [["ФИО", "E-mail"], ["Пётр Петров", "petr@romashka.ru, p2@romashka.ru"]])
    )
    contracts_job = run(
        new_job(
            admin,
            "contracts",
            [["Клиент", "Номер", "Дата начала", "Объекты"], ["ООО Ромашка", "ТО-1", "01.01.2024", ""]],
        )
    )
    contract.refresh_from_db()
    assert (contract.all_sites, list(contract.sites.all())) == (True, [])
    # when
    undo(contacts_job)
    undo(contracts_job)
    # then
    contact.refresh_from_db()
    contract.refresh_from_db()
    assert (contact.full_name, [e.email for e in contact.emails.all()]) == ("Пётр", ["petr@romashka.ru"])
    assert (contract.all_sites, list(contract.sites.all())) == (False, [world["office"]])


def test_only_the_most_recent_import_of_a_resource_can_be_undone(admin, world):
    # given
    first = run(new_job(admin, "sites", [["Клиент", "Название"], ["ООО Ромашка", "Первый"]]))
    second = run(new_job(admin, "sites", [["Клиент", "Название"], ["ООО Ромашка", "Второй"]]))
    other = run(new_job(admin, "companies", [["Наименование"], ["ООО Другое"]]))
    # then
    assert (import_job_undoable(job=first), import_job_undoable(job=second), import_job_undoable(job=other)) == (
        False,
        True,
        True,
    )
    # when the latest is undone, the one before becomes the latest
    undo(second)
    first.refresh_from_db()
    assert import_job_undoable(job=first) is True
    assert import_job_undoable(job=second) is False


def test_undoing_a_company_import_keeps_companies_that_got_contacts_since(admin, world):
    job = run(
        new_job(
            admin, "companies", [["Наименование", "ИНН"], ["ООО Новая", "7700000001"], ["ООО Пустая", "7700000002"]]
        )
    )
    ContactFactory(company=Company.objects.get(name="ООО Новая"))
    job = undo(job)
    assert [(i["label"], i["reason"]) for i in job.undo_report["left_alone"]] == [("ООО Новая", "has contacts")]
    assert not Company.objects.filter(name="ООО Пустая").exists()


# --- round trip ---


@pytest.fixture
def full_base(world):
    kind = EquipmentKindFactory(code="split")
    world["romashka"].legal_name = "Общество с ограниченной ответственностью «Ромашка»"
    world["romashka"].kpp = "770101001"
    world["romashka"].save()
    ContactFactory(
        company=world["romashka"],
        full_name="Пётр; Иванов",
        email="petr@romashka.ru",
        phone="+7 912 345-67-89",
        position="Главный инженер",
    )
    ContactFactory(company=None, full_name="Частное лицо", email="solo@mail.ru", notes='=HYPERLINK("http://x")')
    world["office"].latitude, world["office"].longitude = Decimal("55.755800"), Decimal("37.617300")
    world["office"].save()
    top = EquipmentFactory(
        company=world["romashka"],
        site=world["office"],
        kind=kind,
        name="Чиллер",
        inventory_number="INV-1",
        parameters={"power_kw": 12.5, "freon": "R407C", "inverter": False},
        installed_on=date(2020, 5, 1),
    )
    EquipmentFactory(
        company=world["romashka"],
        site=world["store"],
        kind=kind,
        name="Блок",
        parent=top,
        serial_number="SN 7",
        notes="строка 1\nстрока 2",
    )
    EquipmentFactory(company=world["vasilek"], kind=kind, name="Без номера")
    contract = ContractFactory(
        company=world["romashka"],
        number="ТО-1/2024",
        starts_on=date(2024, 1, 1),
        ends_on=date(2024, 12, 31),
        all_sites=False,
        included_hours=Decimal("12.50"),
        debt_amount=Decimal("1000.10"),
    )
    contract.sites.set([world["office"], world["store"]])
    ContractFactory(company=world["vasilek"], number="В-1", starts_on=date(2023, 6, 1))
    return world


def _snapshot():
    def rows(model, *related):
        return [
            {k: v for k, v in obj.__dict__.items() if not k.startswith("_") and k != "updated_at"}
            for obj in model.objects.order_by("pk")
        ] + [
            sorted(map(str, getattr(o, r).values_list("pk", flat=True)))
            for o in model.objects.order_by("pk")
            for r in related
        ]

    return {
        "companies": rows(Company),
        "contacts": rows(Contact, "emails", "phones"),
        "emails": sorted(Contact.objects.values_list("emails__email", "emails__is_primary")),
        "sites": rows(Site),
        "equipment": rows(Equipment),
        "contracts": rows(Contract, "sites"),
    }


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("language", ["ru", "en"])
def test_an_export_imports_back_without_changing_anything(admin, full_base, file_format, language):
    # given
    before = _snapshot()
    for resource in ("companies", "contacts", "sites", "equipment", "contracts"):
        with translation.override(language):
            if file_format == "csv":
                data = b"".join(export_csv_chunks(resource=resource))
            else:
                data = export_xlsx_file(resource=resource).read()
            from imports import services

            job = services.import_job_create(
                user=admin, resource=resource, upload=upload(f"{resource}.{file_format}", data)
            )
        # when
        job = run(job)
        # then
        assert job.status == "done", job.error
        total = job.total_rows
        assert total > 0
        assert counts(job) == {
            "total": total,
            "processed": total,
            "created": 0,
            "updated": 0,
            "unchanged": total,
            "failed": 0,
        }, (resource, list(job.row_errors.values_list("line", "message")))
    assert _snapshot() == before


def test_csv_export_opens_in_russian_excel(admin, full_base):
    # when
    with translation.override("ru"):
        data = b"".join(export_csv_chunks(resource="contracts"))
    # then: UTF-8 with BOM, ";" separated, Russian decimals and dates
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    line = next(line for line in text.splitlines() if "ТО-1/2024" in line)
    assert ";01.01.2024;31.12.2024;Офис на Ленина; S-1" not in line  # sites are one quoted cell
    assert '"S-1; Склад"' in line
    assert ";12,50;" in line and ";1000,10;" in line


def test_text_that_looks_like_a_formula_is_exported_as_text(admin, full_base):
    csv_text = b"".join(export_csv_chunks(resource="contacts")).decode("utf-8-sig")
    sheet = openpyxl.load_workbook(io.BytesIO(export_xlsx_file(resource="contacts").read())).active
    assert "'=HYPERLINK" in csv_text
    assert "+7 912 345-67-89" in csv_text
    notes = [row[-2] for row in sheet.iter_rows(values_only=True)]
    assert '=HYPERLINK("http://x")' in notes
    assert next(c for c in sheet.iter_rows() if c[-2].value == '=HYPERLINK("http://x")')[-2].data_type == "s"


def test_xlsx_export_has_typed_cells(admin, full_base):
    workbook = openpyxl.load_workbook(io.BytesIO(export_xlsx_file(resource="contracts").read()))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == 3
    row = next(r for r in rows if r[2] == "ТО-1/2024")
    assert row[5].date() == date(2024, 1, 1)


def test_a_failed_undo_of_a_failed_import_leaves_it_failed(admin, world, monkeypatch):
    # given: an import that failed half-way, then an undo that fails too
    job = run(new_job(admin, "equipment", [HEADER, ["ООО Ромашка", "lift", "Лифт", "ИНВ-1", "", ""]]))
    ImportJob.objects.filter(pk=job.pk).update(status="failed", error="The file is damaged")

    def broken_undo(job):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_undo", broken_undo)
    # when
    services.import_job_undo_request(job=job)
    services.import_job_undo_process(job_id=job.pk)
    # then
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "The file is damaged")
    assert job.undo_report == {"error": "The undo failed: disk full"}


def test_a_failed_undo_of_a_finished_import_leaves_it_finished(admin, world, monkeypatch):
    job = run(new_job(admin, "equipment", [HEADER, ["ООО Ромашка", "lift", "Лифт", "ИНВ-1", "", ""]]))
    monkeypatch.setattr(services, "_undo", lambda job: 1 / 0)
    services.import_job_undo_request(job=job)
    services.import_job_undo_process(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done"
    assert job.undo_report == {"error": "The undo failed: division by zero"}
