"""tickets.search looks at the newest tickets first and widens only when it found too little."""

from tests.factories import make_ticket
from tickets import search


def test_an_old_match_is_found_by_widening_the_window(db, monkeypatch):
    # given: the matching ticket is older than the first window
    monkeypatch.setattr(search, "SEARCH_WINDOWS", (2, None))
    old = make_ticket(title="Протечка в подвале", description="Вода на полу")
    for n in range(4):
        make_ticket(title=f"Замена лампы {n}", description="Лампа перегорела")
    # when
    found = search.search_ticket_ids("протечки", limit=10)
    # then
    assert found == [old.pk]


def test_newest_window_is_enough_when_it_fills_the_page(db, monkeypatch):
    # given: three matches, the newest two inside the first window
    monkeypatch.setattr(search, "SEARCH_WINDOWS", (2, None))
    first = make_ticket(title="Лифт застрял")
    second = make_ticket(title="Лифт шумит")
    third = make_ticket(title="Лифт не едет")
    # when: two results are enough
    found = search.search_ticket_ids("лифты", limit=2)
    # then: they come from the newest tickets, the oldest is not even looked at
    assert sorted(found) == sorted([second.pk, third.pk])
    assert first.pk not in found


def test_subject_matches_rank_above_body_matches(db):
    # given: the subject match is the older ticket, so only rank can put it first
    in_title = make_ticket(title="Серверная: перегрев", description="Кондиционер не холодит")
    in_body = make_ticket(title="Не работает свет", description="Видимо, сгорел щиток в серверной")
    # when
    found = search.search_ticket_ids("серверная", limit=10)
    # then
    assert found == [in_title.pk, in_body.pk]


def test_the_postgres_document_is_built_from_exactly_the_indexed_text(db):
    """On PostgreSQL index_ticket builds the document in one statement; it must hold exactly what
    _document_parts describes (the benchmark seeder and the SQLite index use that text)."""
    from django.db import connection

    from customers.models import ContactEmail, ContactPhone
    from tests.factories import CompanyFactory, ContactFactory, UserFactory
    from tickets.services import article_create

    if connection.vendor != "postgresql":
        import pytest

        pytest.skip("the one-statement document is PostgreSQL's")
    # given: a ticket with every part — empty ones too — and emails/phones in a non-id order
    company = CompanyFactory(name="ООО «Ромашка»")
    contact = ContactFactory(full_name="Анна Петрова", company=company)
    ContactEmail.objects.create(contact=contact, email="second@romashka.ru")
    ContactEmail.objects.create(contact=contact, email="main@romashka.ru", is_primary=True)
    ContactPhone.objects.create(contact=contact, phone="+7 (495) 123-45-67", is_primary=True)
    ContactPhone.objects.create(contact=contact, phone="8 800 555-35-35")
    ticket = make_ticket(title="Протечка в серверной", description="", contact=contact)
    article_create(ticket=ticket, author=UserFactory(), body="Выезжаем, будем через час")
    article_create(ticket=ticket, author=None, author_contact=contact, body="Ждём\nна проходной")
    # when
    search.index_ticket(ticket.pk)
    heading, body = search._document_parts(ticket.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT document = setweight(to_tsvector('russian', %s), 'A')"
            " || setweight(to_tsvector('russian', %s), 'B'),"
            " document::text FROM tickets_search WHERE ticket_id = %s",
            [heading, body, ticket.pk],
        )
        same, document = cursor.fetchone()
    # then
    assert "Ждём\nна проходной" in body and "main@romashka.ru\nsecond@romashka.ru" in body
    assert same, document
