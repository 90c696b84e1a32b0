import pytest
from django.test import Client
from django.urls import reverse

from accounts.choices import Role
from accounts.services import LOGIN_FAILURE_LIMIT
from portal.tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _password_post(client, *, email, password, next_url=""):
    return client.post(
        reverse("portal:login"),
        {"action": "password", "password-email": email, "password-password": password, "next": next_url},
    )


def test_login_page_shows_both_forms(client):
    response = client.get(reverse("portal:login"))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="password-password"' in content
    assert 'name="link-email"' in content
    assert content.count("csrfmiddlewaretoken") == 2


def test_client_logs_in_with_password_and_session_key_rotates(client, client_user):
    client.get(reverse("portal:login"))
    client.session.save()
    key_before = client.session.session_key

    response = _password_post(client, email="Anna@Alfa.test", password=PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("portal:ticket_list")
    assert client.session["_auth_user_id"] == str(client_user.pk)
    assert client.session.session_key != key_before


def test_login_follows_safe_next_only(client, client_user):
    response = _password_post(client, email="anna@alfa.test", password=PASSWORD, next_url="https://evil.test/")

    assert response.url == reverse("portal:ticket_list")


def test_login_follows_local_next(client, client_user):
    response = _password_post(client, email="anna@alfa.test", password=PASSWORD, next_url="/portal/tickets/7/")

    assert response.url == "/portal/tickets/7/"


def test_wrong_password_is_refused(client, client_user):
    response = _password_post(client, email="anna@alfa.test", password="wrong")

    assert response.status_code == 400
    assert "Wrong email or password." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_is_throttled_after_repeated_failures_even_with_right_password(client, client_user):
    for _attempt in range(LOGIN_FAILURE_LIMIT):
        assert _password_post(client, email="anna@alfa.test", password="wrong").status_code == 400

    response = _password_post(client, email="anna@alfa.test", password=PASSWORD)

    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_form_requires_csrf_token(client_user):
    csrf_client = Client(enforce_csrf_checks=True)

    response = _password_post(csrf_client, email="anna@alfa.test", password=PASSWORD)

    assert response.status_code == 403
    assert "_auth_user_id" not in csrf_client.session


def test_staff_logging_in_on_portal_goes_to_agent_queue(client):
    UserFactory(email="agent@otklik.test", role=Role.AGENT)

    response = _password_post(client, email="agent@otklik.test", password=PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("tickets:queue")


def test_anonymous_visitor_is_sent_to_portal_login_with_next(client):
    response = client.get(reverse("portal:ticket_create"))

    assert response.status_code == 302
    assert response.url == reverse("portal:login") + "?next=/portal/new/"


@pytest.mark.parametrize("url_name", ["portal:ticket_list", "portal:ticket_create"])
def test_staff_visiting_portal_is_redirected_to_queue(client, url_name):
    client.force_login(UserFactory(role=Role.SUPERVISOR))

    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response.url == reverse("tickets:queue")


def test_staff_visiting_portal_ticket_is_redirected_to_queue(client):
    client.force_login(UserFactory(role=Role.ADMIN))

    response = client.get(reverse("portal:ticket_detail", kwargs={"number": 1}))

    assert response.status_code == 302
    assert response.url == reverse("tickets:queue")


def test_logged_in_client_on_login_page_goes_to_tickets(portal_client):
    response = portal_client.get(reverse("portal:login"))

    assert response.status_code == 302
    assert response.url == reverse("portal:ticket_list")


def test_logout_returns_client_to_portal_login(portal_client):
    response = portal_client.post(reverse("portal:logout"))

    assert response.status_code == 302
    assert response.url == reverse("portal:login")
    assert "_auth_user_id" not in portal_client.session
