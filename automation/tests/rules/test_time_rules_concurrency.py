"""Two workers sweeping time rules at once fire each rule once per ticket (PostgreSQL: real row
locks and a real unique constraint between two connections)."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from automation.models import RuleFiring
from automation.rules.sweep import time_rules_sweep
from automation.tests.rules.helpers import act, make_rule
from tests.factories import make_ticket
from tickets.choices import EventKind
from tickets.models import TicketEvent

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (two real connections)"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS)),
    pytest.mark.usefixtures("migrated_data_restored_afterwards"),
]


def test_two_workers_fire_each_ticket_once(search_index_emptied_afterwards):
    # given: 30 tickets due for a time rule
    from automation.models import Rule

    Rule.objects.exclude(code="").update(is_active=False)
    rule = make_rule(
        name="Час без движения",
        trigger="time",
        time_anchor="created",
        time_minutes=60,
        actions=[act("add_note", "Час без движения")],
    )
    tickets = [make_ticket(title=f"Заявка {n}") for n in range(30)]
    now = timezone.now() + timedelta(hours=2)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(sum(time_rules_sweep(now=now).values()))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    # when
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then
    assert errors == []
    assert sum(results) == 30
    assert RuleFiring.objects.filter(rule=rule).count() == 30
    assert TicketEvent.objects.filter(kind=EventKind.RULE_FIRED, ticket__in=tickets).count() == 30
    assert sorted(t.articles.filter(kind="note").count() for t in tickets) == [1] * 30
