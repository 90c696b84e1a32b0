"""The ticket page's reads: what they return equals what the plain ORM reads gave, in fewer
queries (bench/README.md, session 17)."""

import pytest

from assets.models import Equipment
from notifications.models import OutboxMessage
from tests.factories import EquipmentFactory, SiteFactory, TeamFactory, make_ticket, upload
from tickets.choices import ArticleKind
from tickets.forms import equipment_choice_rows, equipment_choices
from tickets.selectors import article_list_for_user, article_thread_for_user, ticket_page_relations
from tickets.services import article_create


def _offered(ticket) -> list[int]:
    return list(equipment_choices(ticket).values_list("pk", flat=True))


def test_the_units_offered_are_read_in_one_query_in_the_order_of_the_form(company, django_assert_num_queries):
    # given: active units of the company, one retired unit that is the ticket's, one of another company
    site = SiteFactory(company=company)
    b = EquipmentFactory(site=site, name="Б")
    a = EquipmentFactory(site=site, name="А")
    own = EquipmentFactory(site=site, name="В")
    EquipmentFactory(site=site, name="Г", is_active=False)
    EquipmentFactory(name="А чужой")
    ticket = make_ticket(company=company, site=site, equipment=own)
    Equipment.objects.filter(pk=own.pk).update(is_active=False)
    # when
    with django_assert_num_queries(1):
        rows = equipment_choice_rows(ticket)
    # then
    assert [r.pk for r in rows] == _offered(ticket) == [a.pk, b.pk, own.pk]
    assert [str(r) for r in rows] == ["А", "Б", "В"]


def test_over_the_limit_the_units_offered_are_the_sites_and_the_tickets_own(company, monkeypatch):
    # given: three active units at two sites, a limit of one
    monkeypatch.setattr("tickets.forms.EQUIPMENT_CHOICES_MAX", 1)
    site, other_site = SiteFactory(company=company), SiteFactory(company=company)
    here = EquipmentFactory(site=site, name="здесь")
    elsewhere = EquipmentFactory(site=site, name="там")
    EquipmentFactory(site=other_site, name="ещё там")
    ticket = make_ticket(company=company, site=site, equipment=elsewhere)
    Equipment.objects.filter(pk=elsewhere.pk).update(site=other_site)  # the unit moved since
    # when
    rows = equipment_choice_rows(ticket)
    # then
    assert [r.pk for r in rows] == _offered(ticket) == [here.pk, elsewhere.pk]


def test_over_the_limit_without_a_site_every_active_unit_is_offered(company, monkeypatch):
    # given
    monkeypatch.setattr("tickets.forms.EQUIPMENT_CHOICES_MAX", 1)
    units = [EquipmentFactory(company=company, site=None, name=f"unit {n}") for n in range(3)]
    ticket = make_ticket(company=company)
    # when
    rows = equipment_choice_rows(ticket)
    # then
    assert [r.pk for r in rows] == _offered(ticket) == [u.pk for u in units]


@pytest.mark.parametrize("viewer", ["agent", "client_user"])
def test_the_thread_is_the_visible_articles_with_files_and_deliveries(
    request, viewer, agent, team, contact, django_assert_num_queries
):
    # given: the ticket's description, a client's message with two files, an agent's reply sent to
    # two addresses, a note
    ticket = make_ticket(team=team, contact=contact, company=contact.company)
    asked = article_create(
        ticket=ticket, author=None, author_contact=contact, body="help", attachments=[upload(), upload("b.png")]
    )
    answer = article_create(ticket=ticket, author=agent, body="on it")
    article_create(ticket=ticket, author=agent, body="psst", kind=ArticleKind.NOTE)
    OutboxMessage.objects.filter(article=answer).delete()
    sent = [
        OutboxMessage.objects.create(
            kind="reply", channel="email", dedup_key=key, ticket=ticket, article=answer, recipient=f"{key}@x.ru"
        )
        for key in ("one", "two")
    ]
    OutboxMessage.objects.create(
        kind="ack", channel="email", dedup_key="ack", ticket=ticket, article=asked, recipient="a"
    )
    user = request.getfixturevalue(viewer) if viewer == "agent" else _client_of(contact)
    # when
    with django_assert_num_queries(3):
        thread = article_thread_for_user(user=user, ticket=ticket)
    # then: the articles the plain selector gives, with their authors' names at no query
    assert [a.pk for a in thread] == [a.pk for a in article_list_for_user(user=user, ticket=ticket)]
    with django_assert_num_queries(0):
        names = [a.author_name for a in thread]
        files = [[f.filename for f in a.files] for a in thread]
        deliveries = [[d.pk for d in a.deliveries] for a in thread]
    expected_names = [contact.full_name, contact.full_name, agent.full_name, agent.full_name]
    expected_files = [[], ["photo.png", "b.png"], [], []]
    expected_deliveries = [[], [], [s.pk for s in sent], []]
    count = 4 if viewer == "agent" else 3
    assert (names, files, deliveries) == (expected_names[:count], expected_files[:count], expected_deliveries[:count])


def _client_of(contact):
    from tests.factories import ClientUserFactory

    return ClientUserFactory(contact=contact)


def test_a_thread_without_files_or_deliveries_costs_one_query(agent, team, contact, django_assert_num_queries):
    # given: a client's message and a note, neither with a file or an outgoing message
    ticket = make_ticket(team=team, contact=contact, company=contact.company)
    article_create(ticket=ticket, author=None, author_contact=contact, body="help")
    article_create(ticket=ticket, author=agent, body="psst", kind=ArticleKind.NOTE)
    OutboxMessage.objects.all().delete()
    # when
    with django_assert_num_queries(1):
        thread = article_thread_for_user(user=agent, ticket=ticket)
    # then
    assert [a.body for a in thread][1:] == ["help", "psst"]
    assert [(a.files, a.deliveries) for a in thread] == [([], [])] * 3
    assert [a.author_name for a in thread][1:] == [contact.full_name, agent.full_name]


def test_a_thread_without_articles_costs_one_query(agent, team, django_assert_num_queries):
    # given
    ticket = make_ticket(team=team)
    ticket.articles.all().delete()
    # when
    with django_assert_num_queries(1):
        thread = article_thread_for_user(user=agent, ticket=ticket)
    # then
    assert thread == []


def _rich_ticket(company, contact, team, agent, engineer, other_agent, *, messages: int):
    """A ticket with everything the page shows: client, site, unit, contract with a price list,
    works, tags, observers, a related and a child ticket, a colleague viewing, and `messages`
    client messages with a file each plus as many replies sent by email."""
    from contracts.models import PriceList, TicketWork
    from tests.factories import ContractFactory
    from tickets.models import TicketPresence
    from tickets.services import ticket_link, ticket_set_observers, ticket_set_parent, ticket_set_tags

    site = SiteFactory(company=company)
    unit = EquipmentFactory(site=site)
    contract = ContractFactory(company=company, price_list=PriceList.objects.create(name="Базовый"))
    ticket = make_ticket(company=company, contact=contact, site=site, equipment=unit, team=team)
    ticket.contract = contract
    ticket.save(update_fields=["contract"])
    ticket_set_tags(ticket=ticket, actor=agent, tags=["vip"])
    ticket_set_observers(ticket=ticket, actor=agent, observers=[engineer])
    ticket_link(ticket=ticket, actor=agent, other=make_ticket(team=team))
    ticket_set_parent(ticket=make_ticket(team=team), actor=agent, parent=ticket)
    TicketPresence.objects.create(ticket=ticket, user=other_agent, is_replying=False)
    for n in range(messages):
        article_create(ticket=ticket, author=None, author_contact=contact, body=f"q{n}", attachments=[upload()])
        reply = article_create(ticket=ticket, author=agent, body=f"a{n}")
        OutboxMessage.objects.create(
            kind="reply",
            channel="email",
            dedup_key=f"r{ticket.pk}-{n}",
            ticket=ticket,
            article=reply,
            recipient="p@x.ru",
        )
        TicketWork.objects.create(ticket=ticket, contract=contract, name=f"w{n}", performed_by=engineer)
    return ticket


def test_the_ticket_page_reads_a_fixed_number_of_queries(
    agent_client, company, contact, team, agent, engineer, other_agent, django_assert_num_queries
):
    # given: two tickets alike but for the length of their conversation and their works
    short = _rich_ticket(company, contact, team, agent, engineer, other_agent, messages=1)
    long = _rich_ticket(company, contact, team, agent, engineer, other_agent, messages=4)
    agent_client.get(f"/tickets/{short.number}/")
    # when / then: the session and the user (their teams come with the reference snapshot), the
    # ticket with its client-side rows, presence, the history, tags, observers, links, children,
    # colleagues present and incident links in one, the linked tickets, the conversation
    # (articles, files, deliveries), the units offered, the coverage (contracts and their sites,
    # units, services), works, unread notifications (the "Record work" form's price list items
    # come when the form is opened)
    for ticket in (short, long):
        with django_assert_num_queries(17):
            response = agent_client.get(f"/tickets/{ticket.number}/")
        assert response.status_code == 200


def test_the_links_card_names_only_the_tickets_the_viewer_may_see(agent_client, agent, team, other_team):
    # given: a parent, a related ticket and a child of the agent's team, and of another team a
    # second parent's worth of tickets (related, child) and the ticket this one was merged into
    from tickets.services import ticket_link, ticket_merge, ticket_set_parent

    ticket = make_ticket(team=team, title="this one")
    parent = make_ticket(team=team, title="parent")
    ticket_set_parent(ticket=ticket, actor=agent, parent=parent)
    related = make_ticket(team=team, title="related")
    hidden_related = make_ticket(team=other_team, title="hidden related")
    ticket_link(ticket=ticket, actor=agent, other=related)
    ticket_link(ticket=hidden_related, actor=agent, other=ticket)
    child = make_ticket(team=team, title="child")
    hidden_child = make_ticket(team=other_team, title="hidden child")
    for t in (child, hidden_child):
        ticket_set_parent(ticket=t, actor=agent, parent=ticket)
    hidden_target = make_ticket(team=other_team, title="hidden target")
    ticket_merge(source=ticket, target=hidden_target, actor=agent)
    # when
    page = agent_client.get(f"/tickets/{ticket.number}/")
    # then
    context = page.context
    assert context["parent"].number == parent.number
    assert [t.number for t in context["related"]] == [related.number]
    assert [t.number for t in context["children"]] == [child.number]
    assert context["merged_into"] is None
    html = page.content.decode()
    assert f"#{parent.number} parent" in html and f"#{child.number} child" in html
    assert "hidden related" not in html and "hidden child" not in html and "hidden target" not in html


def test_a_visible_merge_target_is_named(agent_client, agent, team):
    # given
    from tickets.services import ticket_merge

    ticket, target = make_ticket(team=team), make_ticket(team=team)
    ticket_merge(source=ticket, target=target, actor=agent)
    # when
    page = agent_client.get(f"/tickets/{ticket.number}/")
    # then
    assert page.context["merged_into"].number == target.number
    assert f'<a href="/tickets/{target.number}/">#{target.number}</a>' in page.content.decode()


def test_tags_observers_and_links_are_read_in_one_query(agent, engineer, other_agent, team, django_assert_num_queries):
    # given: tags given out of order, two observers, links made from either side, and another
    # ticket's tags, observers and links
    from tickets.services import ticket_link, ticket_set_observers, ticket_set_tags

    ticket, other = make_ticket(team=team), make_ticket(team=team)
    ticket_set_tags(ticket=ticket, actor=agent, tags=["zeta", "Alpha", "ключ"])
    ticket_set_observers(ticket=ticket, actor=agent, observers=[engineer, other_agent])
    forward, backward, unrelated = make_ticket(team=team), make_ticket(team=team), make_ticket(team=team)
    ticket_link(ticket=ticket, actor=agent, other=forward)
    ticket_link(ticket=backward, actor=agent, other=ticket)
    ticket_set_tags(ticket=other, actor=agent, tags=["other"])
    ticket_set_observers(ticket=other, actor=agent, observers=[agent])
    ticket_link(ticket=other, actor=agent, other=unrelated)
    # when
    with django_assert_num_queries(1):
        relations = ticket_page_relations(ticket)
    # then: what the ORM reads
    assert relations.tag_names == list(ticket.tags.values_list("name", flat=True))
    assert sorted(relations.observer_ids) == sorted([engineer.pk, other_agent.pk])
    assert relations.related_ids == {forward.pk, backward.pk}


def test_a_ticket_without_tags_observers_or_links(team):
    # given
    ticket = make_ticket(team=team)
    # when
    relations = ticket_page_relations(ticket)
    # then
    assert (relations.tag_names, relations.observer_ids, relations.related_ids) == ([], [], set())


def test_a_ticket_without_links_reads_no_linked_tickets(agent, team, django_assert_num_queries):
    # given: a ticket with neither links nor children, and one with a child of another team
    from tickets.selectors import linked_tickets_for_user
    from tickets.services import ticket_set_parent

    plain = make_ticket(team=team)
    relations = ticket_page_relations(plain)
    parent = make_ticket(team=team)
    visible_child, hidden_child = make_ticket(team=team), make_ticket()
    hidden_child.team = TeamFactory()
    hidden_child.save()
    for child in (visible_child, hidden_child):
        ticket_set_parent(ticket=child, actor=None, parent=parent)
    # when / then
    assert relations.child_ids == relations.related_ids == set()
    with django_assert_num_queries(0):
        assert linked_tickets_for_user(user=agent, ids=relations.child_ids) == []
    children = ticket_page_relations(parent).child_ids
    assert children == {visible_child.pk, hidden_child.pk}
    assert [t.pk for t in linked_tickets_for_user(user=agent, ids=children)] == [visible_child.pk]


def test_the_page_read_says_which_side_panel_parts_have_rows(agent, team, company):
    # given: a company with a retired unit and a draft contract, and one with an active unit, a
    # contract in force and a work on its ticket
    from contracts.models import ContractStatus, TicketWork
    from tests.factories import CompanyFactory, ContractFactory
    from tickets.selectors import TicketPageParts, ticket_get_for_page

    EquipmentFactory(company=company, is_active=False)
    ContractFactory(company=company, status=ContractStatus.DRAFT)
    bare = make_ticket(team=team, company=company)
    busy_company = CompanyFactory()
    EquipmentFactory(company=busy_company)
    ContractFactory(company=busy_company)
    busy = make_ticket(team=team, company=busy_company)
    TicketWork.objects.create(ticket=busy, name="Выезд")
    nobody = make_ticket(team=team)
    # when / then
    assert ticket_get_for_page(user=agent, number=bare.number).page_parts == TicketPageParts(False, False, False)
    assert ticket_get_for_page(user=agent, number=busy.number).page_parts == TicketPageParts(True, True, True)
    assert ticket_get_for_page(user=agent, number=nobody.number).page_parts == TicketPageParts(False, False, False)


def test_a_ticket_without_units_contracts_or_works_reads_none_of_them(
    agent_client, team, company, django_assert_num_queries
):
    # given: a ticket of a company with nothing for the side panel, nobody else present
    ticket = make_ticket(team=team, company=company)
    agent_client.get(f"/tickets/{ticket.number}/")
    # when / then: the session and the user, the ticket (with which parts have rows), presence,
    # the history, the relations statement, the conversation, unread notifications — no units,
    # contracts, works or linked tickets
    with django_assert_num_queries(8):
        response = agent_client.get(f"/tickets/{ticket.number}/")
    html = response.content.decode()
    assert "No works recorded." in html
    assert 'name="equipment"' in html and "No links." in html


def test_the_coverage_of_a_unit_of_a_ticket_without_company(agent_client, team, company):
    # given: a ticket whose company was cleared, its unit kept (the unit's company has a contract)
    from contracts.coverage import coverage_for
    from tests.factories import ContractFactory
    from tickets.services import ticket_update

    contract = ContractFactory(company=company)
    unit = EquipmentFactory(company=company)
    ticket = make_ticket(team=team, company=company, equipment=unit)
    ticket_update(ticket=ticket, actor=None, company=None)
    assert coverage_for(company=None, equipment=unit).contract == contract
    # when
    response = agent_client.get(f"/tickets/{ticket.number}/")
    # then: the page finds it too, through the unit's company
    assert response.context["coverage"].contract == contract


@pytest.mark.parametrize("path", ["/tickets/{n}/", "/tickets/{n}/live/"])
def test_a_number_beyond_the_column_is_not_found(agent_client, path):
    assert agent_client.get(path.format(n=10**20)).status_code == 404
    assert agent_client.get(path.format(n=0)).status_code == 404
