from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from contracts.models import Contract, PriceList, PriceListItem, TicketWork
from tests.factories import ContractFactory, EquipmentFactory, ServiceCategoryFactory, SiteFactory
from tickets.models import TicketEvent

LIST = "/api/v1/contracts/"


def detail(contract):
    return f"/api/v1/contracts/{contract.pk}/"


def numbers(response):
    return [row["number"] for row in response.json()["results"]]


@pytest.fixture
def contracts(world):
    """Company A: a company-wide contract in force and an expired one; company B: a contract in
    force for one site, with a debt."""
    today = timezone.localdate()
    in_force = ContractFactory(
        company=world.company_a, number="ТО-1", title="Обслуживание", starts_on=date(today.year, 1, 1), ends_on=None
    )
    expired = ContractFactory(
        company=world.company_a,
        number="ТО-0",
        starts_on=today - timedelta(days=800),
        ends_on=today - timedelta(days=400),
    )
    with_debt = ContractFactory(
        company=world.company_b,
        number="B-7",
        sites=[world.site_b],
        payment_state="debt",
        debt_amount=Decimal("15000.50"),
        external_id="1C-D-7",
    )
    return in_force, expired, with_debt


# Who may see contracts


@pytest.mark.parametrize("role_user", ["client_a", "contractor"])
def test_clients_and_contractors_get_no_contracts(world, contracts, api_as, role_user):
    client = api_as(getattr(world, role_user))

    for response in (
        client.get(LIST),
        client.get(detail(contracts[0])),
        client.post(LIST, {"company": world.company_a.pk, "number": "X", "starts_on": "2025-01-01"}, format="json"),
        client.patch(detail(contracts[0]), {"title": "Моё"}, format="json"),
        client.get("/api/v1/price-lists/"),
        client.get("/api/v1/coverage/", {"company": world.company_a.pk}),
    ):
        assert response.status_code == 403, response.request
    assert Contract.objects.get(pk=contracts[0].pk).title == "Обслуживание"


def test_unknown_contract_is_404(world, api_as):
    assert api_as(world.agent).get("/api/v1/contracts/999999/").status_code == 404


# Reading


def test_contract_representation(world, contracts, api_as):
    *_, with_debt = contracts
    unit = EquipmentFactory(site=world.site_b, name="Котёл", inventory_number="ИНВ-9")
    cleaning = ServiceCategoryFactory(code="cleaning", name_ru="Уборка", name_en="Cleaning")
    with_debt.equipment.set([unit])
    with_debt.services.set([cleaning])
    with_debt.included_hours = Decimal("10")
    with_debt.save(update_fields=["included_hours"])

    body = api_as(world.agent).get(detail(with_debt)).json()

    assert body == {
        "id": with_debt.pk,
        "company": {"id": world.company_b.pk, "name": "АО Василёк"},
        "number": "B-7",
        "title": "",
        "status": "active",
        "starts_on": with_debt.starts_on.isoformat(),
        "ends_on": with_debt.ends_on.isoformat(),
        "in_force": True,
        "all_sites": False,
        "sites": [{"id": world.site_b.pk, "name": "Офис на Мира"}],
        "all_equipment": True,
        "equipment": [{"id": unit.pk, "name": "Котёл", "inventory_number": "ИНВ-9"}],
        "services": [{"id": cleaning.pk, "code": "cleaning", "name": "Cleaning"}],
        "included_hours": "10.00",
        "hours_period": "month",
        "price_list": None,
        "payment_state": "debt",
        "debt_amount": "15000.50",
        "notes": "",
        "external_id": "1C-D-7",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["B-7", "ТО-0", "ТО-1"]),
        ({"company": "company_a"}, ["ТО-0", "ТО-1"]),
        ({"in_force_on": "today"}, ["B-7", "ТО-1"]),
        ({"in_force_on": "long_ago"}, ["ТО-0"]),
        ({"debt": "true"}, ["B-7"]),
        ({"debt": "false"}, ["ТО-0", "ТО-1"]),
        ({"status": "active"}, ["B-7", "ТО-0", "ТО-1"]),
        ({"status": "suspended"}, []),
        ({"search": "обслуж"}, ["ТО-1"]),
        ({"search": "василёк"}, ["B-7"]),
        ({"external_id": "1C-D-7"}, ["B-7"]),
    ],
)
def test_contract_filters(world, contracts, api_as, query, expected):
    days = {"today": timezone.localdate(), "long_ago": timezone.localdate() - timedelta(days=600)}
    query = {
        key: world.company_a.pk if value == "company_a" else days.get(value, value) for key, value in query.items()
    }

    response = api_as(world.agent).get(LIST, query)

    assert response.status_code == 200, response.json()
    assert numbers(response) == expected


def test_contract_filter_errors_name_the_parameter(world, api_as):
    client = api_as(world.agent)

    assert list(client.get(LIST, {"in_force_on": "tomorrow"}).json()) == ["in_force_on"]
    assert list(client.get(LIST, {"status": "open"}).json()) == ["status"]


def test_contract_updated_since_most_recent_first(world, contracts, api_as):
    in_force, expired, with_debt = contracts
    now = timezone.now()
    Contract.objects.filter(pk=with_debt.pk).update(updated_at=now - timedelta(hours=2))
    Contract.objects.filter(pk=in_force.pk).update(updated_at=now - timedelta(hours=1))
    Contract.objects.filter(pk=expired.pk).update(updated_at=now - timedelta(days=3))

    response = api_as(world.agent).get(LIST, {"updated_since": (now - timedelta(days=1)).isoformat()})

    assert numbers(response) == ["ТО-1", "B-7"]


# Writing


def test_staff_create_a_contract_for_listed_sites_and_units(world, api_as):
    other_site = SiteFactory(company=world.company_a, name="Магазин")
    unit = EquipmentFactory(site=other_site, name="Кондиционер")
    ServiceCategoryFactory(code="hvac", name_ru="Климат", name_en="HVAC")
    price_list = PriceList.objects.create(name="Прайс 2026")

    response = api_as(world.agent).post(
        LIST,
        {
            "company": world.company_a.pk,
            "number": "ТО-2",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "all_sites": False,
            "sites": [world.site_a.pk],
            "equipment": [unit.pk],
            "services": ["hvac"],
            "included_hours": "20",
            "hours_period": "quarter",
            "price_list": price_list.pk,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    contract = Contract.objects.get(pk=response.json()["id"])
    assert (contract.company, contract.all_sites, contract.included_hours, contract.price_list) == (
        world.company_a,
        False,
        Decimal("20"),
        price_list,
    )
    assert list(contract.sites.all()) == [world.site_a]
    assert list(contract.equipment.all()) == [unit]
    assert [s.code for s in contract.services.all()] == ["hvac"]
    assert response.json()["price_list"] == {"id": price_list.pk, "name": "Прайс 2026"}


def test_patch_keeps_the_scope_it_does_not_mention(world, contracts, api_as):
    *_, with_debt = contracts

    response = api_as(world.agent).patch(
        detail(with_debt), {"payment_state": "paid", "title": "Оплачен"}, format="json"
    )

    assert response.status_code == 200, response.json()
    with_debt.refresh_from_db()
    assert (with_debt.payment_state, with_debt.debt_amount, with_debt.title) == ("paid", Decimal("0"), "Оплачен")
    assert list(with_debt.sites.all()) == [world.site_b]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"sites": ["site_a"]}, {"sites": ["Every covered site must belong to the contract's company."]}),
        ({"number": "ТО-1"}, {"number": ["The company already has a contract with this number."]}),
        ({"ends_on": "2000-01-01"}, {"ends_on": ["A contract cannot end before it starts."]}),
        ({"payment_state": "debt", "debt_amount": "0"}, {"debt_amount": ["Enter the amount owed."]}),
        ({"debt_amount": "-5"}, {"debt_amount": ["Ensure this value is greater than or equal to 0."]}),
        ({"sites": [999999]}, {"sites": ['Invalid pk "999999" - object does not exist.']}),
        ({"services": ["nope"]}, {"services": {"0": ['Nothing with id or code "nope" exists.']}}),
    ],
)
def test_contract_validation_names_the_field_and_changes_nothing(world, contracts, api_as, payload, expected):
    _, expired, with_debt = contracts
    payload = {key: [world.site_a.pk] if value == ["site_a"] else value for key, value in payload.items()}
    target = expired if "number" in payload else with_debt  # ТО-0 meets company A's ТО-1
    before = Contract.objects.values().get(pk=target.pk)

    response = api_as(world.agent).patch(detail(target), payload, format="json")

    assert (response.status_code, response.json()) == (400, expected)
    assert Contract.objects.values().get(pk=target.pk) == before
    assert list(Contract.objects.get(pk=with_debt.pk).sites.all()) == [world.site_b]


def test_create_with_another_companys_unit_is_refused(world, api_as):
    unit_b = EquipmentFactory(site=world.site_b)

    response = api_as(world.agent).post(
        LIST,
        {"company": world.company_a.pk, "number": "ТО-9", "starts_on": "2026-01-01", "equipment": [unit_b.pk]},
        format="json",
    )

    assert (response.status_code, response.json()) == (
        400,
        {"equipment": ["Every covered unit must belong to the contract's company."]},
    )
    assert not Contract.objects.filter(number="ТО-9").exists()


# Price lists


def test_price_lists_with_items(world, api_as):
    price_list = PriceList.objects.create(name="Доп. работы")
    refill = PriceListItem.objects.create(price_list=price_list, name="Заправка фреоном", unit="кг", price=1500)
    visit = PriceListItem.objects.create(price_list=price_list, name="Выезд", code="V1", price=Decimal("990.90"))

    response = api_as(world.agent).get("/api/v1/price-lists/")

    assert response.status_code == 200
    body = response.json()["results"]
    assert body == [
        {
            "id": price_list.pk,
            "name": "Доп. работы",
            "currency": "RUB",
            "is_active": True,
            "items": [
                {"id": visit.pk, "code": "V1", "name": "Выезд", "unit": "шт.", "price": "990.90", "is_active": True},
                {"id": refill.pk, "code": "", "name": "Заправка фреоном", "unit": "кг", "price": "1500.00",
                 "is_active": True},
            ],
            "created_at": body[0]["created_at"],
            "updated_at": body[0]["updated_at"],
        }
    ]  # fmt: skip


# Coverage


def test_coverage_of_a_unit_at_a_listed_site(world, contracts, api_as):
    *_, with_debt = contracts
    with_debt.included_hours = Decimal("10")
    with_debt.save(update_fields=["included_hours"])
    unit = EquipmentFactory(site=world.site_b, name="Котёл")
    TicketWork.objects.create(
        ticket=world.ticket_b, contract=with_debt, name="Диагностика", hours=Decimal("2.5"), is_billable=False
    )
    today = timezone.localdate()

    response = api_as(world.agent).get("/api/v1/coverage/", {"equipment": unit.pk})

    assert response.status_code == 200, response.json()
    body = response.json()
    month_start = today.replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    assert {key: body[key] for key in ("covered", "company", "contract", "scope", "debt", "hours")} == {
        "covered": True,
        "company": {"id": world.company_b.pk, "name": "АО Василёк"},
        "contract": {"id": with_debt.pk, "number": "B-7"},
        "scope": "site",
        "debt": "15000.50",
        "hours": {
            "included": "10.00",
            "used": "2.50",
            "remaining": "7.50",
            "period_start": month_start.isoformat(),
            "period_end": month_end.isoformat(),
        },
    }
    assert (body["service_not_covered_by"], body["lapsed"]) == (None, None)
    assert [notice["level"] for notice in body["notices"]] == ["ok", "danger", "info"]
    assert body["notices"][1]["text"] == "The company owes 15\u00a0000,50 ₽."


def test_coverage_reports_a_lapsed_contract(world, contracts, api_as):
    in_force, expired, _ = contracts
    Contract.objects.filter(pk=in_force.pk).update(status="suspended")
    long_ago = timezone.localdate() - timedelta(days=600)

    now = api_as(world.agent).get("/api/v1/coverage/", {"company": world.company_a.pk, "site": world.site_a.pk})
    then = api_as(world.agent).get("/api/v1/coverage/", {"company": world.company_a.pk, "on": long_ago.isoformat()})

    assert now.status_code == 200, now.json()
    assert (now.json()["covered"], now.json()["contract"], now.json()["scope"], now.json()["hours"]) == (
        False,
        None,
        None,
        None,
    )
    assert now.json()["lapsed"] == {"id": in_force.pk, "number": "ТО-1"}
    assert now.json()["notices"][0]["level"] == "danger"
    assert (then.json()["covered"], then.json()["contract"], then.json()["scope"]) == (
        True,
        {"id": expired.pk, "number": "ТО-0"},
        "company",
    )


def test_coverage_of_a_unit_someone_else_maintains_is_not_covered(world, contracts, api_as):
    unit = EquipmentFactory(site=world.site_a, responsible="client")

    body = api_as(world.agent).get("/api/v1/coverage/", {"equipment": unit.pk}).json()

    assert (body["covered"], body["contract"]["number"]) == (False, "ТО-1")
    assert body["notices"][-1] == {"level": "warn", "text": "This unit is maintained by the client's own staff."}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"company": ["Give a company, a site or a unit."]}),
        ({"company": "company_a", "site": "site_b"}, {"site": ["The site belongs to another company."]}),
        ({"company": "company_b", "equipment": "unit_a"}, {"equipment": ["The equipment belongs to another company."]}),
        ({"company": 999999}, {"company": ['Invalid pk "999999" - object does not exist.']}),
        ({"company": "company_a", "category": "nope"}, {"category": ['Nothing with id or code "nope" exists.']}),
    ],
)  # fmt: skip
def test_coverage_parameter_errors_name_the_parameter(world, api_as, query, expected):
    refs = {
        "company_a": world.company_a.pk,
        "company_b": world.company_b.pk,
        "site_b": world.site_b.pk,
        "unit_a": EquipmentFactory(site=world.site_a).pk,
    }
    query = {key: refs.get(value, value) for key, value in query.items()}

    response = api_as(world.agent).get("/api/v1/coverage/", query)

    assert (response.status_code, response.json()) == (400, expected)


# Works on tickets


@pytest.fixture
def price_list(contracts):
    in_force, *_ = contracts
    price_list = PriceList.objects.create(name="Доп. работы")
    in_force.price_list = price_list
    in_force.save(update_fields=["price_list"])
    return price_list


def works_url(ticket):
    return f"/api/v1/tickets/{ticket.number}/works/"


def test_staff_record_list_and_remove_works(world, contracts, price_list, api_as):
    in_force, *_ = contracts
    world.ticket_a.contract = in_force
    world.ticket_a.save(update_fields=["contract"])
    refill = PriceListItem.objects.create(price_list=price_list, name="Заправка фреоном", unit="кг", price=1500)
    client = api_as(world.agent)

    labour = client.post(works_url(world.ticket_a), {"name": "Диагностика", "hours": "1.5"}, format="json")
    extra = client.post(
        works_url(world.ticket_a),
        {"price_list_item": refill.pk, "quantity": "2", "performed_on": "2026-01-10"},
        format="json",
    )
    listed = client.get(works_url(world.ticket_a))
    removed = client.delete(f"{works_url(world.ticket_a)}{labour.json()['id']}/")

    assert labour.status_code == 201, labour.json()
    assert extra.status_code == 201, extra.json()
    assert extra.json() == {
        "id": extra.json()["id"],
        "name": "Заправка фреоном",
        "hours": "0.00",
        "quantity": "2.00",
        "unit": "кг",
        "price": "1500.00",
        "total": "3000.00",
        "is_billable": True,
        "price_list_item": {"id": refill.pk, "name": "Заправка фреоном"},
        "contract": {"id": in_force.pk, "number": "ТО-1"},
        "performed_by": {"id": world.agent.pk, "full_name": "Ирина Агентова"},
        "performed_on": "2026-01-10",
        "created_at": extra.json()["created_at"],
    }
    assert [row["name"] for row in listed.json()["results"]] == ["Заправка фреоном", "Диагностика"]
    assert removed.status_code == 204
    assert list(TicketWork.objects.values_list("name", flat=True)) == ["Заправка фреоном"]
    assert list(
        TicketEvent.objects.filter(ticket=world.ticket_a, kind__startswith="work").values_list("kind", flat=True)
    ) == ["work_added", "work_added", "work_removed"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": "Работа", "hours": "-1"}, "hours"),
        ({"name": "Работа", "quantity": "0"}, "quantity"),
        ({"price_list_item": "other_list"}, "price_list_item"),
    ],
)
def test_work_validation_names_the_field(world, contracts, price_list, api_as, payload, field):
    world.ticket_a.contract = contracts[0]
    world.ticket_a.save(update_fields=["contract"])
    other = PriceListItem.objects.create(price_list=PriceList.objects.create(name="Чужой"), name="Не отсюда", price=1)
    payload = {key: other.pk if value == "other_list" else value for key, value in payload.items()}

    response = api_as(world.agent).post(works_url(world.ticket_a), payload, format="json")

    assert (response.status_code, list(response.json())) == (400, [field])
    assert not TicketWork.objects.exists()


def test_works_are_not_for_clients_and_read_only_for_contractors(world, api_as):
    world.ticket_a.assignee = world.contractor
    world.ticket_a.save(update_fields=["assignee"])
    work = TicketWork.objects.create(ticket=world.ticket_a, name="Диагностика", hours=1)
    client = api_as(world.client_a)
    contractor = api_as(world.contractor)

    assert client.get(works_url(world.ticket_a)).status_code == 403
    assert client.post(works_url(world.ticket_a), {"name": "x"}, format="json").status_code == 403
    assert client.delete(f"{works_url(world.ticket_a)}{work.pk}/").status_code == 403
    assert [row["name"] for row in contractor.get(works_url(world.ticket_a)).json()["results"]] == ["Диагностика"]
    assert contractor.post(works_url(world.ticket_a), {"name": "x"}, format="json").status_code == 403
    assert contractor.delete(f"{works_url(world.ticket_a)}{work.pk}/").status_code == 403
    assert TicketWork.objects.count() == 1


def test_works_of_an_invisible_ticket_or_another_ticket_are_404(world, api_as):
    work_b = TicketWork.objects.create(ticket=world.ticket_b, name="Кровля", hours=1)
    agent = api_as(world.agent)  # not in the team of ticket B

    assert agent.get(works_url(world.ticket_b)).status_code == 404
    assert agent.delete(f"{works_url(world.ticket_a)}{work_b.pk}/").status_code == 404
    assert TicketWork.objects.filter(pk=work_b.pk).exists()


@pytest.mark.parametrize("day", ["9999-12-20", "0001-01-01"])
def test_coverage_on_the_first_or_last_day_of_the_calendar(world, api_as, day):
    # given: an open-ended contract with hours per month
    ContractFactory(company=world.company_a, starts_on=date(2020, 1, 1), ends_on=None, included_hours=Decimal("10"))
    # when
    response = api_as(world.agent).get("/api/v1/coverage/", {"company": world.company_a.pk, "on": day})
    # then
    assert response.status_code == 200
