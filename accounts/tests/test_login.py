"""Staff login: by email in any case, wrong passwords, throttling, session rotation, logout."""

import pytest
from django.contrib.auth import SESSION_KEY

PASSWORD = "pass-Word-123"


def _errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


@pytest.mark.parametrize("email", ["agent@otklik.test", "AGENT@Otklik.TEST", "  Agent@otklik.test "])
def test_login_by_email_in_any_case(client, agent, email):
    # when
    response = client.post("/accounts/login/", {"email": email, "password": PASSWORD})
    # then
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(agent.pk)


def test_login_goes_to_a_local_next_page(client, agent):
    # when
    response = client.post(
        "/accounts/login/", {"email": agent.email, "password": PASSWORD, "next": "/tickets/?view=mine"}
    )
    # then
    assert response["Location"] == "/tickets/?view=mine"


def test_login_never_goes_to_another_site(client, agent):
    # when
    response = client.post(
        "/accounts/login/", {"email": agent.email, "password": PASSWORD, "next": "https://evil.example/"}
    )
    # then
    assert response["Location"] == "/"


def test_a_wrong_password_is_400(client, agent):
    # when
    response = client.post("/accounts/login/", {"email": agent.email, "password": "wrong"})
    # then
    assert response.status_code == 400
    assert _errors(response) == ["Wrong email or password."]
    assert SESSION_KEY not in client.session


def test_an_unknown_email_is_400_with_the_same_message(client, agent):
    # when
    response = client.post("/accounts/login/", {"email": "nobody@otklik.test", "password": PASSWORD})
    # then
    assert response.status_code == 400
    assert _errors(response) == ["Wrong email or password."]


def test_an_inactive_user_cannot_log_in(client, agent):
    # given
    agent.is_active = False
    agent.save()
    # when
    response = client.post("/accounts/login/", {"email": agent.email, "password": PASSWORD})
    # then
    assert response.status_code == 400
    assert SESSION_KEY not in client.session


def test_login_is_throttled_after_five_failures(client, agent):
    # given
    failures = [client.post("/accounts/login/", {"email": agent.email, "password": f"wrong{i}"}) for i in range(5)]
    # when
    response = client.post("/accounts/login/", {"email": agent.email, "password": PASSWORD})
    # then
    assert [r.status_code for r in failures] == [400] * 5
    assert response.status_code == 429
    assert _errors(response) == ["Too many failed attempts. Wait 15 minutes and try again."]
    assert SESSION_KEY not in client.session


def test_throttling_counts_the_address_in_any_case(client, agent):
    # given
    for i in range(5):
        client.post("/accounts/login/", {"email": "AGENT@otklik.test", "password": f"wrong{i}"})
    # when
    response = client.post("/accounts/login/", {"email": "agent@otklik.test", "password": PASSWORD})
    # then
    assert response.status_code == 429


def test_a_success_resets_the_failure_count(client, agent):
    # given
    for i in range(4):
        client.post("/accounts/login/", {"email": agent.email, "password": f"wrong{i}"})
    client.post("/accounts/login/", {"email": agent.email, "password": PASSWORD})
    client.post("/accounts/logout/")
    # when
    after_one_more_failure = client.post("/accounts/login/", {"email": agent.email, "password": "wrong"})
    # then
    assert after_one_more_failure.status_code == 400


def test_login_rotates_the_session_key(client, agent):
    # given
    session = client.session
    session["anonymous_state"] = "x"
    session.save()
    key_before = session.session_key
    # when
    client.post("/accounts/login/", {"email": agent.email, "password": PASSWORD})
    # then
    assert client.session.session_key != key_before
    assert client.session[SESSION_KEY] == str(agent.pk)


def test_a_signed_in_user_on_the_login_page_goes_home(client, agent):
    # given
    client.force_login(agent)
    # when
    response = client.get("/accounts/login/")
    # then
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_home_sends_staff_to_the_queue_and_clients_to_the_portal(client, agent, client_user):
    # when
    client.force_login(agent)
    staff_home = client.get("/")
    client.force_login(client_user)
    client_home = client.get("/")
    # then
    assert staff_home["Location"] == "/tickets/"
    assert client_home["Location"].startswith("/portal/")


def test_logout_is_post_only(client, agent):
    # given
    client.force_login(agent)
    # when
    by_get = client.get("/accounts/logout/")
    still_in = SESSION_KEY in client.session
    by_post = client.post("/accounts/logout/")
    # then
    assert by_get.status_code == 405
    assert still_in is True
    assert by_post.status_code == 302
    assert by_post["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session


def test_a_client_logging_out_goes_to_the_portal_login(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.post("/accounts/logout/")
    # then
    assert response["Location"].startswith("/portal/")


def test_failures_from_one_office_address_do_not_lock_out_colleagues(db):
    # given: five people in one office mistype their passwords once each
    from accounts.services import login_failed, login_is_throttled

    for n in range(5):
        login_failed(email=f"person{n}@office.test", ip="203.0.113.7")
    # then: a colleague from the same address can still log in, the five too
    assert login_is_throttled(email="colleague@office.test", ip="203.0.113.7") is False
    assert login_is_throttled(email="person0@office.test", ip="203.0.113.7") is False
