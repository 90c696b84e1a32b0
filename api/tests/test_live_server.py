"""The API over real HTTP: a token, a ticket with an attachment, the ticket read back."""

import httpx
import pytest
from django.conf import settings
from django.db import connection, connections

from tests.factories import ClientUserFactory
from tickets import search
from tickets.models import Ticket


@pytest.fixture(scope="module")
def _migrated_data_restored_afterwards(django_db_blocker):
    """The flush after a transactional test empties every table, the statuses and priorities that
    migrations seed included. Put them back (module scope: after that flush) for the transactional
    tests that run later without asking for serialized_rollback themselves."""
    yield
    with django_db_blocker.unblock():
        for alias in connections:
            contents = getattr(connections[alias], "_test_serialized_contents", None)
            if contents:
                connections[alias].creation.deserialize_db_from_string(contents)


@pytest.fixture
def _empty_search_index_afterwards(live_server):
    """The search table is not a model, so the flush after a transactional test leaves its rows
    behind; empty it first (torn down before the live server's flush)."""
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {search.TABLE}")


# available_apps makes the flush after the test TRUNCATE ... CASCADE: on PostgreSQL the search
# table's foreign key to tickets_ticket refuses a plain TRUNCATE of the tickets.
@pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS))
@pytest.mark.usefixtures("_migrated_data_restored_afterwards", "_empty_search_index_afterwards")
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
