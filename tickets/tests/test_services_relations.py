"""Tags, observers, links, parents, merge, delayed reopening and the immutability of events."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import make_ticket, status
from tickets.choices import EventKind, StatusCategory
from tickets.models import ImmutableError, Tag, Ticket, TicketEvent, TicketLink
from tickets.services import (
    article_create,
    ticket_link,
    ticket_merge,
    ticket_reopen_delayed,
    ticket_set_observers,
    ticket_set_parent,
    ticket_set_status,
    ticket_set_tags,
    ticket_unlink,
)

# tags


def test_setting_tags_records_old_and_new(agent):
    # given
    ticket = make_ticket(tags=["лифт"])
    # when
    changed = ticket_set_tags(ticket=ticket, actor=agent, tags=["срочно", "лифт", "  ", "срочно"])
    # then
    event = ticket.events.get(kind=EventKind.TAGS_CHANGED)
    assert changed is True
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["лифт", "срочно"]
    assert event.data == {"old": ["лифт"], "new": ["лифт", "срочно"]}
    assert Tag.objects.count() == 2


def test_setting_the_same_tags_changes_nothing(agent):
    # given
    ticket = make_ticket(tags=["лифт", "срочно"])
    # when
    changed = ticket_set_tags(ticket=ticket, actor=agent, tags=["срочно", "лифт"])
    # then
    assert changed is False
    assert not ticket.events.filter(kind=EventKind.TAGS_CHANGED).exists()


def test_clearing_tags(agent):
    # given
    ticket = make_ticket(tags=["лифт"])
    # when
    ticket_set_tags(ticket=ticket, actor=agent, tags=[])
    # then
    assert ticket.tags.count() == 0
    assert ticket.events.get(kind=EventKind.TAGS_CHANGED).data == {"old": ["лифт"], "new": []}


# observers


def test_observers_are_staff_only(agent, other_agent, client_user):
    # given
    ticket = make_ticket()
    # when
    changed = ticket_set_observers(ticket=ticket, actor=agent, observers=[other_agent, client_user])
    # then
    assert changed is True
    assert list(ticket.observers.all()) == [other_agent]
    assert ticket.events.get(kind=EventKind.OBSERVERS_CHANGED).data == {
        "new": [{"id": other_agent.pk, "name": "Борис Диспетчер"}]
    }


def test_setting_the_same_observers_changes_nothing(agent, other_agent):
    # given
    ticket = make_ticket(observers=[other_agent])
    # when
    changed = ticket_set_observers(ticket=ticket, actor=agent, observers=[other_agent])
    # then
    assert changed is False
    assert not ticket.events.filter(kind=EventKind.OBSERVERS_CHANGED).exists()


# links


def test_a_link_is_symmetric_and_stored_once(agent):
    # given
    first = make_ticket(title="Первая")
    second = make_ticket(title="Вторая")
    # when
    link = ticket_link(ticket=first, actor=agent, other=second)
    again = ticket_link(ticket=second, actor=agent, other=first)
    # then
    assert again == link
    assert TicketLink.objects.count() == 1
    assert first.events.get(kind=EventKind.LINK_ADDED).data == {"kind": "related", "ticket": second.number}
    assert second.events.get(kind=EventKind.LINK_ADDED).data == {"kind": "related", "ticket": first.number}


def test_unlinking_from_either_side(agent):
    # given
    first = make_ticket()
    second = make_ticket()
    ticket_link(ticket=first, actor=agent, other=second)
    # when
    removed = ticket_unlink(ticket=second, actor=agent, other=first)
    removed_again = ticket_unlink(ticket=second, actor=agent, other=first)
    # then
    assert removed is True
    assert removed_again is False
    assert TicketLink.objects.count() == 0
    assert first.events.filter(kind=EventKind.LINK_REMOVED).count() == 1
    assert second.events.filter(kind=EventKind.LINK_REMOVED).count() == 1


def test_a_ticket_cannot_be_linked_to_itself(agent):
    # given
    ticket = make_ticket()
    # when
    with pytest.raises(ValidationError) as exc:
        ticket_link(ticket=ticket, actor=agent, other=ticket)
    # then
    assert list(exc.value.message_dict) == ["other"]


# parents


def test_setting_and_removing_a_parent(agent):
    # given
    parent = make_ticket(title="Авария на подстанции")
    child = make_ticket(title="Нет света в офисе")
    # when
    ticket_set_parent(ticket=child, actor=agent, parent=parent)
    child.refresh_from_db()
    parent_after_set = child.parent
    ticket_set_parent(ticket=child, actor=agent, parent=None)
    child.refresh_from_db()
    # then
    assert parent_after_set == parent
    assert child.parent is None
    assert [e.data for e in child.events.filter(kind=EventKind.FIELD_CHANGED).order_by("id")] == [
        {"field": "parent", "old": None, "new": {"number": parent.number}},
        {"field": "parent", "old": {"number": parent.number}, "new": None},
    ]


def test_a_parent_cycle_is_refused(agent):
    # given
    grandparent = make_ticket()
    parent = make_ticket()
    child = make_ticket()
    ticket_set_parent(ticket=parent, actor=agent, parent=grandparent)
    ticket_set_parent(ticket=child, actor=agent, parent=parent)
    # when
    with pytest.raises(ValidationError) as exc:
        ticket_set_parent(ticket=grandparent, actor=agent, parent=child)
    # then
    grandparent.refresh_from_db()
    assert list(exc.value.message_dict) == ["parent"]
    assert grandparent.parent is None


def test_a_ticket_cannot_be_its_own_parent(agent):
    # given
    ticket = make_ticket()
    # when / then
    with pytest.raises(ValidationError):
        ticket_set_parent(ticket=ticket, actor=agent, parent=ticket)


# merge


def test_merge_moves_articles_and_closes_the_source(agent, other_agent, contact):
    # given
    source = make_ticket(contact=contact, title="Дубль", tags=["лифт"], observers=[other_agent])
    target = make_ticket(contact=contact, title="Основная")
    article_create(ticket=source, author=agent, body="Ответ в дубле")
    # when
    result = ticket_merge(source=source, target=target, actor=agent)
    # then
    source.refresh_from_db()
    assert result == target
    assert source.articles.count() == 0
    assert list(target.articles.values_list("body", flat=True)) == [
        "В переговорной жарко, кондиционер не включается.",
        "В переговорной жарко, кондиционер не включается.",
        "Ответ в дубле",
    ]
    assert source.merged_into == target
    assert source.status == status("closed")
    assert source.status_category == StatusCategory.CLOSED
    assert source.closed_at is not None
    assert list(target.tags.values_list("name", flat=True)) == ["лифт"]
    assert list(target.observers.all()) == [other_agent]
    assert source.events.get(kind=EventKind.MERGED_INTO).data == {"ticket": target.number, "articles": 2}
    assert target.events.get(kind=EventKind.MERGED).data == {"ticket": source.number, "articles": 2}


def test_a_ticket_is_merged_only_once(agent):
    # given
    source = make_ticket()
    first_target = make_ticket()
    second_target = make_ticket()
    ticket_merge(source=source, target=first_target, actor=agent)
    # when: the caller still holds the object it loaded before the first merge
    with pytest.raises(ValidationError) as exc:
        ticket_merge(source=source, target=second_target, actor=agent)
    # then
    source.refresh_from_db()
    assert list(exc.value.message_dict) == ["source"]
    assert source.merged_into == first_target
    assert second_target.articles.count() == 1
    assert not second_target.events.filter(kind=EventKind.MERGED).exists()


def test_merging_into_a_merged_ticket_is_refused(agent):
    # given
    source = make_ticket()
    merged = make_ticket()
    survivor = make_ticket()
    ticket_merge(source=merged, target=survivor, actor=agent)
    # when
    with pytest.raises(ValidationError) as exc:
        ticket_merge(source=source, target=merged, actor=agent)
    # then
    source.refresh_from_db()
    assert list(exc.value.message_dict) == ["target"]
    assert source.merged_into is None


def test_a_ticket_cannot_be_merged_into_itself(agent):
    # given
    ticket = make_ticket()
    # when / then
    with pytest.raises(ValidationError):
        ticket_merge(source=ticket, target=ticket, actor=agent)


# delayed tickets


def test_a_delayed_ticket_reopens_once(agent):
    # given
    ticket = make_ticket()
    until = timezone.now() + timedelta(hours=1)
    ticket_set_status(ticket=ticket, actor=agent, status=status("delayed"), delayed_until=until)
    still_delayed = make_ticket()
    ticket_set_status(
        ticket=still_delayed, actor=agent, status=status("delayed"), delayed_until=until + timedelta(days=1)
    )
    later = until + timedelta(minutes=1)
    # when
    first_run = ticket_reopen_delayed(now=later)
    events_after_first = TicketEvent.objects.count()
    second_run = ticket_reopen_delayed(now=later)
    # then
    ticket.refresh_from_db()
    still_delayed.refresh_from_db()
    assert first_run == 1
    assert second_run == 0
    assert TicketEvent.objects.count() == events_after_first
    assert ticket.status == status("open")
    assert ticket.delayed_until is None
    assert ticket.events.filter(kind=EventKind.REOPENED).count() == 1
    assert still_delayed.status == status("delayed")


def test_nothing_reopens_before_its_time(agent):
    # given
    ticket = make_ticket()
    until = timezone.now() + timedelta(hours=1)
    ticket_set_status(ticket=ticket, actor=agent, status=status("delayed"), delayed_until=until)
    # when
    reopened = ticket_reopen_delayed(now=until - timedelta(seconds=1))
    # then
    ticket.refresh_from_db()
    assert reopened == 0
    assert ticket.status == status("delayed")


# events


def test_an_event_cannot_be_changed(db):
    # given
    event = make_ticket().events.get()
    event.data = {"forged": True}
    # when / then
    with pytest.raises(ImmutableError):
        event.save()
    assert TicketEvent.objects.get(pk=event.pk).data != {"forged": True}


def test_an_event_cannot_be_deleted(db):
    # given
    event = make_ticket().events.get()
    # when / then
    with pytest.raises(ImmutableError):
        event.delete()
    assert TicketEvent.objects.filter(pk=event.pk).exists()


def test_every_service_records_an_event(agent, engineer, contact):
    # given
    ticket = make_ticket(contact=contact)
    other = make_ticket()
    # when
    article_create(ticket=ticket, author=agent, body="Ответ")
    ticket_set_tags(ticket=ticket, actor=agent, tags=["a"])
    ticket_set_observers(ticket=ticket, actor=agent, observers=[engineer])
    ticket_link(ticket=ticket, actor=agent, other=other)
    ticket_set_parent(ticket=ticket, actor=agent, parent=other)
    ticket_set_status(ticket=ticket, actor=agent, status=status("resolved"))
    # then
    assert list(Ticket.objects.get(pk=ticket.pk).events.values_list("kind", flat=True)) == [
        EventKind.CREATED,
        EventKind.ARTICLE_ADDED,
        EventKind.TAGS_CHANGED,
        EventKind.OBSERVERS_CHANGED,
        EventKind.LINK_ADDED,
        EventKind.FIELD_CHANGED,
        EventKind.STATUS_CHANGED,
    ]
