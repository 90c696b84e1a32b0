import json

import yaml
from django.core.management import call_command
from django.urls import resolve
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

EXPECTED_PATHS = {
    "/api/v1/auth/token/": {"post"},
    "/api/v1/tickets/": {"get", "post"},
    "/api/v1/tickets/{number}/": {"get", "patch"},
    "/api/v1/tickets/{number}/articles/": {"get", "post"},
    "/api/v1/tickets/{number}/attachments/{attachment_id}/": {"get"},
    "/api/v1/tickets/{number}/works/": {"get", "post"},
    "/api/v1/tickets/{number}/works/{work_id}/": {"delete"},
    "/api/v1/companies/": {"get", "post"},
    "/api/v1/companies/{company_id}/": {"get", "patch"},
    "/api/v1/contacts/": {"get", "post"},
    "/api/v1/contacts/{contact_id}/": {"get", "patch"},
    "/api/v1/sites/": {"get", "post"},
    "/api/v1/sites/{site_id}/": {"get", "patch"},
    "/api/v1/equipment/": {"get", "post"},
    "/api/v1/equipment/{equipment_id}/": {"get", "patch"},
    "/api/v1/contracts/": {"get", "post"},
    "/api/v1/contracts/{contract_id}/": {"get", "patch"},
    "/api/v1/price-lists/": {"get"},
    "/api/v1/coverage/": {"get"},
    "/api/v1/users/": {"get"},
    "/api/v1/users/me/": {"get"},
    "/api/v1/users/{user_id}/": {"get"},
    "/api/v1/teams/": {"get"},
    "/api/v1/teams/{team_id}/": {"get"},
    "/api/v1/sla/policies/": {"get", "post"},
    "/api/v1/sla/policies/{policy_id}/": {"get", "patch", "delete"},
    "/api/v1/sla/calendars/": {"get", "post"},
    "/api/v1/sla/calendars/{calendar_id}/": {"get", "patch", "delete"},
    "/api/v1/sla/calendars/{calendar_id}/weekdays/{weekday}/": {"get", "put"},
    "/api/v1/sla/calendars/{calendar_id}/days/{day}/": {"get", "put", "delete"},
    "/api/v1/sla/calendars/{calendar_id}/seed/": {"post"},
    "/api/v1/statuses/": {"get"},
    "/api/v1/priorities/": {"get"},
    "/api/v1/types/": {"get"},
    "/api/v1/service-categories/": {"get"},
    "/api/v1/company-categories/": {"get"},
    "/api/v1/equipment-kinds/": {"get"},
    "/api/v1/tags/": {"get"},
}


def test_schema_lists_every_endpoint(db):
    response = APIClient().get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert {path: set(ops) - {"parameters"} for path, ops in schema["paths"].items()} == EXPECTED_PATHS
    search = next(p for p in schema["paths"]["/api/v1/tickets/"]["get"]["parameters"] if p["name"] == "search")
    assert "At most 50" in search["description"]


def test_schema_as_json(db):
    response = APIClient().get("/api/schema/?format=json")

    assert response.status_code == 200
    assert json.loads(response.content)["info"]["title"] == "Otklik API"


def test_schema_generates_without_warnings_and_validates(tmp_path):
    GENERATOR_STATS.reset()
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--urlconf", "api.tests.urls", "--file", str(target))

    assert "/api/v1/tickets/" in yaml.safe_load(target.read_text())["paths"]


def test_docs_page_is_self_hosted_and_lists_the_endpoints(db):
    response = APIClient().get("/api/docs/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    html = response.content.decode()
    for path in EXPECTED_PATHS:
        assert path in html
    assert "schema-TicketCreateRequest" in html
    # Nothing is loaded from another host: no scripts, no external stylesheets or fonts.
    assert "<script" not in html
    assert "<link" not in html
    assert "//cdn" not in html


def test_browsable_api_renders_for_a_signed_in_agent(world):
    client = APIClient()
    client.force_login(world.agent)

    listing = client.get("/api/v1/tickets/", HTTP_ACCEPT="text/html")
    ticket = client.get(f"/api/v1/tickets/{world.ticket_a.number}/", HTTP_ACCEPT="text/html")

    assert listing.status_code == 200
    assert "text/html" in listing["Content-Type"]
    assert world.ticket_a.title in listing.content.decode()
    assert ticket.status_code == 200


def test_session_writes_need_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.agent)

    response = client.post("/api/v1/tickets/", {"title": "x"}, format="json")

    assert response.status_code == 403


def test_the_project_mounts_the_api_where_these_tests_expect_it():
    match = resolve("/api/v1/tickets/1/", urlconf="config.urls")

    assert (match.namespace, match.url_name, match.kwargs) == ("api", "ticket-detail", {"number": 1})
    assert resolve("/api/docs/", urlconf="config.urls").view_name == "api:docs"


def test_browsable_api_renders_the_client_base_for_an_agent(world):
    client = APIClient()
    client.force_login(world.agent)

    for url in (
        "/api/v1/equipment/",
        "/api/v1/contracts/",
        "/api/v1/price-lists/",
        f"/api/v1/tickets/{world.ticket_a.number}/works/",
        f"/api/v1/coverage/?company={world.company_a.pk}",
    ):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert (response.status_code, "text/html" in response["Content-Type"]) == (200, True), url
