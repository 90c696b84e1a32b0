"""core/keyset.py: seek pagination forward and back, over mixed-direction and nullable sort keys."""

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from core.keyset import InvalidCursor, paginate
from tests.factories import make_ticket, priority
from tickets.models import Ticket

UPDATED = ["-updated_at", "-id"]
BY_PRIORITY = ["priority__order", "-updated_at", "-id"]
BY_DEADLINE = ["sla_due", "id"]


def _cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _numbers(page) -> list[int]:
    return [t.number for t in page.rows]


@pytest.fixture
def seven_tickets(db):
    """Seven tickets, two of them updated at the very same moment (the id breaks the tie)."""
    now = timezone.now()
    tickets = [make_ticket(title=f"t{i}") for i in range(7)]
    for i, ticket in enumerate(tickets):
        moment = now - timedelta(minutes=10) if i in (2, 3) else now - timedelta(minutes=i)
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=moment)
    return list(Ticket.objects.order_by(*UPDATED).values_list("number", flat=True))


def test_walking_forward_three_pages_and_back(seven_tickets):
    # given
    qs = Ticket.objects.all()
    # when
    first = paginate(qs, order=UPDATED, size=3)
    second = paginate(qs, order=UPDATED, size=3, after=first.next_cursor)
    third = paginate(qs, order=UPDATED, size=3, after=second.next_cursor)
    back_to_second = paginate(qs, order=UPDATED, size=3, before=third.prev_cursor)
    back_to_first = paginate(qs, order=UPDATED, size=3, before=back_to_second.prev_cursor)
    # then
    assert _numbers(first) + _numbers(second) + _numbers(third) == seven_tickets
    assert [len(first.rows), len(second.rows), len(third.rows)] == [3, 3, 1]
    assert first.prev_cursor is None
    assert third.next_cursor is None
    assert _numbers(back_to_second) == _numbers(second)
    assert _numbers(back_to_first) == _numbers(first)
    assert back_to_first.prev_cursor is None
    assert back_to_first.next_cursor == first.next_cursor


def test_mixed_direction_sort_has_no_duplicates_or_gaps(db):
    # given: priorities ascending, then most recently updated, then newest id; many ties
    now = timezone.now()
    for i, code in enumerate(["low", "critical", "normal", "critical", "low", "normal", "critical", "high", "normal"]):
        ticket = make_ticket(title=f"t{i}", priority=priority(code))
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now - timedelta(minutes=i % 3))
    qs = Ticket.objects.select_related("priority")
    expected = list(qs.order_by(*BY_PRIORITY).values_list("number", flat=True))
    # when
    pages = [paginate(qs, order=BY_PRIORITY, size=2)]
    while pages[-1].next_cursor:
        pages.append(paginate(qs, order=BY_PRIORITY, size=2, after=pages[-1].next_cursor))
    backwards = [pages[-1]]
    while backwards[-1].prev_cursor:
        backwards.append(paginate(qs, order=BY_PRIORITY, size=2, before=backwards[-1].prev_cursor))
    # then
    assert [n for page in pages for n in _numbers(page)] == expected
    assert len(pages) == 5
    assert [n for page in reversed(backwards) for n in _numbers(page)] == expected
    assert len(backwards) == 5


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "%%%",
        _cursor([1]),
        _cursor({"a": 1}),
        _cursor(["Tuesday", 5]),
        _cursor(["garbage", 5]),
        _cursor(["2026-03-01T10:00:00+00:00", "five"]),
        _cursor([{"x": 1}, 5]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
    ids=[
        "not base64",
        "symbols",
        "too short",
        "not a list",
        "not a date",
        "not a date at all",
        "not an id",
        "not a value",
        "not utf-8",
    ],
)
@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_garbage_cursor_is_ignored(seven_tickets, cursor, direction):
    # when
    page = paginate(Ticket.objects.all(), order=UPDATED, size=3, **{direction: cursor})
    # then
    assert _numbers(page) == seven_tickets[:3]
    assert page.prev_cursor is None


@pytest.fixture
def deadlines(db):
    """Eight tickets: four with a deadline (two of them the same), four without. The expected
    order: nearest deadline first, a tie by id, then the tickets without one by id."""
    now = timezone.now()
    tickets = [make_ticket(title=f"t{i}") for i in range(8)]
    for index, hours in {2: 1, 0: 2, 5: 2, 1: 3}.items():
        Ticket.objects.filter(pk=tickets[index].pk).update(sla_due=now + timedelta(hours=hours))
    return [tickets[i].number for i in (2, 0, 5, 1, 3, 4, 6, 7)]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
def test_a_nullable_key_walks_forward_and_back_with_the_nulls_last(deadlines, size):
    # given
    qs = Ticket.objects.all()
    # when
    pages = [paginate(qs, order=BY_DEADLINE, size=size)]
    while pages[-1].next_cursor:
        pages.append(paginate(qs, order=BY_DEADLINE, size=size, after=pages[-1].next_cursor))
    backwards = [pages[-1]]
    while backwards[-1].prev_cursor:
        backwards.append(paginate(qs, order=BY_DEADLINE, size=size, before=backwards[-1].prev_cursor))
    # then
    assert [n for page in pages for n in _numbers(page)] == deadlines
    assert len(pages) == -(-len(deadlines) // size)
    assert [n for page in reversed(backwards) for n in _numbers(page)] == deadlines
    assert [_numbers(page) for page in reversed(backwards)] == [_numbers(page) for page in pages]


def test_a_cursor_on_a_null_key_continues_among_the_nulls(deadlines):
    # given: the cursor of the first ticket without a deadline
    first_without = Ticket.objects.get(number=deadlines[4])
    # when
    page = paginate(Ticket.objects.all(), order=BY_DEADLINE, size=10, after=_cursor([None, first_without.pk]))
    # then
    assert _numbers(page) == deadlines[5:]
    assert page.next_cursor is None


@pytest.mark.parametrize(
    "cursor",
    ["garbage!!", _cursor([None, 5]), _cursor(["2026-03-01T10:00:00+00:00", None])],
    ids=["not base64", "a null key that cannot be null", "a null id"],
)
def test_a_strict_page_refuses_a_cursor_it_did_not_make(seven_tickets, cursor):
    with pytest.raises(InvalidCursor):
        paginate(Ticket.objects.all(), order=UPDATED, size=3, after=cursor, strict=True)


def test_a_null_in_a_key_that_cannot_be_null_is_ignored(seven_tickets):
    page = paginate(Ticket.objects.all(), order=UPDATED, size=3, after=_cursor([None, 5]))
    assert _numbers(page) == seven_tickets[:3]
