import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test import Client
from django.utils import timezone

from accounts.choices import Role
from channels.email.headers import headline
from channels.email.parsing import dedup_key_for
from channels.models import Mailbox
from intake.models import InboundMessage
from intake.services import inbound_process, inbound_store
from tests.factories import CompanyFactory, ContactFactory, TeamFactory, UserFactory

_ids = itertools.count(1)


def raw_email(
    *,
    sender: str = "Пётр Иванов <petr@romashka.test>",
    to: str = "support@otklik.test",
    cc: str = "",
    subject: str = "Не работает лифт",
    text: str = "Лифт во втором подъезде стоит с утра.",
    html: str = "",
    message_id: str | None = "",
    in_reply_to: str = "",
    references: str = "",
    attachments: tuple[tuple[str, str, bytes], ...] = (),
    inline_images: tuple[tuple[str, str, bytes], ...] = (),
    headers: dict[str, str] | None = None,
) -> bytes:
    """A message as a mail client would send it. message_id "" gets a fresh one, None none."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    if message_id is not None:
        message["Message-ID"] = message_id or f"<m{next(_ids)}.{timezone.now().timestamp()}@client.test>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for cid, content_type, data in inline_images:
        # As Apple Mail sends them: inline parts beside the body, found by Content-ID.
        maintype, subtype = content_type.split("/")
        message.add_attachment(
            data, maintype=maintype, subtype=subtype, disposition="inline", cid=f"<{cid}>", filename=f"{cid}.png"
        )
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def deliver(raw: bytes, *, mailbox: Mailbox | None = None, source: str = "lmtp") -> InboundMessage:
    """Store and process one message the way the listener and the worker do."""
    from_address, subject = headline(raw)
    row, _created = inbound_store(
        channel="email",
        source=source,
        raw=raw,
        dedup_key=dedup_key_for(raw),
        mailbox=mailbox,
        from_address=from_address,
        subject=subject,
    )
    processed = inbound_process(inbound_id=row.pk)
    assert processed is not None
    return processed


@pytest.fixture
def team(db):
    return TeamFactory(code="dispatch", name_ru="Диспетчерская", name_en="Dispatch")


@pytest.fixture
def mailbox(team):
    return Mailbox.objects.create(name="Support", address="support@otklik.test", team=team, ticket_tag="#")


@pytest.fixture
def company(db):
    return CompanyFactory(name="ООО Ромашка", email_domains="romashka.test, romashka-group.ru")


@pytest.fixture
def contact(company):
    return ContactFactory(company=company, full_name="Пётр Иванов", email="petr@romashka.test")


@pytest.fixture
def agent(team):
    user = UserFactory(email="agent@otklik.test", full_name="Анна Диспетчер", role=Role.AGENT, language="en")
    team.members.add(user)
    return user


@pytest.fixture
def admin_user(db):
    return UserFactory(email="admin@otklik.test", full_name="Админ", role=Role.ADMIN, language="en")


@pytest.fixture
def login(db):
    def make(user):
        browser = Client(headers={"Accept-Language": "en"})
        browser.force_login(user)
        return browser

    return make


def another_worker_test(test: Callable[..., None]) -> Callable[..., None]:
    """The marks of a test in which another worker's connection holds row locks
    (held_by_another_connection): PostgreSQL only — SQLite locks the whole database, so these run
    in the PostgreSQL pass of `make test` —, committed transactions, the migrated data restored and
    the search index emptied afterwards."""
    marks = [
        pytest.mark.skipif(
            "postgresql" not in settings.DATABASES["default"]["ENGINE"],
            reason="row locks held by another connection need PostgreSQL (SQLite locks the whole database)",
        ),
        pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
        pytest.mark.usefixtures("migration_data", "search_index_emptied_afterwards"),
    ]
    for mark in reversed(marks):
        test = mark(test)
    return test


@contextmanager
def held_by_another_connection(
    hold: Callable[[], object], *, seconds: float = 30, then: Callable[[object], None] | None = None
) -> Iterator[None]:
    """`hold()` (a locking read) runs in a transaction of another thread's connection — another
    worker's open batch — which stays open while the with-block runs, or for `seconds` when the
    block waits for its locks; `then(held)` runs in it before it commits. For tests that need
    row locks of another connection (PostgreSQL, transactional tests)."""
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                held = hold()
                locked.set()
                release.wait(timeout=seconds)
                if then is not None:
                    then(held)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert locked.wait(timeout=30)
    try:
        yield
    finally:
        release.set()
        thread.join(timeout=30)
