"""Equipment pages: list, card, create/edit with kind parameters, documents, access."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.choices import Role
from assets.models import Equipment, EquipmentKind, Responsible
from tests.factories import ContractFactory, EquipmentFactory, SiteFactory, UserFactory, make_ticket

pytestmark = pytest.mark.django_db


def _form(company, site, kind, **extra):
    data = {
        "company": company.pk,
        "site": site.pk,
        "kind": kind.pk,
        "name": "Лифт пассажирский №1",
        "manufacturer": "OTIS",
        "serial_number": "SN-1",
        "inventory_number": "ИНВ-1",
        "responsible": Responsible.US,
        "is_active": "on",
    }
    data.update(extra)
    return data


def test_a_unit_is_created_with_its_kinds_parameters(agent_client, company, site):
    # given
    lift = EquipmentKind.objects.get(code="lift")
    # when
    response = agent_client.post(
        f"/equipment/new/?company={company.pk}",
        _form(company, site, lift, param_capacity_kg="1 000", param_stops="9", warranty_until="2027-05-31"),
    )
    # then
    unit = Equipment.objects.get(serial_number="SN-1")
    assert response.status_code == 302
    assert unit.parameters == {"capacity_kg": 1000, "stops": 9}
    assert unit.warranty_until == date(2027, 5, 31)
    assert unit.company == company


def test_a_bad_parameter_is_reported_and_nothing_is_saved(agent_client, company, site):
    lift = EquipmentKind.objects.get(code="lift")
    response = agent_client.post(
        f"/equipment/new/?company={company.pk}", _form(company, site, lift, param_stops="девять")
    )
    assert response.status_code == 200
    assert "enter a valid value" in response.content.decode()
    assert not Equipment.objects.exists()


def test_the_form_shows_the_parameters_of_the_chosen_kind(agent_client, company):
    cash = EquipmentKind.objects.get(code="cash_register")
    response = agent_client.get(
        "/equipment/new/", {"company": company.pk, "refresh": "1", "kind": cash.pk}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert 'name="param_fn_until"' in html
    assert 'name="param_capacity_kg"' not in html


def test_a_site_of_another_company_is_refused(agent_client, company):
    foreign_site = SiteFactory()
    lift = EquipmentKind.objects.get(code="lift")
    response = agent_client.post(f"/equipment/new/?company={company.pk}", _form(company, foreign_site, lift))
    assert response.status_code == 200
    assert not Equipment.objects.exists()


def test_a_unit_cannot_become_part_of_its_own_part(agent_client, company, site):
    # given
    building = EquipmentFactory(site=site, company=company, name="Здание")
    floor = EquipmentFactory(site=site, company=company, name="Этаж 1", parent=building)
    # when
    response = agent_client.post(
        f"/equipment/{building.pk}/edit/", _form(company, site, building.kind, name="Здание", parent=floor.pk)
    )
    # then
    building.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors == {"parent": ["A unit cannot be part of itself."]}
    assert building.parent is None


def test_a_unit_gets_a_parent_of_its_site(agent_client, company, site):
    # given
    building = EquipmentFactory(site=site, company=company, name="Здание")
    lift = EquipmentFactory(site=site, company=company, name="Лифт")
    # when
    response = agent_client.post(
        f"/equipment/{lift.pk}/edit/", _form(company, site, lift.kind, name="Лифт", parent=building.pk)
    )
    # then
    lift.refresh_from_db()
    assert response.status_code == 302
    assert lift.parent == building


def test_a_new_unit_is_created_inside_a_parent(agent_client, company, site):
    building = EquipmentFactory(site=site, company=company, name="Здание")
    lift = EquipmentKind.objects.get(code="lift")
    response = agent_client.post(
        f"/equipment/new/?company={company.pk}", _form(company, site, lift, parent=building.pk)
    )
    assert response.status_code == 302
    assert Equipment.objects.get(serial_number="SN-1").parent == building


def test_the_parent_list_holds_the_sites_units_and_the_current_parent(agent_client, company, site):
    # given: the current parent is at another site (moved since)
    other_site = SiteFactory(company=company)
    here = EquipmentFactory(site=site, company=company, name="Здание")
    elsewhere = EquipmentFactory(site=other_site, company=company, name="Котельная")
    EquipmentFactory(site=other_site, company=company, name="Склад")
    unit = EquipmentFactory(site=site, company=company, name="Насос", parent=elsewhere)
    # when
    response = agent_client.get(f"/equipment/{unit.pk}/edit/")
    # then
    choices = [str(label) for value, label in response.context["form"].fields["parent"].choices if value]
    assert sorted(choices) == sorted([str(here), str(elsewhere)])


def test_a_contractors_unit_needs_the_contractors_name(agent_client, company, site):
    lift = EquipmentKind.objects.get(code="lift")
    response = agent_client.post(
        f"/equipment/new/?company={company.pk}", _form(company, site, lift, responsible=Responsible.CONTRACTOR)
    )
    assert response.status_code == 200
    assert "Name the contractor" in response.content.decode()


def test_the_card_shows_history_parts_coverage_and_documents(agent_client, company, site):
    # given
    unit = EquipmentFactory(site=site, company=company, name="Чиллер")
    EquipmentFactory(site=site, company=company, name="Компрессор", parent=unit)
    make_ticket(title="Чиллер не охлаждает", company=company, site=site, equipment=unit)
    ContractFactory(company=company, number="ТО-77")
    agent_client.post(
        f"/equipment/{unit.pk}/documents/",
        {
            "title": "Паспорт",
            "kind": "document",
            "file": SimpleUploadedFile("passport.pdf", b"%PDF-1.4", "application/pdf"),
        },
    )
    # when
    response = agent_client.get(f"/equipment/{unit.pk}/")
    # then
    html = response.content.decode()
    assert "Чиллер не охлаждает" in html
    assert "Компрессор" in html
    assert "ТО-77" in html
    assert "Паспорт" in html
    document = unit.documents.get()
    download = agent_client.get(f"/equipment/documents/{document.pk}/")
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_search_finds_by_inventory_number(agent_client, company, site):
    EquipmentFactory(site=site, company=company, name="Сплит", inventory_number="ИНВ-00421")
    EquipmentFactory(site=site, company=company, name="Лифт", inventory_number="ИНВ-00999")
    response = agent_client.get("/equipment/", {"q": "00421"})
    assert [u.name for u in response.context["page"]] == ["Сплит"]


@pytest.mark.parametrize("role", [Role.CONTRACTOR])
def test_contractors_do_not_see_the_equipment_base(login, company, site, role):
    unit = EquipmentFactory(site=site, company=company)
    browser = login(UserFactory(role=role))
    assert browser.get("/equipment/").status_code == 404
    assert browser.get(f"/equipment/{unit.pk}/").status_code == 404


def test_clients_are_sent_to_the_portal(login, client_user, company, site):
    unit = EquipmentFactory(site=site, company=company)
    response = login(client_user).get(f"/equipment/{unit.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/")


def test_anonymous_visitors_are_asked_to_sign_in(client, company, site):
    unit = EquipmentFactory(site=site, company=company)
    response = client.get(f"/equipment/{unit.pk}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
