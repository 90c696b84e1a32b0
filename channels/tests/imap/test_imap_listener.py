"""The IMAP listener's threads against a real Dovecot: IDLE, polling, picking up new mailboxes and
changed settings, one poller per mailbox. These tests need committed data (other threads read
it), hence transactional test databases."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from channels.email import imap_listener
from channels.email.imap import mailbox_fetch
from channels.email.imap_listener import ImapListener, MailboxWatcher
from channels.models import Mailbox
from intake.models import InboundMessage
from tests.imap_server import make_message

SEEN = b"\\Seen"

# Committed data, flushed after each test. No serialized_rollback: these tests need none of the
# migration-seeded rows, and restoring them before every test would clash with the content types
# post_migrate re-creates; migration_data (channels/tests/conftest.py) puts them back before each test.
# available_apps makes the flush TRUNCATE ... CASCADE (PostgreSQL's search table references tickets).
committed = pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS))


@pytest.fixture
def queue_in_memory():
    """Stored rows queue their processing after commit: here into a queue in memory that nobody
    consumes (processing is another module's business), not the install's var/huey.sqlite3."""
    from huey.contrib.djhuey import HUEY
    from huey.storage import MemoryStorage

    previous = HUEY.storage
    HUEY.storage = MemoryStorage(HUEY.name)
    yield HUEY
    HUEY.storage = previous


@pytest.fixture
def stop():
    event = threading.Event()
    yield event
    event.set()


def wait_for(condition, *, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


def stored(dedup_key):
    return lambda: InboundMessage.objects.filter(dedup_key=dedup_key).first()


def start_watcher(mailbox, stop):
    watcher = MailboxWatcher(mailbox_id=mailbox.pk, stop=stop)
    watcher.start()
    return watcher


@committed
@pytest.mark.usefixtures("migration_data", "queue_in_memory")
def test_idle_fetches_new_mail_within_two_seconds(mailbox, imap_server, imap_account, stop):
    watcher = start_watcher(mailbox, stop)
    assert watcher.idling.wait(10)

    started = time.monotonic()
    imap_server.append(imap_account, make_message(message_id="<idle@x>"))
    row = wait_for(stored("idle@x"), seconds=2)
    elapsed = time.monotonic() - started
    stop.set()
    watcher.join(10)

    assert row is not None, f"not stored within 2 s (watcher fetched {watcher.fetches} times)"
    assert elapsed < 2
    assert row.status == "received"
    assert imap_server.messages(imap_account) == {1: (SEEN,)}
    assert not watcher.is_alive()
    mailbox.refresh_from_db()
    assert mailbox.imap_lease_owner == ""  # released on the way out


@committed
@pytest.mark.usefixtures("migration_data", "queue_in_memory")
def test_without_idle_the_mailbox_is_polled(make_mailbox, imap_server, imap_account, stop):
    mailbox = make_mailbox(imap_idle=False, imap_poll_seconds=1)
    watcher = start_watcher(mailbox, stop)
    assert wait_for(lambda: watcher.fetches >= 1, seconds=10)

    imap_server.append(imap_account, make_message(message_id="<polled@x>"))
    row = wait_for(stored("polled@x"), seconds=5)
    stop.set()
    watcher.join(10)

    assert row is not None
    assert watcher.fetches >= 2


@committed
@pytest.mark.usefixtures("migration_data")
def test_stored_messages_queue_one_processing_task_after_commit(mailbox, imap_server, imap_account, queue_in_memory):
    imap_server.append(imap_account, make_message(message_id="<q1@x>"), make_message(message_id="<q2@x>"))

    report = mailbox_fetch(mailbox=mailbox)

    # one task for both (it processes a batch of whatever waits), queued once the fetch committed
    assert report.stored == 2
    assert [task.name for task in queue_in_memory.pending()] == ["inbound_process_task"]
    # and a message stored while it still waits queues no other
    imap_server.append(imap_account, make_message(message_id="<q3@x>"))
    assert mailbox_fetch(mailbox=mailbox).stored == 1
    assert queue_in_memory.pending_count() == 1


@committed
@pytest.mark.usefixtures("migration_data", "queue_in_memory")
def test_the_listener_starts_on_mailboxes_added_while_it_runs(make_mailbox, imap_server, imap_account, stop):
    listener = ImapListener(refresh_seconds=0.2, stop=stop)
    thread = threading.Thread(target=listener.run)
    thread.start()
    try:
        time.sleep(0.3)
        mailbox = make_mailbox()  # added "in the UI" after the start
        imap_server.append(imap_account, make_message(message_id="<added@x>"))
        row = wait_for(stored("added@x"), seconds=10)
    finally:
        stop.set()
        thread.join(20)

    assert row is not None
    assert row.mailbox_id == mailbox.pk
    assert list(listener.watchers) == [mailbox.pk]
    assert not thread.is_alive()


@committed
@pytest.mark.usefixtures("migration_data", "queue_in_memory")
def test_changed_settings_are_picked_up_while_idling(mailbox, imap_server, stop, monkeypatch):
    monkeypatch.setattr(imap_listener, "LEASE_RENEW_SECONDS", 0.5)
    watcher = start_watcher(mailbox, stop)
    assert watcher.idling.wait(10)

    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password="changed-in-the-ui")
    error = wait_for(lambda: Mailbox.objects.values_list("last_error", flat=True).get(pk=mailbox.pk), seconds=5)
    stop.set()
    watcher.join(10)

    # Written by a background thread: in the installation's language (LANGUAGE_CODE, Russian).
    assert error == "Сервер не принял имя пользователя или пароль: [AUTHENTICATIONFAILED] Authentication failed."


@committed
@pytest.mark.usefixtures("migration_data", "queue_in_memory")
def test_a_second_listener_waits_and_takes_over_when_the_first_stops(mailbox, imap_server, imap_account, monkeypatch):
    monkeypatch.setattr(imap_listener, "LEASE_RENEW_SECONDS", 0.3)
    first_stop, second_stop = threading.Event(), threading.Event()
    first = start_watcher(mailbox, first_stop)
    assert first.idling.wait(10)
    second = start_watcher(mailbox, second_stop)
    time.sleep(1)

    imap_server.append(imap_account, make_message(message_id="<first@x>"))
    by_first = wait_for(stored("first@x"), seconds=3)
    second_fetches_meanwhile = second.fetches
    first_stop.set()
    first.join(10)
    taken_over = second.idling.wait(10)
    imap_server.append(imap_account, make_message(message_id="<second@x>"))
    by_second = wait_for(stored("second@x"), seconds=3)
    second_stop.set()
    second.join(10)

    assert by_first is not None
    assert second_fetches_meanwhile == 0
    assert taken_over
    assert by_second is not None
    assert InboundMessage.objects.count() == 2


@committed
@pytest.mark.usefixtures("migration_data", "queue_in_memory")
def test_two_fetches_of_one_mailbox_at_once_store_and_mark_each_message_once(mailbox, imap_server, imap_account):
    imap_server.append(imap_account, *[make_message(message_id=f"<c{n}@x>") for n in range(20)])
    barrier = threading.Barrier(2)
    reports = []

    def fetch():
        barrier.wait()
        try:
            reports.append(mailbox_fetch(mailbox=Mailbox.objects.get(pk=mailbox.pk)))
        finally:
            connection.close()

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(r.error for r in reports) == ["", ""]
    assert sum(r.stored for r in reports) == 20
    assert sum(r.duplicates for r in reports) == 0
    assert InboundMessage.objects.count() == 20
    assert set(imap_server.messages(imap_account).values()) == {(SEEN,)}
    mailbox.refresh_from_db()
    assert (mailbox.imap_last_uid, mailbox.imap_lease_owner) == (20, "")
