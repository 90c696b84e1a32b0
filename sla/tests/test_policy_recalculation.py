"""The background recalculation of open tickets' clocks: the batch computation agrees with the
per-ticket one, the order of policies decides which applies, a run resumes where a dead worker
stopped, a live worker's run is not taken twice, and a newer request supersedes an older run."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.choices import Role
from sla.models import RecalculationStatus, SlaPolicy, SlaRecalculation, SlaTarget
from sla.policy_services import (
    sla_policy_move,
    sla_recalculation_process,
    sla_recalculation_request,
    sla_recalculations_reconcile,
    tickets_sla_refresh_batch,
)
from sla.services import CLOCK_FIELDS, ticket_sla_refresh
from tests.factories import ContactFactory, UserFactory, make_ticket, priority, status
from tickets.models import Ticket
from tickets.services import article_create, ticket_set_status

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
CLEARED = {
    "sla_policy": None,
    "sla_due": None,
    "sla_first_response_due": None,
    "sla_resolution_due": None,
    "sla_first_response_state": "",
    "sla_resolution_state": "",
}


def _clock_values(ticket_ids: list[int]) -> dict[int, tuple]:
    fields = [f"{name}_id" if name == "sla_policy" else name for name in CLOCK_FIELDS]
    return {row[0]: row[1:] for row in Ticket.objects.filter(pk__in=ticket_ids).values_list("pk", *fields)}


def _open_tickets() -> list[Ticket]:
    return list(Ticket.objects.select_related("company", "site").order_by("pk"))


def test_the_batch_computes_what_the_per_ticket_refresh_does(policy):
    # given: tickets with a history — waiting for the client, replies, a client message
    agent = UserFactory(role=Role.AGENT)
    contact = ContactFactory()
    plain = make_ticket(priority=priority("critical"), received_at=MONDAY_10)
    waited = make_ticket(priority=priority("normal"), received_at=MONDAY_10)
    ticket_set_status(ticket=waited, actor=agent, status=status("waiting_client"))
    waited.events.filter(kind="status_changed").update(created_at=MONDAY_10 + timedelta(hours=1))
    answered = make_ticket(priority=priority("normal"), received_at=MONDAY_10, contact=contact)
    article_create(ticket=answered, author=agent, body="Принято")
    article_create(ticket=answered, author=None, author_contact=contact, body="Когда приедете?")
    # stamped now: move the conversation to Monday (reply 10:30, the client's question 11:00)
    replies = list(answered.articles.order_by("id"))
    for article, at in zip(
        replies[1:], (MONDAY_10 + timedelta(minutes=30), MONDAY_10 + timedelta(hours=1)), strict=True
    ):
        type(article).objects.filter(pk=article.pk).update(created_at=at, received_at=at)
    Ticket.objects.filter(pk=answered.pk).update(first_response_at=MONDAY_10 + timedelta(minutes=30))
    no_target = make_ticket(priority=priority("low"), received_at=MONDAY_10)
    ids = [plain.pk, waited.pk, answered.pk, no_target.pk]
    now = MONDAY_10 + timedelta(hours=3)
    for ticket in Ticket.objects.filter(pk__in=ids):
        ticket_sla_refresh(ticket, now=now)
    expected = _clock_values(ids)
    Ticket.objects.filter(pk__in=ids).update(**CLEARED)
    # when
    changed = tickets_sla_refresh_batch(_open_tickets(), now=now)
    # then
    assert _clock_values(ids) == expected
    assert changed == 3  # the ticket without a target for its priority had nothing to restore
    assert tickets_sla_refresh_batch(_open_tickets(), now=now) == 0  # nothing changes twice


def test_the_order_of_policies_decides_which_applies_after_the_recalculation(policy, workdays):
    # given: a second, narrower-looking policy after the general one
    fast = SlaPolicy.objects.create(name="Быстрая", order=20, calendar=workdays)
    SlaTarget.objects.create(policy=fast, priority=priority("critical"), first_response_minutes=5)
    ticket = make_ticket(priority=priority("critical"), received_at=MONDAY_10)
    ticket.refresh_from_db()
    assert ticket.sla_policy == policy
    # when: it moves to the top and the recalculation runs
    sla_policy_move(policy=fast, offset=-1, actor=None)
    run = SlaRecalculation.objects.get(status=RecalculationStatus.QUEUED)
    sla_recalculation_process(recalculation_id=run.pk)
    # then
    ticket.refresh_from_db()
    run.refresh_from_db()
    assert ticket.sla_policy == fast
    assert ticket.sla_first_response_due == MONDAY_10 + timedelta(minutes=5)
    assert (run.status, run.total, run.done, run.changed) == (RecalculationStatus.DONE, 1, 1, 1)
    assert run.finished_at is not None


def test_closed_tickets_are_left_alone(policy):
    # given
    ticket = make_ticket(priority=priority("critical"), received_at=MONDAY_10)
    Ticket.objects.filter(pk=ticket.pk).update(status_category="closed", **CLEARED)
    # when
    run = sla_recalculation_request(reason="test")
    sla_recalculation_process(recalculation_id=run.pk)
    # then
    ticket.refresh_from_db()
    run.refresh_from_db()
    assert ticket.sla_policy is None
    assert (run.status, run.total, run.done) == (RecalculationStatus.DONE, 0, 0)


def test_a_run_whose_worker_died_resumes_after_its_last_batch(policy, django_capture_on_commit_callbacks):
    # given: five tickets; a worker did the first two batches of one and died
    tickets = [make_ticket(priority=priority("critical"), received_at=MONDAY_10) for _ in range(5)]
    Ticket.objects.update(**CLEARED)
    run = SlaRecalculation.objects.create(
        status=RecalculationStatus.RUNNING,
        total=5,
        done=2,
        last_ticket_id=tickets[1].pk,
        run_token="dead-worker",
        heartbeat_at=timezone.now() - timedelta(minutes=10),
    )
    # when: the reconciler re-queues it, and a worker picks it up
    with django_capture_on_commit_callbacks() as callbacks:
        assert sla_recalculations_reconcile() == 1
    assert len(callbacks) == 1
    sla_recalculation_process(recalculation_id=run.pk, batch_size=2)
    # then: the rest is done, what was before the cursor is not redone
    run.refresh_from_db()
    assert (run.status, run.done, run.changed, run.attempts) == (RecalculationStatus.DONE, 5, 3, 1)
    policies = dict(Ticket.objects.values_list("pk", "sla_policy_id"))
    assert [policies[t.pk] for t in tickets] == [None, None, policy.pk, policy.pk, policy.pk]


def test_a_run_a_live_worker_holds_is_not_taken_again(policy):
    # given
    make_ticket(priority=priority("critical"), received_at=MONDAY_10)
    Ticket.objects.update(**CLEARED)
    run = SlaRecalculation.objects.create(
        status=RecalculationStatus.RUNNING, total=1, run_token="alive", heartbeat_at=timezone.now()
    )
    # when: the task is delivered twice
    sla_recalculation_process(recalculation_id=run.pk)
    # then
    run.refresh_from_db()
    assert (run.status, run.done, run.run_token) == (RecalculationStatus.RUNNING, 0, "alive")
    assert sla_recalculations_reconcile() == 0


def test_a_new_request_supersedes_a_running_run_and_reuses_a_queued_one(policy):
    # given
    running = SlaRecalculation.objects.create(
        status=RecalculationStatus.RUNNING, run_token="t", heartbeat_at=timezone.now()
    )
    # when
    first = sla_recalculation_request(reason="one")
    second = sla_recalculation_request(reason="two")
    # then
    running.refresh_from_db()
    assert running.status == RecalculationStatus.SUPERSEDED
    assert first.pk == second.pk
    assert SlaRecalculation.objects.get(pk=first.pk).reason == "two"
    # and the superseded worker stops at its next batch
    sla_recalculation_process(recalculation_id=running.pk)
    running.refresh_from_db()
    assert running.status == RecalculationStatus.SUPERSEDED
