import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from accounts.models import LoginToken
from accounts.services import magic_link_create
from portal.services import MAGIC_LINK_REQUESTS_PER_EMAIL
from portal.tasks import magic_link_send
from tests.factories import ClientUserFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

SENT_MESSAGE = "If this address belongs to a portal account, a login link is on its way."


def _request_link(client, email, django_capture_on_commit_callbacks, path=None):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(path or reverse("portal:login"), {"action": "link", "link-email": email}, follow=True)


def _link_from(message) -> str:
    match = re.search(r"http://testserver(/portal/login/link/[\w-]+/\S*)", message.body)
    assert match is not None, message.body
    return match.group(1)


def test_link_request_emails_one_link(
    client, client_user, settings, huey_immediate, django_capture_on_commit_callbacks
):
    settings.OTKLIK_BASE_URL = "http://testserver"

    response = _request_link(client, "ANNA@alfa.test", django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert SENT_MESSAGE in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@alfa.test"]
    assert mail.outbox[0].subject == "Your login link for the Otklik portal"
    assert LoginToken.objects.filter(user=client_user, used_at__isnull=True).count() == 1


def test_link_request_for_unknown_address_answers_the_same_and_sends_nothing(
    client, client_user, huey_immediate, django_capture_on_commit_callbacks
):
    known = _request_link(client, "anna@alfa.test", django_capture_on_commit_callbacks)
    mail.outbox.clear()

    unknown = _request_link(client, "nobody@alfa.test", django_capture_on_commit_callbacks)

    assert unknown.status_code == known.status_code == 200
    assert unknown.redirect_chain == known.redirect_chain == [(reverse("portal:login"), 302)]
    assert SENT_MESSAGE in unknown.content.decode()
    assert mail.outbox == []


def test_link_request_for_staff_address_sends_nothing(client, huey_immediate, django_capture_on_commit_callbacks):
    UserFactory(email="agent@otklik.test", role=Role.AGENT)

    response = _request_link(client, "agent@otklik.test", django_capture_on_commit_callbacks)

    assert SENT_MESSAGE in response.content.decode()
    assert mail.outbox == []
    assert LoginToken.objects.count() == 0


def test_link_goes_to_secondary_contact_email_too(db, huey_immediate):
    contact = ContactFactory(email="boss@beta.test")
    contact.emails.create(email="boss.home@beta.test", is_primary=False)
    user = ClientUserFactory(email="boss@beta.test", contact=contact)

    sent = magic_link_send.call_local(email="boss.home@beta.test")

    assert sent is True
    assert mail.outbox[0].to == ["boss.home@beta.test"]
    assert LoginToken.objects.filter(user=user).count() == 1


def test_link_email_is_in_the_contacts_language(db, settings, huey_immediate):
    settings.OTKLIK_BASE_URL = "https://desk.example.ru"
    ClientUserFactory(email="john@gamma.test", language="ru", contact=ContactFactory(language="en"))

    magic_link_send.call_local(email="john@gamma.test")

    message = mail.outbox[0]
    assert message.extra_headers["Content-Language"] == "en"
    assert "https://desk.example.ru/portal/login/link/" in message.body
    assert "expires in 30 minutes" in message.body


def test_link_requests_per_address_are_limited(client, client_user, huey_immediate, django_capture_on_commit_callbacks):
    for _request in range(MAGIC_LINK_REQUESTS_PER_EMAIL + 2):
        response = _request_link(client, "anna@alfa.test", django_capture_on_commit_callbacks)
        assert SENT_MESSAGE in response.content.decode()

    assert len(mail.outbox) == MAGIC_LINK_REQUESTS_PER_EMAIL


def test_link_request_is_queued_only_after_commit(
    client, client_user, huey_immediate, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("portal:login"), {"action": "link", "link-email": "anna@alfa.test"})

    assert len(callbacks) == 1
    assert mail.outbox == []


def test_invalid_email_in_link_form_shows_an_error(client):
    response = client.post(reverse("portal:login"), {"action": "link", "link-email": "not-an-email"})

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_emailed_link_logs_in_once(client, client_user, settings, huey_immediate, django_capture_on_commit_callbacks):
    settings.OTKLIK_BASE_URL = "http://testserver"
    _request_link(client, "anna@alfa.test", django_capture_on_commit_callbacks)
    link = _link_from(mail.outbox[0])

    first = client.get(link)

    assert first.status_code == 302
    assert first.url == reverse("portal:ticket_list")
    assert client.session["_auth_user_id"] == str(client_user.pk)

    client.logout()
    second = client.get(link)

    assert second.status_code == 400
    assert "This login link no longer works" in second.content.decode()
    assert "_auth_user_id" not in client.session


def test_link_requested_from_a_protected_page_returns_there(
    client, client_user, settings, huey_immediate, django_capture_on_commit_callbacks
):
    settings.OTKLIK_BASE_URL = "http://testserver"
    _request_link(
        client,
        "anna@alfa.test",
        django_capture_on_commit_callbacks,
        path=reverse("portal:login") + "?next=/portal/new/",
    )

    response = client.get(_link_from(mail.outbox[0]))

    assert response.status_code == 302
    assert response.url == "/portal/new/"


def test_magic_link_rotates_session_key(client, client_user):
    token = magic_link_create(user=client_user)
    client.get(reverse("portal:login"))
    client.session.save()
    key_before = client.session.session_key

    client.get(reverse("portal:magic_link", kwargs={"token": token}))

    assert client.session.session_key != key_before
    assert client.session["_auth_user_id"] == str(client_user.pk)


def test_expired_link_does_not_log_in(client, client_user):
    token = magic_link_create(user=client_user)
    LoginToken.objects.filter(user=client_user).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get(reverse("portal:magic_link", kwargs={"token": token}))

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_made_up_link_does_not_log_in(client, client_user):
    response = client.get(reverse("portal:magic_link", kwargs={"token": "made-up-token"}))

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_link_of_deactivated_user_does_not_log_in(client, client_user):
    token = magic_link_create(user=client_user)
    client_user.is_active = False
    client_user.save(update_fields=["is_active"])

    response = client.get(reverse("portal:magic_link", kwargs={"token": token}))

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
