"""core/keyset.py: seek pagination forward and back, over mixed-direction sort keys."""

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from core.keyset import paginate
from tests.factories import make_ticket, priority
from tickets.models import Ticket

UPDATED = ["-updated_at", "-id"]
BY_PRIORITY = ["priority__order", "-updated_at", "-id"]


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
