from datetime import date, timedelta

import pytest
from django.utils import timezone

from assets.models import Equipment, EquipmentKind
from tests.factories import EquipmentFactory, EquipmentKindFactory, SiteFactory

LIST = "/api/v1/equipment/"

LIFT_PARAMETERS = [
    {"code": "load_kg", "name_ru": "Грузоподъёмность, кг", "name_en": "Load, kg", "type": "number"},
    {"code": "stops", "name_ru": "Остановок", "name_en": "Stops", "type": "number"},
    {"code": "inspected_on", "name_ru": "Освидетельствован", "name_en": "Inspected", "type": "date"},
    {"code": "machine_room", "name_ru": "Машинное помещение", "name_en": "Machine room", "type": "bool"},
]


def detail(unit):
    return f"/api/v1/equipment/{unit.pk}/"


def names(response):
    return [row["name"] for row in response.json()["results"]]


@pytest.fixture
def lift(db):
    return EquipmentKindFactory(
        code="freight_lift", name_ru="Грузовой лифт", name_en="Freight lift", parameters=LIFT_PARAMETERS
    )


@pytest.fixture
def units(world, lift):
    """Company A: a lift in the warehouse with its drive as a part, and a written-off lift;
    company B: one lift."""
    lift_a = EquipmentFactory(
        site=world.site_a,
        kind=lift,
        name="Лифт грузовой",
        serial_number="SN-100",
        inventory_number="ИНВ-1",
        parameters={"load_kg": 1000},
        notes="Ключ от машинного — у охраны",
    )
    drive = EquipmentFactory(
        site=world.site_a,
        kind=lift,
        name="Привод лифта",
        parent=lift_a,
        external_id="1C-E-5",
        manufacturer="OTIS",
        model="Gen2",
    )
    old = EquipmentFactory(site=world.site_a, kind=lift, name="Лифт списанный", is_active=False)
    lift_b = EquipmentFactory(site=world.site_b, kind=lift, name="Лифт пассажирский")
    return lift_a, drive, old, lift_b


# Reading and visibility


def test_unit_representation(world, units, api_as):
    lift_a, drive, *_ = units

    body = api_as(world.agent).get(detail(drive)).json()

    assert body == {
        "id": drive.pk,
        "company": {"id": world.company_a.pk, "name": "ООО Ромашка"},
        "site": {"id": world.site_a.pk, "name": "Склад на Ленина"},
        "parent": {"id": lift_a.pk, "name": "Лифт грузовой"},
        "kind": {"id": lift_a.kind_id, "code": "freight_lift", "name": "Freight lift"},
        "name": "Привод лифта",
        "manufacturer": "OTIS",
        "model": "Gen2",
        "serial_number": drive.serial_number,
        "inventory_number": drive.inventory_number,
        "location": "",
        "parameters": {},
        "installed_on": None,
        "warranty_until": None,
        "responsible": "us",
        "contractor_name": "",
        "notes": "",
        "external_id": "1C-E-5",
        "is_active": True,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


def test_client_sees_their_companys_active_units_without_notes(world, units, api_as):
    lift_a, _drive, old, _lift_b = units
    client = api_as(world.client_a)

    listed = client.get(LIST)
    own = client.get(detail(lift_a))

    assert names(listed) == ["Привод лифта", "Лифт грузовой"]
    assert own.status_code == 200
    assert own.json()["parameters"] == {"load_kg": 1000}
    assert "notes" not in own.json()
    assert client.get(detail(old)).status_code == 404


def test_another_companys_unit_is_404_for_a_client(world, units, api_as):
    *_, lift_b = units
    client = api_as(world.client_a)

    assert client.get(detail(lift_b)).status_code == 404
    assert names(client.get(LIST, {"company": world.company_b.pk})) == []


def test_contractor_sees_no_equipment(world, units, api_as):
    client = api_as(world.contractor)

    assert names(client.get(LIST)) == []
    assert client.get(detail(units[0])).status_code == 404


def test_staff_see_every_unit_newest_first(world, units, api_as):
    assert names(api_as(world.agent).get(LIST)) == [
        "Лифт пассажирский",
        "Лифт списанный",
        "Привод лифта",
        "Лифт грузовой",
    ]


# Filters


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"company": "company_b"}, ["Лифт пассажирский"]),
        ({"site": "site_a"}, ["Лифт списанный", "Привод лифта", "Лифт грузовой"]),
        ({"kind": "freight_lift", "is_active": "false"}, ["Лифт списанный"]),
        ({"parent": "none", "is_active": "true"}, ["Лифт пассажирский", "Лифт грузовой"]),
        ({"search": "привод"}, ["Привод лифта"]),
        ({"search": "sn-10"}, ["Лифт грузовой"]),
        ({"search": "инв-1"}, ["Лифт грузовой"]),
        ({"serial_number": "SN-100"}, ["Лифт грузовой"]),
        ({"serial_number": "SN-10"}, []),
        ({"inventory_number": "ИНВ-1"}, ["Лифт грузовой"]),
        ({"external_id": "1C-E-5"}, ["Привод лифта"]),
    ],
)
def test_equipment_filters(world, units, api_as, query, expected):
    query = {
        key: getattr(world, value).pk if value in ("company_b", "site_a") else value for key, value in query.items()
    }

    response = api_as(world.agent).get(LIST, query)

    assert response.status_code == 200, response.json()
    assert names(response) == expected


def test_parent_and_kind_filters(world, units, api_as, lift):
    lift_a, *_ = units
    client = api_as(world.agent)

    assert names(client.get(LIST, {"parent": lift_a.pk})) == ["Привод лифта"]
    assert names(client.get(LIST, {"kind": lift.pk, "company": world.company_b.pk})) == ["Лифт пассажирский"]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"parent": "root"}, "parent"), ({"kind": "boiler"}, "kind"), ({"updated_since": "yesterday"}, "updated_since")],
)
def test_bad_equipment_filters_are_400_naming_the_parameter(world, units, api_as, query, field):
    response = api_as(world.agent).get(LIST, query)

    assert (response.status_code, list(response.json())) == (400, [field])


def test_updated_since_lists_changes_most_recent_first(world, units, api_as):
    lift_a, drive, old, lift_b = units
    now = timezone.now()
    Equipment.objects.filter(pk=old.pk).update(updated_at=now - timedelta(days=5))
    Equipment.objects.filter(pk=lift_b.pk).update(updated_at=now - timedelta(hours=3))
    Equipment.objects.filter(pk=lift_a.pk).update(updated_at=now - timedelta(hours=1))
    Equipment.objects.filter(pk=drive.pk).update(updated_at=now - timedelta(hours=2))

    response = api_as(world.agent).get(LIST, {"updated_since": (now - timedelta(days=1)).isoformat()})

    assert names(response) == ["Лифт грузовой", "Привод лифта", "Лифт пассажирский"]


# Writing


def test_staff_create_a_unit_with_parameters(world, api_as, lift):
    response = api_as(world.agent).post(
        LIST,
        {
            "site": world.site_a.pk,
            "kind": "freight_lift",
            "name": "Лифт №3",
            "serial_number": "SN-3",
            "parameters": {"load_kg": "1 000,5", "inspected_on": "2025-03-01", "machine_room": True, "stops": ""},
            "warranty_until": "2030-01-01",
            "responsible": "contractor",
            "contractor_name": "ООО ЛифтСервис",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    unit = Equipment.objects.get(pk=response.json()["id"])
    assert (unit.company, unit.site, unit.kind, unit.warranty_until) == (
        world.company_a,
        world.site_a,
        lift,
        date(2030, 1, 1),
    )
    assert unit.parameters == {"load_kg": 1000.5, "inspected_on": "2025-03-01", "machine_room": True}
    assert response.json()["parameters"] == unit.parameters
    assert response.json()["contractor_name"] == "ООО ЛифтСервис"


def test_staff_change_a_unit(world, units, api_as):
    _lift_a, drive, *_ = units

    response = api_as(world.agent).patch(
        detail(drive), {"parent": None, "location": "Подвал", "parameters": {"stops": 9}}, format="json"
    )

    assert response.status_code == 200, response.json()
    drive.refresh_from_db()
    assert (drive.parent, drive.location, drive.parameters) == (None, "Подвал", {"stops": 9})


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"parameters": {"load_kg": "тонна"}},
         {"parameters": {"load_kg": ["Грузоподъёмность, кг: enter a valid value."]}}),
        ({"parameters": {"load_kg": "1e5000"}},
         {"parameters": {"load_kg": ["Грузоподъёмность, кг: enter a valid value."]}}),
        ({"parameters": {"load_kg": "1234567890123456"}},
         {"parameters": {"load_kg": ["Грузоподъёмность, кг: enter a valid value."]}}),
        ({"parameters": {"inspected_on": "01.03.2025"}},
         {"parameters": {"inspected_on": ["Освидетельствован: enter a valid value."]}}),
        ({"parameters": {"colour": "red"}}, {"parameters": {"colour": ["The kind has no such parameter."]}}),
        ({"site": "site_b"}, {"site": ["The site belongs to another company."]}),
        ({"parent": "lift_b"}, {"parent": ["The parent unit belongs to another company."]}),
        ({"parent": "self"}, {"parent": ["A unit cannot be part of itself."]}),
        ({"responsible": "contractor"}, {"contractor_name": ["Name the contractor who maintains the unit."]}),
        ({"kind": "boiler"}, {"kind": ['Nothing with id or code "boiler" exists.']}),
    ],
)  # fmt: skip
def test_unit_validation_names_the_field_and_changes_nothing(world, units, api_as, payload, expected):
    lift_a, _drive, _old, lift_b = units
    refs = {"site_b": world.site_b.pk, "lift_b": lift_b.pk, "self": lift_a.pk}
    payload = {key: refs.get(value, value) if isinstance(value, str) else value for key, value in payload.items()}
    before = Equipment.objects.values().get(pk=lift_a.pk)

    response = api_as(world.agent).patch(detail(lift_a), payload, format="json")

    assert (response.status_code, response.json()) == (400, expected)
    assert Equipment.objects.values().get(pk=lift_a.pk) == before


def test_create_needs_a_company_or_site_of_the_callers(world, api_as, lift):
    client = api_as(world.agent)

    nowhere = client.post(LIST, {"kind": "freight_lift", "name": "Лифт"}, format="json")
    mixed = client.post(
        LIST,
        {"company": world.company_a.pk, "site": world.site_b.pk, "kind": "freight_lift", "name": "Лифт"},
        format="json",
    )

    assert (nowhere.status_code, nowhere.json()) == (400, {"company": ["Choose the company that owns the unit."]})
    assert (mixed.status_code, mixed.json()) == (400, {"site": ["The site belongs to another company."]})
    assert not Equipment.objects.exists()


@pytest.mark.parametrize("role_user", ["client_a", "contractor"])
def test_clients_and_contractors_cannot_write_equipment(world, units, api_as, role_user):
    client = api_as(getattr(world, role_user))

    created = client.post(LIST, {"site": world.site_a.pk, "kind": "freight_lift", "name": "Мой лифт"}, format="json")
    changed = client.patch(detail(units[0]), {"name": "Переименую"}, format="json")

    assert (created.status_code, changed.status_code) == (403, 403)
    assert Equipment.objects.get(pk=units[0].pk).name == "Лифт грузовой"


# Kinds


def test_equipment_kinds_with_their_parameters(world, lift, api_as):
    EquipmentKind.objects.filter(code="boiler").delete()  # seeded by a migration
    boiler = EquipmentKind.objects.create(code="boiler", name_ru="Котёл", name_en="Boiler", order=2, is_active=False)

    response = api_as(world.client_a).get("/api/v1/equipment-kinds/")

    assert response.status_code == 200
    mine = [kind for kind in response.json() if kind["code"] in ("freight_lift", "boiler")]
    assert mine == [
        {
            "id": lift.pk,
            "code": "freight_lift",
            "name": "Freight lift",
            "name_ru": "Грузовой лифт",
            "name_en": "Freight lift",
            "parameters": [
                {"code": "load_kg", "name": "Load, kg", "name_ru": "Грузоподъёмность, кг", "name_en": "Load, kg",
                 "type": "number"},
                {"code": "stops", "name": "Stops", "name_ru": "Остановок", "name_en": "Stops", "type": "number"},
                {"code": "inspected_on", "name": "Inspected", "name_ru": "Освидетельствован", "name_en": "Inspected",
                 "type": "date"},
                {"code": "machine_room", "name": "Machine room", "name_ru": "Машинное помещение",
                 "name_en": "Machine room", "type": "bool"},
            ],
            "order": 0,
            "is_active": True,
        },
        {"id": boiler.pk, "code": "boiler", "name": "Boiler", "name_ru": "Котёл", "name_en": "Boiler",
         "parameters": [], "order": 2, "is_active": False},
    ]  # fmt: skip


def test_a_new_site_of_the_same_company_is_accepted(world, units, api_as):
    lift_a, *_ = units
    other_site = SiteFactory(company=world.company_a, name="Офис")

    response = api_as(world.agent).patch(detail(lift_a), {"site": other_site.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["site"] == {"id": other_site.pk, "name": "Офис"}


@pytest.mark.parametrize(
    "query",
    ["parent=%C2%B2", "kind=%C2%B2", "parent=99999999999999999999", "kind=99999999999999999999"],
)
def test_malformed_or_huge_ids_are_a_400_not_a_500(world, api_as, query):
    response = api_as(world.admin).get(f"/api/v1/equipment/?{query}")
    assert response.status_code == 400
