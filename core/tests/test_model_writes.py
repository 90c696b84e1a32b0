"""core.db.insert_model and update_model: the same rows as save(), from statements built once."""

import pytest
from django.db import DatabaseError, connection
from django.db.models import F
from django.db.models.functions import Now
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.db import _insert_statements, _update_statements, insert_model, insert_or_skip, update_model
from tickets.models import Article, Ticket

pytestmark = pytest.mark.django_db


NOW = timezone.now()


def _ticket(number: int) -> Ticket:
    from tickets.models import Priority, Status

    now = NOW
    return Ticket(
        number=number,
        title="Лифт",
        status=Status.objects.order_by("order").first(),
        priority=Priority.objects.order_by("order").first(),
        created_at=now,
        updated_at=now,
        received_at=now,
    )


def _row(model, pk):
    return {k: v for k, v in model.objects.filter(pk=pk).values().get().items() if k not in ("id", "number")}


def test_the_row_is_the_one_save_writes_and_the_statement_is_django_s():
    # given two equal tickets and an article each
    ours, theirs = _ticket(900001), _ticket(900002)

    # when one is inserted by insert_model (twice over: the statement is built, then reused)
    # and the other by save()
    with CaptureQueriesContext(connection) as ours_queries:
        insert_model(ours)
        article = Article(ticket=ours, body="Течёт", created_at=ours.created_at, received_at=ours.created_at)
        insert_model(article)
    theirs.save(force_insert=True)
    their_article = Article.objects.create(
        ticket=theirs, body="Течёт", created_at=ours.created_at, received_at=ours.created_at
    )
    again = _ticket(900003)
    insert_model(again)

    # then the rows are the same but for their ids, the instances know their ids and database
    assert ours.pk and article.pk and again.pk
    assert not ours._state.adding and ours._state.db == "default"
    assert _row(Ticket, ours.pk) == _row(Ticket, theirs.pk) == _row(Ticket, again.pk)
    assert {**_row(Article, article.pk), "ticket_id": 0} == {**_row(Article, their_article.pk), "ticket_id": 0}
    # and one statement each, Django's own
    assert len(ours_queries) == 2
    assert _insert_statements[(Ticket, "default", False)].startswith('INSERT INTO "tickets_ticket"')


def test_what_it_does_not_cover_is_saved_by_save():
    # given a receiver of Ticket's post_save, and an article with a value that is an expression
    saved = []

    def receiver(sender, instance, created, **kwargs):
        saved.append((instance.number, created))

    post_save.connect(receiver, sender=Ticket, dispatch_uid="test-insert-model")
    try:
        ticket = _ticket(900010)
        insert_model(ticket)
    finally:
        post_save.disconnect(dispatch_uid="test-insert-model", sender=Ticket)
    article = Article(ticket=ticket, body="x", created_at=Now(), received_at=NOW)
    insert_model(article)

    # then save() wrote both: the signal was sent, the expression evaluated by the database
    assert saved == [(900010, True)]
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert Article.objects.get(pk=article.pk).created_at > NOW


def test_update_model_writes_the_fields_as_save_does_and_refuses_a_missing_row():
    # given a ticket and its twin
    ours, theirs = _ticket(900020), _ticket(900021)
    insert_model(ours)
    insert_model(theirs)

    # when the same fields change, through update_model (twice: built, then reused) and save()
    for ticket in (ours, theirs):
        ticket.title, ticket.description, ticket.contract_id = "Новый", "Текст", None
    with CaptureQueriesContext(connection) as queries:
        update_model(ours, ["title", "description", "contract"])
        update_model(ours, ["title", "description", "contract"])
    theirs.save(update_fields=["title", "description", "contract"])

    # then the rows agree, each UPDATE one statement
    assert _row(Ticket, ours.pk) == _row(Ticket, theirs.pk)
    assert len(queries) == 2 and (Ticket, "default", ("title", "description", "contract")) in _update_statements
    # a row that is gone is an error, as with save(update_fields=…)
    Ticket.objects.filter(pk=ours.pk).delete()
    with pytest.raises(DatabaseError):
        update_model(ours, ["title"])
    # and an expression is left to save()
    theirs.number = F("number") + 1
    update_model(theirs, ["number"])
    assert Ticket.objects.get(pk=theirs.pk).number == 900022


def test_insert_or_skip_inserts_once_per_unique_value_by_one_statement_built_once():
    from intake.models import InboundMessage

    def message(raw: bytes) -> InboundMessage:
        return InboundMessage(
            channel="email", source="lmtp", dedup_key="once@test", raw=raw, size=len(raw), received_at=NOW
        )

    # given a message stored by insert_or_skip
    first = message(b"first")
    assert insert_or_skip(first) is True
    assert first.pk and not first._state.adding
    # when another with the same (channel, dedup_key) comes, and then a third with a new key
    with CaptureQueriesContext(connection) as queries:
        second = message(b"second")
        skipped = insert_or_skip(second)
        third = message(b"third")
        third.dedup_key = "other@test"
        inserted = insert_or_skip(third)
    # then the second is not written and stays unsaved, the third is; one statement each, the same
    assert skipped is False and second.pk is None and second._state.adding
    assert inserted is True and third.pk
    assert [bytes(m.raw) for m in InboundMessage.objects.order_by("pk")] == [b"first", b"third"]
    assert len(queries) == 2 and queries[0]["sql"].split("VALUES")[0] == queries[1]["sql"].split("VALUES")[0]
    assert _insert_statements[(InboundMessage, "default", True)].startswith("INSERT")
