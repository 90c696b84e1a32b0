"""The long-running IMAP listener (`manage.py imap_listener`, started by `runall`): one thread
per active IMAP mailbox; docs/architecture/email.md, "IMAP intake".

A watcher holds its mailbox's lease for as long as it runs (renewed every LEASE_RENEW_SECONDS),
so a second listener or the worker's fallback poll leaves the mailbox alone, and takes over
within LISTENER_LEASE_SECONDS if this process dies. With IDLE on and offered by the server, the
watcher keeps one connection, fetches, then idles until the server announces EXISTS — or at most
OTKLIK_IMAP_IDLE_SECONDS (well under RFC 2177's 29 minutes) — and fetches again. Without IDLE it
fetches every `imap_poll_seconds`. Settings changed in the UI are noticed within
LEASE_RENEW_SECONDS (the connection is re-opened with them); mailboxes added or switched on are
picked up by the supervisor's next refresh. Nothing raises out of a watcher: failures are
recorded on the mailbox (`last_error`) and retried with a growing pause."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from imapclient import IMAPClient

from channels.choices import MailboxInbound
from channels.email.imap import (
    LeaseLost,
    describe_error,
    imap_mailboxes,
    imap_session,
    lease_owner_name,
    log_imap_failure,
    mailbox_fetch,
    mailbox_lease_acquire,
    mailbox_lease_release,
    record_check,
)
from channels.models import Mailbox

logger = logging.getLogger(__name__)

LISTENER_LEASE_SECONDS = 90
LEASE_RENEW_SECONDS = 30
MAX_RETRY_SECONDS = 300

# What, when changed, makes a watcher reconnect.
_SETTINGS = (
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_username",
    "imap_password",
    "imap_folder",
    "imap_idle",
    "imap_poll_seconds",
)


def _fingerprint(mailbox: Mailbox) -> tuple[object, ...]:
    return tuple(getattr(mailbox, name) for name in _SETTINGS)


class SettingsChanged(Exception):
    pass


class MailboxWatcher(threading.Thread):
    """Fetches one mailbox until `stop` is set or the mailbox is switched off or deleted."""

    def __init__(self, *, mailbox_id: int, stop: threading.Event) -> None:
        super().__init__(name=f"imap-mailbox-{mailbox_id}", daemon=True)
        self.mailbox_id = mailbox_id
        self.stop = stop
        self.owner = lease_owner_name("listener")
        self.idling = threading.Event()  # set while waiting in IDLE (tests wait for it)
        self.fetches = 0

    def run(self) -> None:
        try:
            self._loop()
        except Exception:  # a bug, not an IMAP failure: log it; the supervisor starts a new watcher
            logger.exception("IMAP watcher of mailbox %s stopped", self.mailbox_id)
        finally:
            try:
                mailbox_lease_release(mailbox_id=self.mailbox_id, owner=self.owner)
            finally:
                connection.close()

    def _current(self) -> Mailbox | None:
        close_old_connections()
        return (
            Mailbox.objects.filter(pk=self.mailbox_id, is_active=True, inbound=MailboxInbound.IMAP)
            .exclude(imap_host="")
            .first()
        )

    def _loop(self) -> None:
        retry = 0
        while not self.stop.is_set():
            mailbox = self._current()
            if mailbox is None:
                return
            if not mailbox_lease_acquire(mailbox_id=mailbox.pk, owner=self.owner, seconds=LISTENER_LEASE_SECONDS):
                self._sleep(LEASE_RENEW_SECONDS)  # another listener has it; take over if it goes away
                continue
            try:
                failed = self._serve(mailbox)
            except (LeaseLost, SettingsChanged):
                failed = False
            except Exception as exc:
                log_imap_failure("IMAP listener: mailbox %s failed", mailbox.pk, exc)
                record_check(mailbox=mailbox, error=describe_error(exc))
                failed = True
            finally:
                self.idling.clear()
            if failed:
                retry = min(max(retry * 2, 5), MAX_RETRY_SECONDS, max(mailbox.imap_poll_seconds, 5))
                self._sleep(retry)
            else:
                retry = 0

    def _serve(self, mailbox: Mailbox) -> bool:
        """Work on the mailbox until something asks for a fresh start; True when that was a failure."""
        if not mailbox.imap_idle:
            return self._poll_once(mailbox)
        with imap_session(mailbox=mailbox) as client:
            if not client.has_capability("IDLE"):
                failed = self._fetch(mailbox, client)
                if not failed:
                    self._sleep(mailbox.imap_poll_seconds, mailbox=mailbox)
                return failed
            while not self.stop.is_set():
                mailbox = self._fresh(mailbox)  # the limits and folders as they are now
                if self._fetch(mailbox, client):
                    return True
                self._idle(client, mailbox)
        return False

    def _poll_once(self, mailbox: Mailbox) -> bool:
        failed = self._fetch(mailbox, None)
        if not failed:
            self._sleep(mailbox.imap_poll_seconds, mailbox=mailbox)
        return failed

    def _fetch(self, mailbox: Mailbox, client: IMAPClient | None) -> bool:
        report = mailbox_fetch(mailbox=mailbox, lease_owner=self.owner, client=client)
        self.fetches += 1
        if report.busy:
            raise LeaseLost
        return bool(report.error)

    def _idle(self, client: IMAPClient, mailbox: Mailbox) -> None:
        """Wait in IDLE until the server announces new mail, the cap passes, or we must stop."""
        deadline = time.monotonic() + settings.OTKLIK_IMAP_IDLE_SECONDS
        renew_at = time.monotonic() + LEASE_RENEW_SECONDS
        client.idle()
        self.idling.set()
        try:
            while not self.stop.is_set() and time.monotonic() < deadline:
                responses = client.idle_check(timeout=1)
                if any(isinstance(r, tuple) and len(r) > 1 and r[1] == b"EXISTS" for r in responses):
                    return
                if time.monotonic() >= renew_at:
                    self._renew(mailbox)
                    renew_at = time.monotonic() + LEASE_RENEW_SECONDS
        finally:
            self.idling.clear()
            client.idle_done()

    def _sleep(self, seconds: float, *, mailbox: Mailbox | None = None) -> None:
        """Wait, keeping the lease and watching for changed settings (when a mailbox is given)."""
        deadline = time.monotonic() + seconds
        renew_at = time.monotonic() + LEASE_RENEW_SECONDS
        while not self.stop.is_set() and time.monotonic() < deadline:
            self.stop.wait(min(1.0, max(0.0, deadline - time.monotonic())))
            if mailbox is not None and time.monotonic() >= renew_at:
                self._renew(mailbox)
                renew_at = time.monotonic() + LEASE_RENEW_SECONDS

    def _fresh(self, mailbox: Mailbox) -> Mailbox:
        current = self._current()
        if current is None or _fingerprint(current) != _fingerprint(mailbox):
            raise SettingsChanged
        return current

    def _renew(self, mailbox: Mailbox) -> None:
        self._fresh(mailbox)
        renewed = Mailbox.objects.filter(pk=mailbox.pk, imap_lease_owner=self.owner).update(
            imap_lease_until=timezone.now() + timedelta(seconds=LISTENER_LEASE_SECONDS)
        )
        if not renewed:
            raise LeaseLost


class ImapListener:
    """Keeps one watcher thread per active IMAP mailbox, re-reading the list every `refresh_seconds`."""

    def __init__(self, *, refresh_seconds: float = 30, stop: threading.Event | None = None) -> None:
        self.refresh_seconds = refresh_seconds
        self.stop = stop or threading.Event()
        self.watchers: dict[int, MailboxWatcher] = {}

    def refresh(self) -> None:
        close_old_connections()
        for mailbox in imap_mailboxes():
            watcher = self.watchers.get(mailbox.pk)
            if watcher is None or not watcher.is_alive():
                watcher = MailboxWatcher(mailbox_id=mailbox.pk, stop=self.stop)
                watcher.start()
                self.watchers[mailbox.pk] = watcher
        for pk in [pk for pk, watcher in self.watchers.items() if not watcher.is_alive()]:
            del self.watchers[pk]

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.refresh()
                self.stop.wait(self.refresh_seconds)
        finally:
            self.stop.set()
            self.join()
            connection.close()

    def join(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        for watcher in list(self.watchers.values()):
            watcher.join(max(0.1, deadline - time.monotonic()))
