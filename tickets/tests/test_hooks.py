"""tickets/hooks.py: other apps hear of every ticket change, in order, inside the transaction."""

import pytest

from tests.factories import UserFactory, make_ticket, status
from tickets.hooks import hook_register, hook_unregister
from tickets.services import article_create, ticket_assign, ticket_set_status, ticket_set_tags, ticket_update


@pytest.fixture
def heard():
    calls: list[tuple[str, str, frozenset[str], int | None]] = []

    def late(*, trigger, ticket, actor, changed, article):
        calls.append(("late", trigger, changed, article.pk if article else None))

    def early(*, trigger, ticket, actor, changed, article):
        calls.append(("early", trigger, changed, article.pk if article else None))

    hook_register("created", late, order=200)
    hook_register("created", early, order=100)
    hook_register("created", early, order=100)  # registering twice calls it once
    for trigger in ("updated", "article_added"):
        hook_register(trigger, early)
    yield calls
    for trigger in ("created", "updated", "article_added"):
        hook_unregister(trigger, early)
        hook_unregister(trigger, late)


def test_created_runs_hooks_in_their_order_with_the_first_article(db, heard):
    # when
    ticket = make_ticket(title="Не работает лифт")
    # then
    first = ticket.articles.get()
    assert heard == [("early", "created", frozenset(), first.pk), ("late", "created", frozenset(), first.pk)]


def test_updates_name_the_fields_that_changed(db, heard):
    # given
    ticket = make_ticket(title="Протечка")
    agent = UserFactory()
    heard.clear()
    # when
    ticket_update(ticket=ticket, actor=agent, title="Протечка в серверной")
    ticket_update(ticket=ticket, actor=agent, title="Протечка в серверной")  # nothing changes
    ticket_set_tags(ticket=ticket, actor=agent, tags=["вода"])
    ticket_set_status(ticket=ticket, actor=agent, status=status("waiting_client"))
    ticket_assign(ticket=ticket, actor=agent, assignee=agent)
    # then
    assert [(trigger, changed) for _, trigger, changed, _ in heard] == [
        ("updated", frozenset({"title"})),
        ("updated", frozenset({"tags"})),
        ("updated", frozenset({"status", "status_category", "delayed_until"})),
        ("updated", frozenset({"assignee"})),
    ]


def test_an_update_hook_covered_by_created_is_skipped_only_inside_that_tickets_created_round(db):
    # given a "rule" that, while a ticket is being created, changes it and another ticket
    other = make_ticket(title="Другая")
    calls: list[tuple[int, frozenset[str]]] = []

    def updated(*, trigger, ticket, actor, changed, article):
        calls.append((ticket.pk, changed))

    def rule(*, trigger, ticket, actor, changed, article):
        ticket_update(ticket=ticket, actor=None, title="Лифт стоит")
        ticket_update(ticket=other, actor=None, title="Другая, изменена")

    hook_register("updated", updated, covered_by_created=True)
    hook_register("created", rule, order=100)
    try:
        # when
        ticket = make_ticket(title="Лифт")
        # then: the new ticket's own update is covered by its created round, the other one's is not
        assert calls == [(other.pk, frozenset({"title"}))]
        calls.clear()
        # when the ticket changes later
        ticket_update(ticket=ticket, actor=None, title="Лифт снова")
        # then the hook hears it
        assert calls == [(ticket.pk, frozenset({"title"}))]
    finally:
        hook_unregister("updated", updated)
        hook_unregister("created", rule)


def test_covered_by_created_is_for_updates_only(db):
    with pytest.raises(ValueError):
        hook_register("created", lambda **kwargs: None, covered_by_created=True)


def test_an_article_is_heard_with_itself(db, heard):
    # given
    ticket = make_ticket(title="Дым в щитовой")
    heard.clear()
    # when
    article = article_create(ticket=ticket, author=UserFactory(), body="Выезжаем")
    # then
    assert heard == [("early", "article_added", frozenset(), article.pk)]


def test_tags_are_reused_case_insensitively_and_new_ones_made_once(db):
    # given an existing tag
    from tickets.models import Tag

    ticket = make_ticket(title="Лифт")
    ticket_set_tags(ticket=ticket, actor=None, tags=["Лифт"])
    # when the same tag in another case and a new one (twice) are set
    ticket_set_tags(ticket=ticket, actor=None, tags=["лифт", "Авария", "АВАРИЯ", " "])
    # then one row per tag, the first spelling kept
    assert sorted(Tag.objects.values_list("name", "key")) == [("Авария", "авария"), ("Лифт", "лифт")]
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["Авария", "Лифт"]
