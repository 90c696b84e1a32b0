"""The API's ticket answer (built directly, api.serializers.tickets.ticket_representation) is what
DRF gives through the serializer's declared fields — for every shape of ticket, to staff and to
client contacts, in more than one time zone and language."""

from datetime import time, timedelta

import pytest
from django.utils import timezone, translation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory, force_authenticate

from api.serializers.tickets import TicketOutputSerializer
from sla.models import BusinessCalendar, SlaPolicy, SlaTarget, WorkingInterval
from tests.factories import ContractFactory, EquipmentFactory, make_ticket, priority, status
from tickets.models import Ticket
from tickets.selectors import with_related_joined
from tickets.services import ticket_assign, ticket_set_status, ticket_set_tags


@pytest.fixture
def sla_policy(db):
    calendar = BusinessCalendar.objects.create(code="repr", name="Москва", is_default=True)
    for weekday in range(5):
        WorkingInterval.objects.create(calendar=calendar, weekday=weekday, start=time(9), end=time(18))
    policy = SlaPolicy.objects.create(name="Все <заявки>", order=10, calendar=calendar, warn_percent=75)
    SlaTarget.objects.create(policy=policy, priority=priority("critical"), first_response_minutes=15)
    return policy


@pytest.fixture
def tickets(world, sla_policy):
    """A bare ticket, one with every relation, a delayed one, a resolved and closed one."""
    bare = make_ticket(title="Без всего", description="")
    unit = EquipmentFactory(site=world.site_a, name='Лифт "Отис" <№1>', inventory_number="ИН-7")
    contract = ContractFactory(company=world.company_a, number="ТО-2026/1")
    full = make_ticket(
        title='Кавычки " и <теги>',
        contact=world.contact_a,
        site=world.site_a,
        equipment=unit,
        team=world.team,
        priority=priority("critical"),
        channel="telegram",
        received_at=timezone.now() - timedelta(hours=3),
    )
    Ticket.objects.filter(pk=full.pk).update(contract=contract)
    ticket_assign(ticket=full, actor=world.admin, assignee=world.agent)
    ticket_set_tags(ticket=full, actor=world.admin, tags=["лифт", "Авария", "vip"])
    delayed = make_ticket(title="Отложенная", contact=world.contact_a)
    ticket_set_status(
        ticket=delayed, actor=world.admin, status=status("delayed"), delayed_until=timezone.now() + timedelta(days=2)
    )
    done = make_ticket(title="Готово", contact=world.contact_a, team=world.team)
    ticket_set_status(ticket=done, actor=world.admin, status=status("resolved"))
    ticket_set_status(ticket=done, actor=world.admin, status=status("closed"))
    return [bare, full, delayed, done]


def _request(user):
    django_request = APIRequestFactory().get("/api/v1/tickets/")
    force_authenticate(django_request, user=user)
    return Request(django_request)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Yekaterinburg"])
@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("viewer", ["admin", "agent", "client_a"])
def test_the_fast_answer_equals_drfs(world, tickets, viewer, zone, language):
    # given: each ticket read as the API reads it
    rows = list(with_related_joined(Ticket.objects.filter(pk__in=[t.pk for t in tickets])).prefetch_related("tags"))
    serializer = TicketOutputSerializer(context={"request": _request(getattr(world, viewer))})
    with timezone.override(zone), translation.override(language):
        for ticket in rows:
            # when
            fast = serializer.to_representation(ticket)
            reference = serializer.generic_representation(ticket)
            # then: the same keys in the same order, the same values
            assert list(fast.items()) == list(reference.items()), ticket.title


def test_staff_see_tags_contract_and_sla_and_clients_do_not(world, tickets):
    # given
    full = with_related_joined(Ticket.objects.filter(pk=tickets[1].pk)).prefetch_related("tags").get()
    # when
    staff = TicketOutputSerializer(full, context={"request": _request(world.admin)}).data
    client = TicketOutputSerializer(full, context={"request": _request(world.client_a)}).data
    # then
    assert staff["tags"] == ["vip", "Авария", "лифт"]
    assert staff["contract"]["number"] == "ТО-2026/1"
    assert staff["sla"]["policy"]["name"] == "Все <заявки>"
    assert staff["equipment"] == {"id": full.equipment_id, "name": 'Лифт "Отис" <№1>', "inventory_number": "ИН-7"}
    assert {"tags", "contract", "sla"} & set(client) == set()
    assert client["assignee"]["full_name"] == world.agent.full_name
