from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import ContractFactory, EquipmentFactory, make_ticket, priority, status
from tickets.models import Tag, Ticket, TicketEvent
from tickets.reference import reference
from tickets.services import ticket_assign, ticket_set_tags

LIST = "/api/v1/tickets/"


def detail(ticket):
    return f"/api/v1/tickets/{ticket.number}/"


def numbers(response):
    return [row["number"] for row in response.json()["results"]]


# Reading


def test_agent_reads_a_ticket_in_full(world, api_as):
    ticket_set_tags(ticket=world.ticket_a, actor=None, tags=["vip", "ac"])
    ticket = Ticket.objects.get(pk=world.ticket_a.pk)

    response = api_as(world.agent).get(detail(ticket))

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": ticket.pk,
        "number": ticket.number,
        "title": "Не работает кондиционер",
        "description": "В переговорной жарко, кондиционер не включается.",
        "status": {"id": status("new").pk, "code": "new", "name": "New", "category": "new"},
        "delayed_until": None,
        "priority": {"id": priority("normal").pk, "code": "normal", "name": "Normal"},
        "type": None,
        "category": None,
        "company": {"id": world.company_a.pk, "name": "ООО Ромашка"},
        "contact": {"id": world.contact_a.pk, "full_name": "Анна Петрова"},
        "site": {"id": world.site_a.pk, "name": "Склад на Ленина"},
        "equipment": None,
        "contract": None,
        "team": {"id": world.team.pk, "code": "service", "name": "Service"},
        "assignee": None,
        "tags": ["ac", "vip"],
        "channel": "email",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "received_at": body["received_at"],
        "first_response_at": None,
        "resolved_at": None,
        "closed_at": None,
        "sla": {
            "policy": None,
            "first_response": {"due": None, "state": ""},
            "next_response": {"due": None, "state": ""},
            "resolution": {"due": None, "state": ""},
            "due": None,
            "breached": False,
            "paused_seconds": 0,
        },
    }
    assert body["updated_at"] == ticket.updated_at.astimezone(timezone.get_current_timezone()).isoformat()


def test_client_does_not_see_internal_tags(world, api_as):
    ticket_set_tags(ticket=world.ticket_a, actor=None, tags=["difficult"])

    body = api_as(world.client_a).get(detail(world.ticket_a)).json()

    assert "tags" not in body
    assert body["number"] == world.ticket_a.number


def test_ticket_of_another_company_is_404_for_a_client(world, api_as):
    client_b = api_as(world.client_b)

    assert client_b.get(detail(world.ticket_a)).status_code == 404
    assert client_b.patch(detail(world.ticket_a), {"title": "x"}, format="json").status_code == 404
    assert client_b.get(detail(world.ticket_b)).status_code == 200


def test_unknown_number_is_404(world, api_as):
    assert api_as(world.admin).get("/api/v1/tickets/999999/").status_code == 404


def test_agent_does_not_see_another_teams_ticket(world, api_as):
    assert api_as(world.agent).get(detail(world.ticket_b)).status_code == 404


def test_lists_are_scoped_to_the_viewer(world, api_as):
    assigned = make_ticket(title="Заменить фильтр", team=world.other_team)
    ticket_assign(ticket=assigned, actor=None, assignee=world.contractor)

    assert numbers(api_as(world.admin).get(LIST)) == [assigned.number, world.ticket_b.number, world.ticket_a.number]
    assert numbers(api_as(world.agent).get(LIST)) == [world.ticket_a.number]
    assert numbers(api_as(world.contractor).get(LIST)) == [assigned.number]
    assert numbers(api_as(world.client_a).get(LIST)) == [world.ticket_a.number]
    assert numbers(api_as(world.client_b).get(LIST)) == [world.ticket_b.number]


def test_client_sees_all_company_tickets_when_the_company_allows_it(world, api_as):
    colleague = make_ticket(title="Сломан замок", company=world.company_a)
    world.company_a.portal_contacts_see_all_tickets = True
    world.company_a.save(update_fields=["portal_contacts_see_all_tickets"])

    assert numbers(api_as(world.client_a).get(LIST)) == [colleague.number, world.ticket_a.number]


# Filters


@pytest.fixture
def queue(world):
    """Three more tickets visible to the administrator, differing in every filtered field."""
    urgent = make_ticket(
        title="Авария", priority=priority("critical"), team=world.team, company=world.company_a, channel="phone"
    )
    ticket_assign(ticket=urgent, actor=None, assignee=world.admin)
    closed = make_ticket(title="Старая", status=status("closed"), company=world.company_b, site=world.site_b)
    ticket_set_tags(ticket=closed, actor=None, tags=["archive"])
    unassigned = make_ticket(title="Новая", channel="api")
    return {"urgent": urgent, "closed": closed, "unassigned": unassigned}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=closed", ["closed"]),
        ("status=new,closed", ["unassigned", "closed", "b", "a"]),
        ("status_category=open", ["urgent"]),
        ("open=true", ["unassigned", "urgent", "b", "a"]),
        ("priority=critical", ["urgent"]),
        ("team=service", ["urgent", "a"]),
        ("assignee=me", ["urgent"]),
        ("assignee=none&status=new", ["unassigned", "b", "a"]),
        ("company={company_b}", ["closed", "b"]),
        ("contact={contact_a}", ["a"]),
        ("site={site_b}", ["closed", "b"]),
        ("tag=archive", ["closed"]),
        ("channel=phone&channel=api", ["unassigned", "closed", "urgent", "b"]),
    ],
)
def test_list_filters(world, queue, api_as, query, expected):
    named = {**queue, "a": world.ticket_a, "b": world.ticket_b}
    query = query.format(company_b=world.company_b.pk, contact_a=world.contact_a.pk, site_b=world.site_b.pk)

    response = api_as(world.admin).get(f"{LIST}?{query}")

    assert response.status_code == 200, response.json()
    assert numbers(response) == [named[name].number for name in expected]


def test_status_filter_accepts_ids(world, queue, api_as):
    response = api_as(world.admin).get(f"{LIST}?status={status('closed').pk}")

    assert numbers(response) == [queue["closed"].number]


def test_created_range_filter(world, api_as):
    old = make_ticket(title="Прошлогодняя")
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    today = timezone.localdate()

    recent = api_as(world.admin).get(f"{LIST}?created_from={today - timedelta(days=1)}&created_to={today}")
    past = api_as(world.admin).get(f"{LIST}?created_to={today - timedelta(days=300)}")

    assert numbers(recent) == [world.ticket_b.number, world.ticket_a.number]
    assert numbers(past) == [old.number]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=nonexistent", "status"),
        ("priority=999999", "priority"),
        ("team=nobody", "team"),
        ("assignee=someone", "assignee"),
        ("status_category=lost", "status_category"),
        ("channel=pigeon", "channel"),
        ("company=abc", "company"),
        ("created_from=yesterday", "created_from"),
        ("created_from=2024-05-02&created_to=2024-05-01", "created_to"),
        ("updated_since=last-week", "updated_since"),
    ],
)
def test_bad_filter_values_are_400_naming_the_parameter(world, api_as, query, field):
    response = api_as(world.admin).get(f"{LIST}?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_unknown_status_code_message(world, api_as):
    response = api_as(world.admin).get(f"{LIST}?status=lost,new")

    assert response.json() == {"status": ["Unknown id or code: lost."]}


# Pagination and sync


def test_cursor_pagination_walks_every_page(world, api_as):
    more = [make_ticket(title=f"Заявка {i}") for i in range(5)]
    client = api_as(world.admin)
    expected = [t.number for t in reversed([world.ticket_a, world.ticket_b, *more])]

    seen, pages, url = [], 0, f"{LIST}?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [row["number"] for row in page["results"]]
        pages += 1
        url = page["next"]

    assert seen == expected
    assert pages == 3


def test_updated_since_lists_changes_most_recent_first_across_pages(world, api_as):
    base = timezone.now() - timedelta(hours=1)
    older = make_ticket(title="Давно не менялась")
    Ticket.objects.filter(pk=older.pk).update(updated_at=base - timedelta(days=1))
    Ticket.objects.filter(pk=world.ticket_a.pk).update(updated_at=base + timedelta(minutes=30))
    Ticket.objects.filter(pk=world.ticket_b.pk).update(updated_at=base + timedelta(minutes=10))
    later = make_ticket(title="Только что")
    Ticket.objects.filter(pk=later.pk).update(updated_at=base + timedelta(minutes=20))
    client = api_as(world.admin)

    first = client.get(LIST, {"updated_since": base.isoformat(), "page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert [r["number"] for r in first["results"]] == [world.ticket_a.number, later.number]
    assert [r["number"] for r in second["results"]] == [world.ticket_b.number]
    assert second["next"] is None


def test_updated_since_accepts_an_offset_whose_plus_was_not_encoded(world, api_as):
    since = (timezone.now() - timedelta(minutes=5)).astimezone(timezone.get_fixed_timezone(180))
    raw = since.replace(microsecond=0).isoformat()  # 2024-05-01T10:00:00+03:00

    response = api_as(world.admin).get(f"{LIST}?updated_since={raw}")

    assert response.status_code == 200
    assert numbers(response) == [world.ticket_b.number, world.ticket_a.number]


@pytest.mark.parametrize("ordering", ["", "-updated", "created", "sla_due"])
def test_ticket_list_query_count_does_not_grow_with_rows(world, api_as, django_assert_max_num_queries, ordering):
    for i in range(30):
        ticket = make_ticket(title=f"Заявка {i}", contact=world.contact_a, site=world.site_a, team=world.team)
        ticket_set_tags(ticket=ticket, actor=None, tags=[f"t{i}", "common"])
        ticket_assign(ticket=ticket, actor=None, assignee=world.agent)
        if i % 2:
            Ticket.objects.filter(pk=ticket.pk).update(sla_due=timezone.now() + timedelta(hours=i))
    client = api_as(world.agent)
    params = {"ordering": ordering, "page_size": 20} if ordering else {"page_size": 20}
    first = client.get(LIST, params).json()

    reference()  # loaded, as in a running server (tickets/reference.py)
    # token + user, the agent's teams, the page, the tags of the page, and the page's company,
    # contact and site rows (prefetched, not joined; the rest is reference data)
    with django_assert_max_num_queries(7):
        response = client.get(LIST, params)
    with django_assert_max_num_queries(7):
        second = client.get(first["next"])

    assert len(response.json()["results"]) == 20
    assert len(second.json()["results"]) == 11


def test_ordering_by_creation_either_way(world, api_as):
    # given: an imported ticket created before the world's, though its id is the largest
    imported = make_ticket(title="Из старой системы")
    Ticket.objects.filter(pk=imported.pk).update(created_at=world.ticket_a.created_at - timedelta(days=30))
    client = api_as(world.admin)
    # when
    oldest_first = numbers(client.get(LIST, {"ordering": "created"}))
    newest_first = numbers(client.get(LIST, {"ordering": "-created"}))
    by_id = numbers(client.get(LIST))
    # then
    assert oldest_first == [imported.number, world.ticket_a.number, world.ticket_b.number]
    assert newest_first == list(reversed(oldest_first))
    assert by_id == [imported.number, world.ticket_b.number, world.ticket_a.number]


def test_ordering_by_update_overrides_the_default(world, api_as):
    # given
    Ticket.objects.filter(pk=world.ticket_a.pk).update(updated_at=timezone.now() + timedelta(minutes=5))
    # when
    response = api_as(world.admin).get(LIST, {"ordering": "-updated"})
    # then
    assert numbers(response) == [world.ticket_a.number, world.ticket_b.number]


def test_an_unknown_ordering_is_a_400_and_a_foreign_cursor_a_404(world, api_as):
    client = api_as(world.admin)

    unknown = client.get(LIST, {"ordering": "priority_desc"})
    foreign = client.get(LIST, {"cursor": "cD0yMDI2LTAxLTAx"})  # a DRF cursor
    tampered = client.get(LIST, {"cursor": "nW1siMjAyNiIsICJmaXZlIl1d"})

    assert unknown.status_code == 400
    assert unknown.json() == {"ordering": ['"priority_desc" is not a valid choice.']}
    assert (foreign.status_code, foreign.json()) == (404, {"detail": "Invalid cursor"})
    assert tampered.status_code == 404


# Search


def test_search_finds_other_word_forms_in_rank_order(world, api_as):
    lift = make_ticket(title="Застряли лифты", description="Оба лифта стоят между этажами", team=world.team)
    make_ticket(title="Не горит свет", team=world.team)

    response = api_as(world.agent).get(LIST, {"search": "лифт"})

    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": [response.json()["results"][0]]}
    assert numbers(response) == [lift.number]


def test_search_is_limited_to_visible_tickets_and_to_other_filters(world, api_as):
    make_ticket(title="Лифт в офисе B", contact=world.contact_b)
    own = make_ticket(title="Лифт на складе", contact=world.contact_a)

    as_client_a = api_as(world.client_a).get(LIST, {"search": "лифты"})
    with_filter = api_as(world.admin).get(LIST, {"search": "лифт", "company": world.company_a.pk})

    assert numbers(as_client_a) == [own.number]
    assert numbers(with_filter) == [own.number]


def test_search_with_no_visible_tickets_is_empty(db, api_as):
    from tests.factories import UserFactory

    make_ticket(title="Лифт")
    contractor = UserFactory(role="contractor")

    response = api_as(contractor).get(LIST, {"search": "лифт"})

    assert response.json() == {"next": None, "previous": None, "results": []}


# Creating


def test_agent_creates_a_ticket_with_every_field(world, api_as):
    payload = {
        "title": "  Шумит вентилятор ",
        "description": "Сильный гул в серверной.",
        "priority": "high",
        "type": "incident",
        "company": world.company_a.pk,
        "contact": world.contact_a.pk,
        "site": world.site_a.pk,
        "team": world.team.pk,
        "assignee": world.agent.pk,
        "tags": ["noise", "server"],
        "channel": "phone",
        "status": "open",
    }

    response = api_as(world.agent).post(LIST, payload, format="json")

    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert response["Location"] == f"/api/v1/tickets/{ticket.number}/"
    assert (ticket.title, ticket.priority.code, ticket.type.code, ticket.status.code, ticket.channel) == (
        "Шумит вентилятор",
        "high",
        "incident",
        "open",
        "phone",
    )
    assert (ticket.company, ticket.contact, ticket.site, ticket.team, ticket.assignee, ticket.created_by) == (
        world.company_a,
        world.contact_a,
        world.site_a,
        world.team,
        world.agent,
        world.agent,
    )
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["noise", "server"]
    assert response.json()["tags"] == ["noise", "server"]
    assert TicketEvent.objects.filter(ticket=ticket, kind="created", actor=world.agent).count() == 1


def test_client_creates_a_ticket_for_themselves_over_the_api_channel(world, api_as):
    response = api_as(world.client_a).post(
        LIST, {"title": "Мигает свет", "description": "В коридоре.", "site": world.site_a.pk}, format="json"
    )

    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert (ticket.channel, ticket.contact, ticket.company, ticket.site, ticket.created_by) == (
        "api",
        world.contact_a,
        world.company_a,
        world.site_a,
        None,
    )
    first = ticket.articles.get()
    assert (first.author_kind, first.author_contact, first.author_user, first.body) == (
        "contact",
        world.contact_a,
        world.client_a,
        "В коридоре.",
    )
    assert api_as(world.client_a).get(detail(ticket)).status_code == 200


def test_client_cannot_set_staff_fields(world, api_as):
    response = api_as(world.client_a).post(
        LIST,
        {"title": "Срочно", "assignee": world.agent.pk, "team": "service", "status": "open", "tags": ["x"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "assignee": ["Client contacts cannot set this field."],
        "status": ["Client contacts cannot set this field."],
        "tags": ["Client contacts cannot set this field."],
        "team": ["Client contacts cannot set this field."],
    }
    assert not Ticket.objects.filter(title="Срочно").exists()


def test_client_cannot_use_another_companys_site(world, api_as):
    response = api_as(world.client_a).post(LIST, {"title": "Чужой объект", "site": world.site_b.pk}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["site"]


def test_agent_cannot_mix_companies(world, api_as):
    response = api_as(world.admin).post(
        LIST, {"title": "Путаница", "company": world.company_a.pk, "site": world.site_b.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"site": ["The site belongs to another company."]}


def test_missing_title_names_the_field(world, api_as):
    response = api_as(world.agent).post(LIST, {"description": "без темы"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"title": ["This field is required."]}


def test_unknown_priority_code_names_the_field(world, api_as):
    response = api_as(world.agent).post(LIST, {"title": "x", "priority": "urgentest"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"priority": ['Nothing with id or code "urgentest" exists.']}


def test_reference_fields_by_id_or_code_cost_no_query_and_refuse_what_is_switched_off(world, api_as):
    # given the reference snapshot is loaded, and a type switched off by an administrator
    from tickets.models import TicketType

    old = TicketType.objects.create(code="old-type", name_ru="Старый", name_en="Old", is_active=True)
    old.is_active = False
    old.save()  # as the settings page saves it: the snapshot is told
    reference()
    client = api_as(world.agent)
    plain = {"title": "Лифт", "priority": priority("high").pk, "team": world.team.code}
    assert client.post(LIST, plain, format="json").status_code == 201  # what a first create reads once is read
    with CaptureQueriesContext(connection) as baseline:
        assert client.post(LIST, plain, format="json").status_code == 201
    # when the same request names the priority by code and the team by id
    with CaptureQueriesContext(connection) as by_code:
        response = client.post(LIST, {**plain, "priority": "high", "team": world.team.pk}, format="json")
    # then the ticket has them, for the same queries
    assert response.status_code == 201
    assert (response.json()["priority"]["code"], response.json()["team"]["id"]) == ("high", world.team.pk)
    assert len(by_code) == len(baseline)
    read = ('FROM "tickets_priority" WHERE', 'FROM "accounts_team" WHERE')
    assert not [q["sql"] for q in by_code.captured_queries if any(table in q["sql"] for table in read)]
    # and the switched-off type is refused by code and by id
    for value in ("old-type", old.pk):
        refused = client.post(LIST, {"title": "x", "type": value}, format="json")
        assert refused.status_code == 400
        assert refused.json() == {"type": [f'Nothing with id or code "{value}" exists.']}


def test_a_reference_row_created_by_another_process_is_accepted_at_once(world, api_as):
    # given the snapshot was loaded before a priority was added where it could not hear (a plain INSERT)
    from tickets.models import Priority

    reference()
    Priority.objects.bulk_create(
        [Priority(code="p0", name_ru="Нулевой", name_en="Zero", order=0, colour="#000000", is_active=True)]
    )
    # when / then: it is looked up in the database
    response = api_as(world.agent).post(LIST, {"title": "x", "priority": "p0"}, format="json")
    assert response.status_code == 201
    assert response.json()["priority"]["code"] == "p0"


def test_a_create_answers_with_the_ticket_as_rules_and_assignment_left_it(world, api_as, settings):
    # given a rule sending leaks to the other team at high priority with a tag, and that team
    # assigning by round robin to its one engineer
    from accounts.choices import Role
    from automation.assignment.services import team_assignment_set
    from automation.models import Rule
    from automation.rules.engine import rules_reset
    from automation.tests.rules.helpers import act, cond, make_rule
    from tests.factories import UserFactory

    settings.OTKLIK_AUTOMATION_RULES = True
    Rule.objects.exclude(code="").update(is_active=False)  # only this test's rule
    rules_reset()
    engineer = UserFactory(full_name="Пётр Монтёров", role=Role.ENGINEER)
    world.other_team.members.add(engineer)
    team_assignment_set(team=world.other_team, strategy="round_robin", priority_weights={})
    make_rule(
        name="Протечки",
        conditions=[cond("text", "any", "протечка")],
        actions=[
            act("set_priority", priority("high").pk),
            act("set_team", world.other_team.pk),
            act("add_tags", ["вода"]),
        ],
    )
    client = api_as(world.admin)  # who may read the ticket in its new team
    # when
    response = client.post(LIST, {"title": "Протечка в серверной", "priority": "low"}, format="json")
    # then the answer is the ticket as stored: what a read of it gives
    assert response.status_code == 201
    body = response.json()
    assert (body["priority"]["code"], body["team"]["id"], body["assignee"]["id"], body["tags"]) == (
        "high",
        world.other_team.pk,
        engineer.pk,
        ["вода"],
    )
    assert body == client.get(response["Location"]).json()


def test_delay_status_cannot_be_given_at_creation(world, api_as):
    response = api_as(world.agent).post(LIST, {"title": "x", "status": "delayed"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_received_at_in_the_future_is_refused(world, api_as):
    later = (timezone.now() + timedelta(hours=2)).isoformat()

    response = api_as(world.agent).post(LIST, {"title": "x", "received_at": later}, format="json")

    assert response.json() == {"received_at": ["This time is in the future."]}


def test_ticket_with_attachments_from_multipart(world, api_as):
    photo = SimpleUploadedFile("щиток.jpg", b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")

    response = api_as(world.client_a).post(LIST, {"title": "Искрит щиток", "attachments": [photo]}, format="multipart")

    assert response.status_code == 201, response.json()
    attachment = Ticket.objects.get(number=response.json()["number"]).attachments.get()
    assert (attachment.filename, attachment.content_type, attachment.size) == ("щиток.jpg", "image/jpeg", 13)


def test_contractor_cannot_create_tickets(world, api_as):
    response = api_as(world.contractor).post(LIST, {"title": "x"}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "Contractors cannot create tickets."}


# Updating


def test_agent_changes_fields_status_assignee_and_tags_at_once(world, api_as):
    response = api_as(world.agent).patch(
        detail(world.ticket_a),
        {
            "title": "Кондиционер течёт",
            "priority": "high",
            "assignee": world.agent.pk,
            "status": "open",
            "tags": ["ac"],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    ticket = Ticket.objects.get(pk=world.ticket_a.pk)
    assert (ticket.title, ticket.priority.code, ticket.assignee, ticket.status.code) == (
        "Кондиционер течёт",
        "high",
        world.agent,
        "open",
    )
    assert list(ticket.tags.values_list("name", flat=True)) == ["ac"]
    assert response.json()["status"]["code"] == "open"
    assert response.json()["assignee"] == {"id": world.agent.pk, "full_name": "Ирина Агентова"}
    kinds = list(TicketEvent.objects.filter(ticket=ticket, actor=world.agent).values_list("kind", flat=True))
    assert kinds == ["field_changed", "field_changed", "assigned", "status_changed", "tags_changed"]


def test_delay_status_needs_a_date_and_nothing_changes_without_one(world, api_as):
    client = api_as(world.agent)

    refused = client.patch(detail(world.ticket_a), {"title": "Новое", "status": "delayed"}, format="json")
    until = timezone.now() + timedelta(days=2)
    accepted = client.patch(
        detail(world.ticket_a), {"status": "delayed", "delayed_until": until.isoformat()}, format="json"
    )

    assert refused.status_code == 400
    assert refused.json() == {"delayed_until": ["Choose a date and time in the future."]}
    assert accepted.status_code == 200
    ticket = Ticket.objects.get(pk=world.ticket_a.pk)
    assert (ticket.title, ticket.status.code, ticket.delayed_until) == ("Не работает кондиционер", "delayed", until)


def test_null_clears_an_optional_field(world, api_as):
    response = api_as(world.admin).patch(detail(world.ticket_a), {"site": None, "team": None}, format="json")

    assert response.status_code == 200
    assert (response.json()["site"], response.json()["team"]) == (None, None)


def test_agent_who_moves_a_ticket_out_of_their_queue_still_gets_the_result(world, api_as):
    response = api_as(world.agent).patch(detail(world.ticket_a), {"team": "install"}, format="json")

    assert response.status_code == 200
    assert response.json()["team"]["code"] == "install"
    assert api_as(world.agent).get(detail(world.ticket_a)).status_code == 404


def test_client_may_change_only_title_and_description(world, api_as):
    client = api_as(world.client_a)

    allowed = client.patch(detail(world.ticket_a), {"description": "Уже и пахнет гарью."}, format="json")
    refused = client.patch(detail(world.ticket_a), {"status": "closed", "priority": "critical"}, format="json")

    assert allowed.status_code == 200
    assert Ticket.objects.get(pk=world.ticket_a.pk).description == "Уже и пахнет гарью."
    assert refused.status_code == 400
    assert refused.json() == {
        "priority": ["Client contacts cannot set this field."],
        "status": ["Client contacts cannot set this field."],
    }


def test_blank_title_names_the_field(world, api_as):
    response = api_as(world.agent).patch(detail(world.ticket_a), {"title": ""}, format="json")

    assert response.status_code == 400
    assert response.json() == {"title": ["This field may not be blank."]}


def test_assignee_must_be_staff(world, api_as):
    response = api_as(world.agent).patch(detail(world.ticket_a), {"assignee": world.client_a.pk}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["assignee"]


def test_tags_created_on_the_fly(world, api_as):
    api_as(world.agent).patch(detail(world.ticket_a), {"tags": ["brand-new"]}, format="json")

    assert Tag.objects.filter(name="brand-new").exists()


def test_bodies_are_json_or_multipart(world, api_as):
    response = api_as(world.agent).post(LIST, "title=x", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415


# Equipment and contract


@pytest.fixture
def covered(world):
    """Company A's lift and the contract that covers every site of company A."""
    unit = EquipmentFactory(site=world.site_a, name="Лифт грузовой", inventory_number="ИНВ-1")
    contract = ContractFactory(company=world.company_a, number="ТО-1")
    return unit, contract


def test_agent_creates_a_ticket_about_a_unit_and_gets_its_contract(world, covered, api_as):
    unit, contract = covered

    response = api_as(world.agent).post(LIST, {"title": "Лифт застрял", "equipment": unit.pk}, format="json")

    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert (ticket.equipment, ticket.company, ticket.site, ticket.contract) == (
        unit,
        world.company_a,
        world.site_a,
        contract,
    )
    assert response.json()["equipment"] == {"id": unit.pk, "name": "Лифт грузовой", "inventory_number": "ИНВ-1"}
    assert response.json()["contract"] == {"id": contract.pk, "number": "ТО-1"}


def test_client_reports_about_their_unit_but_never_sees_the_contract(world, covered, api_as):
    unit, contract = covered
    client = api_as(world.client_a)

    created = client.post(LIST, {"title": "Лифт гудит", "equipment": unit.pk}, format="json")
    listed = client.get(LIST, {"equipment": unit.pk})

    assert created.status_code == 201, created.json()
    assert Ticket.objects.get(number=created.json()["number"]).contract == contract
    assert created.json()["equipment"]["id"] == unit.pk
    assert "contract" not in created.json()
    assert [row["number"] for row in listed.json()["results"]] == [created.json()["number"]]
    assert "contract" not in listed.json()["results"][0]


def test_client_cannot_name_another_companys_unit(world, api_as):
    unit_b = EquipmentFactory(site=world.site_b)

    response = api_as(world.client_a).post(LIST, {"title": "Чужой лифт", "equipment": unit_b.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {"equipment": [f'Invalid pk "{unit_b.pk}" - object does not exist.']}
    assert not Ticket.objects.filter(title="Чужой лифт").exists()


def test_agent_cannot_put_another_companys_unit_on_a_ticket(world, api_as):
    unit_b = EquipmentFactory(site=world.site_b)
    before = Ticket.objects.values().get(pk=world.ticket_a.pk)

    created = api_as(world.admin).post(
        LIST, {"title": "Путаница", "company": world.company_a.pk, "equipment": unit_b.pk}, format="json"
    )
    changed = api_as(world.admin).patch(detail(world.ticket_a), {"equipment": unit_b.pk}, format="json")

    assert (created.status_code, created.json()) == (400, {"equipment": ["The equipment belongs to another company."]})
    assert (changed.status_code, changed.json()) == (400, {"equipment": ["The equipment belongs to another company."]})
    assert Ticket.objects.values().get(pk=world.ticket_a.pk) == before


def test_patching_the_unit_re_evaluates_the_contract(world, api_as):
    unit = EquipmentFactory(site=world.site_a, name="Котёл")
    unit_contract = ContractFactory(company=world.company_a, number="К-1", sites=[world.site_a], equipment=[unit])

    set_unit = api_as(world.admin).patch(detail(world.ticket_a), {"equipment": unit.pk}, format="json")
    cleared = api_as(world.admin).patch(detail(world.ticket_a), {"equipment": None}, format="json")

    assert set_unit.status_code == 200, set_unit.json()
    assert set_unit.json()["contract"] == {"id": unit_contract.pk, "number": "К-1"}
    assert (cleared.json()["equipment"], cleared.json()["contract"]) == (
        None,
        {"id": unit_contract.pk, "number": "К-1"},
    )


def test_client_may_not_change_the_unit(world, covered, api_as):
    unit, _ = covered

    response = api_as(world.client_a).patch(detail(world.ticket_a), {"equipment": unit.pk}, format="json")

    assert (response.status_code, response.json()) == (400, {"equipment": ["Client contacts cannot set this field."]})


def test_equipment_filter(world, covered, api_as):
    unit, _ = covered
    make_ticket(title="Про лифт", contact=world.contact_a, team=world.team, equipment=unit)

    response = api_as(world.admin).get(LIST, {"equipment": unit.pk})
    bad = api_as(world.admin).get(LIST, {"equipment": "lift"})

    assert [row["title"] for row in response.json()["results"]] == ["Про лифт"]
    assert (bad.status_code, list(bad.json())) == (400, ["equipment"])


def test_ticket_list_with_units_and_contracts_does_not_grow_with_rows(world, api_as, django_assert_num_queries):
    def add_tickets(count):
        for i in range(count):
            unit = EquipmentFactory(site=world.site_a)
            contract = ContractFactory(company=world.company_a)
            ticket = make_ticket(title=f"Заявка {i}", contact=world.contact_a, team=world.team, equipment=unit)
            Ticket.objects.filter(pk=ticket.pk).update(contract=contract)

    client = api_as(world.agent)
    reference()  # loaded, as in a running server (tickets/reference.py)
    add_tickets(2)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    add_tickets(20)

    # as for any ticket list, plus the page's units and contracts (prefetched, not joined)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(LIST)

    assert len(response.json()["results"]) == 23
    assert len(few.captured_queries) <= 9


@pytest.mark.parametrize("query", ["status=%C2%B2", "status=99999999999999999999", "assignee=%C2%B2"])
def test_malformed_or_huge_ticket_filters_are_a_400(world, api_as, query):
    response = api_as(world.admin).get(f"/api/v1/tickets/?{query}")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/equipment/?company=99999999999999999999",
        "/api/v1/equipment/?site=99999999999999999999",
        "/api/v1/tickets/?company=99999999999999999999",
        "/api/v1/tickets/?site=99999999999999999999",
        "/api/v1/tickets/?equipment=99999999999999999999",
        "/api/v1/tickets/?contact=99999999999999999999",
        "/api/v1/contacts/?company=99999999999999999999",
        "/api/v1/sites/?company=99999999999999999999",
        "/api/v1/contracts/?company=99999999999999999999",
    ],
)
def test_ids_beyond_the_database_range_are_a_400(world, api_as, url):
    assert api_as(world.admin).get(url).status_code == 400
