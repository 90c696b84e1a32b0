"""A real IMAP server for the tests: Debian's Dovecot, started once per test session on free
loopback ports with a throwaway Maildir, a passwd-file of users and a self-signed certificate.

Three ways in, all on 127.0.0.1: plain IMAP (which also offers STARTTLS) and implicit TLS
(IMAPS). Every test gets its own user (and so its own empty mailbox) from `account()`; Dovecot
re-reads the passwd-file when it changes. Clients trust the certificate through `ssl_context()`
or the `cafile` path.

`make test` installs `dovecot-imapd` (Makefile target `imap-deps`). When Dovecot is missing the
tests that need it are skipped, except under CI=true, where that is an error."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from imapclient import IMAPClient

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
HOST = "127.0.0.1"


class ImapServerUnavailable(RuntimeError):
    """Dovecot is not installed or would not start."""


@dataclass(frozen=True)
class ImapAccount:
    username: str
    password: str


POOL = 1000  # users in the passwd-file from the start


def _account(number: int) -> ImapAccount:
    return ImapAccount(username=f"user{number}@otklik.test", password=f"secret-{number}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _users() -> tuple[str, str, str]:
    """(mail user, internal user, login user) Dovecot may run as. As root: unprivileged system
    users (Dovecot refuses root for them); otherwise the current user for all three."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid()).pw_name
        return me, me, me
    names = {entry.pw_name for entry in pwd.getpwall()}
    internal = "dovecot" if "dovecot" in names else "nobody"
    login = "dovenull" if "dovenull" in names else "nobody"
    return "nobody", internal, login


class DovecotServer:
    def __init__(self) -> None:
        if not os.path.exists(DOVECOT):
            raise ImapServerUnavailable("dovecot is not installed (apt-get install dovecot-imapd, or `make test`)")
        # Not under pytest's tmp dir: that one is private to root (0700) and Dovecot's mail
        # processes run as an unprivileged user. The path stays short for its unix sockets.
        self.root = Path(tempfile.mkdtemp(prefix="otklik-imap-"))
        self.root.chmod(0o755)
        self.port = _free_port()
        self.ssl_port = _free_port()
        while self.ssl_port == self.port:
            self.ssl_port = _free_port()
        self.passwd = self.root / "passwd"
        self.cafile = str(self.root / "cert.pem")
        self.log = self.root / "dovecot.log"
        self._numbers = itertools.count(0)
        self._process: subprocess.Popen[bytes] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> DovecotServer:
        mail_user, internal_user, login_user = _users()
        mail = pwd.getpwnam(mail_user)
        mail_root = self.root / "mail"
        mail_root.mkdir()
        os.chown(mail_root, mail.pw_uid, mail.pw_gid)
        # Users are made up front: Dovecot notices a changed passwd-file by its mtime, in whole
        # seconds, so a user added a moment after the last change could stay unknown for a second.
        self.passwd.write_text("".join(f"{a.username}:{{PLAIN}}{a.password}\n" for a in map(_account, range(POOL))))
        self.passwd.chmod(0o644)
        self._certificate()
        dh = "/usr/share/dovecot/dh.pem"
        config = f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.log}
instance_name = otklik-test-{self.port}
protocols = imap
listen = {HOST}
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = {min(mail.pw_uid, 500)}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0

ssl = yes
ssl_cert = <{self.root}/cert.pem
ssl_key = <{self.root}/key.pem
ssl_min_protocol = TLSv1.2
{f"ssl_dh = <{dh}" if os.path.exists(dh) else ""}
mail_location = maildir:~/Maildir
mail_uid = {mail.pw_uid}
mail_gid = {mail.pw_gid}
mailbox_idle_check_interval = 1 secs
imap_idle_notify_interval = 2 mins
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = static
  args = uid={mail.pw_uid} gid={mail.pw_gid} home={mail_root}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {self.port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {self.ssl_port}
    ssl = yes
  }}
}}
# No authentication penalty: the wrong-password tests would slow every later login from 127.0.0.1
# by up to 15 s (the auth process cannot reach anvil's penalty socket with mode 0).
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
        conf = self.root / "dovecot.conf"
        conf.write_text(config)
        conf.chmod(0o644)
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                output = self._process.stdout.read().decode(errors="replace") if self._process.stdout else ""
                raise ImapServerUnavailable(f"dovecot exited with {self._process.returncode}: {output}{self._log()}")
            if self._answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise ImapServerUnavailable(f"dovecot did not answer on {HOST}:{self.port} within 20 s{self._log()}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process is not None and self._process.stdout:
            self._process.stdout.close()
        self._process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def _answers(self) -> bool:
        for port in (self.port, self.ssl_port):
            try:
                with socket.create_connection((HOST, port), timeout=0.5) as sock:
                    if port == self.port and not sock.recv(64).startswith(b"* OK"):
                        return False
            except OSError:
                return False
        return True

    def _log(self) -> str:
        try:
            return "\n" + self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def _certificate(self) -> None:
        subprocess.run(
            [
                OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-keyout", str(self.root / "key.pem"), "-out", self.cafile,
                "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-addext", "basicConstraints=critical,CA:TRUE",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        (self.root / "key.pem").chmod(0o600)

    # -- helpers for tests -------------------------------------------------------------------
    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile)

    def account(self) -> ImapAccount:
        """A user nobody has used yet: an empty mailbox of its own."""
        number = next(self._numbers)
        account = _account(number)
        if number >= POOL:
            with self.passwd.open("a") as passwd:
                passwd.write(f"{account.username}:{{PLAIN}}{account.password}\n")
            time.sleep(1.1)  # see start(): let the passwd-file's mtime move on
        return account

    def client(self, account: ImapAccount) -> IMAPClient:
        """A logged-in IMAPClient over implicit TLS (the test's own hands in the mailbox)."""
        client = IMAPClient(HOST, port=self.ssl_port, ssl=True, ssl_context=self.ssl_context(), timeout=10)
        client.login(account.username, account.password)
        return client

    def append(self, account: ImapAccount, *messages: bytes, folder: str = "INBOX", flags: tuple = ()) -> list[int]:
        """APPEND messages into the user's folder (created when missing); returns their UIDs."""
        client = self.client(account)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            uids = []
            for message in messages:
                answer = client.append(folder, message, flags=flags)
                uids.append(_appended_uid(answer))
            return uids
        finally:
            client.logout()

    def messages(self, account: ImapAccount, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        """UID → flags of every message in the folder (read-only look)."""
        client = self.client(account)
        try:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            data = client.fetch(uids, ["FLAGS"]) if uids else {}
            # \Recent belongs to the session that first saw the message, not to the message.
            return {uid: tuple(f for f in item[b"FLAGS"] if f != b"\\Recent") for uid, item in data.items()}
        finally:
            client.logout()


def _appended_uid(answer: bytes | str) -> int:
    # "[APPENDUID <uidvalidity> <uid>] Append completed." (UIDPLUS, which Dovecot has)
    text = answer.decode() if isinstance(answer, bytes) else answer
    return int(text.split("APPENDUID", 1)[1].split("]", 1)[0].split()[1])


def make_message(
    *, subject: str = "Не работает кондиционер", sender: str = "client@example.ru", message_id: str = "", body: str = ""
) -> bytes:
    """A small RFC 5322 message (UTF-8, CRLF line ends)."""
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@otklik.test"
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or make_msgid(domain="example.ru")
    message.set_content(body or "Здравствуйте! В офисе не работает кондиционер.\n")
    return bytes(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
