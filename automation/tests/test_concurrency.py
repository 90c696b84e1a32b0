"""Parallel workers creating tickets for one team at once (PostgreSQL: real concurrent
transactions; SQLite serialises writers, so there the test is skipped). The strategy row lock
must make every choice see the previous one: round-robin hands each turn out once, least
loaded spreads evenly."""

import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import connections

from automation.assignment.services import team_assignment_set
from tests.factories import make_ticket
from tickets.choices import EventKind
from tickets.models import Ticket, TicketEvent

WORKERS = 12

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="concurrent writers need PostgreSQL (SQLite serialises them)",
    ),
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
    pytest.mark.usefixtures("migration_data", "search_index_emptied_afterwards"),
]


def _create_at_once(team, count, texts=None, **fields):
    """`count` threads, each with its own database connection, create a ticket for `team` at
    the same moment. Returns the errors raised in the threads (none expected)."""
    barrier = threading.Barrier(count)
    errors = []

    def work(n):
        try:
            barrier.wait(timeout=30)
            title = texts[n % len(texts)] if texts else f"Параллельная заявка {n}"
            make_ticket(team=team, title=title, description="", **fields)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_round_robin_under_parallel_workers_gives_each_engineer_an_equal_share(team, engineers):
    # given
    team_assignment_set(team=team, strategy="round_robin", priority_weights={})
    # when
    errors = _create_at_once(team, WORKERS)
    # then: 12 tickets over 3 engineers → 4 each, and the turns in commit order are a strict cycle
    assert errors == []
    assert Counter(Ticket.objects.values_list("assignee__email", flat=True)) == {
        "anna@otklik.test": 4,
        "boris@otklik.test": 4,
        "vera@otklik.test": 4,
    }
    turns = list(
        TicketEvent.objects.filter(kind=EventKind.ASSIGNED).order_by("id").values_list("data__new__id", flat=True)
    )
    ids = [u.pk for u in engineers]
    assert turns == ids * 4


def test_least_loaded_under_parallel_workers_spreads_evenly(team, engineers):
    # given
    team_assignment_set(team=team, strategy="least_loaded", priority_weights={})
    # when
    errors = _create_at_once(team, WORKERS)
    # then
    assert errors == []
    assert Counter(Ticket.objects.values_list("assignee__email", flat=True)) == {
        "anna@otklik.test": 4,
        "boris@otklik.test": 4,
        "vera@otklik.test": 4,
    }


def test_similar_complaints_arriving_at_once_make_exactly_one_incident(team):
    # given a site; five complaints about the flickering light on its 3rd floor arrive at the same moment
    from automation.models import PotentialIncident
    from tests.factories import SiteFactory

    site = SiteFactory(name="БЦ Октябрь")
    texts = ["Мигает свет на 3 этаже", "На третьем этаже моргает освещение", "свет мерцает в коридоре 3 этаж"]
    # when
    errors = _create_at_once(team, 5, texts=texts, site=site)
    # then: compared one after the other, not all blind to each other
    assert errors == []
    incident = PotentialIncident.objects.get()
    assert incident.tickets.count() == 5
    assert set(Ticket.objects.values_list("priority__code", flat=True)) == {"high"}
