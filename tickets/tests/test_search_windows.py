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
