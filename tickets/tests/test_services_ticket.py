"""ticket_create, ticket_update, ticket_set_status, ticket_assign."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from accounts.choices import Role
from assets.models import Equipment
from tests.factories import (
    ContactFactory,
    EquipmentFactory,
    ServiceCategoryFactory,
    SiteFactory,
    UserFactory,
    make_ticket,
    priority,
    status,
)
from tickets.choices import ArticleKind, AuthorKind, Channel, EventKind, StatusCategory
from tickets.models import Article, Ticket, TicketEvent
from tickets.services import ticket_assign, ticket_create, ticket_set_status, ticket_update


def _kinds(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("id").values_list("kind", flat=True))


# ticket_create


def test_ticket_numbers_follow_the_sequence(db):
    # given
    first = make_ticket(title="Первая")
    # when
    second = make_ticket(title="Вторая")
    third = make_ticket(title="Третья")
    # then
    assert second.number == first.number + 1
    assert third.number == first.number + 2


def test_ticket_create_opens_the_first_article_from_the_contact(contact):
    # given
    received = timezone.now() - timedelta(minutes=5)
    # when
    ticket = ticket_create(
        actor=None,
        title="  Не работает лифт  ",
        description="Лифт застрял между этажами",
        channel=Channel.EMAIL,
        contact=contact,
        received_at=received,
    )
    # then
    article = Article.objects.get(ticket=ticket)
    assert ticket.title == "Не работает лифт"
    assert article.kind == ArticleKind.PUBLIC
    assert article.author_kind == AuthorKind.CONTACT
    assert article.author_contact == contact
    assert article.author_user is None
    assert article.channel == Channel.EMAIL
    assert article.body == "Лифт застрял между этажами"
    assert article.received_at == received
    assert ticket.received_at == received


def test_ticket_open_returns_the_ticket_and_the_article_it_wrote(contact, django_assert_num_queries):
    # given
    from tickets.services import ticket_open

    # when
    ticket, article = ticket_open(actor=None, title="Протечка", description="Течёт с потолка", contact=contact)
    # then: the article is the stored first one, and nothing needs reading to know it
    assert article == Article.objects.filter(ticket=ticket).order_by("id").first()
    with django_assert_num_queries(0):
        assert (article.ticket_id, article.body, article.author_contact_id) == (
            ticket.pk,
            "Течёт с потолка",
            contact.pk,
        )


def test_ticket_create_by_an_agent_writes_the_first_article_as_the_agent(agent, contact):
    # when
    ticket = ticket_create(actor=agent, title="Звонок клиента", contact=contact)
    # then
    article = Article.objects.get(ticket=ticket)
    assert article.author_kind == AuthorKind.AGENT
    assert article.author_user == agent
    assert article.author_contact is None
    assert article.body == "Звонок клиента"
    assert ticket.created_by == agent


def test_ticket_create_defaults_status_and_priority(db):
    # when
    ticket = make_ticket()
    # then
    assert ticket.status == status("new")
    assert ticket.status_category == StatusCategory.NEW
    assert ticket.priority == priority("normal")
    assert ticket.channel == Channel.PHONE


def test_ticket_create_takes_the_team_from_the_category(team, other_team):
    # given
    category = ServiceCategoryFactory(default_team=team)
    # when
    routed = make_ticket(category=category)
    explicit = make_ticket(category=category, team=other_team)
    # then
    assert routed.team == team
    assert explicit.team == other_team


def test_ticket_create_takes_the_company_from_the_contact(contact, company):
    # when
    ticket = make_ticket(contact=contact)
    # then
    assert ticket.company == company


def test_ticket_create_takes_the_company_from_the_site(company):
    # given
    site = SiteFactory(company=company)
    # when
    ticket = make_ticket(site=site)
    # then
    assert ticket.company == company
    assert ticket.site == site


def test_ticket_create_refuses_a_contact_of_another_company(contact, other_company):
    # when
    with pytest.raises(ValidationError) as exc:
        make_ticket(contact=contact, company=other_company)
    # then
    assert list(exc.value.message_dict) == ["contact"]
    assert Ticket.objects.count() == 0


def test_ticket_create_refuses_a_site_of_another_company(contact, other_company):
    # given
    site = SiteFactory(company=other_company)
    # when
    with pytest.raises(ValidationError) as exc:
        make_ticket(contact=contact, site=site)
    # then
    assert list(exc.value.message_dict) == ["site"]
    assert Ticket.objects.count() == 0


def test_ticket_create_refuses_an_empty_title(db):
    # when
    with pytest.raises(ValidationError) as exc:
        make_ticket(title="   ")
    # then
    assert list(exc.value.message_dict) == ["title"]


def test_ticket_create_refuses_a_client_as_assignee(client_user):
    # when
    with pytest.raises(ValidationError) as exc:
        make_ticket(assignee=client_user)
    # then
    assert list(exc.value.message_dict) == ["assignee"]
    assert Ticket.objects.count() == 0


def test_ticket_create_records_an_event(agent, team):
    # when
    ticket = ticket_create(actor=agent, title="Протечка", channel=Channel.PHONE, team=team, assignee=agent)
    # then
    event = TicketEvent.objects.get(ticket=ticket)
    assert event.kind == EventKind.CREATED
    assert event.actor == agent
    assert event.team_id_at_event == team.pk
    assert event.data == {
        "channel": "phone",
        "title": "Протечка",
        "team": {"id": team.pk, "name_ru": "Сервис", "name_en": "Service"},
        "assignee": {"id": agent.pk, "name": "Анна Диспетчер"},
    }


def test_ticket_create_by_the_contact_credits_the_contact_in_the_event(contact):
    # when
    ticket = make_ticket(contact=contact)
    # then
    event = TicketEvent.objects.get(ticket=ticket)
    assert event.actor is None
    assert event.actor_contact == contact


def test_ticket_create_keeps_tags_and_observers(agent, other_agent):
    # when
    ticket = make_ticket(tags=["лифт", " срочно ", "лифт", ""], observers=[other_agent])
    # then
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["лифт", "срочно"]
    assert list(ticket.observers.all()) == [other_agent]


# ticket_update


def test_ticket_update_records_one_event_per_changed_field(agent):
    # given
    ticket = make_ticket(title="Старая тема")
    # when
    changed = ticket_update(ticket=ticket, actor=agent, title="Новая тема", priority=priority("high"))
    # then
    ticket.refresh_from_db()
    events = list(ticket.events.filter(kind=EventKind.FIELD_CHANGED).order_by("id"))
    assert changed == ["title", "priority"]
    assert ticket.title == "Новая тема"
    assert ticket.priority == priority("high")
    assert [e.data["field"] for e in events] == ["title", "priority"]
    assert events[0].data == {"field": "title", "old": "Старая тема", "new": "Новая тема"}
    assert events[1].data["old"]["id"] == priority("normal").pk
    assert events[1].data["new"]["id"] == priority("high").pk
    assert all(e.actor == agent for e in events)


def test_ticket_update_without_changes_records_nothing(agent):
    # given
    ticket = make_ticket(title="Тема")
    events_before = ticket.events.count()
    updated_before = Ticket.objects.get(pk=ticket.pk).updated_at
    # when
    changed = ticket_update(ticket=ticket, actor=agent, title="Тема", priority=priority("normal"))
    # then
    assert changed == []
    assert ticket.events.count() == events_before
    assert Ticket.objects.get(pk=ticket.pk).updated_at == updated_before


def test_ticket_update_of_the_contact_moves_the_company_along(agent, contact, other_company):
    # given
    ticket = make_ticket(contact=contact)
    newcomer = ContactFactory(company=other_company)
    # when
    changed = ticket_update(ticket=ticket, actor=agent, contact=newcomer)
    # then
    ticket.refresh_from_db()
    assert changed == ["contact", "company"]
    assert ticket.contact == newcomer
    assert ticket.company == other_company


def test_ticket_update_refuses_a_site_of_another_company(agent, contact, other_company):
    # given
    ticket = make_ticket(contact=contact)
    site = SiteFactory(company=other_company)
    # when
    with pytest.raises(ValidationError) as exc:
        ticket_update(ticket=ticket, actor=agent, site=site)
    # then
    ticket.refresh_from_db()
    assert list(exc.value.message_dict) == ["site"]
    assert ticket.site is None


def test_ticket_update_refuses_fields_with_their_own_service(agent):
    # given
    ticket = make_ticket()
    # when / then
    with pytest.raises(ValueError, match="status"):
        ticket_update(ticket=ticket, actor=agent, status=status("open"))


# ticket_set_status


def test_resolving_and_closing_stamp_the_times(agent):
    # given
    ticket = make_ticket()
    # when
    ticket_set_status(ticket=ticket, actor=agent, status=status("resolved"))
    ticket.refresh_from_db()
    resolved_at = ticket.resolved_at
    ticket_set_status(ticket=ticket, actor=agent, status=status("closed"))
    ticket.refresh_from_db()
    # then
    assert resolved_at is not None
    assert ticket.resolved_at == resolved_at
    assert ticket.closed_at is not None
    assert ticket.status_category == StatusCategory.CLOSED
    assert _kinds(ticket) == [EventKind.CREATED, EventKind.STATUS_CHANGED, EventKind.STATUS_CHANGED]


def test_reopening_clears_the_stamps(agent):
    # given
    ticket = make_ticket()
    ticket_set_status(ticket=ticket, actor=agent, status=status("resolved"))
    ticket_set_status(ticket=ticket, actor=agent, status=status("closed"))
    # when
    changed = ticket_set_status(ticket=ticket, actor=agent, status=status("open"))
    # then
    ticket.refresh_from_db()
    assert changed is True
    assert ticket.status == status("open")
    assert ticket.status_category == StatusCategory.OPEN
    assert ticket.resolved_at is None
    assert ticket.closed_at is None


def test_setting_the_same_status_changes_nothing(agent):
    # given
    ticket = make_ticket()
    # when
    changed = ticket_set_status(ticket=ticket, actor=agent, status=status("new"))
    # then
    assert changed is False
    assert _kinds(ticket) == [EventKind.CREATED]


@pytest.mark.parametrize("delayed_until", [None, timezone.now() - timedelta(minutes=1)])
def test_a_delay_needs_a_future_date(agent, delayed_until):
    # given
    ticket = make_ticket()
    # when
    with pytest.raises(ValidationError) as exc:
        ticket_set_status(ticket=ticket, actor=agent, status=status("delayed"), delayed_until=delayed_until)
    # then
    ticket.refresh_from_db()
    assert list(exc.value.message_dict) == ["delayed_until"]
    assert ticket.status == status("new")


def test_a_delay_keeps_the_date_and_leaving_it_clears_the_date(agent):
    # given
    ticket = make_ticket()
    until = timezone.now() + timedelta(days=2)
    # when
    ticket_set_status(ticket=ticket, actor=agent, status=status("delayed"), delayed_until=until)
    ticket.refresh_from_db()
    delayed = (ticket.status_category, ticket.delayed_until)
    ticket_set_status(ticket=ticket, actor=agent, status=status("open"), delayed_until=until)
    ticket.refresh_from_db()
    # then
    assert delayed == (StatusCategory.PENDING, until)
    assert ticket.delayed_until is None
    event = ticket.events.filter(kind=EventKind.STATUS_CHANGED).order_by("id").first()
    assert event.data["delayed_until"] == until.isoformat()
    assert event.data["new"]["id"] == status("delayed").pk


# ticket_assign


def test_assigning_a_new_ticket_opens_it(agent, engineer):
    # given
    ticket = make_ticket()
    # when
    changed = ticket_assign(ticket=ticket, actor=agent, assignee=engineer)
    # then
    ticket.refresh_from_db()
    assert changed is True
    assert ticket.assignee == engineer
    assert ticket.status == status("open")
    assert _kinds(ticket) == [EventKind.CREATED, EventKind.ASSIGNED, EventKind.STATUS_CHANGED]
    assigned = ticket.events.get(kind=EventKind.ASSIGNED)
    assert assigned.data == {"old": None, "new": {"id": engineer.pk, "name": "Иван Инженер"}}


def test_assigning_keeps_a_pending_ticket_pending(agent, engineer):
    # given
    ticket = make_ticket()
    ticket_set_status(ticket=ticket, actor=agent, status=status("waiting_client"))
    # when
    ticket_assign(ticket=ticket, actor=agent, assignee=engineer)
    # then
    ticket.refresh_from_db()
    assert ticket.status == status("waiting_client")


def test_assigning_the_same_person_again_changes_nothing(agent, engineer):
    # given
    ticket = make_ticket()
    ticket_assign(ticket=ticket, actor=agent, assignee=engineer)
    events_before = ticket.events.count()
    # when
    changed = ticket_assign(ticket=ticket, actor=agent, assignee=engineer)
    # then
    assert changed is False
    assert ticket.events.count() == events_before


def test_assigning_with_a_team_moves_the_ticket_to_the_team(agent, other_engineer, team, other_team):
    # given
    ticket = make_ticket(team=team)
    # when
    ticket_assign(ticket=ticket, actor=agent, assignee=other_engineer, team=other_team)
    # then
    ticket.refresh_from_db()
    assert ticket.team == other_team
    assert ticket.assignee == other_engineer
    team_event = ticket.events.get(kind=EventKind.FIELD_CHANGED)
    assert team_event.data["field"] == "team"
    assert team_event.team_id_at_event == other_team.pk


def test_unassigning(agent, engineer):
    # given
    ticket = make_ticket(assignee=engineer)
    # when
    changed = ticket_assign(ticket=ticket, actor=agent, assignee=None)
    # then
    ticket.refresh_from_db()
    assert changed is True
    assert ticket.assignee is None


@pytest.mark.parametrize(
    "make_assignee",
    [
        lambda client_user: client_user,
        lambda client_user: UserFactory(role=Role.AGENT, is_active=False),
    ],
    ids=["client", "inactive agent"],
)
def test_only_active_staff_can_be_assigned(agent, client_user, make_assignee):
    # given
    ticket = make_ticket()
    assignee = make_assignee(client_user)
    # when
    with pytest.raises(ValidationError) as exc:
        ticket_assign(ticket=ticket, actor=agent, assignee=assignee)
    # then
    ticket.refresh_from_db()
    assert list(exc.value.message_dict) == ["assignee"]
    assert ticket.assignee is None
    assert _kinds(ticket) == [EventKind.CREATED]


def test_a_contractor_can_be_assigned(agent, contractor):
    # given
    ticket = make_ticket()
    # when
    ticket_assign(ticket=ticket, actor=agent, assignee=contractor)
    # then
    ticket.refresh_from_db()
    assert ticket.assignee == contractor


def test_a_ticket_created_with_an_assignee_starts_open(agent):
    # when
    ticket = make_ticket(actor=agent, assignee=agent)
    # then
    assert (ticket.status.code, ticket.status_category) == ("open", StatusCategory.OPEN)


def test_tags_are_reused_whatever_their_case(agent):
    # given
    from tickets.models import Tag
    from tickets.services import ticket_set_tags

    first = make_ticket(tags=["Лифт"])
    second = make_ticket()
    # when
    ticket_set_tags(ticket=second, actor=agent, tags=["лифт", "ЛИФТ", "срочно"])
    # then
    assert sorted(second.tags.values_list("name", flat=True)) == ["Лифт", "срочно"]
    assert Tag.objects.count() == 2
    assert list(first.tags.values_list("name", flat=True)) == ["Лифт"]


def test_a_ticket_cannot_be_created_delayed(db):
    # when / then
    with pytest.raises(ValidationError) as exc:
        make_ticket(status=status("delayed"))
    assert list(exc.value.message_dict) == ["status"]
    assert Ticket.objects.count() == 0


def test_numbers_continue_after_an_import_once_synced(db):
    # given: an import wrote tickets with numbers of its own
    imported = make_ticket()
    Ticket.objects.filter(pk=imported.pk).update(number=5000)
    # when
    from tickets.services import ticket_number_sequence_sync

    upcoming = ticket_number_sequence_sync()
    created = make_ticket()
    # then
    assert upcoming == 5001
    assert created.number == 5001


def test_a_new_caller_is_not_kept_when_their_ticket_is_refused(agent):
    # given
    from customers.models import Contact
    from tickets.services import NewCaller, ticket_create_for_caller

    # when: the ticket has no subject
    with pytest.raises(ValidationError) as exc:
        ticket_create_for_caller(
            actor=agent, caller=NewCaller(full_name="Новый Звонящий", phone="+7 900 111-22-33"), title=""
        )
    # then
    assert list(exc.value.message_dict) == ["title"]
    assert Contact.objects.filter(full_name="Новый Звонящий").exists() is False


def test_bulk_update_keeps_the_good_changes_when_one_ticket_is_refused(agent):
    # given: a delayed status needs a date, so moving to it is refused ticket by ticket
    from tickets.services import tickets_bulk_update

    first, second = make_ticket(), make_ticket()
    # when
    changed, errors = tickets_bulk_update(tickets=[first, second], actor=agent, priority=priority("high"), status=None)
    with translation.override("en"):
        refused, refusals = tickets_bulk_update(tickets=[first], actor=agent, status=status("delayed"))
    # then
    assert (changed, errors) == (2, [])
    assert refused == 0
    assert refusals == [f"#{first.number}: Choose a date and time in the future."]


def test_a_unit_of_another_site_is_refused(company):
    # given
    site, other_site = SiteFactory(company=company), SiteFactory(company=company)
    unit = EquipmentFactory(site=other_site, company=company)
    # when
    with pytest.raises(ValidationError) as refused:
        make_ticket(company=company, site=site, equipment=unit)
    # then
    assert refused.value.message_dict == {"equipment": ["The equipment is at another site."]}
    assert make_ticket(company=company, site=other_site, equipment=unit).equipment == unit


def test_a_ticket_keeps_its_unit_after_the_unit_moved_to_another_site(company):
    # given
    site, other_site = SiteFactory(company=company), SiteFactory(company=company)
    unit = EquipmentFactory(site=site, company=company)
    ticket = make_ticket(company=company, site=site, equipment=unit)
    Equipment.objects.filter(pk=unit.pk).update(site=other_site)
    unit.refresh_from_db()
    # when
    changed = ticket_update(ticket=ticket, actor=None, equipment=unit, title="Переехал")
    # then
    assert changed == ["title"]


def test_moving_a_ticket_to_a_unit_of_another_site_is_refused(company):
    site, other_site = SiteFactory(company=company), SiteFactory(company=company)
    ticket = make_ticket(company=company, site=site)
    with pytest.raises(ValidationError) as refused:
        ticket_update(ticket=ticket, actor=None, equipment=EquipmentFactory(site=other_site, company=company))
    assert refused.value.message_dict == {"equipment": ["The equipment is at another site."]}
