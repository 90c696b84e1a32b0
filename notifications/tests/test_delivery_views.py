"""Delivery as agents see and drive it: the states on the ticket page, "retry now", and a reply
written on the page or through the API reaching a real SMTP server right after commit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from huey.contrib.djhuey import HUEY

from accounts.services import api_token_get_or_create
from notifications.models import OutboxMessage, OutboxStatus
from notifications.outbox import outbox_mark_bounced, outbox_send_due
from tests.factories import TeamFactory, UserFactory, make_ticket
from tickets.choices import Channel
from tickets.services import ticket_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def huey_immediate():
    previous = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = previous


@pytest.fixture
def ticket(contact, team, mailbox):
    return make_ticket(contact=contact, team=team, channel=Channel.EMAIL, title="Не работает лифт")


def test_the_ticket_page_shows_each_replys_delivery_state_and_the_server_answer(ticket, agent, agent_client, smtp_sink):
    # given three replies: one sent, one refused for good, one bounced after sending
    sent = ticket_reply(ticket=ticket, author=agent, body="Первый ответ")
    outbox_send_due()
    smtp_sink.rcpt_answer = "550 5.1.1 Mailbox does not exist"
    failed = ticket_reply(ticket=ticket, author=agent, body="Второй ответ")
    outbox_send_due()
    smtp_sink.rcpt_answer = ""
    bounced = ticket_reply(ticket=ticket, author=agent, body="Третий ответ")
    outbox_send_due()
    bounced_row = OutboxMessage.objects.get(article=bounced)
    outbox_mark_bounced(message_id=bounced_row.message_id, error="5.2.2 Mailbox full")
    queued = ticket_reply(ticket=ticket, author=agent, body="Четвёртый ответ")
    failed_row = OutboxMessage.objects.get(article=failed)

    # when the agent opens the ticket
    html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()

    # then each reply shows its state; the refused one the server's words and a retry button
    def block(article) -> str:
        start = html.index(f'id="article-{article.pk}"')
        return html[start : html.index("</article>", start)]

    assert "✉ Sent" in block(sent)
    assert "petr@romashka.test" in block(sent)
    assert "✉ Failed" in block(failed)
    assert "petr@romashka.test: 550 5.1.1 Mailbox does not exist" in block(failed)
    assert f'action="/notifications/outbox/{failed_row.pk}/retry/"' in block(failed)
    assert "✉ Bounced" in block(bounced)
    assert "5.2.2 Mailbox full" in block(bounced)
    assert "retry/" not in block(bounced)
    assert "✉ Queued" in block(queued)
    assert "retry/" not in block(sent) + block(queued)


def test_the_ticket_page_reads_delivery_states_in_one_query_however_many_replies(ticket, agent, agent_client):
    # given a ticket with one reply, measured; then with four
    ticket_reply(ticket=ticket, author=agent, body="Ответ 1")
    agent_client.get(f"/tickets/{ticket.number}/")  # warm caches (reference data, session)
    with CaptureQueriesContext(connection) as one:
        agent_client.get(f"/tickets/{ticket.number}/")
    for n in range(2, 5):
        ticket_reply(ticket=ticket, author=agent, body=f"Ответ {n}")

    # when the page is opened again
    with CaptureQueriesContext(connection) as four:
        response = agent_client.get(f"/tickets/{ticket.number}/")

    # then the number of queries did not grow
    assert response.content.decode().count("✉ Queued") == 4
    assert len(four.captured_queries) == len(one.captured_queries)


def test_retry_now_requeues_a_failed_reply_and_sends_it(ticket, agent, agent_client, smtp_sink):
    # given a reply the server refused
    smtp_sink.rcpt_answer = "550 5.7.1 Relaying denied"
    article = ticket_reply(ticket=ticket, author=agent, body="Ответ")
    outbox_send_due()
    row = OutboxMessage.objects.get(article=article)
    smtp_sink.rcpt_answer = ""

    # when the agent clicks "retry now", and the outbox runs
    response = agent_client.post(f"/notifications/outbox/{row.pk}/retry/")
    outbox_send_due()

    # then it went out
    row.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert row.status == OutboxStatus.SENT
    assert len(smtp_sink.received) == 1


def test_retry_now_is_404_for_an_agent_who_may_not_see_the_ticket(ticket, agent, smtp_sink):
    # given a failed reply, and an agent of another team
    smtp_sink.rcpt_answer = "550 5.7.1 Relaying denied"
    article = ticket_reply(ticket=ticket, author=agent, body="Ответ")
    outbox_send_due()
    row = OutboxMessage.objects.get(article=article)
    outsider = UserFactory(email="out@otklik.test", role="engineer", language="en")
    TeamFactory(code="other").members.add(outsider)
    from django.test import Client

    browser = Client()
    browser.force_login(outsider)

    # when they try to retry it
    response = browser.post(f"/notifications/outbox/{row.pk}/retry/")

    # then
    row.refresh_from_db()
    assert response.status_code == 404
    assert row.status == OutboxStatus.FAILED


def test_a_reply_on_the_ticket_page_reaches_the_client_right_after_commit(
    ticket, agent_client, smtp_sink, huey_immediate, django_capture_on_commit_callbacks
):
    # when an agent sends a reply from the ticket page
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(f"/tickets/{ticket.number}/reply/", {"body": "Инженер выехал.", "kind": "public"})

    # then the SMTP server already has it
    assert response.status_code == 302
    assert len(smtp_sink.received) == 1
    message = smtp_sink.received[0].message
    assert message["Subject"] == f"Re: Не работает лифт [#{ticket.number}]"
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT


def test_a_reply_through_the_api_is_mailed_too(
    ticket, agent, smtp_sink, huey_immediate, django_capture_on_commit_callbacks
):
    # given an API client of the agent
    from rest_framework.test import APIClient

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_get_or_create(user=agent).key}")

    # when the agent replies, and writes a note, through the API
    with django_capture_on_commit_callbacks(execute=True):
        reply = api.post(f"/api/v1/tickets/{ticket.number}/articles/", {"body": "Ответ из API"}, format="json")
        note = api.post(
            f"/api/v1/tickets/{ticket.number}/articles/", {"body": "Заметка", "kind": "note"}, format="json"
        )

    # then only the reply went out
    assert (reply.status_code, note.status_code) == (201, 201)
    assert len(smtp_sink.received) == 1
    assert "Ответ из API" in smtp_sink.received[0].message.get_body(preferencelist=("plain",)).get_content()
