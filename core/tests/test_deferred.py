"""core/deferred.py: rows queued within a unit of work are written together at its end, and a
savepoint rolled back takes what was queued inside it — also after a flush inside it."""

import pytest
from django.db import IntegrityError, transaction
from django.test.utils import CaptureQueriesContext

from core.deferred import defer_ids, deferred_queued, deferred_writes, flush_deferred, insert_deferred
from tests.factories import make_ticket
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def event(ticket, name: str) -> TicketEvent:
    return TicketEvent(ticket=ticket, kind="field_changed", data={"name": name}, team_id_at_event=None)


def names(ticket) -> list[str]:
    """The test's events of the ticket, in id order (the history's order)."""
    return [e.data["name"] for e in TicketEvent.objects.filter(ticket=ticket, data__has_key="name").order_by("id")]


def inserts(captured) -> int:
    return sum(1 for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "tickets_ticketevent"'))


def test_outside_a_block_a_row_is_written_at_once():
    ticket = make_ticket()

    insert_deferred(event(ticket, "a"))

    assert names(ticket) == ["a"]


def test_within_a_block_the_rows_are_written_together_at_its_end_in_their_order():
    # given
    ticket = make_ticket()

    # when
    with transaction.atomic(), CaptureQueriesContext(transaction.get_connection()) as captured, deferred_writes():
        for name in ("a", "b", "c"):
            insert_deferred(event(ticket, name))
        assert names(ticket) == []  # not yet

    # then: one INSERT for the three
    assert names(ticket) == ["a", "b", "c"]
    assert inserts(captured) == 1


def test_the_rows_queued_and_not_written_are_told_by_model():
    ticket = make_ticket()
    assert deferred_queued(TicketEvent) == []  # outside a block nothing waits

    with transaction.atomic(), deferred_writes():
        first, second = event(ticket, "a"), event(ticket, "b")
        insert_deferred(first)
        insert_deferred(second)
        assert deferred_queued(TicketEvent) == [first, second]
        assert deferred_queued(Ticket) == []

        flush_deferred()

        assert deferred_queued(TicketEvent) == []
        assert names(ticket) == ["a", "b"]


def test_rows_written_by_a_flush_in_a_savepoint_rolled_back_are_told_as_not_written():
    ticket = make_ticket()

    with transaction.atomic(), deferred_writes():
        earlier = event(ticket, "earlier")
        insert_deferred(earlier)
        try:
            with transaction.atomic():
                flush_deferred()  # a reader inside a message that fails afterwards
                assert deferred_queued(TicketEvent) == []
                raise ValueError("this message fails")
        except ValueError:
            pass

        assert deferred_queued(TicketEvent) == [earlier]

    assert names(ticket) == ["earlier"]


def test_a_savepoint_rolled_back_drops_only_what_was_queued_inside_it():
    ticket = make_ticket()

    with transaction.atomic(), deferred_writes():
        insert_deferred(event(ticket, "before"))
        try:
            with transaction.atomic():
                insert_deferred(event(ticket, "rolled back"))
                raise ValueError("this message fails")
        except ValueError:
            pass
        insert_deferred(event(ticket, "after"))

    assert names(ticket) == ["before", "after"]


def test_a_flush_inside_a_savepoint_rolled_back_later_writes_the_earlier_rows_again_in_order():
    # given: a row queued, then a savepoint whose reader flushes it along with its own row
    ticket = make_ticket()

    with transaction.atomic(), deferred_writes():
        insert_deferred(event(ticket, "first message"))
        try:
            with transaction.atomic():
                insert_deferred(event(ticket, "failing message"))
                flush_deferred()
                assert names(ticket) == ["first message", "failing message"]
                raise ValueError("the message fails after the flush")
        except ValueError:
            pass
        # the rollback took both rows back
        assert names(ticket) == []
        insert_deferred(event(ticket, "third message"))

    # then: the first row is written again, before the third; the failed one's is not
    assert names(ticket) == ["first message", "third message"]


def test_a_flush_inside_a_savepoint_that_is_released_is_not_written_twice():
    ticket = make_ticket()

    with transaction.atomic(), deferred_writes():
        with transaction.atomic():
            insert_deferred(event(ticket, "a"))
            flush_deferred()
        insert_deferred(event(ticket, "b"))
        flush_deferred()

    assert names(ticket) == ["a", "b"]


def test_an_error_in_the_block_writes_nothing():
    ticket = make_ticket()

    with pytest.raises(ValueError), transaction.atomic(), deferred_writes():
        insert_deferred(event(ticket, "a"))
        raise ValueError("the batch fails")

    assert names(ticket) == []


def test_a_row_that_cannot_be_written_raises_when_the_block_ends_and_its_transaction_rolls_back():
    # given: a good row and one the database refuses (an event has a kind)
    ticket = make_ticket()
    bad = event(ticket, "bad")
    bad.kind = None

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic(), deferred_writes():
        insert_deferred(event(ticket, "good"))
        insert_deferred(bad)

    assert names(ticket) == []


def test_ids_are_given_to_their_writer_once_sorted_at_the_end():
    # given
    calls: list[list[int]] = []

    # when
    with transaction.atomic(), deferred_writes():
        for pk in (5, 3, 5, 1):
            defer_ids(calls.append, pk)
        assert calls == []

    # then
    assert calls == [[1, 3, 5]]


def test_outside_a_block_ids_are_written_at_once():
    calls: list[list[int]] = []

    defer_ids(calls.append, 7)

    assert calls == [[7]]
