"""Reference data settings: administrators only; status changes reach the tickets."""

import pytest

from accounts.choices import Role
from accounts.models import User
from tests.factories import make_ticket, status
from tickets.choices import StatusCategory
from tickets.models import Priority, Status
from tickets.services import ticket_set_status

SETTINGS_PAGES = [
    "/tickets/settings/",
    "/tickets/settings/statuses/",
    "/tickets/settings/statuses/new/",
    "/tickets/settings/priorities/",
    "/tickets/settings/types/",
    "/tickets/settings/catalogue/",
    "/tickets/settings/teams/",
    "/tickets/settings/users/",
    "/tickets/settings/users/new/",
    "/tickets/settings/company_categories/",
    "/tickets/settings/company_categories/new/",
    "/tickets/settings/equipment_kinds/",
    "/tickets/settings/equipment_kinds/new/",
]


@pytest.mark.parametrize("url", SETTINGS_PAGES)
def test_settings_pages_render_for_an_administrator(admin_client, team, url):
    # when
    response = admin_client.get(url)
    # then
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["agent", "supervisor", "engineer", "contractor"])
@pytest.mark.parametrize("url", ["/tickets/settings/", "/tickets/settings/statuses/", "/tickets/settings/users/new/"])
def test_settings_pages_are_forbidden_to_other_staff(login, request, role, url):
    # given
    user = request.getfixturevalue(role)
    # when
    response = login(user).get(url)
    # then
    assert response.status_code == 403


def test_settings_send_a_client_to_the_portal(login, client_user):
    # when
    response = login(client_user).get("/tickets/settings/")
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/")


def test_an_unknown_kind_is_404(admin_client):
    # when
    response = admin_client.get("/tickets/settings/widgets/")
    # then
    assert response.status_code == 404


def test_creating_a_status(admin_client):
    # when
    response = admin_client.post(
        "/tickets/settings/statuses/new/",
        {
            "code": "on_site",
            "name_ru": "Мастер на объекте",
            "name_en": "Engineer on site",
            "category": StatusCategory.OPEN,
            "order": 25,
            "colour": "#123456",
            "is_active": "on",
        },
    )
    # then
    created = Status.objects.get(code="on_site")
    assert response.status_code == 302
    assert response["Location"] == "/tickets/settings/statuses/"
    assert (created.name_en, created.category, created.order, created.is_default) == (
        "Engineer on site",
        StatusCategory.OPEN,
        25,
        False,
    )


def test_an_invalid_status_is_shown_with_errors(admin_client):
    # when
    response = admin_client.post("/tickets/settings/statuses/new/", {"code": "new", "name_ru": "", "category": "x"})
    # then
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"code", "name_ru", "name_en", "category"}
    assert Status.objects.filter(code="new").count() == 1


def test_moving_a_status_to_another_category_updates_its_tickets(admin_client, agent):
    # given
    waiting = status("waiting_client")
    ticket = make_ticket()
    untouched = make_ticket()
    ticket_set_status(ticket=ticket, actor=agent, status=waiting)
    # when
    admin_client.post(
        f"/tickets/settings/statuses/{waiting.pk}/",
        {
            "code": waiting.code,
            "name_ru": waiting.name_ru,
            "name_en": waiting.name_en,
            "category": StatusCategory.OPEN,
            "order": waiting.order,
            "colour": waiting.colour,
            "is_active": "on",
        },
    )
    # then
    ticket.refresh_from_db()
    untouched.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN
    assert untouched.status_category == StatusCategory.NEW


def test_one_default_status_and_one_default_priority(admin_client):
    # given
    opened = status("open")
    high = Priority.objects.get(code="high")
    # when
    admin_client.post(
        f"/tickets/settings/statuses/{opened.pk}/",
        {
            "code": "open",
            "name_ru": opened.name_ru,
            "name_en": opened.name_en,
            "category": opened.category,
            "order": opened.order,
            "colour": opened.colour,
            "is_default": "on",
            "is_active": "on",
        },
    )
    admin_client.post(
        f"/tickets/settings/priorities/{high.pk}/",
        {
            "code": "high",
            "name_ru": high.name_ru,
            "name_en": high.name_en,
            "order": high.order,
            "colour": high.colour,
            "is_default": "on",
            "is_active": "on",
        },
    )
    # then
    assert list(Status.objects.filter(is_default=True).values_list("code", flat=True)) == ["open"]
    assert list(Priority.objects.filter(is_default=True).values_list("code", flat=True)) == ["high"]
    assert make_ticket().status == opened


def test_creating_a_staff_member_who_then_logs_in(admin_client, client):
    # when
    response = admin_client.post(
        "/tickets/settings/users/new/",
        {
            "email": "Ivan.Petrov@Otklik.test",
            "full_name": "Иван Петров",
            "role": Role.ENGINEER,
            "phone_extension": "214",
            "language": "en",
            "time_zone": "Europe/Moscow",
            "is_active": "on",
            "new_password": "Kompressor-2026!",
        },
    )
    login = client.post("/accounts/login/", {"email": "ivan.petrov@otklik.test", "password": "Kompressor-2026!"})
    # then
    user = User.objects.get(full_name="Иван Петров")
    assert response.status_code == 302
    assert user.email == "ivan.petrov@otklik.test"
    assert user.role == Role.ENGINEER
    assert user.phone_extension == "214"  # the telephony caller card finds them by it
    assert login.status_code == 302


def test_a_staff_email_differing_only_in_case_is_taken(admin_client, agent):
    # when
    response = admin_client.post(
        "/tickets/settings/users/new/",
        {
            "email": "AGENT@otklik.test",
            "full_name": "Двойник",
            "role": Role.AGENT,
            "language": "en",
            "time_zone": "Europe/Moscow",
            "is_active": "on",
            "new_password": "Kompressor-2026!",
        },
    )
    # then
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]
    assert User.objects.filter(full_name="Двойник").count() == 0


def test_a_client_login_is_not_editable_in_staff_settings(admin_client, client_user):
    # when
    response = admin_client.get(f"/tickets/settings/users/{client_user.pk}/")
    # then
    assert response.status_code == 404


def test_an_equipment_kind_with_its_parameters(admin_client):
    from assets.models import EquipmentKind

    # when
    bad = admin_client.post(
        "/tickets/settings/equipment_kinds/new/",
        {"code": "pump", "name_ru": "Насос", "name_en": "Pump", "order": 5, "is_active": "on",
         "parameters_text": "flow; Расход; Flow; litres"},
    )  # fmt: skip
    good = admin_client.post(
        "/tickets/settings/equipment_kinds/new/",
        {"code": "pump", "name_ru": "Насос", "name_en": "Pump", "order": 5, "is_active": "on",
         "parameters_text": "flow_m3h; Расход, м³/ч; Flow, m³/h; number\n\nseal; Уплотнение"},
    )  # fmt: skip
    edit_page = admin_client.get(f"/tickets/settings/equipment_kinds/{EquipmentKind.objects.get(code='pump').pk}/")
    # then
    assert bad.status_code == 200
    assert good.status_code == 302
    assert EquipmentKind.objects.get(code="pump").parameters == [
        {"code": "flow_m3h", "name_ru": "Расход, м³/ч", "name_en": "Flow, m³/h", "type": "number"},
        {"code": "seal", "name_ru": "Уплотнение", "name_en": "Уплотнение", "type": "text"},
    ]
    assert "flow_m3h; Расход, м³/ч; Flow, m³/h; number" in edit_page.content.decode()
