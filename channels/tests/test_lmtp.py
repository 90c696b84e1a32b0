"""Mail delivered through a real LMTP (and SMTP) connection to the listener, processed by the
pipeline (Huey runs the processing inline once the message is committed)."""

import socket
import time

import pytest
from django.conf import settings
from huey.contrib.djhuey import HUEY

from channels.email.lmtp import InboundMailController
from channels.models import Mailbox
from channels.tests.conftest import raw_email
from channels.tests.lmtp_client import _wire, free_port, send
from intake.choices import InboundStatus
from intake.models import InboundMessage
from tickets.models import Article, Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
    pytest.mark.usefixtures("migration_data", "search_index_emptied_afterwards"),
]


@pytest.fixture
def processing_inline():
    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


@pytest.fixture
def lmtp(processing_inline, mailbox):
    controller = InboundMailController(host="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port
    controller.stop()


def test_a_message_over_lmtp_is_answered_250_once_its_ticket_exists(lmtp, mailbox, contact):
    # given a message to the support mailbox
    raw = raw_email(message_id="<lmtp-1@romashka.test>", subject="Течёт крыша")

    # when an MTA delivers it over LMTP
    rcpt, data = send(lmtp, raw, ["support@otklik.test"])

    # then it was accepted, stored from the LMTP listener and turned into a ticket
    assert (rcpt, data) == ([250], [250])
    row = InboundMessage.objects.get()
    assert (row.source, row.mailbox, row.status, row.envelope_to) == (
        "lmtp",
        mailbox,
        InboundStatus.PROCESSED,
        ["support@otklik.test"],
    )
    assert bytes(row.raw).replace(b"\r\n", b"\n") == raw
    assert list(Ticket.objects.values_list("title", "contact")) == [("Течёт крыша", contact.pk)]


def test_replies_thread_by_in_reply_to_references_and_the_subject_tag(lmtp, mailbox, contact):
    # given a ticket opened by mail
    send(lmtp, raw_email(message_id="<root@romashka.test>"), ["support@otklik.test"])
    ticket = Ticket.objects.get()

    # when three replies arrive: by In-Reply-To, by References only, by the number in the subject
    by_parent = raw_email(in_reply_to="<root@romashka.test>", text="Первый ответ")
    by_references = raw_email(references="<root@romashka.test> <lost@elsewhere.test>", text="Второй ответ")
    by_subject = raw_email(subject=f"RE: [#{ticket.number}] Не работает лифт", text="Третий ответ")
    codes = [send(lmtp, raw, ["support@otklik.test"])[1] for raw in (by_parent, by_references, by_subject)]

    # then all three are the client's articles on that one ticket
    assert codes == [[250], [250], [250]]
    assert Ticket.objects.count() == 1
    assert list(ticket.articles.values_list("body", "author_contact", "from_stranger")) == [
        ("Лифт во втором подъезде стоит с утра.", contact.pk, False),
        ("Первый ответ", contact.pk, False),
        ("Второй ответ", contact.pk, False),
        ("Третий ответ", contact.pk, False),
    ]


def test_a_stranger_writing_into_a_thread_is_flagged(lmtp, mailbox, contact):
    # given a ticket opened by mail
    send(lmtp, raw_email(message_id="<root@romashka.test>"), ["support@otklik.test"])

    # when someone unrelated answers the thread
    send(lmtp, raw_email(sender="hacker@evil.test", in_reply_to="<root@romashka.test>"), ["support@otklik.test"])

    # then the article is attached to the ticket and flagged
    assert list(Article.objects.values_list("from_stranger", flat=True)) == [False, True]
    assert Ticket.objects.count() == 1


def test_the_same_message_delivered_twice_makes_one_article(lmtp, mailbox, contact):
    # given a message with a Message-ID and one without
    with_id = raw_email(message_id="<twice@romashka.test>")
    without_id = raw_email(message_id=None, subject="Без идентификатора")

    # when the MTA delivers each twice (a lost reply, a retry)
    codes = [send(lmtp, raw, ["support@otklik.test"])[1] for raw in (with_id, with_id, without_id, without_id)]

    # then each is accepted every time and stored and turned into an article once
    assert codes == [[250], [250], [250], [250]]
    assert InboundMessage.objects.count() == 2
    assert Article.objects.count() == 2


def test_an_unknown_recipient_is_refused_at_rcpt_and_plus_addressing_is_accepted(lmtp, mailbox, contact):
    # given an inactive mailbox and one fetched by IMAP besides the LMTP one
    Mailbox.objects.create(name="Old", address="old@otklik.test", is_active=False)
    Mailbox.objects.create(name="Imap", address="imap@otklik.test", inbound="imap")

    # when a message is addressed to those, to nobody, and to support in another case with a tag
    rcpt, data = send(
        lmtp,
        raw_email(),
        ["nobody@otklik.test", "old@otklik.test", "imap@otklik.test", "Support+Lifts@Otklik.test"],
    )

    # then only the plus-addressed support is accepted, and the message stored once for it
    assert rcpt == [550, 550, 550, 250]
    assert data == [250]
    assert InboundMessage.objects.get().mailbox == mailbox


def test_one_reply_per_recipient_after_data_and_552_where_the_message_is_too_big(lmtp, mailbox, contact):
    # given a second mailbox that takes only small messages
    Mailbox.objects.create(name="Small", address="small@otklik.test", max_message_bytes=200)

    # when a message larger than that goes to both
    rcpt, data = send(lmtp, raw_email(text="Длинное письмо. " * 50), ["small@otklik.test", "support@otklik.test"])

    # then the small mailbox refuses it, support stores it
    assert (rcpt, data) == ([250, 250], [552, 250])
    assert InboundMessage.objects.get().mailbox == mailbox


def test_a_message_over_the_global_limit_gets_552_for_every_recipient(processing_inline, mailbox, contact, settings):
    # given a listener that takes at most 1 KB, and a second mailbox
    settings.LMTP_MAX_BYTES = 1024
    Mailbox.objects.create(name="Sales", address="sales@otklik.test")
    controller = InboundMailController(host="127.0.0.1", port=free_port())
    controller.start()
    try:
        # when a 3 KB message goes to both
        rcpt, data = send(controller.port, raw_email(text="x" * 3000), ["support@otklik.test", "sales@otklik.test"])
        # and then a small one on the same listener
        _rcpt, small = send(controller.port, raw_email(), ["support@otklik.test"])
    finally:
        controller.stop()

    # then both recipients are answered 552 (LMTP: one reply each), nothing stored; the next one is
    assert (rcpt, data, small) == ([250, 250], [552, 552], [250])
    assert InboundMessage.objects.count() == 1


def test_a_database_failure_while_storing_answers_451_and_stores_nothing(lmtp, mailbox, contact):
    # given the inbound store's table is unavailable
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE intake_inboundmessage RENAME TO intake_inboundmessage_away")
    try:
        # when a message arrives
        _rcpt, data = send(lmtp, raw_email(message_id="<retry@romashka.test>"), ["support@otklik.test"])
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE intake_inboundmessage_away RENAME TO intake_inboundmessage")

    # then the MTA is told to try again later, nothing was stored, and its retry succeeds
    assert data == [451]
    assert InboundMessage.objects.count() == 0
    assert send(lmtp, raw_email(message_id="<retry@romashka.test>"), ["support@otklik.test"])[1] == [250]
    assert Ticket.objects.count() == 1


def test_a_message_that_cannot_be_processed_is_kept_as_failed_and_processes_after_the_fix(lmtp, mailbox, contact):
    # given no status a new ticket could start in
    from intake.services import inbound_reprocess
    from tickets.models import Status
    from tickets.reference import reference_changed

    Status.objects.update(is_active=False)
    reference_changed()  # a queryset update sends no signal: tell the per-process snapshot

    # when a new request arrives
    _rcpt, data = send(lmtp, raw_email(subject="Потерянная заявка"), ["support@otklik.test"])

    # then it was accepted (it is stored), and waits as failed with the reason
    row = InboundMessage.objects.get()
    assert data == [250]
    assert (row.status, row.error.splitlines()[0]) == (
        InboundStatus.FAILED,
        # The worker speaks the installation's language.
        "django.core.exceptions.ValidationError: ['Не настроен статус для новых заявок.']",
    )
    assert Ticket.objects.count() == 0

    # and when the statuses are fixed and it is processed again
    Status.objects.update(is_active=True)
    reference_changed()
    inbound_reprocess(inbound=row)
    row.refresh_from_db()

    # then the ticket exists
    assert row.status == InboundStatus.PROCESSED
    assert list(Ticket.objects.values_list("title", flat=True)) == ["Потерянная заявка"]


def test_people_in_cc_become_contacts_of_their_companies_up_to_twenty(lmtp, mailbox):
    # given a company owning a domain
    from customers.models import Contact
    from tests.factories import CompanyFactory

    company = CompanyFactory(name="ООО Лютик", email_domains="lutik.test")
    cc = ", ".join(f"Сотрудник {n} <worker{n}@lutik.test>" for n in range(30))

    # when an unknown person of that company writes, copying 30 colleagues
    send(lmtp, raw_email(sender="Анна Лютикова <anna@lutik.test>", cc=cc), ["support@otklik.test"])

    # then she and 20 colleagues are contacts of the company; the ticket is hers
    assert Contact.objects.filter(company=company).count() == 21
    ticket = Ticket.objects.get()
    assert (ticket.contact.full_name, ticket.company) == ("Анна Лютикова", company)


KOI8_MESSAGE = (
    "From: =?koi8-r?B?{sender}?= <ivan@romashka.test>\r\n"
    "To: support@otklik.test\r\n"
    "Subject: =?koi8-r?B?{subject}?=\r\n"
    "Message-ID: <koi8@romashka.test>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=koi8-r\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
)


def _koi8_message() -> bytes:
    import base64

    sender = base64.b64encode("Иван Петров".encode("koi8-r")).decode()
    subject = base64.b64encode("Не горит свет в подъезде".encode("koi8-r")).decode()
    head = KOI8_MESSAGE.format(sender=sender, subject=subject).encode("ascii")
    return head + "Добрый день! Третий этаж, лампы не горят.\r\n".encode("koi8-r")


def _cp1251_message() -> bytes:
    head = (
        "From: ivan@romashka.test\r\n"
        "To: support@otklik.test\r\n"
        "Subject: =?windows-1251?Q?=CF=F0=EE=E1=EB=E5=EC=E0?=\r\n"
        "Message-ID: <cp1251@romashka.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=windows-1251\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
    ).encode("ascii")
    import quopri

    return head + quopri.encodestring("Счётчик воды протекает.".encode("cp1251"))


def test_russian_charsets_arrive_intact_through_lmtp(lmtp, mailbox):
    # given messages in KOI8-R (8bit) and windows-1251 (quoted-printable) with encoded headers
    # when they are delivered
    codes = [send(lmtp, raw, ["support@otklik.test"])[1] for raw in (_koi8_message(), _cp1251_message())]

    # then their subjects, texts and the sender's name read as written (the second is the same person)
    assert codes == [[250], [250]]
    assert list(Ticket.objects.order_by("id").values_list("title", "description", "contact__full_name")) == [
        ("Не горит свет в подъезде", "Добрый день! Третий этаж, лампы не горят.", "Иван Петров"),
        ("Проблема", "Счётчик воды протекает.", "Иван Петров"),
    ]


def test_plain_smtp_delivers_on_the_same_code(processing_inline, mailbox, contact):
    # given a listener speaking SMTP
    controller = InboundMailController(host="127.0.0.1", port=free_port(), lmtp=False)
    controller.start()
    try:
        # when a message is sent to a known and an unknown address
        rcpt, data = send(controller.port, raw_email(), ["support@otklik.test", "x@otklik.test"], lmtp=False)
    finally:
        controller.stop()

    # then one answer after DATA, and a ticket
    assert (rcpt, data) == ([250, 550], [250])
    assert Ticket.objects.count() == 1


DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.romashka.test>
To: support@otklik.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-1@mx.romashka.test>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUND"

--BOUND
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.

--BOUND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.romashka.test

Final-Recipient: rfc822; petr@romashka.test
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <petr@romashka.test>: Recipient address rejected

--BOUND
Content-Type: text/rfc822-headers

From: support@otklik.test
To: petr@romashka.test
Subject: [#1] Re: lift
Message-ID: <out-1@otklik.test>

--BOUND--
"""


def test_a_bounce_over_lmtp_is_noted_on_the_ticket_and_marks_our_message_bounced(lmtp, mailbox, contact):
    # given a ticket and our reply to it, sent to the client
    from channels.models import EmailMessageRef
    from notifications.models import OutboxMessage

    send(lmtp, raw_email(message_id="<first@romashka.test>"), ["support@otklik.test"])
    ticket = Ticket.objects.get()
    reply = Article.objects.create(ticket=ticket, author_kind="agent", body="Выезжаем", channel="email")
    EmailMessageRef.objects.create(message_id="out-1@otklik.test", direction="out", ticket=ticket, article=reply)
    outbox = OutboxMessage.objects.create(
        channel="email",
        kind="reply",
        dedup_key="reply-1",
        ticket=ticket,
        article=reply,
        recipient="petr@romashka.test",
        message_id="out-1@otklik.test",
        status="sent",
    )

    # when the client's server sends the delivery failure back
    _rcpt, data = send(lmtp, DSN, ["support@otklik.test"], sender="")

    # then it is a note on that ticket and our message is marked bounced with the reason
    outbox.refresh_from_db()
    note = ticket.articles.order_by("-id").first()
    assert data == [250]
    assert (note.kind, note.author_kind) == ("note", "system")
    assert "550 5.1.1 <petr@romashka.test>: Recipient address rejected" in note.body
    assert (outbox.status, outbox.last_error) == (
        "bounced",
        "550 5.1.1 <petr@romashka.test>: Recipient address rejected",
    )
    assert Ticket.objects.count() == 1


class _Wire:
    """A bare LMTP connection: bytes written as given, replies read line by line."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.replies = self.sock.makefile("rb")
        assert self.reply().startswith("220")
        self.send(b"LHLO client.test\r\n")
        assert self.reply().startswith("250")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> str:
        """One reply (the last line of a multi-line one)."""
        while True:
            line = self.replies.readline().decode()
            if len(line) < 4 or line[3] != "-":
                return line.strip()

    def codes(self, count: int) -> list[int]:
        return [int(self.reply()[:3]) for _n in range(count)]

    def close(self) -> None:
        self.replies.close()
        self.sock.close()


def _envelope() -> bytes:
    return b"MAIL FROM:<petr@romashka.test>\r\nRCPT TO:<support@otklik.test>\r\nDATA\r\n"


def test_data_split_anywhere_keeps_its_dotted_lines_and_ends_only_at_the_lone_dot(lmtp, mailbox, contact):
    # given a message whose lines start with dots, one of them a lone dot, as the client stuffs it
    message = (
        b"From: petr@romashka.test\r\nTo: support@otklik.test\r\nSubject: dots\r\nMessage-ID: <dots@romashka.test>\r\n"
        b"\r\n.leading dot\r\n..two dots\r\n.\r\nlast line\r\n"
    )
    wire = message.replace(b"\r\n.", b"\r\n..") + b".\r\n"
    client = _Wire(lmtp)
    try:
        client.send(_envelope())
        assert client.codes(3) == [250, 250, 354]
        # when the data arrives a few bytes at a time, the terminator torn between writes
        for start in range(0, len(wire), 3):
            client.send(wire[start : start + 3])
            time.sleep(0.002)
        codes = client.codes(1)
    finally:
        client.close()

    # then the stored message is byte for byte what the client meant
    assert codes == [250]
    assert bytes(InboundMessage.objects.get().raw) == message


def test_commands_pipelined_after_the_data_are_answered_in_turn(lmtp, mailbox, contact):
    # given two messages and the commands between them written in one go, ending with QUIT
    first = raw_email(message_id="<pipe-1@romashka.test>", subject="Первое").replace(b"\n", b"\r\n")
    second = raw_email(message_id="<pipe-2@romashka.test>", subject="Второе").replace(b"\n", b"\r\n")
    client = _Wire(lmtp)
    try:
        client.send(_envelope())
        assert client.codes(3) == [250, 250, 354]
        client.send(_wire(first) + _envelope())
        assert client.codes(4) == [250, 250, 250, 354]
        client.send(_wire(second) + b"QUIT\r\n")
        codes = client.codes(2)
    finally:
        client.close()

    # then each is answered and stored as sent
    assert codes == [250, 221]
    assert [bytes(m.raw) for m in InboundMessage.objects.order_by("pk")] == [
        _wire(first)[: -len(b".\r\n")],
        _wire(second)[: -len(b".\r\n")],
    ]


def test_a_line_too_long_is_refused_with_500_and_the_connection_goes_on(lmtp, mailbox, contact):
    # given a message with a 1,200-character line in the middle of its body
    long_line = (
        b"From: petr@romashka.test\r\nTo: support@otklik.test\r\nSubject: long\r\nMessage-ID: <long@romashka.test>\r\n"
        b"\r\nstart\r\n" + b"x" * 1200 + b"\r\nend\r\n"
    )
    client = _Wire(lmtp)
    try:
        client.send(_envelope())
        assert client.codes(3) == [250, 250, 354]
        # when it is sent, and then an ordinary message on the same connection
        client.send(long_line + b".\r\n")
        refused = client.reply()
        client.send(_envelope())
        assert client.codes(3) == [250, 250, 354]
        client.send(_wire(raw_email(message_id="<next@romashka.test>")))
        accepted = client.codes(1)
    finally:
        client.close()

    # then the long one is refused as aiosmtpd would, nothing of it stored; the next one is
    assert refused.startswith("500 Line too long")
    assert accepted == [250]
    assert list(InboundMessage.objects.values_list("dedup_key", flat=True)) == ["next@romashka.test"]


@pytest.mark.parametrize(
    "argument",
    [
        "<a@b.ru>",
        "<a.b+c@mail.b-c.ru> SIZE=100 BODY=8BITMIME",
        "<a@b.ru>\tSIZE=5 ",
        "<>",
        '<"a b"@c.ru>',
        "<a..b@c.ru>",
        "<.a@c.ru>",
        "<@relay.ru:a@b.ru>",
        "a@b.ru",
        "<a@b.ru>x",
        "<a@[127.0.0.1]>",
        "<a(comment)@b.ru>",
        "<" + "x" * 65 + "@b.ru>",
        "<" + "x" * 64 + "@b.ru>",
        "<a@b.ru",
        "",
    ],
)
def test_envelope_addresses_read_by_the_fast_path_as_aiosmtpd_reads_them(argument):
    from aiosmtpd.smtp import SMTP

    from channels.email.lmtp import OtklikLMTP

    server = OtklikLMTP(object())
    assert server._getaddr(argument) == SMTP._getaddr(server, argument)
