"""Writes of contracts, price lists and ticket works."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from assets.models import Equipment
from contracts.models import Contract, PaymentState, PriceList, PriceListItem, TicketWork
from customers.models import Site
from tickets.models import ServiceCategory, Ticket


def _check_scope(contract: Contract, sites: list[Site], equipment: list[Equipment]) -> None:
    # The model's constraints would report these two as errors of the whole form; name the field.
    if contract.ends_on is not None and contract.starts_on is not None and contract.ends_on < contract.starts_on:
        raise ValidationError({"ends_on": _("A contract cannot end before it starts.")})
    if (
        contract.company_id is not None
        and Contract.objects.filter(company_id=contract.company_id, number=contract.number)
        .exclude(pk=contract.pk)
        .exists()
    ):
        raise ValidationError({"number": _("The company already has a contract with this number.")})
    if any(s.company_id != contract.company_id for s in sites):
        raise ValidationError({"sites": _("Every covered site must belong to the contract's company.")})
    if any(e.company_id != contract.company_id for e in equipment):
        raise ValidationError({"equipment": _("Every covered unit must belong to the contract's company.")})
    if not contract.all_sites and not sites and not equipment:
        raise ValidationError({"sites": _("List the covered sites or units, or cover every site.")})
    if contract.payment_state == PaymentState.PAID:
        contract.debt_amount = Decimal("0")
    elif contract.debt_amount <= 0:
        raise ValidationError({"debt_amount": _("Enter the amount owed.")})


@transaction.atomic
def contract_save(
    *,
    contract: Contract,
    sites: list[Site] | None = None,
    equipment: list[Equipment] | None = None,
    services: list[ServiceCategory] | None = None,
) -> Contract:
    """Create or update `contract` (an unsaved or changed instance) with its scope."""
    sites = list(sites or [])
    equipment = list(equipment or [])
    _check_scope(contract, sites, equipment)
    contract.full_clean()
    contract.save()
    contract.sites.set([] if contract.all_sites else sites)
    contract.equipment.set(equipment)
    contract.services.set(list(services or []))
    return contract


@transaction.atomic
def price_list_save(*, price_list: PriceList, items: list[dict[str, Any]]) -> PriceList:
    """Save a price list and replace its items with `items` (name, unit, price, code)."""
    price_list.full_clean()
    price_list.save()
    price_list.items.all().delete()
    rows = []
    for n, item in enumerate(items, start=1):
        row = PriceListItem(price_list=price_list, **item)
        try:
            row.full_clean(exclude=["price_list"])
        except ValidationError as exc:
            raise ValidationError({"items": _("Line %(n)s: %(e)s") % {"n": n, "e": "; ".join(exc.messages)}}) from exc
        rows.append(row)
    PriceListItem.objects.bulk_create(rows)
    return price_list


@transaction.atomic
def ticket_work_add(
    *,
    ticket: Ticket,
    actor: User,
    name: str = "",
    hours: Decimal = Decimal("0"),
    quantity: Decimal = Decimal("1"),
    price: Decimal | None = None,
    price_list_item: PriceListItem | None = None,
    is_billable: bool | None = None,
    performed_on: Any = None,
) -> TicketWork:
    """Record work on a ticket under its contract. A price list item fills name, unit and price
    and makes the work billable; labour without one is covered (counted against the hours)."""
    work = TicketWork(ticket=ticket, contract=ticket.contract, performed_by=actor, hours=hours, quantity=quantity)
    if price_list_item is not None:
        work.price_list_item = price_list_item
        work.name = (name or price_list_item.name)[:255]
        work.unit = price_list_item.unit
        work.price = price_list_item.price if price is None else price
        work.is_billable = True if is_billable is None else is_billable
    else:
        work.name = (name or "").strip()[:255]
        work.price = price or Decimal("0")
        work.is_billable = bool(is_billable)
    if not work.name:
        raise ValidationError({"name": _("Describe the work.")})
    if hours < 0 or quantity <= 0 or work.price < 0:
        raise ValidationError({"hours": _("Hours, quantity and price cannot be negative.")})
    if performed_on:
        work.performed_on = performed_on
    work.full_clean(exclude=["ticket", "contract", "performed_by"])
    work.save()
    from tickets.services import ticket_record_work

    ticket_record_work(ticket=ticket, actor=actor, work=work)
    return work


@transaction.atomic
def ticket_work_delete(*, work: TicketWork, actor: User) -> None:
    from tickets.services import ticket_record_work

    ticket_record_work(ticket=work.ticket, actor=actor, work=work, removed=True)
    work.delete()
