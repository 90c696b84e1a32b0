"""article_create: replies, notes, reopening, first response, attachments."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_ticket, status, upload
from tickets.choices import ArticleKind, AuthorKind, Channel, EventKind
from tickets.models import Article, Attachment, Ticket
from tickets.services import article_create, ticket_set_status


def test_an_agent_reply_is_public_and_recorded(agent, contact):
    # given
    ticket = make_ticket(contact=contact)
    # when
    article = article_create(ticket=ticket, author=agent, body="  Выезжаем  ")
    # then
    event = ticket.events.get(kind=EventKind.ARTICLE_ADDED)
    assert article.kind == ArticleKind.PUBLIC
    assert article.author_kind == AuthorKind.AGENT
    assert article.channel == Channel.AGENT
    assert article.body == "Выезжаем"
    assert event.actor == agent
    assert event.data == {"article_id": article.pk, "kind": "public", "attachments": 0, "from_client": False}


def test_a_client_cannot_write_an_internal_note(client_user, contact):
    # given
    ticket = make_ticket(contact=contact)
    # when
    with pytest.raises(ValidationError) as exc:
        article_create(ticket=ticket, author=client_user, body="секрет", kind=ArticleKind.NOTE)
    # then
    assert list(exc.value.message_dict) == ["kind"]
    assert ticket.articles.count() == 1


def test_a_channel_may_file_a_contacts_message_as_a_note_that_reopens_nothing(contact):
    # given a resolved ticket (a client signed in still cannot write notes: the test above)
    ticket = make_ticket(contact=contact, status=status("resolved"))
    # when a channel keeps a contact's message for the agents only (a stranger's mail to a thread)
    article = article_create(ticket=ticket, author=None, author_contact=contact, body="секрет", kind=ArticleKind.NOTE)
    # then it is a note from the contact, and the ticket stays resolved
    ticket.refresh_from_db()
    assert (article.kind, article.author_contact, ticket.status.code) == (ArticleKind.NOTE, contact, "resolved")


def test_a_client_reply_is_from_the_contact(client_user, contact):
    # given
    ticket = make_ticket(contact=contact)
    # when
    article = article_create(ticket=ticket, author=client_user, body="Спасибо")
    # then
    assert article.author_kind == AuthorKind.CONTACT
    assert article.author_contact == contact
    assert article.channel == Channel.PORTAL
    assert ticket.events.get(kind=EventKind.ARTICLE_ADDED).actor_contact == contact


@pytest.mark.parametrize("code", ["waiting_client", "resolved"])
def test_a_client_reply_reopens_a_pending_or_resolved_ticket(agent, client_user, contact, code):
    # given
    ticket = make_ticket(contact=contact)
    ticket_set_status(ticket=ticket, actor=agent, status=status(code))
    # when
    article_create(ticket=ticket, author=client_user, body="Всё ещё не работает")
    # then
    ticket.refresh_from_db()
    assert ticket.status == status("open")
    assert ticket.resolved_at is None


def test_a_reply_by_email_reopens_a_resolved_ticket(agent, contact):
    # given
    ticket = make_ticket(contact=contact)
    ticket_set_status(ticket=ticket, actor=agent, status=status("resolved"))
    # when
    article_create(ticket=ticket, author=None, author_contact=contact, body="Снова течёт", channel=Channel.EMAIL)
    # then
    ticket.refresh_from_db()
    assert ticket.status == status("open")


def test_a_client_reply_leaves_a_new_ticket_new(client_user, contact):
    # given
    ticket = make_ticket(contact=contact)
    # when
    article_create(ticket=ticket, author=client_user, body="Дополнение")
    # then
    ticket.refresh_from_db()
    assert ticket.status == status("new")


def test_an_agent_reply_does_not_reopen_a_resolved_ticket(agent, contact):
    # given
    ticket = make_ticket(contact=contact)
    ticket_set_status(ticket=ticket, actor=agent, status=status("resolved"))
    # when
    article_create(ticket=ticket, author=agent, body="Рады помочь")
    # then
    ticket.refresh_from_db()
    assert ticket.status == status("resolved")


def test_the_first_public_agent_reply_stamps_first_response(agent, other_agent, client_user, contact):
    # given
    ticket = make_ticket(contact=contact)
    article_create(ticket=ticket, author=client_user, body="Ждём")
    article_create(ticket=ticket, author=agent, body="Заметка", kind=ArticleKind.NOTE)
    ticket.refresh_from_db()
    before_reply = ticket.first_response_at
    # when
    first = article_create(ticket=ticket, author=agent, body="Приняли заявку")
    article_create(ticket=ticket, author=other_agent, body="Уточнение")
    # then
    ticket.refresh_from_db()
    assert before_reply is None
    assert ticket.first_response_at == first.created_at


def test_a_system_message_is_not_a_first_response(contact):
    # given
    ticket = make_ticket(contact=contact)
    # when
    article = article_create(ticket=ticket, author=None, body="Ваша заявка зарегистрирована")
    # then
    ticket.refresh_from_db()
    assert article.author_kind == AuthorKind.SYSTEM
    assert ticket.first_response_at is None


def test_an_empty_article_is_refused(agent):
    # given
    ticket = make_ticket()
    # when
    with pytest.raises(ValidationError) as exc:
        article_create(ticket=ticket, author=agent, body="   ")
    # then
    assert list(exc.value.message_dict) == ["body"]


def test_an_attachment_is_stored_with_its_hash(agent):
    # given
    ticket = make_ticket()
    content = b"%PDF-1.4 act of work"
    # when
    article = article_create(
        ticket=ticket, author=agent, body="", attachments=[upload("акт.pdf", content, "application/pdf")]
    )
    # then
    attachment = Attachment.objects.get(article=article)
    assert attachment.ticket == ticket
    assert attachment.filename == "акт.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    with attachment.file.open("rb") as stored:
        assert stored.read() == content
    assert ticket.events.get(kind=EventKind.ARTICLE_ADDED).data["attachments"] == 1


def test_an_attachment_name_cannot_name_a_path(agent):
    # given
    ticket = make_ticket()
    # when
    article = article_create(
        ticket=ticket, author=agent, body="см.", attachments=[upload("../../etc/passwd", b"x", "")]
    )
    # then
    attachment = Attachment.objects.get(article=article)
    assert attachment.filename == ".._.._etc_passwd"
    assert attachment.content_type == "application/octet-stream"
    assert attachment.file.name.endswith(attachment.sha256)


def test_an_attachment_over_the_limit_is_refused(settings, agent):
    # given
    settings.OTKLIK_ATTACHMENT_MAX_BYTES = 10
    ticket = make_ticket()
    # when
    with pytest.raises(ValidationError) as exc:
        article_create(ticket=ticket, author=agent, body="фото", attachments=[upload("big.png", b"x" * 11)])
    # then
    assert list(exc.value.message_dict) == ["attachments"]
    assert "big.png" in exc.value.message_dict["attachments"][0]
    assert Article.objects.filter(ticket=ticket).count() == 1
    assert Attachment.objects.count() == 0


def test_an_attachment_at_the_limit_is_accepted(settings, agent):
    # given
    settings.OTKLIK_ATTACHMENT_MAX_BYTES = 10
    ticket = make_ticket()
    # when
    article_create(ticket=ticket, author=agent, body="фото", attachments=[upload("ok.png", b"x" * 10)])
    # then
    assert Attachment.objects.get().size == 10


def test_a_contacts_message_locks_and_touches_its_ticket_in_one_statement(contact):
    # given
    ticket = make_ticket(contact=contact)
    before = Ticket.objects.get(pk=ticket.pk)

    # when: a message from the contact through a channel
    with CaptureQueriesContext(connection) as captured:
        article = article_create(ticket=ticket, author=None, author_contact=contact, body="Всё ещё не работает")

    # then: the ticket's row is written once, by the statement that locks and reads it; its other
    # columns are as they were
    # (on SQLite the search document's rebuild reads the ticket too)
    ticket_statements = [q["sql"] for q in captured.captured_queries if '"tickets_ticket"' in q["sql"]]
    writes = [sql for sql in ticket_statements if sql.startswith("UPDATE")]
    assert len(writes) == 1 and writes[0].startswith('UPDATE "tickets_ticket" SET "updated_at"')
    assert not [sql for sql in ticket_statements if "FOR UPDATE" in sql]
    after = Ticket.objects.get(pk=ticket.pk)
    assert after.updated_at == article.created_at
    changed = [f.name for f in Ticket._meta.concrete_fields if getattr(before, f.attname) != getattr(after, f.attname)]
    assert changed == ["updated_at"]
