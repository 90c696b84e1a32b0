"""IMAP intake against a real Dovecot (tests/imap_server.py): what is stored, when the server hears
about it, and what happens when something breaks in between."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from channels.choices import ImapProcessedAction, TransportSecurity
from channels.email import imap
from channels.email.imap import imap_session, mailbox_fetch, mailbox_lease_acquire
from channels.models import Mailbox
from channels.tasks import imap_poll_task
from intake.models import InboundMessage
from notifications.models import Notification
from tests.imap_server import make_message

SEEN = b"\\Seen"


def flags(imap_server, account, folder="INBOX"):
    return imap_server.messages(account, folder)


@pytest.mark.parametrize(
    ("security", "port_of"),
    [
        (TransportSecurity.SSL, lambda server: server.ssl_port),
        (TransportSecurity.STARTTLS, lambda server: server.port),
        (TransportSecurity.NONE, lambda server: server.port),
    ],
)
def test_new_mail_is_stored_then_marked_read(make_mailbox, imap_server, imap_account, security, port_of):
    mailbox = make_mailbox(imap_security=security, imap_port=port_of(imap_server))
    first = make_message(subject="Не работает кондиционер", sender="Иван Петров <ivan@example.ru>", message_id="<a1@x>")
    second = make_message(subject="Протечка", sender="olga@example.ru", message_id="<a2@x>")
    imap_server.append(imap_account, first, second)

    report = mailbox_fetch(mailbox=mailbox)

    assert (report.ok, report.stored, report.duplicates, report.handled, report.error) == (True, 2, 0, 2, "")
    rows = list(InboundMessage.objects.order_by("id"))
    assert [(r.channel, r.source, r.status, r.mailbox_id, r.dedup_key) for r in rows] == [
        ("email", "imap", "received", mailbox.pk, "a1@x"),
        ("email", "imap", "received", mailbox.pk, "a2@x"),
    ]
    assert [bytes(r.raw) for r in rows] == [first, second]
    assert [(r.from_address, r.subject, r.size) for r in rows] == [
        ("Иван Петров <ivan@example.ru>", "Не работает кондиционер", len(first)),
        ("olga@example.ru", "Протечка", len(second)),
    ]
    assert flags(imap_server, imap_account) == {1: (SEEN,), 2: (SEEN,)}
    mailbox.refresh_from_db()
    assert (mailbox.imap_last_uid, mailbox.last_error, mailbox.imap_lease_owner) == (2, "", "")
    assert mailbox.imap_uidvalidity is not None
    assert mailbox.last_checked_at is not None


def test_the_arrival_time_on_the_server_becomes_the_received_time(mailbox, imap_server, imap_account):
    arrived = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    client = imap_server.client(imap_account)
    client.append("INBOX", make_message(message_id="<early@x>"), msg_time=arrived)
    client.logout()

    mailbox_fetch(mailbox=mailbox)

    assert InboundMessage.objects.get().received_at == arrived


def test_the_next_fetch_takes_only_new_mail_read_or_not(mailbox, imap_server, imap_account):
    imap_server.append(imap_account, make_message(message_id="<old@x>"))
    mailbox_fetch(mailbox=mailbox)
    imap_server.append(imap_account, make_message(message_id="<new@x>"))
    # Someone opened this one in a mail client before Otklik got to it: it is still new to us.
    imap_server.append(imap_account, make_message(message_id="<read@x>"), flags=(SEEN,))

    report = mailbox_fetch(mailbox=mailbox)

    assert (report.stored, report.duplicates) == (2, 0)
    assert sorted(InboundMessage.objects.values_list("dedup_key", flat=True)) == ["new@x", "old@x", "read@x"]
    mailbox.refresh_from_db()
    assert mailbox.imap_last_uid == 3


def test_the_first_connection_takes_unread_mail_not_the_history(mailbox, imap_server, imap_account):
    imap_server.append(imap_account, make_message(message_id="<history@x>"), flags=(SEEN,))
    imap_server.append(imap_account, make_message(message_id="<unread@x>"))

    report = mailbox_fetch(mailbox=mailbox)
    imap_server.append(imap_account, make_message(message_id="<later@x>"))
    later = mailbox_fetch(mailbox=mailbox)

    assert (report.stored, later.stored) == (1, 1)
    assert sorted(InboundMessage.objects.values_list("dedup_key", flat=True)) == ["later@x", "unread@x"]


def test_when_storing_fails_the_message_stays_unread_and_is_fetched_later(
    mailbox, imap_server, imap_account, monkeypatch
):
    imap_server.append(imap_account, make_message(message_id="<m@x>"))
    from intake import services  # the fetch looks inbound_store up here at call time

    original = services.inbound_store

    def database_down(**kwargs):
        raise DatabaseError("could not write: disk full")

    monkeypatch.setattr(services, "inbound_store", database_down)

    failed = mailbox_fetch(mailbox=mailbox)

    assert failed.stored == 0
    assert failed.error == "DatabaseError: could not write: disk full"
    assert InboundMessage.objects.count() == 0
    assert flags(imap_server, imap_account) == {1: ()}
    mailbox.refresh_from_db()
    assert mailbox.last_error == "DatabaseError: could not write: disk full"

    monkeypatch.setattr(services, "inbound_store", original)
    again = mailbox_fetch(mailbox=mailbox)

    assert (again.ok, again.stored) == (True, 1)
    assert flags(imap_server, imap_account) == {1: (SEEN,)}
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


def test_messages_stored_before_a_failure_are_acknowledged_the_rest_is_not(
    mailbox, imap_server, imap_account, monkeypatch
):
    imap_server.append(imap_account, make_message(message_id="<before@x>"))
    mailbox_fetch(mailbox=mailbox)
    imap_server.append(imap_account, *[make_message(message_id=f"<n{n}@x>") for n in range(3)])
    from intake import services

    original = services.inbound_store
    calls = []

    def fails_on_the_second(**kwargs):
        calls.append(kwargs["dedup_key"])
        if len(calls) == 2:
            raise DatabaseError("database is locked")
        return original(**kwargs)

    monkeypatch.setattr(services, "inbound_store", fails_on_the_second)

    report = mailbox_fetch(mailbox=mailbox)

    assert (report.stored, report.handled, report.error) == (1, 1, "DatabaseError: database is locked")
    assert calls == ["n0@x", "n1@x"]
    assert flags(imap_server, imap_account) == {1: (SEEN,), 2: (SEEN,), 3: (), 4: ()}
    mailbox.refresh_from_db()
    assert mailbox.imap_last_uid == 2


def test_a_crash_between_store_and_mark_fetches_again_and_stores_nothing_new(
    mailbox, imap_server, imap_account, monkeypatch
):
    imap_server.append(imap_account, make_message(message_id="<before@x>"))
    mailbox_fetch(mailbox=mailbox)  # the position is known from here on
    imap_server.append(imap_account, make_message(message_id="<crash@x>"))
    original = imap._Fetcher._acknowledge

    def connection_lost(self, taken, *, advance):
        raise ConnectionResetError(104, "Connection reset by peer")

    monkeypatch.setattr(imap._Fetcher, "_acknowledge", connection_lost)

    crashed = mailbox_fetch(mailbox=mailbox)

    assert (crashed.stored, crashed.error) == (1, "Connection failed: Connection reset by peer")
    assert flags(imap_server, imap_account)[2] == ()
    mailbox.refresh_from_db()
    assert mailbox.imap_last_uid == 1  # not past the message the server was not told about

    monkeypatch.setattr(imap._Fetcher, "_acknowledge", original)
    again = mailbox_fetch(mailbox=mailbox)

    assert (again.stored, again.duplicates, again.handled) == (0, 1, 1)
    assert InboundMessage.objects.filter(dedup_key="crash@x").count() == 1
    assert flags(imap_server, imap_account)[2] == (SEEN,)
    mailbox.refresh_from_db()
    assert mailbox.imap_last_uid == 2


def test_processed_mail_is_moved_to_the_folder(make_mailbox, imap_server, imap_account):
    mailbox = make_mailbox(imap_processed=ImapProcessedAction.MOVE, imap_processed_folder="Обработано")
    imap_server.append(imap_account, make_message(message_id="<one@x>"), make_message(message_id="<two@x>"))

    report = mailbox_fetch(mailbox=mailbox)

    assert (report.stored, report.handled) == (2, 2)
    assert flags(imap_server, imap_account) == {}
    assert flags(imap_server, imap_account, "Обработано") == {1: (SEEN,), 2: (SEEN,)}


def test_without_move_a_message_is_copied_then_deleted(mailbox, imap_server, imap_account):
    imap_server.append(imap_account, make_message(message_id="<keep@x>"), make_message(message_id="<go@x>"))
    report = imap.FetchReport(mailbox_id=mailbox.pk)

    with imap_session(mailbox=mailbox) as client:
        client.select_folder("INBOX")
        fetcher = imap._Fetcher(client=client, mailbox=mailbox, report=report, lease_owner="test")
        fetcher.move([2], "Archive", use_move=False)

    assert flags(imap_server, imap_account) == {1: ()}
    assert flags(imap_server, imap_account, "Archive") == {1: ()}


def test_a_changed_uidvalidity_resets_the_position_and_dedup_prevents_doubles(make_mailbox, imap_server, imap_account):
    mailbox = make_mailbox(imap_folder="Support")
    kept = make_message(message_id="<kept@x>")
    imap_server.append(imap_account, kept, folder="Support")
    mailbox_fetch(mailbox=mailbox)
    mailbox.refresh_from_db()
    old_validity = mailbox.imap_uidvalidity
    # The folder is re-created (a server migration would do the same): UIDs start over.
    client = imap_server.client(imap_account)
    client.delete_folder("Support")
    client.create_folder("Support")
    client.logout()
    imap_server.append(imap_account, kept, make_message(message_id="<fresh@x>"), folder="Support")

    report = mailbox_fetch(mailbox=mailbox)

    assert (report.uidvalidity_reset, report.stored, report.duplicates) == (True, 1, 1)
    assert sorted(InboundMessage.objects.values_list("dedup_key", flat=True)) == ["fresh@x", "kept@x"]
    assert flags(imap_server, imap_account, "Support") == {1: (SEEN,), 2: (SEEN,)}
    mailbox.refresh_from_db()
    assert mailbox.imap_uidvalidity != old_validity
    assert mailbox.imap_last_uid == 2


def test_oversize_mail_is_quarantined_whole_moved_aside_and_administrators_told(
    make_mailbox, imap_server, imap_account, admin
):
    mailbox = make_mailbox(max_message_bytes=2000, imap_quarantine_folder="Карантин")
    big = make_message(subject="Акт с фотографиями", sender="ivan@example.ru", message_id="<big@x>", body="фото " * 600)
    imap_server.append(imap_account, big)

    report = mailbox_fetch(mailbox=mailbox)

    assert (report.stored, report.quarantined) == (1, 1)
    row = InboundMessage.objects.get()
    assert (row.status, row.dedup_key, bytes(row.raw)) == ("quarantined", "big@x", big)
    size = filesizeformat(len(big))
    assert row.error == f"The message is {size} ({len(big)} bytes), larger than the mailbox's limit of 2.0\xa0KB."
    assert flags(imap_server, imap_account) == {}
    assert flags(imap_server, imap_account, "Карантин") == {1: ()}
    notice = Notification.objects.get()
    assert (notice.user, notice.kind) == (admin, "inbound_quarantined")
    assert notice.text == (
        f"Mail to {mailbox.address} was quarantined: {size} is over the limit of 2.0\xa0KB."
        " From ivan@example.ru, subject “Акт с фотографиями”."
    )


def test_mail_too_big_to_keep_is_quarantined_with_its_headers_and_stays_on_the_server(
    make_mailbox, imap_server, imap_account, admin, settings
):
    settings.OTKLIK_IMAP_QUARANTINE_KEEP_BYTES = 3000
    mailbox = make_mailbox(max_message_bytes=2000)
    huge = make_message(message_id="<huge@x>", body="x" * 5000)
    imap_server.append(imap_account, huge)

    mailbox_fetch(mailbox=mailbox)
    again = mailbox_fetch(mailbox=mailbox)  # nothing new; above all, no second notice

    row = InboundMessage.objects.get()
    headers = huge.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    assert (row.status, row.dedup_key, bytes(row.raw)) == ("quarantined", "huge@x", headers)
    assert row.error.endswith("Only its headers are kept here; the whole message stays on the IMAP server in INBOX.")
    assert flags(imap_server, imap_account) == {1: (SEEN,)}
    assert (again.stored, again.duplicates) == (0, 0)
    assert Notification.objects.count() == 1


def test_the_same_message_twice_in_the_folder_is_stored_once(mailbox, imap_server, imap_account):
    message = make_message(message_id="<twice@x>")
    imap_server.append(imap_account, message, message)

    report = mailbox_fetch(mailbox=mailbox)

    assert (report.stored, report.duplicates, report.handled) == (1, 1, 2)
    assert InboundMessage.objects.count() == 1
    assert flags(imap_server, imap_account) == {1: (SEEN,), 2: (SEEN,)}


def test_a_message_without_message_id_is_deduplicated_by_its_bytes(mailbox, imap_server, imap_account):
    message = b"From: a@example.ru\r\nSubject: no id\r\n\r\nHello\r\n"
    imap_server.append(imap_account, message, message)

    report = mailbox_fetch(mailbox=mailbox)

    assert (report.stored, report.duplicates) == (1, 1)
    assert InboundMessage.objects.get().dedup_key.startswith("sha256:")


def test_a_wrong_password_is_recorded_on_the_mailbox(make_mailbox, imap_server):
    mailbox = make_mailbox(imap_password="wrong")

    report = mailbox_fetch(mailbox=mailbox)

    assert report.error == "The server refused the user name or password: [AUTHENTICATIONFAILED] Authentication failed."
    mailbox.refresh_from_db()
    assert mailbox.last_error == report.error
    assert mailbox.last_checked_at is not None
    assert mailbox.imap_lease_owner == ""


def test_an_untrusted_certificate_is_refused(make_mailbox, imap_server, imap_account, settings):
    mailbox = make_mailbox()
    settings.OTKLIK_IMAP_CA_FILE = ""
    imap_server.append(imap_account, make_message())

    report = mailbox_fetch(mailbox=mailbox)

    assert report.error == "The server's TLS certificate is not trusted: self-signed certificate"
    assert InboundMessage.objects.count() == 0


def test_a_closed_port_is_recorded_on_the_mailbox(make_mailbox):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    mailbox = make_mailbox(imap_port=closed_port)

    report = mailbox_fetch(mailbox=mailbox)

    assert report.error == "The server refused the connection (nothing listens on that port?)."
    mailbox.refresh_from_db()
    assert mailbox.last_error == report.error


def test_a_mailbox_held_by_another_poller_is_left_alone(mailbox, imap_server, imap_account):
    imap_server.append(imap_account, make_message())
    assert mailbox_lease_acquire(mailbox_id=mailbox.pk, owner="listener:elsewhere")

    report = mailbox_fetch(mailbox=mailbox)

    assert (report.busy, report.stored) == (True, 0)
    assert flags(imap_server, imap_account) == {1: ()}


def test_an_expired_lease_is_taken_over(mailbox, imap_server, imap_account):
    imap_server.append(imap_account, make_message())
    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_lease_owner="listener:dead", imap_lease_until=timezone.now() - timedelta(seconds=1)
    )

    report = mailbox_fetch(mailbox=mailbox)

    assert (report.busy, report.stored) == (False, 1)
    mailbox.refresh_from_db()
    assert mailbox.imap_lease_owner == ""


def test_the_fallback_poll_fetches_only_mailboxes_that_are_due(make_mailbox, imap_server, imap_account):
    due = make_mailbox()
    fresh = make_mailbox(imap_folder="Fresh")
    Mailbox.objects.filter(pk=fresh.pk).update(last_checked_at=timezone.now())
    make_mailbox(is_active=False)
    imap_server.append(imap_account, make_message(message_id="<due@x>"))
    imap_server.append(imap_account, make_message(message_id="<fresh@x>"), folder="Fresh")

    reports = imap.imap_poll_due()

    assert [(r.mailbox_id, r.stored) for r in reports] == [(due.pk, 1)]
    assert list(InboundMessage.objects.values_list("dedup_key", flat=True)) == ["due@x"]


def test_the_command_fetches_every_mailbox_once(make_mailbox, imap_server, imap_account, capsys):
    mailbox = make_mailbox()
    imap_server.append(imap_account, make_message(message_id="<once@x>"))

    call_command("imap_listener", "--once")

    assert capsys.readouterr().out == f"{mailbox.address}: 1 stored, 0 already stored, 0 quarantined: ok\n"
    assert InboundMessage.objects.get().dedup_key == "once@x"


def test_the_worker_task_polls_due_mailboxes(mailbox, imap_server, imap_account):
    imap_server.append(imap_account, make_message(message_id="<task@x>"))

    result = imap_poll_task.call_local()

    assert result == 1
    assert InboundMessage.objects.get().mailbox_id == mailbox.pk


def test_the_quarantine_notice_speaks_each_administrators_language(make_mailbox, imap_server, imap_account):
    from accounts.choices import Role
    from tests.factories import UserFactory

    russian = UserFactory(role=Role.ADMIN, language="ru")
    UserFactory(role=Role.AGENT, language="ru")  # not an administrator: not told
    mailbox = make_mailbox(max_message_bytes=1000)
    imap_server.append(imap_account, make_message(subject="Счёт", sender="buh@example.ru", body="x" * 2000))

    mailbox_fetch(mailbox=mailbox)

    notice = Notification.objects.get()
    assert notice.user == russian
    assert notice.text.startswith(f"Письмо на {mailbox.address} помещено в карантин: ")
    assert notice.text.endswith("От buh@example.ru, тема «Счёт».")
