"""Companies, contacts, sites and contracts: lookups for update, references, validation."""

from datetime import date
from decimal import Decimal

from contracts.models import Contract
from customers.models import Company, Contact, Site
from imports.tests.helpers import check, counts, errors, new_job, run
from tests.factories import CompanyFactory, ContactFactory, ContractFactory


def test_companies_are_updated_by_external_id_then_inn_and_created_otherwise(admin, world):
    # given
    rows = [
        ["Код 1С", "Наименование", "ИНН", "КПП", "Телефон", "Активна"],
        ["1C-001", "ООО Ромашка (новое)", "7701234567", "770101001", "+7 495 000-00-00", "да"],
        ["", "АО Василёк", "7809876543", "", "", "нет"],
        ["1C-777", "ИП Новиков", "500100732259", "", "", ""],
        ["", "ООО Кривой ИНН", "12345", "", "", ""],
        ["", "Дубль", "500100732259", "", "", ""],
    ]
    # when
    job = run(new_job(admin, "companies", rows))
    # then
    assert counts(job) == {"total": 5, "processed": 5, "created": 1, "updated": 2, "unchanged": 0, "failed": 2}
    assert errors(job) == [
        (5, "ИНН", "The INN must be 10 or 12 digits."),
        (6, "ИНН", "The same record is already on line 4."),
    ]
    world["romashka"].refresh_from_db()
    world["vasilek"].refresh_from_db()
    assert (world["romashka"].name, world["romashka"].kpp, world["romashka"].phone) == (
        "ООО Ромашка (новое)",
        "770101001",
        "+7 495 000-00-00",
    )
    assert world["vasilek"].is_active is False
    created = Company.objects.get(external_id="1C-777")
    assert (created.name, created.inn, created.is_active) == ("ИП Новиков", "500100732259", True)


def test_contacts_are_found_by_email_and_keep_emails_unique(admin, world):
    # given
    existing = ContactFactory(company=world["romashka"], full_name="Пётр Иванов", email="petr@romashka.ru")
    ContactFactory(company=world["vasilek"], full_name="Чужой", email="other@vasilek.ru")
    rows = [
        ["ФИО", "Организация", "E-mail", "Телефон", "Должность", "Роль"],
        [
            "Пётр Иванович Иванов",
            "ООО Ромашка",
            "PETR@romashka.ru; petr2@romashka.ru",
            "+7 912 345-67-89",
            "Инженер",
            "Technical contact",
        ],
        ["Мария Смирнова", "7809876543", "maria@vasilek.ru", "8 (812) 111-22-33, 8 921 000 00 00", "", "бухгалтер"],
        ["Самозванец", "ООО Ромашка", "petr@romashka.ru, other@vasilek.ru", "", "", ""],
        ["Без почты", "", "не почта", "", "", ""],
    ]
    # when
    job = run(new_job(admin, "contacts", rows))
    # then
    assert counts(job) == {"total": 4, "processed": 4, "created": 1, "updated": 1, "unchanged": 0, "failed": 2}
    assert errors(job) == [
        (4, "E-mail", "These addresses belong to different contacts."),
        (5, "E-mail", "не почта is not a valid email address."),
    ]
    existing.refresh_from_db()
    assert (existing.full_name, existing.position, existing.role) == ("Пётр Иванович Иванов", "Инженер", "technical")
    assert [e.email for e in existing.emails.all()] == ["petr@romashka.ru", "petr2@romashka.ru"]
    assert [p.normalized for p in existing.phones.all()] == ["9123456789"]
    maria = Contact.objects.get(full_name="Мария Смирнова")
    assert (maria.company, maria.role, maria.primary_email) == (world["vasilek"], "accountant", "maria@vasilek.ru")
    assert [p.phone for p in maria.phones.all()] == ["8 (812) 111-22-33", "8 921 000 00 00"]


def test_sites_are_matched_by_name_within_the_company(admin, world):
    # given
    rows = [
        ["Клиент", "Название", "Адрес", "Часовой пояс", "Широта", "Долгота"],
        ["ООО Ромашка", "склад", "Москва, Складская 5", "Europe/Moscow", "55,75", "37.61"],
        ["АО Василёк", "Склад", "Пермь", "Asia/Yekaterinburg", "", ""],
        ["АО Василёк", "Офис", "", "Mars/Olympus", "95", ""],
    ]
    # when
    job = run(new_job(admin, "sites", rows))
    # then
    assert counts(job) == {"total": 3, "processed": 3, "created": 1, "updated": 1, "unchanged": 0, "failed": 1}
    assert errors(job) == [
        (4, "Часовой пояс", "Unknown time zone: Mars/Olympus"),
        (4, "Широта", "Must be between -90 and 90."),
    ]
    world["store"].refresh_from_db()
    assert (world["store"].name, world["store"].address, world["store"].latitude) == (
        "склад",
        "Москва, Складская 5",
        Decimal("55.750000"),
    )
    assert Site.objects.get(company=world["vasilek"], name="Склад").time_zone == "Asia/Yekaterinburg"


def test_contracts_with_covered_sites_in_one_cell(admin, world):
    # given
    existing = ContractFactory(company=world["romashka"], number="ТО-1", starts_on=date(2024, 1, 1))
    rows = [
        ["Клиент", "Номер договора", "Дата начала", "Дата окончания", "Объекты", "Часы", "Статус", "Долг"],
        ["ООО Ромашка", "ТО-1", "01.01.2024", "31.12.2024", "Офис на Ленина; Склад", "10,5", "Действует", ""],
        ["АО Василёк", "В-7", "2024-02-01", "", "", "", "", "1 500,00"],
        ["АО Василёк", "В-8", "01.03.2024", "01.02.2024", "Офис на Ленина", "", "", "-5"],
        ["ООО Ромашка", "ТО-2", "01.13.2024", "", "", "много", "", ""],
    ]
    # when
    job = run(new_job(admin, "contracts", rows))
    # then
    assert counts(job) == {"total": 4, "processed": 4, "created": 1, "updated": 1, "unchanged": 0, "failed": 2}
    assert errors(job) == [
        (4, "Объекты", "No site «Офис на Ленина» at this company."),
        (4, "Долг", "Cannot be negative."),
        (5, "Дата начала", "«01.13.2024» is not a date: write it as 31.12.2024 or 2024-12-31."),
        (5, "Часы", "«много» is not a number."),
    ]
    existing.refresh_from_db()
    assert (existing.ends_on, existing.included_hours, existing.all_sites) == (
        date(2024, 12, 31),
        Decimal("10.50"),
        False,
    )
    assert set(existing.sites.all()) == {world["office"], world["store"]}
    created = Contract.objects.get(number="В-7")
    assert (created.company, created.all_sites, created.debt_amount, created.ends_on) == (
        world["vasilek"],
        True,
        Decimal("1500.00"),
        None,
    )


def test_a_contract_may_not_end_before_it_starts(admin, world):
    rows = [["Клиент", "Номер", "Начало", "Окончание"], ["ООО Ромашка", "Д-1", "01.03.2024", "01.02.2024"]]
    job = check(new_job(admin, "contracts", rows))
    assert errors(job) == [(2, "Окончание", "The contract cannot end before it starts.")]


def test_an_ambiguous_company_name_asks_for_the_inn(admin, world):
    CompanyFactory(name="ООО Ромашка", inn="7700000000")
    rows = [["Клиент", "Название"], ["ООО Ромашка", "Новый объект"], ["7700000000", "Новый объект"]]
    job = check(new_job(admin, "sites", rows))
    assert errors(job) == [
        (2, "Клиент", "«ООО Ромашка» matches 2 companies: use the external id or the INN to tell them apart.")
    ]
    assert counts(job)["created"] == 1


def test_an_import_does_not_move_a_site_to_another_company(admin, world):
    # given: the file names the office (by id and by external id) under the other company
    office = world["office"]
    rows = [
        ["ID", "Внешний код", "Клиент", "Название"],
        [str(office.pk), "", "АО Василёк", "Офис"],
        ["", "S-1", "АО Василёк", "Офис"],
        [str(world["store"].pk), "", "ООО Ромашка", "Склад №2"],
    ]
    # when
    job = run(new_job(admin, "sites", rows))
    # then
    message = "The site belongs to another company; an import cannot move it."
    assert errors(job) == [(2, "Клиент", message), (3, "Клиент", message)]
    office.refresh_from_db()
    assert (office.company, office.name) == (world["romashka"], "Офис на Ленина")
    assert Site.objects.get(pk=world["store"].pk).name == "Склад №2"


def test_an_import_does_not_move_a_contract_to_another_company(admin, world):
    # given
    contract = ContractFactory(company=world["romashka"], number="ТО-1", external_id="C-1")
    rows = [
        ["ID", "Внешний код", "Клиент", "Номер договора", "Дата начала"],
        [str(contract.pk), "", "АО Василёк", "ТО-1", "01.01.2024"],
        ["", "C-1", "АО Василёк", "ТО-1", "01.01.2024"],
    ]
    # when
    job = run(new_job(admin, "contracts", rows))
    # then
    message = "The contract belongs to another company; an import cannot move it."
    assert errors(job) == [(2, "Клиент", message), (3, "Клиент", message)]
    contract.refresh_from_db()
    assert contract.company == world["romashka"]
