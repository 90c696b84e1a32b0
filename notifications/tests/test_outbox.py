"""The outbox against a real SMTP server: sending, retries with backoff, permanent refusals, a
server that is down, the reconciler, staff notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.choices import Role
from notifications.models import Notification, OutboxKind, OutboxMessage, OutboxStatus
from notifications.outbox import MAX_ATTEMPTS, outbox_mark_bounced, outbox_retry, outbox_send, outbox_send_due
from notifications.services import notifications_mail_pending, notify
from notifications.tests.conftest import free_port
from tests.factories import TeamFactory, UserFactory, make_ticket
from tickets.choices import Channel, EventKind
from tickets.models import TicketEvent
from tickets.services import ticket_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(contact, team, mailbox):
    return make_ticket(contact=contact, team=team, channel=Channel.EMAIL, title="Не работает лифт")


def _reply(ticket, agent, body: str = "Инженер приедет сегодня до 18:00.") -> OutboxMessage:
    article = ticket_reply(ticket=ticket, author=agent, body=body)
    return OutboxMessage.objects.get(article=article)


def test_a_queued_reply_is_sent_once_with_the_bytes_composed_at_queueing(ticket, agent, smtp_sink):
    # given a reply queued in the outbox
    row = _reply(ticket, agent)
    assert row.status == OutboxStatus.QUEUED
    assert row.kind == OutboxKind.REPLY
    assert row.recipient == "petr@romashka.test"

    # when the due messages are sent, twice
    first = outbox_send_due()
    second = outbox_send_due()

    # then the server got exactly the stored bytes, once
    row.refresh_from_db()
    assert (first, second) == (1, 0)
    assert row.status == OutboxStatus.SENT
    assert row.attempts == 1
    assert row.sent_at is not None
    assert row.last_error == ""
    assert len(smtp_sink.received) == 1
    assert smtp_sink.received[0].data == bytes(row.payload)
    assert smtp_sink.received[0].mail_from == "support@romashka-service.test"
    assert smtp_sink.received[0].rcpt_tos == ["petr@romashka.test"]


def test_the_on_commit_task_sends_one_row_and_leaves_a_sent_one_alone(ticket, agent, smtp_sink):
    # given a queued reply
    row = _reply(ticket, agent)

    # when the on-commit task's service runs for it, and again (a duplicate task)
    status = outbox_send(outbox_id=row.pk)
    again = outbox_send(outbox_id=row.pk)

    # then it went out once
    assert (status, again) == ("sent", "sent")
    assert len(smtp_sink.received) == 1


def test_a_temporary_refusal_is_retried_after_the_backoff_with_the_same_message(ticket, agent, smtp_sink):
    # given a server that answers the first DATA with 451, then accepts
    smtp_sink.data_answers = ["451 4.3.0 Mailbox busy, try again later"]
    row = _reply(ticket, agent)
    start = timezone.now()

    # when the outbox sends now, half a minute later, and after a minute
    sent_now = outbox_send_due(now=start)
    row.refresh_from_db()
    after_first = (row.status, row.attempts, row.last_error, row.next_attempt_at)
    sent_early = outbox_send_due(now=start + timedelta(seconds=30))
    sent_later = outbox_send_due(now=start + timedelta(seconds=61))

    # then the first attempt is recorded with the server's words and retried a minute later
    assert sent_now == 0
    assert after_first == (
        OutboxStatus.QUEUED,
        1,
        "451 4.3.0 Mailbox busy, try again later",
        start + timedelta(minutes=1),
    )
    assert sent_early == 0
    assert sent_later == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 2, "")
    assert smtp_sink.data_commands == 2
    assert [r.data for r in smtp_sink.received] == [bytes(row.payload)]


def test_backoff_grows_with_each_failed_attempt(ticket, agent, smtp_sink):
    # given a server that refuses DATA temporarily three times
    smtp_sink.data_answers = ["421 4.7.0 Try later"] * 3
    row = _reply(ticket, agent)
    now = timezone.now()
    waits = []

    # when the outbox tries whenever the row is due
    for _ in range(3):
        outbox_send_due(now=now)
        row.refresh_from_db()
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at

    # then the waits are 1, 5 and 15 minutes
    assert waits == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15)]
    assert row.attempts == 3


def test_a_permanent_refusal_fails_at_once_with_the_server_answer(ticket, agent, smtp_sink):
    # given a server that does not know the recipient
    smtp_sink.rcpt_answer = "550 5.1.1 <petr@romashka.test>: Recipient address rejected: User unknown"
    row = _reply(ticket, agent)

    # when the outbox sends
    outbox_send_due()

    # then the row failed after one attempt, showing why
    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED
    assert row.attempts == 1
    assert row.last_error == (
        "petr@romashka.test: 550 5.1.1 <petr@romashka.test>: Recipient address rejected: User unknown"
    )
    assert smtp_sink.received == []
    # and it is not tried again
    assert outbox_send_due(now=timezone.now() + timedelta(days=1)) == 0
    # and the ticket's history says so, and the reply's author hears of it
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.DELIVERY_FAILED)
    assert (event.data["article_id"], event.data["recipient"]) == (row.article_id, "petr@romashka.test")
    assert "User unknown" in event.data["error"]
    alert = Notification.objects.get(user=agent, kind="delivery_failed")
    assert alert.ticket_id == ticket.pk and f"№{ticket.number}" in alert.text and "petr@romashka.test" in alert.text


def test_a_server_that_is_down_is_retried_and_the_message_goes_out_once_it_is_up(ticket, agent, smtp_sink, mailbox):
    # given the mailbox's SMTP server is not listening
    working_port = mailbox.smtp_port
    mailbox.smtp_port = free_port()
    mailbox.save(update_fields=["smtp_port"])
    row = _reply(ticket, agent)
    start = timezone.now()

    # when the outbox sends
    outbox_send_due(now=start)

    # then the attempt is recorded as temporary: connection refused
    row.refresh_from_db()
    assert row.status == OutboxStatus.QUEUED
    assert row.attempts == 1
    assert row.last_error.startswith("ConnectionRefusedError:")
    assert row.next_attempt_at == start + timedelta(minutes=1)

    # when the server is back and the reconciler runs a minute later
    mailbox.smtp_port = working_port
    mailbox.save(update_fields=["smtp_port"])
    sent = outbox_send_due(now=start + timedelta(minutes=1))

    # then the message went out
    row.refresh_from_db()
    assert sent == 1
    assert row.status == OutboxStatus.SENT
    assert len(smtp_sink.received) == 1


def test_the_last_allowed_attempt_failing_gives_up(ticket, agent, mailbox):
    # given a reply that has failed all but one attempt, and a server that is down
    mailbox.smtp_port = free_port()
    mailbox.save(update_fields=["smtp_port"])
    row = _reply(ticket, agent)
    OutboxMessage.objects.filter(pk=row.pk).update(attempts=MAX_ATTEMPTS - 1)

    # when the outbox tries once more
    outbox_send_due()

    # then the row failed for good
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, MAX_ATTEMPTS)


def test_retry_now_queues_a_failed_message_afresh(ticket, agent, smtp_sink):
    # given a message refused permanently
    smtp_sink.rcpt_answer = "550 5.7.1 Relaying denied"
    row = _reply(ticket, agent)
    outbox_send_due()

    # when the server is fixed and an agent retries it
    smtp_sink.rcpt_answer = ""
    retried = outbox_retry(message=row)
    sent = outbox_send_due()

    # then it went out
    row.refresh_from_db()
    assert (retried, sent, row.status, row.attempts) == (True, 1, OutboxStatus.SENT, 1)
    assert len(smtp_sink.received) == 1
    # and retrying a sent message does nothing
    assert outbox_retry(message=row) is False


def test_a_row_claimed_by_a_worker_that_died_is_sent_after_its_lease(ticket, agent, smtp_sink):
    # given a row claimed ("sending") by a worker that never finished
    row = _reply(ticket, agent)
    start = timezone.now()
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=OutboxStatus.SENDING, next_attempt_at=start + timedelta(minutes=10)
    )

    # when the reconciler runs before and after the lease ran out
    before = outbox_send_due(now=start + timedelta(minutes=5))
    after = outbox_send_due(now=start + timedelta(minutes=11))

    # then only the second run sends it
    assert (before, after) == (0, 1)
    assert len(smtp_sink.received) == 1


def test_queueing_is_idempotent_per_article(ticket, agent):
    # given a reply already queued
    row = _reply(ticket, agent)

    # when delivery is asked again for the same article
    from notifications.delivery import article_published

    article_published(article=row.article)

    # then there is still one row
    assert OutboxMessage.objects.filter(article=row.article).count() == 1


def test_a_bounce_marks_the_message(ticket, agent, smtp_sink):
    # given a sent reply
    row = _reply(ticket, agent)
    outbox_send_due()

    # when a delivery status notification for its Message-ID is recorded
    marked = outbox_mark_bounced(message_id=f"<{row.message_id}>", error="5.1.1 user unknown")

    # then the row shows it, the history too, and the reply's author is told
    row.refresh_from_db()
    assert (marked, row.status, row.last_error) == (1, OutboxStatus.BOUNCED, "5.1.1 user unknown")
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.DELIVERY_FAILED).count() == 1
    assert Notification.objects.filter(user=agent, kind="delivery_failed", ticket=ticket).count() == 1
    # and a second notification of the same bounce changes nothing
    assert outbox_mark_bounced(message_id=row.message_id, error="5.1.1 user unknown") == 0
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.DELIVERY_FAILED).count() == 1


def test_staff_notifications_go_through_the_outbox_to_the_installations_smtp(db, settings, smtp_sink):
    # given the installation's SMTP settings point at the server, and a notification for an agent
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.DEFAULT_FROM_EMAIL = "Otklik <noreply@otklik.test>"
    user = UserFactory(email="olga@otklik.test", role=Role.AGENT, language="en")
    ticket = make_ticket(title="Протечка")
    notify(users=[user], text="You were assigned a ticket", kind="assigned", ticket=ticket)

    # when the pending notifications are mailed (twice: the task is idempotent) and the outbox sends
    queued = notifications_mail_pending()
    queued_again = notifications_mail_pending()
    sent = outbox_send_due()

    # then one message went out from the installation's sender
    assert (queued, queued_again, sent) == (1, 0, 1)
    row = OutboxMessage.objects.get(kind=OutboxKind.NOTIFICATION)
    assert (row.status, row.recipient, row.mailbox) == (OutboxStatus.SENT, "olga@otklik.test", None)
    received = smtp_sink.received[0]
    assert (received.mail_from, received.rcpt_tos) == ("noreply@otklik.test", ["olga@otklik.test"])
    message = received.message
    assert message["Subject"] == f"[#{ticket.number}] You were assigned a ticket"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content().strip().endswith(f"/tickets/{ticket.number}/")


def test_a_mail_task_that_finds_another_at_work_returns_quietly_and_leaves_the_rows(db):
    # given a notification waiting, and another worker holding the mailing lock
    from huey.contrib.djhuey import HUEY

    from notifications.models import Notification
    from notifications.tasks import notifications_mail

    user = UserFactory(email="ivan@otklik.test", role=Role.AGENT, language="en")
    ticket = make_ticket(title="Лифт", team=TeamFactory())  # in a team: no "new ticket" to triage
    notify(users=[user], text="You were assigned a ticket", kind="assigned", ticket=ticket)
    lock = HUEY.lock_task("notifications-mail")

    # when the task runs while the lock is held, and again after it is released
    with lock:
        while_locked = notifications_mail.call_local()
    after = notifications_mail.call_local()

    # then the first did nothing (no error), the second queued the mail
    assert (while_locked, after) == (0, 1)
    assert Notification.objects.filter(user=user, emailed_at__isnull=False).count() == 1


def test_a_reply_sent_in_parts_that_fails_is_told_once(ticket, agent, smtp_sink):
    from notifications.outbox import reply_undelivered

    # given a reply whose two outbox rows (say, its text and a file) both fail for good
    row = _reply(ticket, agent)
    part = OutboxMessage.objects.create(
        channel="email", kind="reply", dedup_key="part-2", ticket=ticket, article_id=row.article_id, recipient="x"
    )

    # when both are recorded as undelivered
    reply_undelivered(row=row, error="550 blocked")
    reply_undelivered(row=part, error="550 blocked")

    # then one history entry and one alert
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.DELIVERY_FAILED).count() == 1
    assert Notification.objects.filter(user=agent, kind="delivery_failed").count() == 1
