from tests.factories import TeamFactory
from tickets.models import ServiceCategory, Status, Tag


def rows(response):
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


# Users


def test_staff_list_users_and_filter_them(world, api_as):
    client = api_as(world.agent)

    everyone = client.get("/api/v1/users/")
    agents = client.get("/api/v1/users/", {"role": "agent"})
    by_team = client.get("/api/v1/users/", {"team": world.team.pk})
    found = client.get("/api/v1/users/", {"search": "ирина"})

    assert everyone.status_code == 200
    assert [u["email"] for u in rows(everyone)] == [
        "boris@vasilek.test",
        "anna@romashka.test",
        "contractor@otklik.test",
        "admin@otklik.test",
        "agent@otklik.test",
    ]
    assert [u["email"] for u in rows(agents)] == ["agent@otklik.test"]
    assert [u["email"] for u in rows(by_team)] == ["agent@otklik.test"]
    assert [u["email"] for u in rows(found)] == ["agent@otklik.test"]


def test_user_representation(world, api_as):
    response = api_as(world.admin).get(f"/api/v1/users/{world.client_a.pk}/")

    assert response.json() == {
        "id": world.client_a.pk,
        "email": "anna@romashka.test",
        "full_name": "Анна Петрова",
        "role": "client",
        "phone": "",
        "language": "ru",
        "time_zone": "Europe/Moscow",
        "is_active": True,
        "contact_id": world.contact_a.pk,
        "team_ids": [],
    }


def test_clients_and_contractors_see_only_themselves(world, api_as):
    for user in (world.client_a, world.contractor):
        client = api_as(user)
        assert [u["id"] for u in rows(client.get("/api/v1/users/"))] == [user.pk]
        assert client.get(f"/api/v1/users/{world.agent.pk}/").status_code == 404
        assert client.get("/api/v1/users/me/").json()["id"] == user.pk


def test_client_of_another_company_cannot_read_a_client_user(world, api_as):
    assert api_as(world.client_b).get(f"/api/v1/users/{world.client_a.pk}/").status_code == 404


# Teams


def test_agent_sees_their_teams_and_admin_all(world, api_as):
    TeamFactory(code="archived", is_active=False)

    own = api_as(world.agent).get("/api/v1/teams/").json()
    everything = api_as(world.admin).get("/api/v1/teams/").json()

    assert own == [
        {
            "id": world.team.pk,
            "code": "service",
            "name": "Service",
            "name_ru": "Сервис",
            "name_en": "Service",
            "email": "",
            "supervisor_id": None,
            "member_ids": [world.agent.pk],
            "is_active": True,
        }
    ]
    # "duty": the on-duty team the automation migrations ship (the emergency rules route to it)
    assert [t["code"] for t in everything] == ["duty", "install", "service"]
    assert api_as(world.agent).get(f"/api/v1/teams/{world.other_team.pk}/").status_code == 404
    assert api_as(world.admin).get(f"/api/v1/teams/{world.other_team.pk}/").json()["code"] == "install"


def test_clients_see_no_teams(world, api_as):
    client = api_as(world.client_a)

    assert client.get("/api/v1/teams/").json() == []
    assert client.get(f"/api/v1/teams/{world.team.pk}/").status_code == 404


# Reference data


def test_statuses_in_configured_order(world, api_as):
    response = api_as(world.client_a).get("/api/v1/statuses/")

    assert [s["code"] for s in response.json()] == list(Status.objects.order_by("order").values_list("code", flat=True))
    assert response.json()[0] == {
        "id": Status.objects.get(code="new").pk,
        "code": "new",
        "name": "New",
        "name_ru": "Новая",
        "name_en": "New",
        "order": 10,
        "is_active": True,
        "category": "new",
        "colour": "#2563eb",
        "is_default": True,
        "is_delay": False,
    }


def test_names_follow_the_requested_language(world, api_as):
    client = api_as(world.agent)

    russian = client.get("/api/v1/priorities/", HTTP_ACCEPT_LANGUAGE="ru").json()

    assert [p["name"] for p in russian] == ["Критический", "Высокий", "Обычный", "Низкий"]


def test_ticket_types(world, api_as):
    response = api_as(world.agent).get("/api/v1/types/")

    assert [t["code"] for t in response.json()] == ["incident", "request", "question", "planned"]


def test_service_catalogue_for_clients_hides_internal_entries(world, api_as):
    ServiceCategory.objects.create(code="hvac", name_ru="Климат", name_en="HVAC", order=1, default_team=world.team)
    ServiceCategory.objects.create(code="internal", name_ru="Внутреннее", name_en="Internal", visible_in_portal=False)
    ServiceCategory.objects.create(code="old", name_ru="Старое", name_en="Old", is_active=False)

    staff = api_as(world.agent).get("/api/v1/service-categories/").json()
    client = api_as(world.client_a).get("/api/v1/service-categories/").json()

    assert [c["code"] for c in staff] == ["internal", "old", "hvac"]
    assert [c["code"] for c in client] == ["hvac"]
    assert client[0]["default_team_id"] == world.team.pk


def test_client_ticket_in_a_hidden_category_is_refused(world, api_as):
    ServiceCategory.objects.create(code="internal", name_ru="Внутреннее", name_en="Internal", visible_in_portal=False)

    response = api_as(world.client_a).post("/api/v1/tickets/", {"title": "x", "category": "internal"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["category"]


def test_tags_are_for_staff_only(world, api_as):
    for name in ("vip", "гарантия", "Вентиляция"):
        Tag.objects.create(name=name)

    staff = api_as(world.agent).get("/api/v1/tags/")
    searched = api_as(world.agent).get("/api/v1/tags/", {"search": "вент"})
    client = api_as(world.client_a).get("/api/v1/tags/")

    assert [t["name"] for t in rows(staff)] == sorted(["vip", "гарантия", "Вентиляция"])
    assert [t["name"] for t in rows(searched)] == ["Вентиляция"]
    assert client.status_code == 403


def test_token_client_without_accept_language_gets_their_own_language_and_time_zone(world, api_as):
    world.agent.language = "en"
    world.agent.time_zone = "Asia/Vladivostok"
    world.agent.save(update_fields=["language", "time_zone"])
    client = api_as(world.agent)
    client.defaults.pop("HTTP_ACCEPT_LANGUAGE")

    priorities = client.get("/api/v1/priorities/").json()
    ticket = client.get(f"/api/v1/tickets/{world.ticket_a.number}/").json()

    assert [p["name"] for p in priorities] == ["Critical", "High", "Normal", "Low"]
    assert ticket["created_at"].endswith("+10:00")
