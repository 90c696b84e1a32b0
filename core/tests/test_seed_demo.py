from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.choices import STAFF_ROLES, Role
from accounts.models import Team, User
from customers.models import Company, Contact, ContactEmail, ContactPhone, Site
from tickets.choices import StatusCategory
from tickets.models import Article, ServiceCategory, Ticket, TicketEvent, TicketLink
from tickets.search import search_ticket_ids

pytestmark = pytest.mark.django_db

MODELS = [User, Team, Company, Contact, ContactEmail, ContactPhone, Site, ServiceCategory, Ticket, Article, TicketEvent]


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def first_output(django_db_setup, django_db_blocker):
    """The demo world, built once for this module (seeding takes seconds) and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        assert not User.objects.exists()
        yield _seed()
        transaction.set_rollback(True)


def test_seed_demo_builds_the_world_once_and_prints_the_logins(first_output):
    # given the world seeded into an empty database, when the command runs again
    counts_after_first = _counts()
    second_output = _seed()

    # then the second run created nothing and both runs printed the logins
    assert _counts() == counts_after_first
    assert "Demo data already exists" in second_output
    for output in (first_output, second_output):
        for email in ("admin@demo.local", "dispatcher@demo.local", "engineer@demo.local", "client@demo.local"):
            assert f"{email:<24} / demo / " in output
    # and the world has the promised size
    assert counts_after_first["Company"] >= 10
    assert counts_after_first["Team"] >= 3
    assert User.objects.filter(role__in=STAFF_ROLES).count() >= 8
    assert 250 <= counts_after_first["Ticket"] <= 350
    assert set(Ticket.objects.values_list("status_category", flat=True)) == set(StatusCategory.values)
    assert Ticket.objects.filter(parent__isnull=False).exists()
    assert TicketLink.objects.exists()


def test_seed_demo_logins_authenticate_with_the_demo_password(first_output):
    roles = {}
    for email in (
        "admin@demo.local",
        "dispatcher@demo.local",
        "engineer@demo.local",
        "client@demo.local",
        "client2@demo.local",
    ):
        user = authenticate(username=email, password="demo")
        assert user is not None, email
        roles[email] = user.role

    assert roles == {
        "admin@demo.local": Role.ADMIN,
        "dispatcher@demo.local": Role.AGENT,
        "engineer@demo.local": Role.ENGINEER,
        "client@demo.local": Role.CLIENT,
        "client2@demo.local": Role.CLIENT,
    }
    client, client2 = User.objects.get(email="client@demo.local"), User.objects.get(email="client2@demo.local")
    assert client.contact.company_id != client2.contact.company_id
    assert User.objects.get(email="dispatcher@demo.local").teams.filter(code="dispatch").exists()
    assert set(User.objects.values_list("language", flat=True)) == {"ru"}
    assert User.objects.filter(role=Role.ENGINEER, time_zone="Asia/Novosibirsk").count() == 1


def test_seed_demo_history_is_backdated_and_consistent(first_output):
    tickets = list(Ticket.objects.all())
    oldest = min(t.created_at for t in tickets)
    newest = max(t.created_at for t in tickets)
    assert (newest - oldest).days >= 45
    for ticket in tickets:
        articles = list(ticket.articles.all())
        assert 1 <= len(articles) <= 6
        assert ticket.created_at <= ticket.updated_at
        assert articles[0].created_at == ticket.created_at
        assert max(a.created_at for a in articles) <= ticket.updated_at
        assert (ticket.resolved_at is not None) == (ticket.status_category in ("resolved", "closed"))
    assert Ticket.objects.filter(assignee__isnull=True, status_category="open").exists()
    assert set(Ticket.objects.values_list("channel", flat=True)) >= {
        "phone",
        "portal",
        "email",
        "telegram",
        "api",
        "web",
    }
    assert not TicketEvent.objects.filter(created_at__gt=timezone.now()).exists()
    # history read in id order is chronological for every ticket
    previous: dict[int, object] = {}
    for ticket_id, created_at in TicketEvent.objects.order_by("id").values_list("ticket_id", "created_at"):
        assert previous.get(ticket_id, created_at) <= created_at
        previous[ticket_id] = created_at


def test_seed_demo_tickets_are_found_by_another_word_form(first_output):
    # "лифтах" never occurs in the demo texts; the stemmer maps it to "лифт".
    assert not Ticket.objects.filter(title__icontains="лифтах").exists()
    found = search_ticket_ids("лифтах", limit=500)

    lift_tickets = set(Ticket.objects.filter(category__code="lifts").values_list("id", flat=True))
    assert lift_tickets
    assert lift_tickets <= set(found)


def test_seed_demo_has_equipment_and_contracts_of_every_shape(first_output):
    from assets.models import Equipment
    from contracts.coverage import coverage_for
    from contracts.models import Contract, ContractStatus, PaymentState, TicketWork

    # every site has a building with units in it
    assert Equipment.objects.filter(parent__isnull=True, kind__code="building").count() == Site.objects.count()
    assert Equipment.objects.filter(parent__isnull=False).count() >= 3 * Site.objects.count()
    # contracts: company-wide, site-listed, with debt, closed, listing units
    contracts = Contract.objects.all()
    assert contracts.filter(all_sites=False).exists()
    assert contracts.filter(all_equipment=False).exists()
    assert contracts.filter(payment_state=PaymentState.DEBT).exists()
    assert contracts.filter(status=ContractStatus.CLOSED).exists()
    # tickets carry their unit and the contract that covered them; works were recorded
    assert Ticket.objects.filter(equipment__isnull=False).count() >= 30
    assert Ticket.objects.filter(contract__isnull=False).exists()
    assert TicketWork.objects.filter(is_billable=True).exists()
    # the client company of client@demo.local is covered somewhere
    client_company = User.objects.get(email="client@demo.local").contact.company
    assert any(coverage_for(company=client_company, site=site).covered for site in client_company.sites.all())


def test_seed_demo_adds_the_client_base_to_an_older_demo_database(first_output):
    from assets.models import Equipment
    from contracts.models import Contract, PriceList

    # given a demo database from before equipment and contracts existed
    with transaction.atomic():
        Ticket.objects.update(equipment=None, contract=None)
        Contract.objects.all().delete()
        Equipment.objects.filter(parent__isnull=False).delete()
        Equipment.objects.all().delete()
        PriceList.objects.all().delete()
        # when
        output = _seed()
        # then
        assert "added to the existing demo data" in output
        assert Equipment.objects.count() > 0
        assert Contract.objects.count() > 0
        transaction.set_rollback(True)


def test_seed_demo_has_a_support_mailbox_for_the_lmtp_listener(first_output):
    # given the seeded world, when the command runs again
    from channels.models import Mailbox

    _seed()

    # then there is one LMTP mailbox for support@demo.local routed to dispatch, and the output says so
    mailbox = Mailbox.objects.get()
    assert (mailbox.address, mailbox.inbound, mailbox.team.code, mailbox.is_active) == (
        "support@demo.local",
        "lmtp",
        "dispatch",
        True,
    )
    assert "Demo mailbox: mail to support@demo.local over LMTP at 127.0.0.1:8025" in first_output
