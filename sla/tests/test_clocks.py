"""Tickets' SLA clocks through the ticket services: the policy that applies, deadlines from the
first message, pauses, replies, priority changes."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.choices import Role
from customers.models import CompanyCategory
from sla.models import SlaPolicy, SlaTarget
from sla.services import ticket_sla_refresh
from tests.factories import CompanyFactory, UserFactory, make_ticket, priority, status
from tickets.services import article_create, ticket_set_status, ticket_update

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)  # a Monday


@pytest.fixture
def agent(db):
    return UserFactory(role=Role.AGENT)


def test_a_new_ticket_gets_the_policy_and_deadlines_from_the_first_message(policy):
    # given: the message reached the channel at 10:00, the ticket is registered later
    ticket = make_ticket(priority=priority("critical"), received_at=MONDAY_10)
    # then
    ticket.refresh_from_db()
    assert ticket.sla_policy == policy
    assert ticket.sla_first_response_due == MONDAY_10 + timedelta(minutes=15)  # calendar time
    assert ticket.sla_resolution_due == MONDAY_10 + timedelta(hours=4)  # business hours, same day
    assert ticket.sla_first_response_state in ("running", "breached")
    assert ticket.sla_next_check is not None


def test_business_hours_skip_the_night(policy):
    # given: 16:00, 16 business hours with 9 a day
    ticket = make_ticket(priority=priority("normal"), received_at=MONDAY_10.replace(hour=16))
    # then: 2 h on Monday, 9 on Tuesday, 5 on Wednesday → Wednesday 14:00
    ticket.refresh_from_db()
    assert ticket.sla_resolution_due == datetime(2026, 11, 25, 14, 0, tzinfo=MSK)


def test_the_first_matching_policy_in_order_applies(policy, workdays):
    # given: a VIP policy placed before the general one
    vip = CompanyCategory.objects.create(code="vip-test", name_ru="VIP", name_en="VIP", is_vip=True)
    vip_policy = SlaPolicy.objects.create(name="VIP", order=1, calendar=workdays, vip_only=True)
    SlaTarget.objects.create(policy=vip_policy, priority=priority("critical"), first_response_minutes=5)
    vip_client = CompanyFactory(category=vip)
    # when
    vip_ticket = make_ticket(priority=priority("critical"), company=vip_client, received_at=MONDAY_10)
    plain_ticket = make_ticket(priority=priority("critical"), company=CompanyFactory(), received_at=MONDAY_10)
    # then
    vip_ticket.refresh_from_db()
    plain_ticket.refresh_from_db()
    assert vip_ticket.sla_policy == vip_policy
    assert vip_ticket.sla_first_response_due == MONDAY_10 + timedelta(minutes=5)
    assert plain_ticket.sla_policy == policy


def test_a_pending_status_pauses_and_resuming_moves_the_deadline(policy, agent):
    # given: a critical ticket received Monday 10:00 (resolution due 14:00)
    ticket = make_ticket(priority=priority("critical"), received_at=MONDAY_10)
    # when: it waits for the client from 11:00 to 12:00 (events are stamped now: move them)
    ticket_set_status(ticket=ticket, actor=agent, status=status("waiting_client"))
    ticket.events.filter(kind="status_changed").update(created_at=MONDAY_10 + timedelta(hours=1))
    ticket_sla_refresh(ticket, now=MONDAY_10 + timedelta(minutes=90))
    ticket.refresh_from_db()
    paused = (ticket.sla_resolution_state, ticket.sla_paused_since)
    ticket_set_status(ticket=ticket, actor=agent, status=status("open"))
    ticket.events.filter(kind="status_changed", data__new__id=status("open").pk).update(
        created_at=MONDAY_10 + timedelta(hours=2)
    )
    ticket_sla_refresh(ticket, now=MONDAY_10 + timedelta(hours=2))
    # then
    ticket.refresh_from_db()
    assert paused == ("paused", MONDAY_10 + timedelta(hours=1))
    assert ticket.sla_resolution_due == MONDAY_10 + timedelta(hours=5)
    assert ticket.sla_resolution_state == "running"
    assert ticket.sla_paused_seconds == 3600


def test_an_agent_reply_meets_the_first_response(policy, agent):
    ticket = make_ticket(priority=priority("normal"), received_at=timezone.now() - timedelta(minutes=1))
    article_create(ticket=ticket, author=agent, body="Принято, выезжаем", kind="public")
    ticket.refresh_from_db()
    assert ticket.sla_first_response_state == "met"


def test_raising_the_priority_recomputes_from_the_start(policy, agent):
    ticket = make_ticket(priority=priority("normal"), received_at=MONDAY_10)
    ticket_update(ticket=ticket, actor=agent, priority=priority("critical"))
    ticket.refresh_from_db()
    assert ticket.sla_resolution_due == MONDAY_10 + timedelta(hours=4)


def test_without_a_matching_policy_there_is_no_clock(workdays):
    ticket = make_ticket(priority=priority("normal"))
    ticket.refresh_from_db()
    assert ticket.sla_policy is None
    assert ticket.sla_due is None
    assert ticket.sla_next_check is None


def test_the_queue_sorts_by_the_nearest_deadline_and_filters_missed_ones(policy, client):
    # given: an agent of the team; three tickets with clocks and one without
    from tests.factories import TeamFactory

    team = TeamFactory()
    agent = UserFactory(role=Role.AGENT, language="en")
    team.members.add(agent)
    now = timezone.now()
    late = make_ticket(
        title="Просрочена", priority=priority("critical"), team=team, received_at=now - timedelta(days=3)
    )
    soon = make_ticket(title="Скоро", priority=priority("critical"), team=team, received_at=now)
    later = make_ticket(title="Позже", priority=priority("normal"), team=team, received_at=now)
    make_ticket(title="Без SLA", priority=priority("low"), team=team)  # the policy has no target for it
    client.force_login(agent)
    # when
    by_deadline = client.get("/tickets/", {"view": "all_open", "sort": "sla"})
    missed = client.get("/tickets/", {"view": "all_open", "sla": "breached"})
    # then
    assert [t.title for t in by_deadline.context["tickets"]] == [late.title, soon.title, later.title]
    assert [t.title for t in missed.context["tickets"]] == [late.title]
    html = by_deadline.content.decode()
    assert 'class="sla sla-breached"' in html
    assert 'class="sla sla-ok"' in html or 'class="sla sla-risk"' in html


def test_a_refresh_that_moves_no_clock_does_not_rewrite_the_ticket(policy):
    # given: a ticket with its clocks computed (first response due in 15 minutes)
    from django.db import connection

    ticket = make_ticket(priority=priority("critical"), received_at=MONDAY_10)
    now = MONDAY_10 + timedelta(minutes=5)
    ticket_sla_refresh(ticket, now=now)
    assert ticket.sla_first_response_state == "running"
    version = _row_version(connection, ticket.pk)
    # when: refreshed again at the same moment, and then once the deadline has passed
    ticket_sla_refresh(ticket, now=now)
    unchanged = _row_version(connection, ticket.pk)
    ticket_sla_refresh(ticket, now=MONDAY_10 + timedelta(minutes=30))
    # then: the first refresh wrote no new version of the row, the second wrote the breach
    ticket.refresh_from_db()
    assert ticket.sla_first_response_state == "breached"
    if version is not None:
        assert unchanged == version
        assert _row_version(connection, ticket.pk) != version


def _row_version(connection, ticket_id):  # type: ignore[no-untyped-def]
    """Where PostgreSQL keeps the row's current version (every UPDATE writes a new one); None on
    SQLite, which has no such address."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT ctid::text FROM tickets_ticket WHERE id = %s", [ticket_id])
        return cursor.fetchone()[0]
