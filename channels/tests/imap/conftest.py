import os

import pytest

from channels.choices import MailboxInbound, TransportSecurity
from channels.models import Mailbox
from tests.imap_server import DovecotServer, ImapServerUnavailable


@pytest.fixture(scope="session")
def imap_server():
    """A real Dovecot for the whole session (tests/imap_server.py). Missing Dovecot skips the
    IMAP tests outside CI; under CI=true it fails them. A Dovecot that is there but will not start
    is always an error."""
    try:
        server = DovecotServer()
    except ImapServerUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and no IMAP server for the tests: {exc}")
        pytest.skip(f"IMAP tests skipped: {exc}")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def imap_account(imap_server):
    return imap_server.account()


@pytest.fixture
def imap_trust(settings, imap_server):
    """The client trusts the test server's self-signed certificate (OTKLIK_IMAP_CA_FILE)."""
    settings.OTKLIK_IMAP_CA_FILE = imap_server.cafile


@pytest.fixture
def make_mailbox(db, imap_server, imap_account, imap_trust):
    """`make_mailbox(**fields)`: a mailbox reading the test account over implicit TLS by default."""

    def make(**fields):
        values = {
            "name": "Поддержка",
            "address": f"support{Mailbox.objects.count() + 1}@otklik.test",
            "inbound": MailboxInbound.IMAP,
            "imap_host": "127.0.0.1",
            "imap_port": imap_server.ssl_port,
            "imap_security": TransportSecurity.SSL,
            "imap_username": imap_account.username,
            "imap_password": imap_account.password,
            **fields,
        }
        return Mailbox.objects.create(**values)

    return make


@pytest.fixture
def mailbox(make_mailbox):
    return make_mailbox()


@pytest.fixture
def admin(admin_user):
    """The administrator of channels/tests/conftest.py (`login` comes from there too)."""
    return admin_user
