"""The API over real HTTP: a token, a ticket with an attachment, the ticket read back."""

import httpx
import pytest
from django.conf import settings

from tests.factories import ClientUserFactory
from tickets.models import Ticket


# available_apps makes the flush after the test TRUNCATE ... CASCADE: on PostgreSQL the search
# table's foreign key to tickets_ticket refuses a plain TRUNCATE of the tickets.
@pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS))
@pytest.mark.usefixtures("migrated_data_restored_afterwards", "empty_search_index_afterwards")
def test_client_gets_a_token_creates_and_reads_a_ticket_over_http(live_server):
    ClientUserFactory(email="anna@romashka.test", password="s3cret-Pass")

    with httpx.Client(base_url=live_server.url, timeout=20, headers={"Accept-Language": "en"}) as http:
        token = http.post("/api/v1/auth/token/", json={"username": "anna@romashka.test", "password": "s3cret-Pass"})
        assert token.status_code == 200, token.text
        http.headers["Authorization"] = f"Token {token.json()['token']}"

        created = http.post(
            "/api/v1/tickets/",
            data={"title": "Не открывается шлагбаум", "description": "Пульт не работает."},
            files={"attachments": ("remote.txt", b"battery: 0%", "text/plain")},
        )
        assert created.status_code == 201, created.text
        fetched = http.get(created.headers["Location"])
        articles = http.get(f"{created.headers['Location']}articles/")
        download = http.get(articles.json()["results"][0]["attachments"][0]["url"])
        unauthenticated = httpx.get(f"{live_server.url}{created.headers['Location']}", timeout=20)

    assert fetched.status_code == 200
    assert fetched.json()["number"] == created.json()["number"]
    assert fetched.json()["title"] == "Не открывается шлагбаум"
    assert fetched.json()["channel"] == "api"
    assert download.content == b"battery: 0%"
    assert unauthenticated.status_code == 401
    assert Ticket.objects.get(number=created.json()["number"]).contact.user.email == "anna@romashka.test"
