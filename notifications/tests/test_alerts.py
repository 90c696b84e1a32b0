"""Agents' alerts on ticket changes (notifications/alerts.py): who hears what, once, in bulk."""

import pytest
from django.db import transaction

from accounts.choices import Role
from notifications.choices import AlertKind
from notifications.models import Notification, OutboxMessage
from notifications.services import Delivery, notification_settings_save, notifications_mail_pending
from tests.factories import ContactFactory, TeamFactory, UserFactory, make_ticket
from tickets.hooks import hook_register, hook_unregister
from tickets.reference import ticket_refresh
from tickets.services import article_create, ticket_assign, ticket_update


@pytest.fixture
def service_team(db):
    return TeamFactory(code="service", name_ru="Сервис", name_en="Service")


def _alerts(ticket=None):
    rows = Notification.objects.order_by("user__email", "kind")
    if ticket is not None:
        rows = rows.filter(ticket=ticket)
    return [(row.user.email, row.kind, row.text) for row in rows]


def test_a_new_ticket_in_a_team_alerts_its_dispatchers_in_their_language(service_team):
    # given a team with people of every role, one inactive, and a supervisor who is not a member
    anna = UserFactory(email="anna@otklik.test", role=Role.AGENT, language="ru")
    bob = UserFactory(email="bob@otklik.test", role=Role.AGENT, language="en")
    engineer = UserFactory(email="eng@otklik.test", role=Role.ENGINEER)
    contractor = UserFactory(email="contractor@otklik.test", role=Role.CONTRACTOR)
    gone = UserFactory(email="gone@otklik.test", role=Role.AGENT, is_active=False)
    creator = UserFactory(email="creator@otklik.test", role=Role.AGENT)
    service_team.members.add(anna, bob, engineer, contractor, gone, creator)
    service_team.supervisor = UserFactory(email="boss@otklik.test", role=Role.SUPERVISOR, language="en")
    service_team.save()
    UserFactory(email="other@otklik.test", role=Role.AGENT)  # not in the team

    # when an agent of the team opens a ticket in it
    ticket = make_ticket(actor=creator, title="Течёт крыша", team=service_team)

    # then the other dispatchers and the supervisor hear of it, each in their language
    n = ticket.number
    assert _alerts() == [
        ("anna@otklik.test", "ticket_new", f"Новая заявка №{n}: Течёт крыша"),
        ("bob@otklik.test", "ticket_new", f"New ticket №{n}: Течёт крыша"),
        ("boss@otklik.test", "ticket_new", f"New ticket №{n}: Течёт крыша"),
    ]


def test_a_new_ticket_with_no_team_alerts_everyone_who_triages(service_team):
    # given people of every role, one inactive
    UserFactory(email="anna@otklik.test", role=Role.AGENT, language="ru")
    UserFactory(email="boss@otklik.test", role=Role.SUPERVISOR, language="en")
    UserFactory(email="admin@otklik.test", role=Role.ADMIN, language="ru")
    UserFactory(email="eng@otklik.test", role=Role.ENGINEER)
    UserFactory(email="contractor@otklik.test", role=Role.CONTRACTOR)
    UserFactory(email="gone@otklik.test", role=Role.AGENT, is_active=False)

    # when a ticket opens with no team and no one (a missed call, a web request without a category)
    ticket = make_ticket(title="Пропущенный звонок", team=None)

    # then the agents, supervisors and administrators hear of it
    n = ticket.number
    assert _alerts() == [
        ("admin@otklik.test", "ticket_new", f"Новая заявка №{n}: Пропущенный звонок"),
        ("anna@otklik.test", "ticket_new", f"Новая заявка №{n}: Пропущенный звонок"),
        ("boss@otklik.test", "ticket_new", f"New ticket №{n}: Пропущенный звонок"),
    ]


def test_a_ticket_created_assigned_alerts_the_assignee_once_as_assigned(service_team):
    # given
    anna = UserFactory(email="anna@otklik.test", language="en")
    bob = UserFactory(email="bob@otklik.test", language="en")
    service_team.members.add(anna, bob)

    # when a client's request arrives already assigned to Anna (intake: no actor)
    ticket = make_ticket(title="Лифт", team=service_team, assignee=anna, contact=ContactFactory())

    # then
    assert _alerts() == [
        ("anna@otklik.test", "ticket_assigned", f"Ticket №{ticket.number} is assigned to you: Лифт"),
        ("bob@otklik.test", "ticket_new", f"New ticket №{ticket.number}: Лифт"),
    ]


def test_assigning_alerts_the_assignee_unless_they_took_it_themselves(db):
    # given
    anna = UserFactory(email="anna@otklik.test", language="en")
    bob = UserFactory(email="bob@otklik.test", language="en")
    first = make_ticket(title="Первая")
    second = make_ticket(title="Вторая")
    Notification.objects.all().delete()  # "new ticket" to them both: the tickets have no team

    # when Bob gives the first to Anna and takes the second himself
    ticket_assign(ticket=first, actor=bob, assignee=anna)
    ticket_assign(ticket=second, actor=bob, assignee=bob)

    # then
    assert _alerts() == [("anna@otklik.test", "ticket_assigned", f"Ticket №{first.number} is assigned to you: Первая")]


def test_a_rule_assigning_the_new_ticket_in_the_same_transaction_leaves_one_alert_per_person(service_team):
    # given a "rule" that assigns every new ticket to Anna inside the creating transaction
    anna = UserFactory(email="anna@otklik.test", language="en")
    bob = UserFactory(email="bob@otklik.test", language="en")
    service_team.members.add(anna, bob)

    def assign_to_anna(*, trigger, ticket, actor, changed, article):
        ticket_assign(ticket=ticket, actor=None, assignee=anna)
        ticket_refresh(ticket)  # as a hook that changes the ticket must (tickets/hooks.py)

    hook_register("created", assign_to_anna, order=10)
    try:
        # when a request arrives
        ticket = make_ticket(title="Лифт", team=service_team, contact=ContactFactory())
    finally:
        hook_unregister("created", assign_to_anna)

    # then Anna has one alert (assigned), Bob one (new)
    assert [(email, kind) for email, kind, _text in _alerts()] == [
        ("anna@otklik.test", "ticket_assigned"),
        ("bob@otklik.test", "ticket_new"),
    ]
    assert ticket.pk == Notification.objects.values_list("ticket_id", flat=True).distinct().get()


def test_a_new_alert_replaces_a_lighter_one_still_waiting_but_not_one_already_read(service_team):
    # given Anna was told of a new ticket and has not seen it yet; Bob read his
    anna = UserFactory(email="anna@otklik.test", language="en")
    bob = UserFactory(email="bob@otklik.test", language="en")
    service_team.members.add(anna, bob)
    ticket = make_ticket(title="Лифт", team=service_team)
    Notification.objects.filter(user=bob).update(read_at="2026-12-06T04:00:00Z")

    # when the ticket is given to Anna, then to Bob
    ticket_assign(ticket=ticket, actor=None, assignee=anna)
    ticket_assign(ticket=ticket, actor=None, assignee=bob)

    # then Anna's alert became "assigned"; Bob has his read one and a new one
    assert [(email, kind) for email, kind, _text in _alerts()] == [
        ("anna@otklik.test", "ticket_assigned"),
        ("bob@otklik.test", "ticket_assigned"),
        ("bob@otklik.test", "ticket_new"),
    ]


def test_moving_a_ticket_to_another_team_alerts_that_team(service_team):
    # given
    other = TeamFactory()
    carl = UserFactory(email="carl@otklik.test", language="en")
    other.members.add(carl)
    ticket = make_ticket(title="Лифт", team=service_team)

    # when
    ticket_update(ticket=ticket, actor=None, team=other)

    # then
    assert _alerts() == [("carl@otklik.test", "ticket_new", f"New ticket №{ticket.number}: Лифт")]


def test_a_clients_message_alerts_the_assignee_once_until_read(db):
    # given a ticket assigned to Anna, from a client
    anna = UserFactory(email="anna@otklik.test", language="ru")
    contact = ContactFactory()
    ticket = make_ticket(title="Лифт", contact=contact, assignee=anna, actor=anna)

    # when the client writes twice, and Anna answers
    article_create(ticket=ticket, author=None, author_contact=contact, body="Ещё не починили?")
    article_create(ticket=ticket, author=None, author_contact=contact, body="Ау!")
    article_create(ticket=ticket, author=anna, body="Едем")

    # then
    assert _alerts() == [("anna@otklik.test", "client_replied", f"Клиент написал в заявке №{ticket.number}: Лифт")]


def test_a_kind_switched_off_is_not_shown(service_team):
    # given Anna switched "new ticket in my teams" off
    anna = UserFactory(email="anna@otklik.test", language="en")
    bob = UserFactory(email="bob@otklik.test", language="en")
    service_team.members.add(anna, bob)
    notification_settings_save(
        user=anna, choices={AlertKind.TICKET_NEW: Delivery(enabled=False, email=False, telegram=False)}
    )

    # when
    make_ticket(title="Лифт", team=service_team)

    # then
    assert [email for email, _kind, _text in _alerts()] == ["bob@otklik.test"]


def test_a_ticket_from_intake_costs_the_same_queries_for_a_team_of_two_or_of_thirty(
    service_team, django_assert_num_queries
):
    # given a small team and a big one
    big = TeamFactory()
    service_team.members.add(*UserFactory.create_batch(2))
    big.members.add(*UserFactory.create_batch(30))
    make_ticket(title="Прогрев", team=service_team)  # first-use caches are not what we measure
    contact = ContactFactory()

    # when a request arrives in each
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small_run:
        make_ticket(title="Маленькая", team=service_team, contact=contact)
    with CaptureQueriesContext(connection) as big_run:
        make_ticket(title="Большая", team=big, contact=contact)

    # then the same number of queries, and one INSERT of the alerts
    assert len(big_run.captured_queries) == len(small_run.captured_queries)
    inserts = [q["sql"] for q in big_run.captured_queries if q["sql"].startswith('INSERT INTO "notifications_')]
    assert len(inserts) == 1
    assert Notification.objects.filter(ticket__title="Большая").count() == 30


def test_the_mailer_sends_only_what_each_person_asked_for_by_email(service_team):
    # given Anna wants SLA breaches by email (the default), Bob does not; both are in the team
    anna = UserFactory(email="anna@otklik.test", language="en")
    bob = UserFactory(email="bob@otklik.test", language="en")
    service_team.members.add(anna, bob)
    notification_settings_save(
        user=bob, choices={AlertKind.SLA_BREACH: Delivery(enabled=True, email=False, telegram=False)}
    )
    ticket = make_ticket(title="Лифт", team=service_team)  # "new ticket" is not mailed by default
    from notifications.services import notify

    notify(users=[anna, bob], text="SLA missed", kind="sla_breach", ticket=ticket)

    # when
    with transaction.atomic():
        queued = notifications_mail_pending()

    # then one mail, to Anna, and every row is handled
    assert queued == 1
    assert list(OutboxMessage.objects.values_list("channel", "recipient")) == [("email", "anna@otklik.test")]
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0
