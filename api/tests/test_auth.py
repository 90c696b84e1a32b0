import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.services import LOGIN_FAILURE_LIMIT, LOGIN_FAILURE_WINDOW
from tests.factories import UserFactory

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def person(db):
    return UserFactory(email="ivan@otklik.test", password="correct-horse-1")


def test_token_for_good_credentials_authenticates_later_requests(person):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(TOKEN_URL, {"username": "Ivan@Otklik.test", "password": "correct-horse-1"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=person).key}
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = client.get("/api/v1/users/me/")
    assert me.status_code == 200
    assert me.json()["email"] == "ivan@otklik.test"


def test_token_is_the_same_on_every_login(person):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    first = client.post(TOKEN_URL, {"username": "ivan@otklik.test", "password": "correct-horse-1"}, format="json")

    second = client.post(TOKEN_URL, {"username": "ivan@otklik.test", "password": "correct-horse-1"}, format="json")

    assert first.json()["token"] == second.json()["token"]
    assert Token.objects.filter(user=person).count() == 1


def test_wrong_password_is_refused(person):
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        TOKEN_URL, {"username": "ivan@otklik.test", "password": "wrong"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Wrong email or password."]}
    assert not Token.objects.exists()


def test_inactive_user_gets_no_token(person):
    person.is_active = False
    person.save(update_fields=["is_active"])

    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        TOKEN_URL, {"username": "ivan@otklik.test", "password": "correct-horse-1"}, format="json"
    )

    assert response.status_code == 400


def test_missing_password_names_the_field(person):
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(TOKEN_URL, {"username": "ivan@otklik.test"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"password": ["This field is required."]}


def test_repeated_failures_lock_the_email_even_with_the_right_password(person):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    for _attempt in range(LOGIN_FAILURE_LIMIT):
        assert (
            client.post(TOKEN_URL, {"username": "ivan@otklik.test", "password": "bad"}, format="json").status_code
            == 400
        )

    response = client.post(TOKEN_URL, {"username": "ivan@otklik.test", "password": "correct-horse-1"}, format="json")

    assert response.status_code == 429
    assert response["Retry-After"] == str(LOGIN_FAILURE_WINDOW)
    assert response.json()["detail"].startswith("Too many failed attempts.")


def test_login_rate_limits_every_attempt_from_one_address(person, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "login": "2/min"})
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    body = {"username": "ivan@otklik.test", "password": "correct-horse-1"}
    assert client.post(TOKEN_URL, body, format="json").status_code == 200
    assert client.post(TOKEN_URL, body, format="json").status_code == 200

    response = client.post(TOKEN_URL, body, format="json")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60


def test_requests_without_a_valid_token_are_unauthorized(db):
    anonymous = APIClient(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/tickets/")
    bad_token = APIClient(HTTP_AUTHORIZATION="Token not-a-token", HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/tickets/")

    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    assert bad_token.status_code == 401


def test_token_of_a_deactivated_user_stops_working(person, api_as):
    client = api_as(person)
    person.is_active = False
    person.save(update_fields=["is_active"])

    assert client.get("/api/v1/users/me/").status_code == 401
