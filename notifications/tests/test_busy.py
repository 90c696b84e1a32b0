"""The busy auto-reply (notifications/busy.py): once per request nobody answered in time, on the
request's channel, within the team's hours — and exactly once however many workers sweep."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications.busy import busy_replies_send, busy_reply_send
from notifications.choices import BusyHours
from notifications.models import BusyReplyClaim, OutboxKind, OutboxMessage, TeamBusyReply
from notifications.outbox import outbox_send_due
from notifications.services import company_notice_settings_update, team_busy_reply_update
from sla.models import BusinessCalendar, WorkingInterval
from tests.factories import ContactFactory, make_ticket
from tickets.choices import Channel
from tickets.models import Ticket
from tickets.services import ticket_reply

MOSCOW = ZoneInfo("Europe/Moscow")


def _busy_messages() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind=OutboxKind.NOTICE).order_by("id"))


def _next(weekday: int, hour: int) -> datetime:
    """The next `weekday` (0 = Monday) at `hour` Moscow time, at least two days ahead."""
    day = timezone.now().astimezone(MOSCOW).date() + timedelta(days=2)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=MOSCOW)


@pytest.mark.django_db
def test_an_unanswered_request_gets_the_busy_reply_once(contact, team, mailbox, smtp_sink):
    # given a team answering "busy" after 10 minutes, and a client's web request
    team_busy_reply_update(team=team, enabled=True, after_minutes=10, hours=BusyHours.ALWAYS, calendar=None)
    ticket = make_ticket(contact=contact, team=team, channel=Channel.WEB, title="Лифт")
    OutboxMessage.objects.all().delete()  # the acknowledgement

    # when the sweep runs at 9 minutes, at 11, and again at 12
    at_9 = busy_replies_send(now=ticket.created_at + timedelta(minutes=9))
    at_11 = busy_replies_send(now=ticket.created_at + timedelta(minutes=11))
    at_12 = busy_replies_send(now=ticket.created_at + timedelta(minutes=12))
    outbox_send_due()

    # then exactly one reply, at 11
    assert (at_9, at_11, at_12) == (0, 1, 0)
    message = smtp_sink.received[-1].message
    assert message["Subject"] == f"Заявка №{ticket.number}: все операторы заняты [#{ticket.number}]"
    assert message["Auto-Submitted"] == "auto-generated"
    assert [(m.recipient, m.ticket_id) for m in _busy_messages()] == [("petr@romashka.test", ticket.pk)]
    assert list(BusyReplyClaim.objects.values_list("ticket_id", "sent")) == [(ticket.pk, True)]


@pytest.mark.django_db
def test_no_busy_reply_once_an_agent_answered_or_for_requests_agents_typed_in(contact, team, agent, mailbox):
    # given the reply on, a request an agent already answered, and one an agent registered
    team_busy_reply_update(team=team, enabled=True, after_minutes=10, hours=BusyHours.ALWAYS, calendar=None)
    answered = make_ticket(contact=contact, team=team, channel=Channel.PORTAL)
    ticket_reply(ticket=answered, author=agent, body="Смотрим.")
    typed_in = make_ticket(actor=agent, contact=contact, team=team, channel=Channel.PHONE)

    # when the sweep runs later
    sent = busy_replies_send(now=timezone.now() + timedelta(minutes=30))

    # then
    assert sent == 0
    assert _busy_messages() == []
    assert Ticket.objects.filter(pk__in=[answered.pk, typed_in.pk]).count() == 2


@pytest.mark.django_db
def test_requests_from_before_the_reply_was_switched_on_or_of_other_teams_are_left_alone(contact, team, mailbox):
    # given an old request, then the reply switched on; a request of a team without the reply
    old = make_ticket(contact=contact, team=team, channel=Channel.PORTAL)
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=3))
    team_busy_reply_update(team=team, enabled=True, after_minutes=10, hours=BusyHours.ALWAYS, calendar=None)
    make_ticket(contact=contact, channel=Channel.PORTAL)

    # when the sweep runs
    sent = busy_replies_send(now=timezone.now() + timedelta(minutes=30))

    # then
    assert sent == 0


@pytest.mark.django_db
def test_a_company_that_switched_busy_off_hears_nothing_and_the_ticket_is_not_retried(company, contact, team, mailbox):
    # given the switch off for the company
    company_notice_settings_update(
        company=company, acknowledgement=True, assigned=True, resolved=True, busy=False, announced_statuses=[]
    )
    team_busy_reply_update(team=team, enabled=True, after_minutes=10, hours=BusyHours.ALWAYS, calendar=None)
    ticket = make_ticket(contact=contact, team=team, channel=Channel.PORTAL)

    # when swept twice
    later = timezone.now() + timedelta(minutes=30)
    results = (busy_replies_send(now=later), busy_replies_send(now=later))

    # then nothing; the ticket is claimed as decided
    assert results == (0, 0)
    assert _busy_messages() == []
    assert list(BusyReplyClaim.objects.values_list("ticket_id", "sent")) == [(ticket.pk, False)]


@pytest.fixture
def workdays(db):
    calendar = BusinessCalendar.objects.create(code="msk-busy", name="Москва 9–18", time_zone="Europe/Moscow")
    for weekday in range(5):
        WorkingInterval.objects.create(calendar=calendar, weekday=weekday, start=time(9), end=time(18))
    calendar.save()
    return calendar


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("hours", "sent_on_sunday", "sent_on_monday_morning"),
    [(BusyHours.BUSINESS, 0, 1), (BusyHours.OUTSIDE, 1, 0)],
)
def test_the_reply_keeps_to_the_teams_hours(
    contact, team, mailbox, workdays, hours, sent_on_sunday, sent_on_monday_morning
):
    # given the reply only during (or only outside) the team's business hours
    team_busy_reply_update(team=team, enabled=True, after_minutes=10, hours=hours, calendar=workdays)
    make_ticket(contact=contact, team=team, channel=Channel.PORTAL)

    # when the sweep runs on a Sunday noon, then on Monday at 10
    on_sunday = busy_replies_send(now=_next(6, 12))
    on_monday = busy_replies_send(now=_next(0, 10))

    # then
    assert (on_sunday, on_monday) == (sent_on_sunday, sent_on_monday_morning)


@pytest.mark.django_db
def test_a_request_of_a_client_whose_mail_refused_automatic_replies_gets_no_busy_reply(company, team, mailbox):
    # given an email request whose mail said "no automatic replies" (kept by the pipeline)
    contact = ContactFactory(company=company, email="robot@romashka.test")
    team_busy_reply_update(team=team, enabled=True, after_minutes=10, hours=BusyHours.ALWAYS, calendar=None)
    ticket = make_ticket(contact=contact, team=team, channel=Channel.EMAIL)
    first = ticket.articles.get()
    first.email_meta = {
        "from": {"name": "", "address": "robot@romashka.test"},
        "auto_reply_refused": "Precedence: bulk",
    }
    first.save(update_fields=["email_meta"])

    # when swept
    sent = busy_replies_send(now=timezone.now() + timedelta(minutes=30))

    # then
    assert sent == 0


@pytest.mark.django_db
def test_the_sweep_query_count_does_not_grow_with_idle_teams(contact, team, mailbox, django_assert_num_queries):
    # given the reply on for a team with nothing to answer
    team_busy_reply_update(team=team, enabled=True, after_minutes=10, hours=BusyHours.ALWAYS, calendar=None)

    # then one query for the settings and one for the team's candidates
    with django_assert_num_queries(2):
        busy_replies_send()


@pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS))
@pytest.mark.usefixtures("migrated_data_restored_afterwards", "search_index_emptied_afterwards")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
def test_two_workers_at_once_send_it_exactly_once(contact, team, mailbox):
    # given an overdue request
    team_busy_reply_update(team=team, enabled=True, after_minutes=1, hours=BusyHours.ALWAYS, calendar=None)
    ticket = make_ticket(contact=contact, team=team, channel=Channel.PORTAL)
    start = threading.Barrier(4)
    results: list[bool] = []

    def worker() -> None:
        try:
            start.wait()
            results.append(busy_reply_send(ticket_id=ticket.pk))
        finally:
            connection.close()

    # when four workers claim it at the same moment
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then one sent it
    assert sorted(results) == [False, False, False, True]
    assert len(_busy_messages()) == 1
    assert BusyReplyClaim.objects.count() == 1


@pytest.mark.django_db
def test_switching_off_and_on_again_starts_afresh(team):
    first = team_busy_reply_update(team=team, enabled=True, after_minutes=5, hours=BusyHours.ALWAYS, calendar=None)
    started = first.enabled_at
    team_busy_reply_update(team=team, enabled=True, after_minutes=20, hours=BusyHours.ALWAYS, calendar=None)
    unchanged = TeamBusyReply.objects.get(team=team).enabled_at
    team_busy_reply_update(team=team, enabled=False, after_minutes=20, hours=BusyHours.ALWAYS, calendar=None)
    again = team_busy_reply_update(team=team, enabled=True, after_minutes=20, hours=BusyHours.ALWAYS, calendar=None)

    assert unchanged == started
    assert again.enabled_at > started
