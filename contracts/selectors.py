"""Reads of contracts and price lists: staff only (not contractors)."""

from __future__ import annotations

from datetime import date
from typing import cast

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.choices import Role
from accounts.models import User
from contracts.models import Contract, ContractStatus, PaymentState, PriceList, TicketWork
from core.db import ModelColumns, quoted_column
from tickets.models import Ticket


def _staff(user: User) -> bool:
    return user.is_authenticated and user.is_agent_side and user.role != Role.CONTRACTOR


def contract_list_for_user(*, user: User) -> QuerySet[Contract]:
    if not _staff(user):
        return Contract.objects.none()
    return Contract.objects.select_related("company", "price_list")


def contract_get_for_user(*, user: User, contract_id: int) -> Contract:
    try:
        return contract_list_for_user(user=user).get(pk=contract_id)
    except (Contract.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def price_list_list_for_user(*, user: User) -> QuerySet[PriceList]:
    return PriceList.objects.all() if _staff(user) else PriceList.objects.none()


def contract_in_force_q(day: date) -> Q:
    """Contracts in force on `day` (the query form of Contract.in_force)."""
    return Q(status=ContractStatus.ACTIVE, starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))


def contract_with_debt_q() -> Q:
    """Contracts with money owed (the query form of Contract.has_debt)."""
    return Q(payment_state=PaymentState.DEBT, debt_amount__gt=0)


def ticket_work_list_for_user(*, user: User, ticket: Ticket) -> QuerySet[TicketWork]:
    """The works of a ticket the caller already fetched through a selector: staff only (a
    contractor sees those of the tickets assigned to them), never client contacts."""
    if not (user.is_authenticated and user.is_agent_side):
        return TicketWork.objects.none()
    return (
        TicketWork.objects.filter(ticket=ticket)
        .select_related("contract", "price_list_item", "performed_by")
        .order_by("performed_on", "id")
    )


def ticket_work_get_for_user(*, user: User, ticket: Ticket, work_id: int) -> TicketWork:
    try:
        return ticket_work_list_for_user(user=user, ticket=ticket).get(pk=work_id)
    except (TicketWork.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# A work line of the ticket page's side panel; of who performed it, the name.
WORK_COLUMNS = ModelColumns(
    TicketWork,
    ("id", "ticket", "name", "hours", "quantity", "price", "total", "is_billable", "performed_by", "performed_on"),
)
PERFORMER_COLUMNS = ModelColumns(User, ("id", "full_name"))


def work_lines_for_ticket(ticket: Ticket) -> list[TicketWork]:
    """The works recorded on a ticket (the caller checked who may see it), by day and order of
    recording, with what the side panel shows of them: read by hand, every ticket page asks."""
    q, column = connection.ops.quote_name, quoted_column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {WORK_COLUMNS.select('w')}, {PERFORMER_COLUMNS.select('u')} FROM {q(TicketWork._meta.db_table)} w"
            f" LEFT OUTER JOIN {q(User._meta.db_table)} u"
            f" ON u.{column(User, 'id')} = w.{column(TicketWork, 'performed_by')}"
            f" WHERE w.{column(TicketWork, 'ticket')} = %s"
            f" ORDER BY w.{column(TicketWork, 'performed_on')}, w.{column(TicketWork, 'id')}",
            [ticket.pk],
        )
        rows = cursor.fetchall()
    performer = TicketWork._meta.get_field("performed_by")
    works = []
    for row in rows:
        work = cast(TicketWork, WORK_COLUMNS.build(row[: WORK_COLUMNS.width]))
        person = row[WORK_COLUMNS.width :]
        performer.set_cached_value(work, PERFORMER_COLUMNS.build(person) if person[0] is not None else None)  # type: ignore[union-attr]
        works.append(work)
    return works
