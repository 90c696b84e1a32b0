"""Client notices (docs/architecture/notices.md): received, assigned, status, resolved with its
confirm/reopen page — composed from the editable templates in the contact's language, switched per
company, sent on the channel the request came by (a real SMTP server, the Telegram stand-in) and
shown in the ticket's history."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.test import Client

from channels.models import TelegramBot, TelegramChat
from channels.tests.conftest import deliver, raw_email
from channels.tests.telegram_standin import TelegramStandIn
from notifications.choices import NoticeKind
from notifications.models import NoticeTemplate, OutboxKind, OutboxMessage
from notifications.notices import placeholders_fill, ticket_from_link_token, ticket_link_token
from notifications.outbox import outbox_send_due
from notifications.services import company_notice_settings_update, notice_template_update
from tests.factories import ContactFactory, UserFactory, make_ticket, status
from tickets.choices import ArticleKind, AuthorKind, Channel, EventKind, StatusCategory
from tickets.models import Article, Ticket, TicketEvent
from tickets.services import ticket_assign, ticket_reply, ticket_set_status
from tickets.templatetags.tickets_extras import event_text

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://127\.0\.0\.1:8000/notices/[^/\s]+/")


def _sent(smtp_sink) -> list[EmailMessage]:
    outbox_send_due()
    return [received.message for received in smtp_sink.received]


def _plain(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def _notices(ticket: Ticket) -> list[dict]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind=EventKind.NOTICE_SENT).values_list("data", flat=True))


# ---------------------------------------------------------------- acknowledgement, templates, language


def test_a_web_request_is_acknowledged_by_email_with_its_number_and_shown_in_the_history(
    contact, team, mailbox, smtp_sink
):
    # given a contact with an address
    # when they send a request through the web form (a ticket on the web channel)
    ticket = make_ticket(contact=contact, team=team, channel=Channel.WEB, title="Не работает лифт")
    messages = _sent(smtp_sink)

    # then they get "Заявка №N принята" by email, as an automatic reply
    assert [m["Subject"] for m in messages] == [f"Заявка №{ticket.number} принята: Не работает лифт [#{ticket.number}]"]
    assert messages[0]["To"] == "Пётр Иванов <petr@romashka.test>"
    assert messages[0]["Auto-Submitted"] == "auto-replied"
    assert _plain(messages[0]) == (
        f"Ваша заявка №{ticket.number} «Не работает лифт» принята. Мы ответим как можно скорее.\n\n"
        "Чтобы что-то добавить, ответьте на это письмо, сохранив номер заявки в теме.\n\n"
        "-- \nСлужба поддержки «Ромашка Сервис»\n+7 495 000-00-00\n"
    )
    # and the agents see it in the ticket's history
    row = OutboxMessage.objects.get()
    assert _notices(ticket) == [
        {"notice": "acknowledgement", "channel": "email", "recipient": "petr@romashka.test", "outbox": row.pk}
    ]
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.NOTICE_SENT)
    assert str(event_text(event)) == "notified the client «Request received» (Email, petr@romashka.test)"


def test_editing_a_template_changes_the_words_sent(contact, team, mailbox, smtp_sink):
    # given an administrator's own words for the Russian acknowledgement
    template = NoticeTemplate.objects.get(kind=NoticeKind.ACKNOWLEDGEMENT, language="ru")
    notice_template_update(
        template=template,
        subject="{company}: обращение {number} зарегистрировано",
        body="{contact}, здравствуйте! Обращение «{title}» получено, номер {number}.",
    )

    # when a request comes by phone
    ticket = make_ticket(contact=contact, team=team, channel=Channel.PHONE, title="Протечка")
    message = _sent(smtp_sink)[0]

    # then
    assert message["Subject"] == f"ООО Ромашка: обращение {ticket.number} зарегистрировано [#{ticket.number}]"
    assert _plain(message).startswith(
        f"Пётр Иванов, здравствуйте! Обращение «Протечка» получено, номер {ticket.number}.\n\n"
    )


def test_an_unknown_placeholder_is_refused_naming_the_known_ones(db):
    # given the template
    template = NoticeTemplate.objects.get(kind=NoticeKind.RESOLVED, language="en")
    before = (template.subject, template.body)

    # when saved with a typo
    with pytest.raises(ValidationError) as caught:
        notice_template_update(template=template, subject="Request {numbr} resolved", body="Done: {link}")

    # then the error says which placeholder and which exist; nothing is saved
    assert caught.value.message_dict == {
        "subject": [
            "Unknown placeholder {numbr}. You can use: {number}, {title}, {status}, {engineer}, {company}, "
            "{contact}, {link}."
        ]
    }
    template.refresh_from_db()
    assert (template.subject, template.body) == before


def test_text_in_braces_that_is_no_placeholder_is_sent_as_written():
    # a template saved before a placeholder was retired, or braces in the words, must not break sending
    assert placeholders_fill("{number}: {old} {0.__class__} {}", {"number": "7"}) == "7: {old} {0.__class__} {}"


def test_the_notice_is_in_the_contacts_language(company, team, mailbox, smtp_sink):
    # given an English-speaking contact
    contact = ContactFactory(company=company, full_name="John Smith", email="john@romashka.test", language="en")

    # when they call in a request
    ticket = make_ticket(contact=contact, team=team, channel=Channel.PHONE, title="Лифт")
    message = _sent(smtp_sink)[0]

    # then
    assert message["Subject"] == f"Request #{ticket.number} received: Лифт [#{ticket.number}]"
    assert _plain(message).startswith(
        f'Your request #{ticket.number} "Лифт" has been received. We will answer as soon as possible.\n\n'
        "To add something, reply to this email and keep the request number in the subject.\n"
    )


def test_a_company_that_switched_the_acknowledgement_off_gets_none(company, contact, team, mailbox):
    # given the company does not want acknowledgements
    company_notice_settings_update(
        company=company, acknowledgement=False, assigned=True, resolved=True, busy=True, announced_statuses=[]
    )

    # when a request comes
    ticket = make_ticket(contact=contact, team=team, channel=Channel.PORTAL)

    # then nothing is queued and nothing recorded
    assert OutboxMessage.objects.count() == 0
    assert _notices(ticket) == []


def test_no_notice_without_a_contact_or_to_an_inactive_one(company, contact, team, mailbox):
    # given a request nobody is the contact of, and one of a contact who left
    first = make_ticket(company=company, team=team, channel=Channel.PHONE)
    contact.is_active = False
    contact.save(update_fields=["is_active"])
    second = make_ticket(contact=contact, team=team, channel=Channel.PHONE)

    # then no one is notified
    assert OutboxMessage.objects.count() == 0
    assert (_notices(first), _notices(second)) == ([], [])


def test_an_email_request_is_acknowledged_once(contact, team, mailbox, smtp_sink):
    # given a client's mail delivered through the inbound pipeline (which acknowledges it itself,
    # and also runs ticket_create's "created" hook)
    raw = raw_email(sender="Пётр Иванов <petr@romashka.test>", to="support@romashka-service.test", subject="Лифт")

    # when processed (and once more: a re-delivery)
    deliver(raw, mailbox=mailbox)
    deliver(raw, mailbox=mailbox)
    messages = _sent(smtp_sink)

    # then one acknowledgement, one history entry
    ticket = Ticket.objects.get()
    assert [m["Subject"] for m in messages] == [f"Заявка №{ticket.number} принята: Лифт [#{ticket.number}]"]
    assert [(n["notice"], n["channel"]) for n in _notices(ticket)] == [("acknowledgement", "email")]


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("=?utf-8?B?broken base64!!!?=", "Bad from name only"),
        ("Normal Person", "=?koi8-r?Q?=F0=D2=C9=D7=C5=D4 broken"),
        ("=?utf-8?B?0JjQstCw0L0=?= =?bogus?Q?x?=", "=?utf-8?B?!!?= счёт"),
    ],
)
def test_mail_with_a_broken_encoded_name_or_subject_is_acknowledged_as_written(name, subject, team, mailbox, smtp_sink):
    # given mail whose sender name or subject is an RFC 2047 word that does not decode
    raw = (
        f"From: {name} <broken@garbage.test>\r\nTo: support@romashka-service.test\r\nSubject: {subject}\r\n"
        "Message-ID: <broken-1@garbage.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n"
    ).encode()

    # when it is processed
    row = deliver(raw, mailbox=mailbox)
    messages = _sent(smtp_sink)

    # then a ticket opened, and its acknowledgement went out with the name and subject as the ticket shows them
    ticket = Ticket.objects.get(pk=row.ticket_id)
    assert row.status == "processed"
    assert len(messages) == 1
    shown_name = messages[0]["To"].addresses[0].display_name.replace("\u2060", "")
    assert shown_name == ticket.contact.full_name
    assert "=?" not in ticket.contact.full_name  # a name that did not decode is no name: the address's
    assert messages[0]["Subject"].replace("\u2060", "").endswith(f" {ticket.title} [#{ticket.number}]")


def test_an_email_request_of_a_company_that_switched_it_off_is_not_acknowledged(company, contact, team, mailbox):
    # given the switch off
    company_notice_settings_update(
        company=company, acknowledgement=False, assigned=True, resolved=True, busy=True, announced_statuses=[]
    )

    # when mail comes
    deliver(raw_email(sender="petr@romashka.test", to="support@romashka-service.test", subject="Лифт"), mailbox=mailbox)

    # then
    assert Ticket.objects.count() == 1
    assert OutboxMessage.objects.count() == 0


# ---------------------------------------------------------------- assigned, status


def test_assigning_an_engineer_tells_the_client_the_name(contact, team, agent, mailbox, smtp_sink):
    # given a request
    ticket = make_ticket(contact=contact, team=team, channel=Channel.PORTAL, title="Протечка")
    engineer = UserFactory(full_name="Сергей Монтёров")

    # when the dispatcher assigns it
    ticket_assign(ticket=ticket, actor=agent, assignee=engineer)
    ticket_assign(ticket=ticket, actor=agent, assignee=engineer)  # nothing changes: no second notice
    messages = _sent(smtp_sink)

    # then
    assert [m["Subject"] for m in messages][1:] == [f"Заявка №{ticket.number}: назначен инженер [#{ticket.number}]"]
    assert _plain(messages[1]).startswith(f"Вашей заявкой №{ticket.number} «Протечка» занимается Сергей Монтёров.")
    assert [n["notice"] for n in _notices(ticket)] == ["acknowledgement", "assigned"]


def test_only_the_statuses_the_company_chose_are_announced(company, contact, team, agent, mailbox, smtp_sink):
    # given a company that wants to hear "open" (in work) and nothing else
    company_notice_settings_update(
        company=company,
        acknowledgement=False,
        assigned=False,
        resolved=True,
        busy=True,
        announced_statuses=[status("open")],
    )
    ticket = make_ticket(contact=contact, team=team, channel=Channel.PORTAL)

    # when the ticket is taken into work, then waits for the client
    ticket_set_status(ticket=ticket, actor=agent, status=status("open"))
    ticket_set_status(ticket=ticket, actor=agent, status=status("waiting_client"))
    messages = _sent(smtp_sink)

    # then only "open" was announced
    assert [m["Subject"] for m in messages] == [f"Заявка №{ticket.number}: В работе [#{ticket.number}]"]
    assert _plain(messages[0]).startswith(f"Статус вашей заявки №{ticket.number} «{ticket.title}»: В работе.")


def test_a_reply_that_sets_an_announced_status_is_the_one_mail_the_client_gets(
    contact, team, agent, mailbox, smtp_sink
):
    # given an email request (by default "waiting for the client" is announced)
    deliver(raw_email(message_id="<ask@romashka.test>"), mailbox=mailbox)
    ticket = Ticket.objects.get()
    _sent(smtp_sink)
    smtp_sink.received.clear()

    # when the agent answers with a question and sets "waiting for the client" in the same step
    ticket_reply(
        ticket=ticket, author=agent, body="Пришлите, пожалуйста, фото шильдика.", status=status("waiting_client")
    )
    messages = _sent(smtp_sink)

    # then the client gets the reply only, not a second mail about the status
    ticket.refresh_from_db()
    assert ticket.status.code == "waiting_client"
    assert len(messages) == 1
    assert "фото шильдика" in _plain(messages[0])
    assert "Статус вашей заявки" not in _plain(messages[0])

    # and a status change on its own is still announced
    smtp_sink.received.clear()
    ticket_set_status(ticket=ticket, actor=agent, status=status("open"))
    ticket_set_status(ticket=ticket, actor=agent, status=status("waiting_client"))
    assert [_plain(m).startswith("Статус вашей заявки") for m in _sent(smtp_sink)] == [True]


def test_a_status_the_client_set_is_not_announced_back(company, contact, team, mailbox):
    # given a portal user of the contact, and a request of theirs
    client_user = UserFactory(role="client", contact=contact)
    ticket = make_ticket(contact=contact, team=team, channel=Channel.PORTAL)
    OutboxMessage.objects.all().delete()

    # when they move it to a status the company hears of ("waiting for client" by default)
    ticket_set_status(ticket=ticket, actor=client_user, status=status("waiting_client"))

    # then nothing is sent back to them
    assert OutboxMessage.objects.count() == 0


# ---------------------------------------------------------------- resolved: confirm or reopen


def _resolve(ticket, agent):
    ticket_set_status(ticket=ticket, actor=agent, status=status("resolved"))


def test_the_resolved_notice_carries_the_link_and_the_reply_to_reopen_hint(contact, team, agent, mailbox, smtp_sink):
    # given a request
    ticket = make_ticket(contact=contact, team=team, channel=Channel.PHONE, title="Лифт")

    # when resolved
    _resolve(ticket, agent)
    message = _sent(smtp_sink)[-1]

    # then the text has the request page's link (signed: it names this ticket and its contact)
    text = _plain(message)
    link = LINK.search(text)[0]
    assert ticket_from_link_token(link.removeprefix("http://127.0.0.1:8000/notices/").strip("/")) == ticket
    assert message["Subject"] == f"Заявка №{ticket.number} решена: Лифт [#{ticket.number}]"
    assert message["Auto-Submitted"] == "auto-generated"
    assert text.startswith(
        f"Ваша заявка №{ticket.number} «Лифт» решена.\n\n"
        "Подтвердите, пожалуйста, что всё в порядке, или откройте заявку снова, если проблема осталась: "
        f"{link}\n\n"
        "Если проблема осталась или что-то ещё не сделано, просто ответьте на это письмо: "
        "заявка откроется снова.\n"
    )
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'<a href="{link}"' in html


def test_the_client_confirms_from_the_link_and_the_request_closes(contact, team, agent, mailbox):
    # given a resolved request and the link from its notice
    ticket = make_ticket(contact=contact, team=team, channel=Channel.PHONE, title="Лифт")
    _resolve(ticket, agent)
    path = "/notices/" + ticket_link_token(ticket) + "/"
    browser = Client()

    # when the client opens it (no sign-in) and confirms
    page = browser.get(path)
    response = browser.post(path, {"action": "confirm"})

    # then
    assert page.status_code == 200
    assert "Да, закрыть заявку" in page.content.decode()
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.CLOSED
    assert "Спасибо! Заявка закрыта." in browser.get(path).content.decode()


def test_the_client_reopens_from_the_link_with_a_comment(contact, team, agent, mailbox):
    # given a resolved request
    ticket = make_ticket(contact=contact, team=team, channel=Channel.PHONE, title="Лифт")
    _resolve(ticket, agent)
    path = "/notices/" + ticket_link_token(ticket) + "/"
    browser = Client()

    # when the client tries without a word, then says what is wrong
    empty = browser.post(path, {"action": "reopen", "comment": "  "})
    ticket.refresh_from_db()
    still_resolved = ticket.status_category
    response = browser.post(path, {"action": "reopen", "comment": "Лифт снова стоит"})

    # then the empty one is refused and changes nothing; the comment is the client's message and
    # the request is open again
    assert (empty.status_code, still_resolved) == (400, StatusCategory.RESOLVED)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.OPEN
    article = Article.objects.filter(ticket=ticket).order_by("-id").first()
    assert (article.body, article.author_kind, article.author_contact, article.kind) == (
        "Лифт снова стоит",
        AuthorKind.CONTACT,
        contact,
        ArticleKind.PUBLIC,
    )


def test_a_forged_or_foreign_link_finds_nothing(contact, team, agent, mailbox, company):
    # given a request, and a link whose contact is no longer the request's
    ticket = make_ticket(contact=contact, team=team, channel=Channel.PHONE)
    _resolve(ticket, agent)
    stale = ticket_link_token(ticket)
    other = ContactFactory(company=company)
    Ticket.objects.filter(pk=ticket.pk).update(contact=other)
    forged = signing.dumps([ticket.pk, other.pk], salt="another.salt", compress=True)

    # then both are 404 and change nothing
    browser = Client()
    assert browser.post(f"/notices/{stale}/", {"action": "confirm"}).status_code == 404
    assert browser.get(f"/notices/{forged}/").status_code == 404
    assert browser.get("/notices/garbage/").status_code == 404
    ticket.refresh_from_db()
    assert ticket.status_category == StatusCategory.RESOLVED


def test_a_reply_by_email_to_the_resolved_notice_reopens_the_request(contact, team, agent, mailbox, smtp_sink):
    # given an email request, resolved, with its notice sent
    deliver(
        raw_email(sender="petr@romashka.test", to="support@romashka-service.test", subject="Лифт", message_id="<m1@x>"),
        mailbox=mailbox,
    )
    ticket = Ticket.objects.get()
    _resolve(ticket, agent)
    notice = _sent(smtp_sink)[-1]

    # when the client answers the notice
    deliver(
        raw_email(
            sender="petr@romashka.test",
            to="support@romashka-service.test",
            subject="Re: " + notice["Subject"],
            text="Нет, не работает",
            in_reply_to=notice["Message-ID"],
            message_id="<m2@x>",
        ),
        mailbox=mailbox,
    )

    # then it is the same request, open again
    ticket.refresh_from_db()
    assert Ticket.objects.count() == 1
    assert ticket.status_category == StatusCategory.OPEN
    assert ticket.articles.order_by("-id").first().body == "Нет, не работает"


# ---------------------------------------------------------------- Telegram


@pytest.fixture
def standin(settings):
    server = TelegramStandIn()
    settings.TELEGRAM_API_URL = server.url
    yield server
    server.close()


@pytest.mark.usefixtures("no_chat_pacing")
def test_a_telegram_request_hears_on_telegram(contact, team, agent, mailbox, smtp_sink, standin):
    # given a client linked to a chat with the bot
    bot = TelegramBot.objects.create(name="Otklik bot", token="123:ABC", team=team)
    TelegramChat.objects.create(bot=bot, chat_id=5550001, contact=contact, state="linked")

    # when their request is registered, assigned and resolved
    ticket = make_ticket(contact=contact, team=team, channel=Channel.TELEGRAM, title="Течёт крыша")
    ticket_assign(ticket=ticket, actor=agent, assignee=agent)
    _resolve(ticket, agent)
    outbox_send_due()

    # then each notice went to the chat, none by email
    texts = [call.params["text"] for call in standin.calls("sendMessage")]
    assert texts == [
        f"Ваша заявка №{ticket.number} «Течёт крыша» принята. Мы ответим как можно скорее.",
        f"Вашей заявкой №{ticket.number} «Течёт крыша» занимается Анна Диспетчер.",
        f"Ваша заявка №{ticket.number} «Течёт крыша» решена.\n\n"
        "Подтвердите, пожалуйста, что всё в порядке, или откройте заявку снова, если проблема осталась: "
        f"{LINK.search(texts[2])[0]}",
    ]
    assert ticket_from_link_token(LINK.search(texts[2])[0].split("/")[-2]) == ticket
    assert smtp_sink.received == []
    assert [(n["notice"], n["channel"]) for n in _notices(ticket)] == [
        ("acknowledgement", "telegram"),
        ("assigned", "telegram"),
        ("resolved", "telegram"),
    ]
    assert OutboxMessage.objects.filter(kind=OutboxKind.NOTICE).count() == 2


def test_a_telegram_request_whose_chat_is_gone_hears_by_email(contact, team, mailbox, smtp_sink):
    # given no chat (the bot was removed): the contact still has an address
    ticket = make_ticket(contact=contact, team=team, channel=Channel.TELEGRAM, title="Течёт крыша")

    # then the acknowledgement went by email
    assert [m["Subject"] for m in _sent(smtp_sink)] == [
        f"Заявка №{ticket.number} принята: Течёт крыша [#{ticket.number}]"
    ]


def test_a_ticket_assigned_while_it_is_registered_gets_only_the_acknowledgement(contact, team, agent, mailbox):
    # given a rule (a "created" hook, as the automation registers them) assigning new tickets
    from tickets.hooks import hook_register, hook_unregister

    def assign(*, ticket, **_):
        from tickets.reference import ticket_refresh

        ticket_assign(ticket=ticket, actor=None, assignee=agent)
        ticket_refresh(ticket)  # as a hook that changes the ticket must (tickets/hooks.py)

    hook_register("created", assign, order=100)
    try:
        # when a request comes
        ticket = make_ticket(contact=contact, team=team, channel=Channel.PORTAL)
    finally:
        hook_unregister("created", assign)

    # then it is assigned, and the client heard "received" only; later changes are announced again
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent
    assert [n["notice"] for n in _notices(ticket)] == ["acknowledgement"]
    ticket_assign(ticket=ticket, actor=agent, assignee=UserFactory(full_name="Сергей Монтёров"))
    assert [n["notice"] for n in _notices(ticket)] == ["acknowledgement", "assigned"]


def broken_sender(*, ticket, notice):
    raise RuntimeError("the channel's settings are broken")


def test_a_notice_that_fails_does_not_undo_the_request(contact, team, mailbox, monkeypatch, caplog):
    # given a channel whose sender fails
    from notifications import notices

    monkeypatch.setitem(notices.NOTICE_SENDERS, "telegram", "notifications.tests.test_notices.broken_sender")

    # when a request comes by it
    ticket = make_ticket(contact=contact, team=team, channel=Channel.TELEGRAM, title="Течёт крыша")

    # then the request is registered, no notice recorded, and the error is in the log
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert (_notices(ticket), OutboxMessage.objects.count()) == ([], 0)
    assert f"client notice acknowledgement for ticket {ticket.pk} was not sent" in caplog.text
    assert "the channel's settings are broken" in caplog.text
