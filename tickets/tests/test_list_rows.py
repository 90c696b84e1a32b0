"""Ticket lists read their rows' company, contact, site (and, when asked, unit, contract and tag
names) in one query per kind and chunk, without Django's per-ticket prefetch managers."""

import pytest

from tests.factories import (
    ContactFactory,
    ContractFactory,
    EquipmentFactory,
    SiteFactory,
    make_ticket,
)
from tickets import selectors
from tickets.models import Ticket
from tickets.selectors import list_extras, ticket_tag_names, with_related
from tickets.services import ticket_set_tags

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets():
    site = SiteFactory(name="Котельная")
    contact = ContactFactory(company=site.company, full_name="Иванов Пётр")
    unit = EquipmentFactory(site=site, name="Котёл №2", inventory_number="ИН-7")
    contract = ContractFactory(company=site.company, number="ТО-77")
    full = make_ticket(title="Котёл не греет", contact=contact, site=site, equipment=unit)
    Ticket.objects.filter(pk=full.pk).update(contract=contract)
    ticket_set_tags(ticket=full, actor=None, tags=["отопление", "Авария"])
    bare = make_ticket(title="Без клиента")
    more = [make_ticket(title=f"Ещё {n}", contact=contact) for n in range(3)]
    return full, bare, more


def test_names_of_a_list_come_with_it_and_cost_no_query_each(tickets, django_assert_num_queries):
    # given
    full, bare, _more = tickets
    qs = with_related(Ticket.objects.order_by("id"), extras=("equipment", "contract"), tags=True)
    # when: tickets, then companies, contacts, sites, units, contracts and tags: one query each
    with django_assert_num_queries(7):
        rows = {t.pk: t for t in qs}
    # then: reading them queries nothing more
    with django_assert_num_queries(0):
        first, empty = rows[full.pk], rows[bare.pk]
        assert first.company.name == full.company.name
        assert first.contact.full_name == "Иванов Пётр"
        assert first.site.name == "Котельная"
        assert (first.equipment.name, first.equipment.inventory_number) == ("Котёл №2", "ИН-7")
        assert first.contract.number == "ТО-77"
        assert first.tag_names == ["Авария", "отопление"]
        assert ticket_tag_names(first) == ["Авария", "отопление"]
        assert (empty.company, empty.contact, empty.site, empty.equipment, empty.contract) == (None,) * 5
        assert empty.tag_names == []


def test_without_extras_only_the_client_side_names_are_read(tickets, django_assert_num_queries):
    full, _bare, _more = tickets
    with django_assert_num_queries(4):
        row = next(t for t in with_related(Ticket.objects.all()) if t.pk == full.pk)
    with django_assert_num_queries(0):
        assert row.site.name == "Котельная"
    assert not hasattr(row, "tag_names")
    # a row read without its tags still answers them, by a query
    with django_assert_num_queries(1):
        assert ticket_tag_names(row) == ["Авария", "отопление"]


def test_extras_add_to_a_list_and_survive_filtering(tickets, django_assert_num_queries):
    full, _bare, _more = tickets
    qs = list_extras(with_related(Ticket.objects.all(), extras=("contract",)), extras=("equipment",), tags=True)
    with django_assert_num_queries(7):
        row = qs.filter(pk=full.pk).get()
    with django_assert_num_queries(0):
        assert (row.equipment.name, row.contract.number) == ("Котёл №2", "ТО-77")
        assert row.tag_names == ["Авария", "отопление"]


def test_long_lists_are_read_a_chunk_at_a_time(tickets, monkeypatch, django_assert_num_queries):
    # given: chunks of two rows over five tickets
    monkeypatch.setattr(selectors, "LIST_CHUNK", 2)
    full, _bare, _more = tickets
    # when: the iterator streams them: the tickets in one query, then per chunk the companies,
    # contacts and tags, and the sites only for the first chunk (the only one with a site)
    with django_assert_num_queries(1 + 4 + 3 + 3):
        rows = list(with_related(Ticket.objects.order_by("id"), tags=True).iterator(chunk_size=100))
    # then: every row has its names
    assert len(rows) == 5
    with django_assert_num_queries(0):
        assert all(t.contact.full_name == "Иванов Пётр" for t in rows if t.pk != _bare.pk)
        assert [t.tag_names for t in rows if t.pk == full.pk] == [["Авария", "отопление"]]


def test_queue_rows_are_light_rows_with_everything_a_row_shows(tickets, django_assert_num_queries):
    # given the reference snapshot loaded, and a team, an assignee and a priority that exist
    from tests.factories import TeamFactory, UserFactory, priority
    from tickets.reference import reference
    from tickets.selectors import TicketRow, ticket_rows
    from tickets.services import ticket_assign, ticket_update

    full, bare, _more = tickets
    team, engineer = TeamFactory(name_ru="Котельщики"), UserFactory(full_name="Пётр Котельщик")
    ticket_update(ticket=full, actor=None, team=team, priority=priority("high"))
    ticket_assign(ticket=full, actor=None, assignee=engineer)
    reference()
    # when: the tickets, then the names of companies, contacts and sites and the tags in one query
    with django_assert_num_queries(2):
        rows = {r.pk: r for r in ticket_rows(Ticket.objects.order_by("id"))}
    # then: rows, not models, holding what the queue shows
    first, empty = rows[full.pk], rows[bare.pk]
    assert isinstance(first, TicketRow)
    assert (first.number, first.title, first.channel) == (full.number, "Котёл не греет", full.channel)
    assert (first.company.name, first.contact.full_name, first.site.name) == (
        full.company.name,
        "Иванов Пётр",
        "Котельная",
    )
    assert (first.company.pk, first.contact.pk, first.site.pk) == (full.company_id, full.contact_id, full.site_id)
    assert (first.status.code, first.priority.code) == ("open", "high")
    assert (first.team.pk, first.team.name, first.assignee.full_name) == (team.pk, team.name, "Пётр Котельщик")
    assert first.tag_names == ["Авария", "отопление"]
    assert (empty.company, empty.contact, empty.site, empty.team, empty.assignee, empty.tag_names) == (
        None,
        None,
        None,
        None,
        None,
        [],
    )


def test_a_reference_row_the_snapshot_does_not_hold_yet_is_read(tickets, django_assert_num_queries):
    # given the snapshot loaded before a priority was added where it could not hear (a plain INSERT)
    from tickets.models import Priority
    from tickets.reference import reference
    from tickets.selectors import ticket_rows

    full, _bare, _more = tickets
    reference()
    (urgent,) = Priority.objects.bulk_create(
        [Priority(code="p0", name_ru="Нулевой", name_en="Zero", order=0, colour="#000000", is_active=True)]
    )
    Ticket.objects.filter(pk=full.pk).update(priority=urgent)
    # when: one query more, for that priority
    with django_assert_num_queries(3):
        row = next(r for r in ticket_rows(Ticket.objects.all()) if r.pk == full.pk)
    # then
    assert (row.priority.pk, row.priority.code) == (urgent.pk, "p0")
