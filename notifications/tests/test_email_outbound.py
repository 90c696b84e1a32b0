"""What goes out by email, as the client's mail program sees it (received by a real SMTP server):
replies, acknowledgements of new requests, status notices; and what never goes out."""

from __future__ import annotations

import dataclasses
from email.message import EmailMessage
from email.utils import parseaddr

import pytest
from django.utils import translation

from channels.choices import MessageDirection
from channels.email.hooks import acknowledgement_hooks
from channels.email.outbound import ticket_acknowledge
from channels.email.parsing import ParsedEmail, parse_email
from channels.models import EmailMessageRef, Mailbox
from intake.choices import InboundSource
from intake.models import InboundMessage
from notifications.delivery import article_published
from notifications.models import OutboxKind, OutboxMessage
from notifications.outbox import outbox_send_due
from tests.factories import ContactFactory, make_ticket, status, upload
from tickets.choices import ArticleKind, Channel
from tickets.services import article_create, ticket_reply, ticket_set_status

pytestmark = pytest.mark.django_db

CLIENT_MAIL = (
    "From: =?utf-8?b?0J/RkdGC0YAg0JjQstCw0L3QvtCy?= <petr@romashka.test>\r\n"
    "To: =?utf-8?b?0J/QvtC00LTQtdGA0LbQutCw?= <support@romashka-service.test>, Мария <maria@romashka.test>\r\n"
    "Cc: Олег <oleg@romashka.test>\r\n"
    "Subject: =?utf-8?b?0J3QtSDRgNCw0LHQvtGC0LDQtdGCINC70LjRhNGC?=\r\n"
    "Message-ID: <client-1@romashka.test>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Лифт во втором подъезде стоит с утра.\r\n"
).encode()


def _email_ticket(*, contact, team, raw: bytes = CLIENT_MAIL):
    """A ticket as the inbound pipeline leaves it: first article with email_meta, Message-ID indexed."""
    parsed = parse_email(raw)
    ticket = make_ticket(contact=contact, team=team, channel=Channel.EMAIL, title=parsed.subject)
    first = ticket.articles.get()
    first.email_meta = {
        "from": {"name": parsed.sender.name, "address": parsed.sender.address},
        "to": [{"name": a.name, "address": a.address} for a in parsed.to],
        # a string entry, as a hand-made or older record may have: read as well
        "cc": [f"{a.name} <{a.address}>" for a in parsed.cc],
        "subject": parsed.subject,
        "message_id": parsed.message_id,
    }
    first.save(update_fields=["email_meta"])
    EmailMessageRef.objects.create(
        message_id=parsed.message_id, direction=MessageDirection.INBOUND, ticket=ticket, article=first
    )
    return ticket, first, parsed


def _plain(message: EmailMessage) -> str:
    """The text part as the mail program shows it (its canonical CRLF line ends made local)."""
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def _html(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")


def _sent(smtp_sink) -> EmailMessage:
    assert outbox_send_due() >= 1
    return smtp_sink.received[-1].message


def test_an_agent_reply_goes_out_threaded_from_the_mailbox_with_brand_tag_and_copies(
    contact, team, agent, mailbox, smtp_sink
):
    # given an email ticket from Пётр with Мария and Олег on the thread
    ticket, _, _ = _email_ticket(contact=contact, team=team)

    # when an agent replies with a file
    article = ticket_reply(
        ticket=ticket,
        author=agent,
        body="Инженер приедет сегодня до 18:00.\nПожалуйста, обеспечьте доступ.",
        attachments=[upload("Акт №5.pdf", b"%PDF-1.4 act", "application/pdf")],
    )
    row = OutboxMessage.objects.get(article=article)
    message = _sent(smtp_sink)

    # then the client's mail program sees our brand, the thread and the ticket number
    assert message["From"] == "Ромашка Сервис <support@romashka-service.test>"
    assert message["To"] == "Пётр Иванов <petr@romashka.test>"
    assert message["Cc"] == "Мария <maria@romashka.test>, Олег <oleg@romashka.test>"
    assert message["Subject"] == f"Re: Не работает лифт [#{ticket.number}]"
    assert message["Message-ID"] == f"<{row.message_id}>"
    assert row.message_id.endswith("@romashka-service.test")
    assert message["In-Reply-To"] == "<client-1@romashka.test>"
    assert message["References"] == "<client-1@romashka.test>"
    assert message["Auto-Submitted"] is None
    assert message["X-Otklik-Ticket"] == str(ticket.number)
    assert smtp_sink.received[-1].rcpt_tos == ["petr@romashka.test", "maria@romashka.test", "oleg@romashka.test"]
    # and the Russian subject and name travel RFC 2047-encoded
    raw = smtp_sink.received[-1].data
    assert b"Subject: Re: =?utf-8?" in raw
    assert b"From: =?utf-8?" in raw
    assert "лифт".encode() not in raw.split(b"\r\n\r\n", 1)[0]
    # and our Message-ID threads the client's answer back to the article
    ref = EmailMessageRef.objects.get(message_id=row.message_id)
    assert (ref.direction, ref.ticket_id, ref.article_id) == (MessageDirection.OUTBOUND, ticket.pk, article.pk)
    article.refresh_from_db()
    assert article.email_meta == {
        "from": {"name": "Ромашка Сервис", "address": "support@romashka-service.test"},
        "to": [{"name": "Пётр Иванов", "address": "petr@romashka.test"}],
        "cc": [{"name": "Мария", "address": "maria@romashka.test"}, {"name": "Олег", "address": "oleg@romashka.test"}],
        "subject": f"Re: Не работает лифт [#{ticket.number}]",
        "message_id": row.message_id,
    }


def test_a_reply_is_html_and_text_alternatives_with_the_attachment_beside(contact, team, agent, mailbox, smtp_sink):
    # given an email ticket
    ticket, _, _ = _email_ticket(contact=contact, team=team)

    # when an agent replies with a file
    ticket_reply(
        ticket=ticket,
        author=agent,
        body="Инженер приедет сегодня.\nДоступ <нужен> с 9:00.",
        attachments=[upload("Акт №5.pdf", b"%PDF-1.4 act", "application/pdf")],
    )
    message = _sent(smtp_sink)

    # then: multipart/mixed [ multipart/alternative [ text/plain, text/html ], the PDF ]
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "Акт №5.pdf"
    assert attachment.get_content() == b"%PDF-1.4 act"
    text = _plain(alternative)
    html = _html(alternative)
    # the client's language (Russian), the body, the brand signature
    assert text.startswith(
        "Инженер приедет сегодня.\nДоступ <нужен> с 9:00.\n\n-- \nСлужба поддержки «Ромашка Сервис»\n"
    )
    assert f"Ответьте на это письмо, чтобы дополнить заявку №{ticket.number}." in text
    assert "<p>Инженер приедет сегодня.<br>Доступ &lt;нужен&gt; с 9:00.</p>" in html
    assert "Служба поддержки «Ромашка Сервис»" in html


def test_a_reply_without_attachments_is_just_the_alternatives_in_english_for_an_english_client(
    company, team, agent, mailbox, smtp_sink
):
    # given an English-speaking client
    contact = ContactFactory(company=company, full_name="John Smith", email="john@romashka.test", language="en")
    ticket, _, _ = _email_ticket(contact=contact, team=team, raw=CLIENT_MAIL.replace(b"petr@", b"john@"))

    # when an agent replies
    ticket_reply(ticket=ticket, author=agent, body="The engineer comes today.")
    message = _sent(smtp_sink)

    # then
    assert message.get_content_type() == "multipart/alternative"
    assert message["To"] == "John Smith <john@romashka.test>"
    text = _plain(message)
    assert f"Reply to this email to add to request #{ticket.number}." in text


def test_the_message_id_domain_comes_from_the_setting_when_set(settings, contact, team, agent, mailbox, smtp_sink):
    # given a configured Message-ID domain
    settings.EMAIL_MESSAGE_ID_DOMAIN = "mail.otklik.test"
    ticket, _, _ = _email_ticket(contact=contact, team=team)

    # when an agent replies
    article = ticket_reply(ticket=ticket, author=agent, body="Готово.")

    # then
    assert OutboxMessage.objects.get(article=article).message_id.endswith("@mail.otklik.test")


def test_a_second_reply_references_the_whole_thread(contact, team, agent, mailbox, smtp_sink):
    # given an email ticket with our first reply sent
    ticket, _, _ = _email_ticket(contact=contact, team=team)
    first = OutboxMessage.objects.get(article=ticket_reply(ticket=ticket, author=agent, body="Первый ответ."))

    # when the agent replies again
    ticket_reply(ticket=ticket, author=agent, body="Второй ответ.")
    outbox_send_due()
    message = smtp_sink.received[-1].message

    # then it answers the client's message and references everything in the thread
    assert message["In-Reply-To"] == "<client-1@romashka.test>"
    assert message["References"] == f"<client-1@romashka.test> <{first.message_id}>"


def test_a_phone_ticket_of_a_contact_with_an_address_gets_replies_by_email(contact, team, agent, mailbox, smtp_sink):
    # given a ticket taken by phone from a contact who has an email address
    ticket = make_ticket(contact=contact, team=team, channel=Channel.PHONE, title="Протечка")

    ack = OutboxMessage.objects.get(kind=OutboxKind.ACKNOWLEDGEMENT)

    # when an agent replies
    ticket_reply(ticket=ticket, author=agent, body="Выезжаем.")
    message = _sent(smtp_sink)

    # then the client gets it by email, in the thread the acknowledgement started
    assert message["To"] == "Пётр Иванов <petr@romashka.test>"
    assert message["Subject"] == f"Re: Протечка [#{ticket.number}]"
    assert message["In-Reply-To"] == f"<{ack.message_id}>"
    assert message["Cc"] is None


def test_nothing_goes_out_without_an_address_or_without_a_mailbox(company, contact, team, agent, mailbox):
    # given a contact without an address, and (second ticket) an installation without mailboxes
    silent = ContactFactory(company=company, full_name="Без почты")
    silent.emails.all().delete()
    no_address = make_ticket(contact=silent, team=team, title="Звонок")
    ticket_reply(ticket=no_address, author=agent, body="Перезвоним.")
    Mailbox.objects.update(is_active=False)
    no_mailbox = make_ticket(contact=contact, team=team, title="Звонок")

    # when an agent replies
    ticket_reply(ticket=no_mailbox, author=agent, body="Перезвоним.")

    # then nothing is queued
    assert OutboxMessage.objects.count() == 0


def test_internal_notes_never_go_out(contact, team, agent, mailbox, smtp_sink):
    # given an email ticket
    ticket, _, _ = _email_ticket(contact=contact, team=team)

    # when an agent writes an internal note
    ticket_reply(ticket=ticket, author=agent, body="Клиент трудный, говорить осторожно.", kind=ArticleKind.NOTE)

    # then nothing is queued or sent
    assert OutboxMessage.objects.count() == 0
    assert outbox_send_due() == 0
    assert smtp_sink.received == []
    assert EmailMessageRef.objects.filter(direction=MessageDirection.OUTBOUND).count() == 0


def test_a_strangers_article_notifies_no_one(company, contact, team, agent, mailbox):
    # given an email ticket and an article written into it by someone not on the ticket
    ticket, _, parsed = _email_ticket(contact=contact, team=team)
    stranger = ContactFactory(company=None, full_name="Посторонний", email="someone@elsewhere.test")
    article = article_create(
        ticket=ticket, author=None, author_contact=stranger, body="Я тоже жду лифт", channel=Channel.EMAIL
    )
    article.from_stranger = True
    article.save(update_fields=["from_stranger"])

    # when delivery and the acknowledgement hook are asked about it
    article_published(article=article)
    ack = ticket_acknowledge(ticket=ticket, article=article, parsed=parsed)

    # then nothing is queued
    assert ack is None
    assert OutboxMessage.objects.count() == 0


def test_a_clients_own_article_is_not_mailed_back(contact, team, mailbox):
    # given an email ticket
    _, first, _ = _email_ticket(contact=contact, team=team)

    # when delivery is asked about the client's own message
    article_published(article=first)

    # then nothing is queued
    assert OutboxMessage.objects.count() == 0


# ---------------------------------------------------------------- acknowledgements


def test_the_acknowledgement_hook_is_registered():
    assert ticket_acknowledge in acknowledgement_hooks


def test_a_new_email_ticket_is_acknowledged_as_an_automatic_reply(contact, team, mailbox, smtp_sink):
    # given a new ticket from an email
    ticket, first, parsed = _email_ticket(contact=contact, team=team)

    # when the inbound pipeline calls the acknowledgement hooks
    for hook in acknowledgement_hooks:
        hook(ticket=ticket, article=first, parsed=parsed)
    message = _sent(smtp_sink)

    # then the sender gets "request received", marked as an automatic reply, in the thread
    row = OutboxMessage.objects.get(kind=OutboxKind.ACKNOWLEDGEMENT)
    assert row.recipient == "petr@romashka.test"
    assert message["Subject"] == f"Заявка №{ticket.number} принята: Не работает лифт [#{ticket.number}]"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["From"] == "Ромашка Сервис <support@romashka-service.test>"
    assert message["To"] == "Пётр Иванов <petr@romashka.test>"
    assert message["Cc"] is None
    assert message["In-Reply-To"] == "<client-1@romashka.test>"
    assert message["References"] == "<client-1@romashka.test>"
    text = _plain(message)
    assert text.startswith(f"Ваша заявка №{ticket.number} «Не работает лифт» принята.")
    assert EmailMessageRef.objects.filter(message_id=row.message_id, ticket=ticket).exists()


def test_the_acknowledgement_goes_to_reply_to_and_from_the_mailbox_the_mail_came_through(
    contact, team, mailbox, smtp_sink
):
    # given mail to a second mailbox, with a Reply-To, stored by the inbound pipeline
    sales = Mailbox.objects.create(
        name="Продажи",
        address="sales@romashka-service.test",
        brand_name="Ромашка Продажи",
        smtp_host="127.0.0.1",
        smtp_port=smtp_sink.port,
        smtp_security="none",
    )
    raw = CLIENT_MAIL.replace(b"Message-ID: <client-1@", b"Reply-To: office@romashka.test\r\nMessage-ID: <client-1@")
    InboundMessage.objects.create(
        channel=Channel.EMAIL, source=InboundSource.LMTP, mailbox=sales, dedup_key="client-1@romashka.test", raw=raw
    )
    ticket, first, parsed = _email_ticket(contact=contact, team=team, raw=raw)

    # when acknowledged
    ticket_acknowledge(ticket=ticket, article=first, parsed=parsed)
    message = _sent(smtp_sink)

    # then
    assert parseaddr(message["To"])[1] == "office@romashka.test"
    assert message["From"] == "Ромашка Продажи <sales@romashka-service.test>"


def test_acknowledgements_are_capped_per_address_per_day(contact, team, mailbox):
    # given a mailbox allowing two automatic replies per address a day
    mailbox.auto_replies_per_day = 2
    mailbox.save(update_fields=["auto_replies_per_day"])

    # when the same sender opens three tickets
    results = []
    for number in range(3):
        raw = CLIENT_MAIL.replace(b"client-1@", f"client-{number}@".encode())
        ticket, first, parsed = _email_ticket(contact=contact, team=team, raw=raw)
        results.append(ticket_acknowledge(ticket=ticket, article=first, parsed=parsed) is not None)

    # then only two are acknowledged
    assert results == [True, True, False]
    assert OutboxMessage.objects.filter(kind=OutboxKind.ACKNOWLEDGEMENT, recipient="petr@romashka.test").count() == 2


def test_no_acknowledgement_when_refused_or_switched_off(contact, team, mailbox):
    # given mail that may not be answered automatically (the parser says why), and a mailbox
    # that does not acknowledge
    ticket, first, parsed = _email_ticket(contact=contact, team=team)
    refused: ParsedEmail = dataclasses.replace(parsed, auto_reply_refused="Auto-Submitted: auto-replied")
    refused_result = ticket_acknowledge(ticket=ticket, article=first, parsed=refused)
    mailbox.auto_reply = False
    mailbox.save(update_fields=["auto_reply"])
    off_result = ticket_acknowledge(ticket=ticket, article=first, parsed=parsed)

    # then nothing is queued
    assert (refused_result, off_result) == (None, None)
    assert OutboxMessage.objects.count() == 0


def test_acknowledging_twice_queues_one_message(contact, team, mailbox):
    # given a new email ticket
    ticket, first, parsed = _email_ticket(contact=contact, team=team)

    # when the hook runs twice (a re-processed message)
    ticket_acknowledge(ticket=ticket, article=first, parsed=parsed)
    ticket_acknowledge(ticket=ticket, article=first, parsed=parsed)

    # then
    assert OutboxMessage.objects.filter(kind=OutboxKind.ACKNOWLEDGEMENT).count() == 1


def test_no_acknowledgement_to_our_own_mailbox(contact, team, mailbox):
    # given mail that claims to come from our own mailbox
    raw = CLIENT_MAIL.replace(b"<petr@romashka.test>\r\nTo:", b"<support@romashka-service.test>\r\nTo:")
    ticket, first, parsed = _email_ticket(contact=contact, team=team, raw=raw)

    # when acknowledged
    result = ticket_acknowledge(ticket=ticket, article=first, parsed=parsed)

    # then nothing goes out: a loop would start there
    assert result is None


# ---------------------------------------------------------------- status notices


def test_resolving_tells_the_client_how_to_reopen(contact, team, agent, mailbox, smtp_sink):
    # given an email ticket
    ticket, _, _ = _email_ticket(contact=contact, team=team)

    # when an agent resolves it
    ticket_set_status(ticket=ticket, actor=agent, status=status("resolved"))
    message = _sent(smtp_sink)

    # then the client is told, in an automatic message in the thread
    row = OutboxMessage.objects.get(kind=OutboxKind.STATUS)
    assert row.recipient == "petr@romashka.test"
    assert message["Subject"] == f"Заявка №{ticket.number} решена: Не работает лифт [#{ticket.number}]"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["In-Reply-To"] == "<client-1@romashka.test>"
    text = _plain(message)
    assert text.startswith(f"Ваша заявка №{ticket.number} «Не работает лифт» решена.")
    assert "просто ответьте на это письмо: заявка откроется снова" in text


def test_waiting_for_the_client_is_announced_in_english_for_an_english_client(company, team, agent, mailbox, smtp_sink):
    # given an English-speaking client's email ticket
    contact = ContactFactory(company=company, full_name="John Smith", email="john@romashka.test", language="en")
    ticket, _, _ = _email_ticket(contact=contact, team=team)

    # when an agent sets "waiting for client"
    with translation.override("ru"):  # the agent's own language does not matter
        ticket_set_status(ticket=ticket, actor=agent, status=status("waiting_client"))
    message = _sent(smtp_sink)

    # then (statuses of the "pending" category are announced unless the company chose others)
    assert message["Subject"] == f"Request #{ticket.number}: Waiting for client [#{ticket.number}]"
    text = _plain(message)
    assert text.startswith(f'Your request #{ticket.number} "Не работает лифт" is now: Waiting for client.\n\n')
    assert "To answer, reply to this email." in text


def test_other_status_changes_and_the_clients_own_send_no_notice(contact, team, agent, mailbox):
    # given an email ticket
    ticket, _, _ = _email_ticket(contact=contact, team=team)

    # when it is taken into work, and the client's reply reopens a resolved ticket
    ticket_set_status(ticket=ticket, actor=agent, status=status("open"))
    OutboxMessage.objects.all().delete()
    ticket_set_status(ticket=ticket, actor=None, status=status("resolved"))
    resolved_notices = OutboxMessage.objects.count()
    article_create(ticket=ticket, author=None, author_contact=contact, body="Снова стоит", channel=Channel.EMAIL)

    # then only the resolution was announced
    assert resolved_notices == 1
    assert list(OutboxMessage.objects.values_list("kind", flat=True)) == [OutboxKind.STATUS]


def test_a_reply_that_resolves_sends_the_reply_then_the_notice(contact, team, agent, mailbox, smtp_sink):
    # given an email ticket
    ticket, _, _ = _email_ticket(contact=contact, team=team)

    # when an agent replies and resolves in one go
    ticket_reply(ticket=ticket, author=agent, body="Лифт запущен.", status=status("resolved"))
    outbox_send_due()

    # then both went out, reply first
    subjects = [r.message["Subject"] for r in smtp_sink.received]
    assert subjects == [
        f"Re: Не работает лифт [#{ticket.number}]",
        f"Заявка №{ticket.number} решена: Не работает лифт [#{ticket.number}]",
    ]


def test_replies_go_out_from_the_mailbox_the_ticket_came_in_through(contact, team, agent, mailbox, smtp_sink):
    # given a ticket whose mail came through a second mailbox (not the team's)
    sales = Mailbox.objects.create(
        name="Продажи",
        address="sales@romashka-service.test",
        brand_name="Ромашка Продажи",
        smtp_host="127.0.0.1",
        smtp_port=smtp_sink.port,
        smtp_security="none",
        ticket_tag="SALES-",
    )
    ticket, first, _ = _email_ticket(contact=contact, team=team)
    InboundMessage.objects.create(
        channel=Channel.EMAIL,
        source=InboundSource.LMTP,
        mailbox=sales,
        dedup_key="client-1@romashka.test",
        raw=CLIENT_MAIL,
        ticket=ticket,
        article=first,
    )

    # when an agent replies
    ticket_reply(ticket=ticket, author=agent, body="Счёт во вложении.")
    message = _sent(smtp_sink)

    # then it comes from that mailbox, with its tag, and our copy is not in Cc
    assert message["From"] == "Ромашка Продажи <sales@romashka-service.test>"
    assert message["Subject"] == f"Re: Не работает лифт [SALES-{ticket.number}]"
    assert message["Cc"] == "Мария <maria@romashka.test>, Олег <oleg@romashka.test>"
    assert smtp_sink.received[-1].mail_from == "sales@romashka-service.test"
