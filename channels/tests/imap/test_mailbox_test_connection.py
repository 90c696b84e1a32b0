"""The "Test connection" button: the service against a real Dovecot, and its htmx view."""

import pytest

from accounts.choices import Role
from channels.choices import MailboxInbound, TransportSecurity
from channels.email.imap import mailbox_test_connection
from channels.models import Mailbox
from tests.factories import UserFactory
from tests.imap_server import make_message


def test_a_working_mailbox_reports_its_folder(mailbox, imap_server, imap_account):
    imap_server.append(imap_account, make_message(), make_message(), flags=())
    imap_server.append(imap_account, make_message(), flags=(b"\\Seen",))

    result = mailbox_test_connection(mailbox=mailbox)

    assert result == (
        True,
        "Connected. Messages in INBOX: 3, unread: 2. The server supports IDLE: new mail is fetched at once.",
    )
    mailbox.refresh_from_db()
    assert (mailbox.last_checked_at, mailbox.last_error, mailbox.imap_uidvalidity) == (None, "", None)


def test_starttls_works_too(make_mailbox, imap_server):
    mailbox = make_mailbox(imap_security=TransportSecurity.STARTTLS, imap_port=imap_server.port)

    ok, _message = mailbox_test_connection(mailbox=mailbox)

    assert ok is True


def test_a_missing_folder_is_named(make_mailbox):
    mailbox = make_mailbox(imap_folder="Поддержка")

    assert mailbox_test_connection(mailbox=mailbox) == (False, "Logged in, but there is no folder Поддержка.")


def test_a_wrong_password_is_reported_and_not_recorded(make_mailbox):
    mailbox = make_mailbox(imap_password="wrong")

    result = mailbox_test_connection(mailbox=mailbox)

    assert result == (
        False,
        "The server refused the user name or password: [AUTHENTICATIONFAILED] Authentication failed.",
    )
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


def test_an_lmtp_mailbox_has_nothing_to_test(make_mailbox):
    mailbox = make_mailbox(inbound=MailboxInbound.LMTP)

    assert mailbox_test_connection(mailbox=mailbox) == (
        False,
        "This mailbox receives mail over LMTP; there is no IMAP server to test.",
    )


def test_an_administrator_tests_the_saved_settings(mailbox, admin, login):
    response = login(admin).post(f"/channels/mailboxes/{mailbox.pk}/test/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.templates[0].name == "channels/_mailbox_test_result.html"
    assert response.context["ok"] is True
    assert 'class="notice-ok" data-ok="true">Connected. Messages in INBOX: 0, unread: 0.' in response.text


def test_posted_settings_are_tried_without_being_saved(mailbox, admin, login, imap_server):
    response = login(admin).post(
        f"/channels/mailboxes/{mailbox.pk}/test/",
        {"imap_port": str(imap_server.port), "imap_security": "starttls", "imap_password": "typed-wrong"},
    )

    assert response.context["ok"] is False
    assert response.context["message"] == (
        "The server refused the user name or password: [AUTHENTICATIONFAILED] Authentication failed."
    )
    assert 'class="notice-danger" data-ok="false">' in response.text
    saved = Mailbox.objects.get(pk=mailbox.pk)
    assert (saved.imap_port, saved.imap_security, saved.imap_password) == (
        imap_server.ssl_port,
        "ssl",
        mailbox.imap_password,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("imap_port", "99999", "The IMAP port must be a number from 1 to 65535."),
        ("imap_port", "abc", "The IMAP port must be a number from 1 to 65535."),
        ("imap_security", "telnet", "Unknown IMAP security setting."),
    ],
)
def test_nonsense_in_the_form_is_answered_without_connecting(mailbox, admin, login, field, value, message):
    response = login(admin).post(f"/channels/mailboxes/{mailbox.pk}/test/", {field: value})

    assert (response.context["ok"], response.context["message"]) == (False, message)


def test_only_administrators_may_test(mailbox, login):
    agent = UserFactory(role=Role.AGENT)
    supervisor = UserFactory(role=Role.SUPERVISOR)

    assert login(agent).post(f"/channels/mailboxes/{mailbox.pk}/test/").status_code == 403
    assert login(supervisor).post(f"/channels/mailboxes/{mailbox.pk}/test/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(mailbox, client):
    response = client.post(f"/channels/mailboxes/{mailbox.pk}/test/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_get_and_unknown_mailboxes_are_refused(mailbox, admin, login):
    browser = login(admin)

    assert browser.get(f"/channels/mailboxes/{mailbox.pk}/test/").status_code == 405
    assert browser.post(f"/channels/mailboxes/{mailbox.pk + 1000}/test/").status_code == 404


def test_a_mailbox_being_added_is_tried_before_it_is_first_saved(admin, login, imap_server, imap_account, imap_trust):
    browser = login(admin)
    fields = {
        "inbound": "imap",
        "imap_host": "127.0.0.1",
        "imap_port": str(imap_server.ssl_port),
        "imap_security": "ssl",
        "imap_username": imap_account.username,
        "imap_folder": "INBOX",
    }

    # the new mailbox's page offers the button
    assert "/channels/mailboxes/new/test/" in browser.get("/channels/mailboxes/new/").text

    # the right password connects, a wrong one is named, and nothing is stored either way
    good = browser.post("/channels/mailboxes/new/test/", {**fields, "imap_password": imap_account.password})
    bad = browser.post("/channels/mailboxes/new/test/", {**fields, "imap_password": "typed-wrong"})
    assert (good.context["ok"], bad.context["ok"]) == (True, False)
    assert "Connected." in good.context["message"]
    assert bad.context["message"].startswith("The server refused the user name or password")
    assert Mailbox.objects.count() == 0


def test_testing_a_new_mailbox_is_for_administrators_only(login):
    agent = UserFactory(role=Role.AGENT)
    assert login(agent).post("/channels/mailboxes/new/test/", {"imap_host": "127.0.0.1"}).status_code == 403


def test_expected_refusals_are_logged_as_one_line_and_surprises_with_their_traceback(caplog):
    import logging

    from imapclient.exceptions import LoginError

    from channels.email.imap import log_imap_failure

    with caplog.at_level(logging.WARNING, logger="channels.email.imap"):
        log_imap_failure(
            "IMAP fetch of mailbox %s failed", 7, LoginError("[AUTHENTICATIONFAILED] Authentication failed.")
        )
        log_imap_failure("IMAP fetch of mailbox %s failed", 7, ConnectionRefusedError(111, "Connection refused"))
        log_imap_failure("IMAP fetch of mailbox %s failed", 7, RuntimeError("a bug"))

    refused, down, bug = caplog.records
    assert refused.getMessage() == (
        "IMAP fetch of mailbox 7 failed: LoginError: [AUTHENTICATIONFAILED] Authentication failed."
    )
    assert (refused.exc_info, down.exc_info) == (None, None)
    assert bug.getMessage() == "IMAP fetch of mailbox 7 failed" and bug.exc_info is not None


def test_a_mailbox_failing_for_ten_minutes_alerts_the_administrators_once_per_spell(mailbox):
    from datetime import timedelta

    from django.utils import timezone

    from channels.email.imap import record_check
    from notifications.models import Notification

    admin = UserFactory(role=Role.ADMIN, language="en")

    def alerts():
        rows = Notification.objects.filter(user=admin, kind="mailbox_failing").order_by("id")
        return list(rows.values_list("text", flat=True))

    def failing_for(minutes):
        Mailbox.objects.filter(pk=mailbox.pk).update(failing_since=timezone.now() - timedelta(minutes=minutes))

    # a blip (one failure, then a working check) tells no one
    record_check(mailbox=mailbox, error="timed out")
    record_check(mailbox=mailbox, error="")
    assert alerts() == []

    # failures that go on for ten minutes tell them once, however many checks fail after
    record_check(mailbox=mailbox, error="The server refused the user name or password")
    failing_for(11)
    for _check in range(3):
        record_check(mailbox=mailbox, error="The server refused the user name or password")
    assert alerts() == [f"Mail to {mailbox.address} is not being fetched: The server refused the user name or password"]

    # a working check ends the spell; the next long one tells them again
    record_check(mailbox=mailbox, error="")
    record_check(mailbox=mailbox, error="Host down")
    failing_for(11)
    record_check(mailbox=mailbox, error="Host down")
    assert len(alerts()) == 2
