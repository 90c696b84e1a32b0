from dataclasses import replace

import pytest
from django.db import transaction

from channels.email.inbound import email_process_parsed, title_from_subject
from channels.email.parsing import Bounce, parse_email
from channels.models import EmailMessageRef
from channels.tests.conftest import deliver, raw_email
from customers.models import Contact, ContactEmail
from intake.choices import InboundStatus
from tests.factories import status
from tickets.choices import ArticleKind, AuthorKind, Channel
from tickets.models import Article, Ticket, TicketLink
from tickets.services import ticket_set_status

pytestmark = pytest.mark.django_db


def test_a_new_message_opens_a_ticket_from_its_known_sender(mailbox, contact, team):
    # given a known client writing to the support mailbox
    raw = raw_email(message_id="<first@romashka.test>", subject="Не работает лифт", text="Лифт стоит с утра.")

    # when the message is processed
    row = deliver(raw, mailbox=mailbox)

    # then one email ticket from the contact opens in the mailbox's team, its clock at arrival
    ticket = Ticket.objects.get()
    article = Article.objects.get()
    assert row.status == InboundStatus.PROCESSED
    assert (row.ticket_id, row.article_id) == (ticket.pk, article.pk)
    assert (ticket.title, ticket.channel, ticket.contact, ticket.company, ticket.team) == (
        "Не работает лифт",
        Channel.EMAIL,
        contact,
        contact.company,
        team,
    )
    assert ticket.received_at == row.received_at
    assert (article.body, article.author_kind, article.author_contact, article.channel) == (
        "Лифт стоит с утра.",
        AuthorKind.CONTACT,
        contact,
        Channel.EMAIL,
    )
    assert article.email_meta["from"] == {"name": "Пётр Иванов", "address": "petr@romashka.test"}
    assert article.email_meta["message_id"] == "first@romashka.test"
    assert article.email_meta["mailbox"] == "support@otklik.test"
    assert article.from_stranger is False
    assert list(
        EmailMessageRef.objects.filter(direction="in").values_list("message_id", "direction", "ticket", "article")
    ) == [("first@romashka.test", "in", ticket.pk, article.pk)]
    # and the acknowledgement queued to the sender is indexed for threading too
    assert EmailMessageRef.objects.filter(direction="out", ticket=ticket).count() == 1


# Measured (SQLite / PostgreSQL), storing (5, savepoints included) and processing together: a new
# ticket 40 / 39 with its acknowledgement queued (29 / 28 without one), a reply 26 / 25; most are
# the ticket services' (number, SLA, event, search document) and the outbox's. The acknowledgement
# costs 3 more since it is a client notice (the company's switches, the edited template, the
# "notice sent" event in the history): 43 on SQLite.
NEW_TICKET_MAX_QUERIES = 44
REPLY_MAX_QUERIES = 28


def test_queries_per_new_ticket_and_per_reply_stay_few_and_constant(mailbox, contact, django_assert_max_num_queries):
    # given a known sender (warm-up message: first-use caches are not what we measure)
    deliver(raw_email(message_id="<warm@romashka.test>"), mailbox=mailbox)

    # when a new request, a reply to it, and after five more replies another one are processed
    with django_assert_max_num_queries(NEW_TICKET_MAX_QUERIES):
        deliver(raw_email(message_id="<new@romashka.test>", subject="Новая заявка"), mailbox=mailbox)
    with django_assert_max_num_queries(REPLY_MAX_QUERIES) as first_reply:
        deliver(raw_email(in_reply_to="<new@romashka.test>"), mailbox=mailbox)
    for _n in range(5):
        deliver(raw_email(in_reply_to="<new@romashka.test>"), mailbox=mailbox)
    with django_assert_max_num_queries(REPLY_MAX_QUERIES) as later_reply:
        deliver(raw_email(in_reply_to="<new@romashka.test>"), mailbox=mailbox)

    # then both stay under the budget, and a longer thread costs no more
    assert len(later_reply.captured_queries) == len(first_reply.captured_queries)
    assert Ticket.objects.count() == 2


def test_an_unknown_sender_becomes_a_contact_of_the_company_owning_the_domain(mailbox, company):
    # given nobody with this address, and a company that owns the domain
    raw = raw_email(sender="Ivan Petrov <Ivan.Petrov@Romashka-Group.ru>", subject="Lift", text="The lift is stuck.")

    # when the message is processed
    deliver(raw, mailbox=mailbox)

    # then the sender is a new English-speaking contact of that company, and the ticket theirs
    contact = Contact.objects.get(emails__email="ivan.petrov@romashka-group.ru")
    assert (contact.full_name, contact.company, contact.language) == ("Ivan Petrov", company, "en")
    assert (Ticket.objects.get().contact, Ticket.objects.get().company) == (contact, company)


def test_a_sender_at_a_public_mail_service_matches_no_company(mailbox):
    # given a company that (wrongly) lists mail.ru among its domains
    from tests.factories import CompanyFactory

    CompanyFactory(name="ООО Всё подряд", email_domains="mail.ru")

    # when someone writes from a mail.ru address without a display name
    deliver(raw_email(sender="vasya@mail.ru", text="Здравствуйте, сломался кран."), mailbox=mailbox)

    # then they become a Russian-speaking contact of no company, named after the address
    contact = Contact.objects.get(emails__email="vasya@mail.ru")
    assert (contact.full_name, contact.company, contact.language) == ("vasya", None, "ru")


def test_people_in_to_and_cc_become_contacts_up_to_twenty_and_our_mailboxes_never(mailbox, contact):
    # given a message to our mailbox (plus-addressed) and 25 unknown people, one of them twice
    cc = ", ".join(f"Person {n} <person{n}@partner.test>" for n in range(25))
    raw = raw_email(to="Support <Support+lifts@otklik.test>, person0@partner.test", cc=cc)

    # when it is processed
    deliver(raw, mailbox=mailbox)

    # then the first 20 unknown people became contacts, neither our mailbox nor the sender twice
    created = set(ContactEmail.objects.exclude(contact=contact).values_list("email", flat=True))
    assert created == {f"person{n}@partner.test" for n in range(20)}
    article = Article.objects.get()
    assert [p["address"] for p in article.email_meta["cc"]][:2] == ["person0@partner.test", "person1@partner.test"]


def test_a_reply_threads_by_in_reply_to_and_reopens_a_resolved_ticket(mailbox, contact):
    # given a ticket from a first message, resolved since
    from tests.factories import status
    from tickets.services import ticket_set_status

    deliver(raw_email(message_id="<first@romashka.test>"), mailbox=mailbox)
    ticket = Ticket.objects.get()
    ticket_set_status(ticket=ticket, actor=None, status=status("resolved"))

    # when the client answers it
    row = deliver(
        raw_email(message_id="<second@romashka.test>", in_reply_to="<first@romashka.test>", text="Снова стоит."),
        mailbox=mailbox,
    )

    # then the answer is a public article from the client on that ticket, which is open again
    ticket.refresh_from_db()
    article = Article.objects.get(pk=row.article_id)
    assert (row.ticket_id, Ticket.objects.count()) == (ticket.pk, 1)
    assert (article.kind, article.author_contact, article.body, article.from_stranger) == (
        ArticleKind.PUBLIC,
        contact,
        "Снова стоит.",
        False,
    )
    assert article.received_at == row.received_at
    assert ticket.status_category == "open"


def test_a_reply_threads_by_references_when_in_reply_to_is_unknown(mailbox, contact):
    # given a ticket from a first message
    deliver(raw_email(message_id="<root@romashka.test>"), mailbox=mailbox)

    # when a reply names an unknown parent but the thread's root in References
    row = deliver(
        raw_email(in_reply_to="<unknown@elsewhere.test>", references="<root@romashka.test> <unknown@elsewhere.test>"),
        mailbox=mailbox,
    )

    # then it joins that ticket
    assert (row.ticket_id, Ticket.objects.count()) == (Ticket.objects.get().pk, 1)


def test_a_reply_threads_by_the_ticket_number_in_the_subject_with_the_mailbox_tag(mailbox, contact):
    # given a mailbox tagging subjects "[SUP-<number>]" and a ticket of it
    mailbox.ticket_tag = "SUP-"
    mailbox.save()
    deliver(raw_email(), mailbox=mailbox)
    ticket = Ticket.objects.get()

    # when a message without any known Message-ID carries the number in its subject
    row = deliver(raw_email(subject=f"Re: [SUP-{ticket.number}] Не работает лифт"), mailbox=mailbox)
    other = deliver(raw_email(subject=f"Re: [#{ticket.number}] Не работает лифт"), mailbox=mailbox)

    # then it joins the ticket; the default tag means nothing for this mailbox
    assert row.ticket_id == ticket.pk
    assert other.ticket_id != ticket.pk


def test_a_reply_from_a_stranger_is_attached_and_flagged(mailbox, contact):
    # given a ticket of a client
    deliver(raw_email(message_id="<first@romashka.test>"), mailbox=mailbox)

    # when someone from elsewhere answers the thread
    row = deliver(
        raw_email(sender="Чужой <someone@elsewhere.test>", in_reply_to="<first@romashka.test>"), mailbox=mailbox
    )

    # then the article is on the ticket, flagged as from a stranger, for the agents only (anyone
    # can write "[#N]" in a subject: the client must not see it in their conversation)
    article = Article.objects.get(pk=row.article_id)
    assert (row.ticket_id, article.from_stranger, article.author_contact.full_name, article.kind) == (
        Ticket.objects.get().pk,
        True,
        "Чужой",
        ArticleKind.NOTE,
    )


def test_a_strangers_mail_does_not_reopen_a_resolved_ticket(mailbox, contact):
    # given a client's ticket that was resolved
    first = deliver(raw_email(message_id="<first@romashka.test>"), mailbox=mailbox)
    ticket = Ticket.objects.get(pk=first.ticket_id)
    ticket_set_status(ticket=ticket, actor=None, status=status("resolved"))

    # when a stranger writes into the thread by its subject tag
    deliver(raw_email(sender="Чужой <someone@elsewhere.test>", subject=f"Re: [#{ticket.number}] счёт"), mailbox=mailbox)

    # then the ticket stays resolved
    ticket.refresh_from_db()
    assert ticket.status.code == "resolved"


def test_colleagues_and_people_in_the_thread_are_not_strangers(mailbox, contact):
    # given a ticket whose first message was copied to a partner
    deliver(raw_email(message_id="<first@romashka.test>", cc="partner@partner.test"), mailbox=mailbox)

    # when a colleague of the client and the partner answer the thread
    colleague = deliver(raw_email(sender="maria@romashka.test", in_reply_to="<first@romashka.test>"), mailbox=mailbox)
    partner = deliver(raw_email(sender="partner@partner.test", in_reply_to="<first@romashka.test>"), mailbox=mailbox)

    # then neither is flagged
    assert [Article.objects.get(pk=r.article_id).from_stranger for r in (colleague, partner)] == [False, False]


def test_a_message_from_staff_to_a_thread_is_an_internal_note_by_them(mailbox, contact, agent):
    # given a ticket of a client
    deliver(raw_email(message_id="<first@romashka.test>"), mailbox=mailbox)

    # when an agent writes to the thread from their mail client
    row = deliver(
        raw_email(sender="Anna <AGENT@otklik.test>", in_reply_to="<first@romashka.test>", text="Выехали."),
        mailbox=mailbox,
    )

    # then it is their note, and no contact was made for them
    article = Article.objects.get(pk=row.article_id)
    assert (article.kind, article.author_user, article.from_stranger) == (ArticleKind.NOTE, agent, False)
    assert not ContactEmail.objects.filter(email="agent@otklik.test").exists()


def test_a_known_message_id_creates_nothing(mailbox, contact):
    # given a message already turned into a ticket
    first = deliver(raw_email(message_id="<same@romashka.test>"), mailbox=mailbox)

    # when the same Message-ID arrives in another message (a copy with other bytes)
    again = deliver(raw_email(message_id="<same@romashka.test>", text="другие байты"), mailbox=mailbox)

    # then the existing ticket and article are returned and nothing else is written
    assert (again.ticket_id, again.article_id) == (first.ticket_id, first.article_id)
    assert (Ticket.objects.count(), Article.objects.count()) == (1, 1)


def test_a_message_without_message_id_stored_twice_creates_one_article(mailbox, contact):
    # given a message without a Message-ID
    raw = raw_email(message_id=None)

    # when it arrives twice
    first = deliver(raw, mailbox=mailbox)
    second = deliver(raw, mailbox=mailbox)

    # then it was stored and processed once
    assert first.pk == second.pk
    assert first.dedup_key.startswith("sha256:")
    assert (Ticket.objects.count(), Article.objects.count()) == (1, 1)


def test_attachments_and_inline_images_are_stored_with_the_html(mailbox, contact):
    # given an HTML message with an inline image and an attached file
    raw = raw_email(
        html='<p>Фото <img src="cid:photo1@client"> и <img src="https://tracker.test/x.png"></p>',
        inline_images=(("photo1@client", "image/png", b"\x89PNG inline"),),
        attachments=(("акт.pdf", "application/pdf", b"%PDF-1.4 act"),),
    )

    # when it is processed
    deliver(raw, mailbox=mailbox)

    # then both files are kept, the image marked inline under its Content-ID
    article = Article.objects.get()
    files = {(a.filename, a.content_id, a.is_inline) for a in article.attachments.all()}
    assert files == {("photo1@client.png", "photo1@client", True), ("акт.pdf", "", False)}
    assert 'src="cid:photo1@client"' in article.body_html


def test_the_acknowledgement_hooks_run_for_a_new_ticket_only_when_a_reply_is_allowed(mailbox, contact):
    # given a hook recording what it is called with
    from channels.email import hooks

    calls = []

    def hook(*, ticket, article, parsed):
        calls.append((ticket.pk, article.pk, parsed.message_id))

    hooks.acknowledgement_hook_register(hook)
    try:
        # when a new request, a reply to it, and a new request to a mailbox without auto-replies arrive
        new = deliver(raw_email(message_id="<ack@romashka.test>"), mailbox=mailbox)
        deliver(raw_email(in_reply_to="<ack@romashka.test>"), mailbox=mailbox)
        mailbox.auto_reply = False
        mailbox.save()
        deliver(raw_email(message_id="<quiet@romashka.test>"), mailbox=mailbox)
    finally:
        hooks.acknowledgement_hooks.remove(hook)

    # then only the first new ticket was acknowledged
    assert calls == [(new.ticket_id, new.article_id, "ack@romashka.test")]


def test_an_auto_reply_refused_by_the_parser_is_not_acknowledged(mailbox, contact):
    # given a hook, and a parsed message the parser says must not be answered
    from channels.email import hooks
    from intake.services import inbound_store

    calls = []
    hooks.acknowledgement_hook_register(calls.append)
    raw = raw_email(message_id="<bulk@romashka.test>")
    row, _ = inbound_store(channel="email", source="lmtp", raw=raw, dedup_key="bulk@romashka.test", mailbox=mailbox)
    parsed = replace(parse_email(raw), auto_reply_refused="Precedence: bulk")
    try:
        # when it is processed
        with transaction.atomic():
            ticket, _article = email_process_parsed(inbound=row, parsed=parsed)
    finally:
        hooks.acknowledgement_hooks.remove(calls.append)

    # then a ticket opened and nobody was acknowledged
    assert ticket is not None
    assert calls == []


def test_a_bounce_is_noted_on_the_ticket_and_marks_the_outgoing_message(mailbox, contact):
    # given a ticket of an English-speaking mailbox, our reply sent to the client, its outbox row
    from intake.services import inbound_store
    from notifications.models import OutboxMessage

    mailbox.language = "en"
    mailbox.save()

    deliver(raw_email(message_id="<first@romashka.test>"), mailbox=mailbox)
    ticket = Ticket.objects.get()
    reply = Article.objects.create(ticket=ticket, author_kind=AuthorKind.AGENT, body="Выезжаем", channel="email")
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
    raw = raw_email(sender="MAILER-DAEMON@mx.romashka.test", subject="Undelivered Mail Returned to Sender")
    row, _ = inbound_store(channel="email", source="lmtp", raw=raw, dedup_key="dsn-1", mailbox=mailbox)
    parsed = replace(
        parse_email(raw),
        bounce=Bounce(
            original_message_id="out-1@otklik.test",
            recipient="petr@romashka.test",
            status="5.1.1",
            diagnostic="550 5.1.1 <petr@romashka.test>: Recipient address rejected",
        ),
    )

    # when the delivery status notification is processed
    with transaction.atomic():
        bounced_ticket, note = email_process_parsed(inbound=row, parsed=parsed)

    # then an internal system note says so on the ticket, and the outbox row is bounced
    outbox.refresh_from_db()
    assert bounced_ticket == ticket
    assert (note.kind, note.author_kind, note.body) == (
        ArticleKind.NOTE,
        AuthorKind.SYSTEM,
        "Delivery failed to petr@romashka.test (5.1.1): 550 5.1.1 <petr@romashka.test>: Recipient address rejected",
    )
    assert (outbox.status, outbox.last_error) == (
        "bounced",
        "550 5.1.1 <petr@romashka.test>: Recipient address rejected",
    )
    assert Ticket.objects.count() == 1
    # and the history says the reply did not arrive, naming the address that bounced
    from tickets.choices import EventKind
    from tickets.models import TicketEvent

    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.DELIVERY_FAILED)
    assert (event.data["article_id"], event.data["recipient"]) == (reply.pk, "petr@romashka.test")


def test_a_clients_mail_to_a_closed_ticket_opens_a_follow_up_linked_to_it(mailbox, contact):
    # given a client's ticket, closed since
    first = deliver(raw_email(message_id="<first@romashka.test>", subject="Полосы на отпечатках"), mailbox=mailbox)
    closed = Ticket.objects.get(pk=first.ticket_id)
    ticket_set_status(ticket=closed, actor=None, status=status("closed"))

    # when the client answers our last mail about it
    row = deliver(
        raw_email(
            message_id="<again@romashka.test>",
            in_reply_to="<first@romashka.test>",
            subject=f"Re: RE: [#{closed.number}] Полосы на отпечатках",
            text="Полосы снова появились.",
        ),
        mailbox=mailbox,
    )

    # then a new ticket holds the message, linked to the closed one, which stays closed
    follow_up = Ticket.objects.get(pk=row.ticket_id)
    closed.refresh_from_db()
    assert follow_up.pk != closed.pk
    assert (follow_up.title, follow_up.status_category, follow_up.contact) == ("Полосы на отпечатках", "new", contact)
    assert Article.objects.get(pk=row.article_id).body == "Полосы снова появились."
    assert closed.status.code == "closed"
    assert closed.articles.count() == 1
    assert TicketLink.objects.filter(source=follow_up, target=closed).exists()

    # and the client's next mail in the thread joins the follow-up, not the closed ticket
    later = deliver(raw_email(in_reply_to="<again@romashka.test>", text="Фото прилагаю."), mailbox=mailbox)
    assert later.ticket_id == follow_up.pk
    # as does another answer to the closed ticket's old mail while the follow-up is open
    again = deliver(raw_email(in_reply_to="<first@romashka.test>", text="И ещё одно."), mailbox=mailbox)
    assert (again.ticket_id, Ticket.objects.count()) == (follow_up.pk, 2)


def test_a_strangers_mail_to_a_closed_ticket_opens_nothing(mailbox, contact):
    # given a closed ticket
    first = deliver(raw_email(message_id="<first@romashka.test>"), mailbox=mailbox)
    ticket = Ticket.objects.get(pk=first.ticket_id)
    ticket_set_status(ticket=ticket, actor=None, status=status("closed"))

    # when a stranger writes with its number in the subject
    row = deliver(
        raw_email(sender="Чужой <someone@elsewhere.test>", subject=f"[#{ticket.number}] счёт"), mailbox=mailbox
    )

    # then it is a flagged note on the closed ticket, and no ticket was opened
    assert (row.ticket_id, Ticket.objects.count()) == (ticket.pk, 1)
    assert Article.objects.get(pk=row.article_id).from_stranger


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"Precedence": "auto_reply"},
    ],
)
def test_an_out_of_office_answer_is_kept_marked_and_does_not_reopen_the_ticket(mailbox, contact, headers):
    # given a ticket waiting for the client
    first = deliver(raw_email(message_id="<first@romashka.test>"), mailbox=mailbox)
    ticket = Ticket.objects.get(pk=first.ticket_id)
    ticket_set_status(ticket=ticket, actor=None, status=status("waiting_client"))

    # when the client's mail program answers by itself
    row = deliver(
        raw_email(
            in_reply_to="<first@romashka.test>",
            subject="Автоответ: Не работает лифт",
            text="Я в отпуске до 15 декабря.",
            headers=headers,
        ),
        mailbox=mailbox,
    )

    # then the answer is in the conversation, marked automatic, and the ticket still waits
    ticket.refresh_from_db()
    article = Article.objects.get(pk=row.article_id)
    assert (row.ticket_id, article.kind, article.body) == (ticket.pk, ArticleKind.PUBLIC, "Я в отпуске до 15 декабря.")
    assert article.email_meta["automatic"] is True
    assert ticket.status.code == "waiting_client"

    # while the client's own answer reopens it
    deliver(raw_email(in_reply_to="<first@romashka.test>", text="Вернулся, лифт всё ещё стоит."), mailbox=mailbox)
    ticket.refresh_from_db()
    assert ticket.status_category == "open"


@pytest.mark.parametrize(
    ("subject", "title"),
    [
        ("Re: Не работает лифт", "Не работает лифт"),
        ("RE: Fwd: FW: Протечка", "Протечка"),
        ("Ответ: Отв: Пересл: Счёт", "Счёт"),
        ("Re[2]: AW: WG: TR: SV: Test", "Test"),
        ("Re: [#305] Полосы", "Полосы"),
        ("[#305]", ""),
        ("Recovery plan", "Recovery plan"),
        ("Отвёртка сломалась", "Отвёртка сломалась"),
        ("  Много   пробелов ", "Много пробелов"),
    ],
)
def test_a_new_tickets_title_loses_reply_prefixes_and_our_tag(subject, title):
    assert title_from_subject(subject, tag="#") == title


def test_a_mail_with_a_reply_subject_opens_a_ticket_titled_without_the_prefix(mailbox, contact):
    row = deliver(raw_email(subject="RE: Нет интернета"), mailbox=mailbox)
    assert Ticket.objects.get(pk=row.ticket_id).title == "Нет интернета"
