"""IMAP intake: a mailbox's new mail into the inbound store (docs/architecture/email.md, "IMAP intake").

For each message, in this order, so that nothing is lost and nothing is stored twice:
1. size and a few headers are read (RFC822.SIZE, Message-ID/From/Subject, INTERNALDATE);
   a Message-ID already in the store is not downloaded again (re-fetch after a crash, the same
   mail twice in the folder, a reset UIDVALIDITY);
2. the raw bytes are fetched with BODY.PEEK[] (a plain RFC822 fetch would set \\Seen on the
   server before we hold the message);
3. `intake.services.inbound_store` commits the row (oversize mail: QUARANTINED, with a notice
   to the administrators);
4. only then is the message marked \\Seen or moved to the processed (quarantine) folder — for up
   to CHUNK messages in one command, and for those already committed when a later one fails;
5. only then does `imap_last_uid` move past it.
A crash anywhere leaves the message to be fetched again; the store's dedup key (the Message-ID,
else the hash of the bytes) makes the second store a no-op.

Which messages are fetched: normally every UID above `imap_last_uid` (read or not: a person
glancing at support@ in a mail client must not hide a message from us), plus any UNSEEN one
below it (a message someone marked unread again is looked at again; dedup keeps it one
article). With no trustworthy position — the first connection, or UIDVALIDITY changed — only
UNSEEN mail is taken (connecting Otklik to a mailbox takes its unread mail, not its history),
except a "move" mailbox after a UIDVALIDITY change, where everything still in the folder is
unprocessed by definition. The position is saved only once such a run has finished.

Two pollers never work on one mailbox at once: the fetch holds a lease on the mailbox row
(`imap_lease_owner`/`imap_lease_until`, taken by a conditional UPDATE), which the listener
(`channels/email/imap_listener.py`) also holds while it idles.

Callers run this outside any transaction: the store must have committed before the server hears
that the message was taken."""

from __future__ import annotations

import imaplib
import logging
import socket
import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import LoginError
from imapclient.imapclient import SocketTimeout

from channels.choices import ImapProcessedAction, MailboxInbound, TransportSecurity
from channels.email.parsing import dedup_key_for
from channels.models import Mailbox
from intake.choices import InboundSource, InboundStatus
from intake.models import InboundMessage

logger = logging.getLogger(__name__)

SEEN = b"\\Seen"
DELETED = b"\\Deleted"
LEASE_SECONDS = 300
HEADER_FIELDS = b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID FROM SUBJECT)]"
CHUNK = 50  # messages whose sizes and headers are read in one FETCH, and acknowledged together
BODY_BATCH_BYTES = 8 * 1024 * 1024  # raw bytes fetched in one FETCH (at least one message)


@dataclass
class FetchReport:
    mailbox_id: int
    stored: int = 0  # new rows in the inbound store (quarantined ones included)
    duplicates: int = 0  # already stored: only marked/moved on the server this time
    quarantined: int = 0  # of `stored`, refused by the size limit
    handled: int = 0  # marked \Seen or moved on the server
    busy: bool = False  # another poller holds the mailbox; nothing was done
    uidvalidity_reset: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and not self.busy


# -- connection --------------------------------------------------------------------------------


def _ssl_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.OTKLIK_IMAP_CA_FILE:
        context.load_verify_locations(cafile=settings.OTKLIK_IMAP_CA_FILE)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def imap_connect(*, mailbox: Mailbox) -> IMAPClient:
    """A logged-in client for the mailbox's server (implicit TLS, STARTTLS or plain)."""
    seconds = settings.OTKLIK_IMAP_TIMEOUT
    timeout = SocketTimeout(connect=min(seconds, 30.0), read=seconds)
    implicit = mailbox.imap_security == TransportSecurity.SSL
    client = IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=implicit,
        ssl_context=_ssl_context() if implicit else None,
        timeout=timeout,
    )
    try:
        if mailbox.imap_security == TransportSecurity.STARTTLS:
            client.starttls(_ssl_context())
        client.login(mailbox.imap_username, mailbox.imap_password)
    except BaseException:
        _close(client)
        raise
    client.normalise_times = False  # INTERNALDATE as aware datetimes
    return client


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception:
            logger.debug("closing an IMAP connection failed", exc_info=True)


@contextmanager
def imap_session(*, mailbox: Mailbox) -> Iterator[IMAPClient]:
    client = imap_connect(mailbox=mailbox)
    try:
        yield client
    finally:
        _close(client)


def log_imap_failure(message: str, mailbox_id: int, exc: BaseException) -> None:
    """Log a failed connection or fetch: the server's or the network's refusals (a wrong password,
    a host that does not answer, an untrusted certificate, an IMAP error) as one line — they
    repeat at every retry and the mailbox's page shows them; anything else with its traceback."""
    if isinstance(exc, (OSError, imaplib.IMAP4.error, ssl.SSLError)):
        logger.warning(message + ": %s", mailbox_id, f"{type(exc).__name__}: {exc}")
    else:
        logger.warning(message, mailbox_id, exc_info=exc)


def describe_error(exc: BaseException) -> str:
    """An administrator's reading of a connection failure (shown on the mailbox page)."""
    if isinstance(exc, LoginError):
        return _("The server refused the user name or password: %(reply)s") % {"reply": _reply(exc)}
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _("The server's TLS certificate is not trusted: %(reason)s") % {"reason": exc.verify_message or exc}
    if isinstance(exc, ssl.SSLError):
        return _("TLS failed: %(reason)s") % {"reason": exc.reason or exc}
    if isinstance(exc, socket.gaierror):
        return _("The server's name could not be resolved: %(reason)s") % {"reason": exc.strerror or exc}
    if isinstance(exc, ConnectionRefusedError):
        return _("The server refused the connection (nothing listens on that port?).")
    if isinstance(exc, TimeoutError | socket.timeout):
        return _("The server did not answer in time.")
    if isinstance(exc, imaplib.IMAP4.error):
        return _("The server answered with an error: %(reply)s") % {"reply": _reply(exc)}
    if isinstance(exc, OSError):
        return _("Connection failed: %(reason)s") % {"reason": exc.strerror or exc}
    return f"{type(exc).__name__}: {exc}"


def _reply(exc: BaseException) -> str:
    text = str(exc)
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return text


# -- lease -------------------------------------------------------------------------------------


def mailbox_lease_acquire(*, mailbox_id: int, owner: str, seconds: int = LEASE_SECONDS) -> bool:
    """Take (or renew) the mailbox's fetch lease; False when another owner holds a live one."""
    now = timezone.now()
    return bool(
        Mailbox.objects.filter(pk=mailbox_id)
        .filter(Q(imap_lease_until__isnull=True) | Q(imap_lease_until__lt=now) | Q(imap_lease_owner=owner))
        .update(imap_lease_owner=owner, imap_lease_until=now + timedelta(seconds=seconds))
    )


def mailbox_lease_release(*, mailbox_id: int, owner: str) -> None:
    Mailbox.objects.filter(pk=mailbox_id, imap_lease_owner=owner).update(imap_lease_owner="", imap_lease_until=None)


def lease_owner_name(kind: str) -> str:
    return f"{kind}:{socket.gethostname()}:{uuid.uuid4().hex[:12]}"[:100]


# -- fetching ----------------------------------------------------------------------------------


def mailbox_fetch(*, mailbox: Mailbox, lease_owner: str | None = None, client: IMAPClient | None = None) -> FetchReport:
    """Fetch the mailbox's new mail into the inbound store (see the module docstring).

    `lease_owner`: the caller already holds the mailbox's lease under that name (the listener);
    without it the fetch takes a lease of its own for its duration and reports `busy` when
    another poller holds one. `client`: an open connection to reuse (the listener's IDLE one).
    Never raises: a failure is returned in the report and recorded on the mailbox
    (`last_error`, `last_checked_at`)."""
    report = FetchReport(mailbox_id=mailbox.pk)
    owner = lease_owner or lease_owner_name("fetch")
    if not mailbox_lease_acquire(mailbox_id=mailbox.pk, owner=owner):
        report.busy = True
        return report
    try:
        # The previous holder may have moved the position since this object was read.
        mailbox.refresh_from_db(fields=["imap_uidvalidity", "imap_last_uid"])
        if client is not None:
            _Fetcher(client=client, mailbox=mailbox, report=report, lease_owner=owner).run()
        else:
            with imap_session(mailbox=mailbox) as session:
                _Fetcher(client=session, mailbox=mailbox, report=report, lease_owner=owner).run()
    except Exception as exc:
        log_imap_failure("IMAP fetch of mailbox %s failed", mailbox.pk, exc)
        report.error = describe_error(exc)
    finally:
        if lease_owner is None:
            mailbox_lease_release(mailbox_id=mailbox.pk, owner=owner)
    record_check(mailbox=mailbox, error=report.error)
    return report


# A mailbox whose every check has failed for this long is reported to the administrators: a
# dropped connection or one timeout, fine at the next check, is not.
FAILING_ALERT_AFTER = timedelta(minutes=10)


def record_check(*, mailbox: Mailbox, error: str) -> None:
    """The outcome of a check of the mailbox; the administrators are told once per spell of
    failures that has lasted FAILING_ALERT_AFTER (conditional updates: of two processes
    recording at once, one tells)."""
    now = timezone.now()
    rows = Mailbox.objects.filter(pk=mailbox.pk)
    if not error:
        rows.update(last_checked_at=now, last_error="", failing_since=None, failing_alerted=False)
    else:
        rows.update(last_checked_at=now, last_error=error[:5000])
        rows.filter(failing_since__isnull=True).update(failing_since=now)
        if rows.filter(failing_since__lte=now - FAILING_ALERT_AFTER, failing_alerted=False).update(
            failing_alerted=True
        ):
            notify_administrators_of_failing_mailbox(mailbox=mailbox, error=error)
    mailbox.last_checked_at = now
    mailbox.last_error = error[:5000]


def notify_administrators_of_failing_mailbox(*, mailbox: Mailbox, error: str) -> None:
    """A mailbox that was fetched fine has failed for a while (a changed password, a server
    down): mail to it waits unread on the server until someone acts."""
    from accounts.choices import Role
    from accounts.models import User
    from notifications.services import notify_many

    administrators = User.objects.filter(role=Role.ADMIN, is_active=True)

    def text() -> str:
        return _("Mail to %(mailbox)s is not being fetched: %(error)s") % {
            "mailbox": mailbox.address,
            "error": error[:300],
        }

    notify_many([(administrators, text, "mailbox_failing", None)])


class LeaseLost(RuntimeError):
    """Another poller took over the mailbox (our lease expired): stop touching it."""


class _Fetcher:
    def __init__(self, *, client: IMAPClient, mailbox: Mailbox, report: FetchReport, lease_owner: str) -> None:
        self.client = client
        self.mailbox = mailbox
        self.report = report
        self.lease_owner = lease_owner
        self.folders: set[str] = set()

    def run(self) -> None:
        mailbox = self.mailbox
        selected = self.client.select_folder(mailbox.imap_folder)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        if mailbox.imap_uidvalidity == uidvalidity:
            last_uid = mailbox.imap_last_uid
            new = [uid for uid in self.client.search(["UID", f"{last_uid + 1}:*", "NOT", "DELETED"]) if uid > last_uid]
            unseen = [uid for uid in self.client.search(["UNSEEN", "NOT", "DELETED"]) if uid <= last_uid]
            self._take(sorted(set(new) | set(unseen)), advance=True)
            return
        # No trustworthy position: the first connection, or the folder's UIDs were renumbered.
        self.report.uidvalidity_reset = mailbox.imap_uidvalidity is not None
        uidnext = selected.get(b"UIDNEXT")
        everything = self.report.uidvalidity_reset and self._moves_processed()
        criteria = ["NOT", "DELETED"] if everything else ["UNSEEN", "NOT", "DELETED"]
        uids = sorted(self.client.search(criteria))
        if uidnext is None:
            all_uids = self.client.search("ALL")
            uidnext = max(all_uids) + 1 if all_uids else 1
        self._take(uids, advance=False)
        # The whole run went through: from now on, UIDs above this are new.
        position = max([int(uidnext) - 1, *uids])
        self._save_position(uidvalidity=uidvalidity, last_uid=position)

    def _moves_processed(self) -> bool:
        return self.mailbox.imap_processed == ImapProcessedAction.MOVE and bool(self.mailbox.imap_processed_folder)

    def _save_position(self, *, uidvalidity: int | None = None, last_uid: int) -> None:
        fields: dict[str, Any] = {
            "imap_last_uid": last_uid,
            "imap_lease_until": timezone.now() + timedelta(seconds=LEASE_SECONDS),
        }
        if uidvalidity is not None:
            fields["imap_uidvalidity"] = uidvalidity
        if not Mailbox.objects.filter(pk=self.mailbox.pk, imap_lease_owner=self.lease_owner).update(**fields):
            raise LeaseLost(_("Another poller took over this mailbox."))
        self.mailbox.imap_last_uid = last_uid
        if uidvalidity is not None:
            self.mailbox.imap_uidvalidity = uidvalidity

    def _take(self, uids: list[int], *, advance: bool) -> None:
        for start in range(0, len(uids), CHUNK):
            chunk = uids[start : start + CHUNK]
            meta = self.client.fetch(chunk, ["RFC822.SIZE", "INTERNALDATE", HEADER_FIELDS])
            present = [uid for uid in chunk if uid in meta]  # others were expunged meanwhile
            keys = {uid: _known_key(_header_bytes(meta[uid])) for uid in present}
            stored = dict(
                InboundMessage.objects.filter(channel="email", dedup_key__in=[k for k in keys.values() if k])
                .values_list("dedup_key", "status")
                .order_by()
            )
            bodies: dict[int, bytes] = {}
            taken: list[tuple[int, bool]] = []  # (uid, quarantined): committed, the server not told yet
            try:
                for uid in present:
                    status = stored.get(keys[uid])
                    if status is not None:
                        self.report.duplicates += 1
                        taken.append((uid, status == InboundStatus.QUARANTINED))
                        continue
                    if uid not in bodies and int(meta[uid].get(b"RFC822.SIZE") or 0) <= self.mailbox.max_message_bytes:
                        bodies = self._bodies(present[present.index(uid) :], meta, stored, keys)
                    taken.append((uid, self._take_one(uid, meta[uid], bodies.pop(uid, None))))
            except BaseException:
                # What is committed is acknowledged even though a later message failed.
                try:
                    self._acknowledge(taken, advance=advance)
                except Exception:
                    logger.warning("IMAP: acknowledging stored messages failed", exc_info=True)
                raise
            self._acknowledge(taken, advance=advance)

    def _bodies(
        self, uids: list[int], meta: dict[int, Any], stored: dict[str, str], keys: dict[int, str]
    ) -> dict[int, bytes]:
        """Raw bytes of the next messages to store, in one FETCH of at most BODY_BATCH_BYTES
        (one message at least, whatever its size)."""
        batch: list[int] = []
        total = 0
        for uid in uids:
            size = int(meta[uid].get(b"RFC822.SIZE") or 0)
            if keys[uid] in stored or size > self.mailbox.max_message_bytes:
                continue
            if batch and total + size > BODY_BATCH_BYTES:
                break
            batch.append(uid)
            total += size
        return {uid: self._body_of(uid, data) for uid, data in self.client.fetch(batch, [b"BODY.PEEK[]"]).items()}

    def _take_one(self, uid: int, meta: dict[bytes, Any], raw: bytes | None) -> bool:
        """Store one message (not stored before, as far as its headers tell); True when quarantined."""
        from intake.services import inbound_store

        headers = _header_bytes(meta)
        sender, subject = _sender_and_subject(headers)
        received_at = _arrival(meta.get(b"INTERNALDATE"))
        size = int(meta.get(b"RFC822.SIZE") or 0)
        if size > self.mailbox.max_message_bytes:
            self._quarantine(uid, size=size, sender=sender, subject=subject, received_at=received_at)
            return True
        if raw is None:
            raw = self._raw(uid, b"BODY.PEEK[]")
        _row, created = inbound_store(
            channel="email",
            source=InboundSource.IMAP,
            raw=raw,
            dedup_key=dedup_key_for(raw),
            mailbox=self.mailbox,
            from_address=sender,
            subject=subject,
            received_at=received_at,
        )
        if created:
            self.report.stored += 1
        else:
            self.report.duplicates += 1
        return False

    def _quarantine(self, uid: int, *, size: int, sender: str, subject: str, received_at: datetime) -> None:
        from intake.services import inbound_store

        mailbox = self.mailbox
        keep_whole = size <= settings.OTKLIK_IMAP_QUARANTINE_KEEP_BYTES
        raw = self._raw(uid, b"BODY.PEEK[]" if keep_whole else b"BODY.PEEK[HEADER]")
        error = _("The message is %(size)s (%(bytes)d bytes), larger than the mailbox's limit of %(limit)s.") % {
            "size": filesizeformat(size),
            "bytes": size,
            "limit": filesizeformat(mailbox.max_message_bytes),
        }
        if not keep_whole:
            where = mailbox.imap_quarantine_folder or self._processed_place()
            note = _("Only its headers are kept here; the whole message stays on the IMAP server in %(folder)s.")
            error += " " + note % {"folder": where}
        with transaction.atomic():
            _row, created = inbound_store(
                channel="email",
                source=InboundSource.IMAP,
                raw=raw,
                dedup_key=dedup_key_for(raw),
                mailbox=mailbox,
                from_address=sender,
                subject=subject,
                received_at=received_at,
                status=InboundStatus.QUARANTINED,
                error=error,
            )
            if created:
                _notify_administrators_of_quarantine(mailbox=mailbox, sender=sender, subject=subject, size=size)
        if created:
            self.report.stored += 1
            self.report.quarantined += 1
        else:
            self.report.duplicates += 1

    def _processed_place(self) -> str:
        return self.mailbox.imap_processed_folder if self._moves_processed() else self.mailbox.imap_folder

    def _raw(self, uid: int, item: bytes) -> bytes:
        return self._body_of(uid, self.client.fetch([uid], [item]).get(uid, {}))

    @staticmethod
    def _body_of(uid: int, data: dict[bytes, Any]) -> bytes:
        for key, value in data.items():
            if key.startswith(b"BODY[") and isinstance(value, bytes):
                return value
        raise imaplib.IMAP4.error(f"UID {uid}: the server returned no message body")

    def _acknowledge(self, taken: list[tuple[int, bool]], *, advance: bool) -> None:
        """Tell the server these messages are ours now (each is committed by the time we get
        here): \\Seen, or moved; then move the position past them."""
        if not taken:
            return
        mailbox = self.mailbox
        processed = [uid for uid, quarantined in taken if not quarantined or not mailbox.imap_quarantine_folder]
        refused = [uid for uid, quarantined in taken if quarantined and mailbox.imap_quarantine_folder]
        if refused:
            self.move(refused, mailbox.imap_quarantine_folder)
        if processed:
            self.client.add_flags(processed, [SEEN], silent=True)
            if self._moves_processed():
                self.move(processed, mailbox.imap_processed_folder)
        self.report.handled += len(taken)
        highest = max(uid for uid, _quarantined in taken)
        if advance and highest > mailbox.imap_last_uid:
            self._save_position(last_uid=highest)

    def move(self, uids: list[int], folder: str, *, use_move: bool | None = None) -> None:
        """MOVE (RFC 6851) when the server has it, else COPY + \\Deleted + (UID) EXPUNGE."""
        if folder not in self.folders:
            if not self.client.folder_exists(folder):
                self.client.create_folder(folder)
            self.folders.add(folder)
        if use_move is None:
            use_move = self.client.has_capability("MOVE")
        if use_move:
            self.client.move(uids, folder)
            return
        self.client.copy(uids, folder)
        self.client.add_flags(uids, [DELETED], silent=True)
        if self.client.has_capability("UIDPLUS"):
            self.client.uid_expunge(uids)
        else:
            self.client.expunge()


def _known_key(headers: bytes) -> str:
    """The dedup key as told by the Message-ID header alone ("" without one: then only the
    whole bytes tell, see parsing.dedup_key_for)."""
    key = dedup_key_for(headers) if headers else ""
    return "" if not key or key.startswith("sha256:") else key[:500]


def _header_bytes(meta: dict[bytes, Any]) -> bytes:
    for key, value in meta.items():
        if key.startswith(b"BODY[HEADER") and isinstance(value, bytes):
            return value
    return b""


def _sender_and_subject(headers: bytes) -> tuple[str, str]:
    try:
        message = message_from_bytes(headers, policy=policy.default)
        return str(message.get("From", "") or "").strip(), str(message.get("Subject", "") or "").strip()
    except Exception:
        return "", ""


def _arrival(value: object) -> datetime:
    """INTERNALDATE — when the message reached the mail server — starts the SLA clock; a missing
    or impossible one (in the future) gives way to now."""
    now = timezone.now()
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_current_timezone())
        if value <= now + timedelta(minutes=5):
            return value
    return now


def _notify_administrators_of_quarantine(*, mailbox: Mailbox, sender: str, subject: str, size: int) -> None:
    from accounts.choices import Role
    from accounts.models import User
    from notifications.services import notify_many

    administrators = User.objects.filter(role=Role.ADMIN, is_active=True)

    def text() -> str:
        return _(
            "Mail to %(mailbox)s was quarantined: %(size)s is over the limit of %(limit)s. From %(sender)s, subject"
            " “%(subject)s”."
        ) % {
            "mailbox": mailbox.address,
            "size": filesizeformat(size),
            "limit": filesizeformat(mailbox.max_message_bytes),
            "sender": sender or "?",
            "subject": subject,
        }

    notify_many([(administrators, text, "inbound_quarantined", None)])


def imap_mailboxes() -> list[Mailbox]:
    """The mailboxes Otklik fetches by IMAP (active, with a server)."""
    return list(Mailbox.objects.filter(is_active=True, inbound=MailboxInbound.IMAP).exclude(imap_host=""))


def imap_poll_due() -> list[FetchReport]:
    """The worker's fallback poll (channels/tasks.py, every minute): fetch each IMAP mailbox not
    checked for its poll interval. Where the listener runs it holds every mailbox's lease and keeps
    `last_checked_at` fresh, so this finds nothing to do; where none runs, mail still comes in."""
    now = timezone.now()
    reports = []
    for mailbox in imap_mailboxes():
        due = mailbox.last_checked_at is None or mailbox.last_checked_at <= now - timedelta(
            seconds=max(mailbox.imap_poll_seconds, 30) - 5
        )
        if due:
            reports.append(mailbox_fetch(mailbox=mailbox))
    return reports


# -- the "Test connection" button --------------------------------------------------------------


def mailbox_test_connection(*, mailbox: Mailbox) -> tuple[bool, str]:
    """Connect, log in and look at the folder, changing nothing (not even `last_error`).
    Returns (ok, what an administrator should read)."""
    if mailbox.inbound != MailboxInbound.IMAP:
        return False, _("This mailbox receives mail over LMTP; there is no IMAP server to test.")
    if not mailbox.imap_host:
        return False, _("Enter the IMAP server first.")
    try:
        with imap_session(mailbox=mailbox) as client:
            if not client.folder_exists(mailbox.imap_folder):
                return False, _("Logged in, but there is no folder %(folder)s.") % {"folder": mailbox.imap_folder}
            status = client.folder_status(mailbox.imap_folder, [b"MESSAGES", b"UNSEEN"])
            idle = client.has_capability("IDLE")
            move = client.has_capability("MOVE")
    except Exception as exc:
        return False, describe_error(exc)
    message = _("Connected. Messages in %(folder)s: %(messages)d, unread: %(unseen)d.") % {
        "folder": mailbox.imap_folder,
        "messages": int(status.get(b"MESSAGES", 0)),
        "unseen": int(status.get(b"UNSEEN", 0)),
    }
    if idle:
        message += " " + _("The server supports IDLE: new mail is fetched at once.")
    else:
        polling = _("The server has no IDLE: mail is fetched every %(seconds)d seconds.")
        message += " " + polling % {"seconds": mailbox.imap_poll_seconds}
    if not move and mailbox.imap_processed == ImapProcessedAction.MOVE:
        message += " " + _("The server has no MOVE: processed mail is copied, then deleted from the folder.")
    return True, message
