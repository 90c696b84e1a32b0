"""The profile: name, language and time zone, applied from the next page on."""

import pytest
from django.test import Client


def test_the_profile_page_shows_the_current_settings(client, russian_agent):
    # given
    client.force_login(russian_agent)
    # when
    response = client.get("/accounts/profile/")
    # then
    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    assert response.context["form"].initial == {
        "full_name": "Иван Диспетчер",
        "language": "ru",
        "time_zone": "Europe/Moscow",
    }


def test_saving_the_profile_switches_language_and_time_zone(client, russian_agent):
    # given
    client.force_login(russian_agent)
    # when
    response = client.post(
        "/accounts/profile/", {"full_name": "Ivan Dispatcher", "language": "en", "time_zone": "Asia/Vladivostok"}
    )
    next_page = client.get("/tickets/")
    # then
    russian_agent.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert (russian_agent.full_name, russian_agent.language, russian_agent.time_zone) == (
        "Ivan Dispatcher",
        "en",
        "Asia/Vladivostok",
    )
    assert next_page["Content-Language"] == "en"
    assert '<html lang="en">' in next_page.content.decode()
    assert "My open tickets" in next_page.content.decode()
    assert next_page.context["TIME_ZONE"] == "Asia/Vladivostok"


def test_an_unknown_time_zone_is_refused(client, russian_agent):
    # given
    client.force_login(russian_agent)
    # when
    response = client.post("/accounts/profile/", {"full_name": "Иван", "language": "en", "time_zone": "Mars/Olympus"})
    # then
    russian_agent.refresh_from_db()
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["time_zone"]
    assert russian_agent.time_zone == "Europe/Moscow"
    assert russian_agent.language == "ru"


def test_a_client_edits_the_profile_in_the_portal_layout(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.get("/accounts/profile/")
    # then
    assert response.status_code == 200
    assert response.context["base_template"] == "portal/base.html"


def test_the_profile_needs_a_login(client):
    # when
    response = client.get("/accounts/profile/")
    # then
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"


@pytest.mark.parametrize(("accept", "expected"), [("en", "en"), ("ru", "ru"), ("de", "ru")])
def test_anonymous_visitors_get_the_language_they_ask_for(accept, expected, db):
    # given
    browser = Client(headers={"Accept-Language": accept})
    # when
    response = browser.get("/accounts/login/")
    # then
    assert response.status_code == 200
    assert response["Content-Language"] == expected
