"""Is this covered? The contract that covers a company / site / unit / service on a day, and what
the person registering the ticket must know: debt, hours left, an expired or suspended contract,
equipment maintained by someone else, a warranty.

Which contract wins: of the contracts in force that day (status active, starts_on ≤ day ≤ ends_on
or open-ended) whose scope takes the request, the most specific — one listing the unit itself,
then one listing the site, then one for every site of the company — and among equals the one
that started last. A contract limited to some services takes a request only for those services
and the ones under them in the catalogue tree (or one with no service chosen yet); when only
such a contract matches the place, the request is reported as "service not covered by №…".
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import cast

from django.db import connection
from django.db.models import Sum, prefetch_related_objects
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assets.models import Equipment, Responsible
from contracts.models import Contract, ContractStatus, HoursPeriod, PaymentState, TicketWork
from core.db import ModelColumns, quoted_column
from customers.models import Company, Site
from tickets.models import ServiceCategory
from tickets.reference import reference

# How specific a contract's hold on a request is.
COMPANY_WIDE, SITE_LISTED, UNIT_LISTED = 1, 2, 3


@dataclass(frozen=True)
class Notice:
    level: str  # "ok", "info", "warn", "danger"
    text: str


@dataclass
class Coverage:
    company: Company | None
    contract: Contract | None = None
    scope: int = 0
    service_not_covered_by: Contract | None = None
    lapsed: Contract | None = None  # expired, suspended or not yet started, when nothing is in force
    debt: Decimal = Decimal("0")
    hours_included: Decimal | None = None
    hours_used: Decimal = Decimal("0")
    period: tuple[date, date] | None = None
    equipment: Equipment | None = None
    notices: list[Notice] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        responsible_elsewhere = self.equipment is not None and self.equipment.responsible != Responsible.US
        return self.contract is not None and not responsible_elsewhere

    @property
    def has_debt(self) -> bool:
        return self.debt > 0

    @property
    def hours_remaining(self) -> Decimal | None:
        return None if self.hours_included is None else self.hours_included - self.hours_used


def hours_period(contract: Contract, day: date) -> tuple[date, date]:
    """The period of `contract`'s included hours that contains `day`."""
    # Month ends from the calendar, not by adding days: that overflows date.max in December 9999
    # (a date an open-ended contract reaches through the API's ?on=).
    if contract.hours_period == HoursPeriod.MONTH:
        start = day.replace(day=1)
        end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    elif contract.hours_period == HoursPeriod.QUARTER:
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        last_month = start.month + 2
        end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    elif contract.hours_period == HoursPeriod.YEAR:
        start, end = date(day.year, 1, 1), date(day.year, 12, 31)
    else:
        start, end = contract.starts_on, contract.ends_on or date.max
    return max(start, contract.starts_on), min(end, contract.ends_on or date.max)


def hours_used(contract: Contract, period: tuple[date, date]) -> Decimal:
    used = TicketWork.objects.filter(contract=contract, is_billable=False, performed_on__range=period).aggregate(
        total=Sum("hours")
    )["total"]
    return used or Decimal("0")


def _scope(contract: Contract, site: Site | None, equipment: Equipment | None) -> int:
    """How specifically `contract` takes a request at `site` about `equipment` (0: it does not)."""
    site_ids = {s.pk for s in contract.sites.all()}
    if equipment is not None and equipment.pk in {e.pk for e in contract.equipment.all()}:
        return UNIT_LISTED
    if contract.all_sites:
        place = COMPANY_WIDE
    elif site is not None and site.pk in site_ids:
        place = SITE_LISTED
    else:
        return 0
    if equipment is not None and not contract.all_equipment:
        return 0  # the contract lists its units and this is not one of them
    return place


def _category_and_ancestors(category: ServiceCategory) -> set[int]:
    """The ids of `category` and of every category above it in the catalogue tree. Read from the
    reference snapshot (no query); a parent loop in the data ends the walk."""
    known = reference().categories
    ids: set[int] = set()
    node: ServiceCategory | None = category
    while node is not None and node.pk not in ids:
        ids.add(node.pk)
        node = known.get(node.parent_id) if node.parent_id else None
    return ids


def _takes_service(contract: Contract, categories: set[int] | None) -> bool:
    """Whether `contract` takes a request in a category (with its ancestors: `categories`). A
    contract listing "Electrical" takes "Lighting" under it."""
    service_ids = {s.pk for s in contract.services.all()}
    return not service_ids or categories is None or bool(service_ids & categories)


CONTRACT_COLUMNS = ModelColumns(Contract)


def _contracts_of(company_id: int) -> list[Contract]:
    """The company's contracts but drafts, newest first, with their sites, units and services.
    The contracts are read by hand: every ticket page asks, most companies have none, and the
    ORM's statement cost several times its run (bench/README.md, session 18)."""
    q = connection.ops.quote_name
    table = q(Contract._meta.db_table)
    column = {name: quoted_column(Contract, name) for name in ("company", "status", "starts_on", "id")}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {CONTRACT_COLUMNS.select('c')} FROM {table} c WHERE c.{column['company']} = %s"
            f" AND NOT (c.{column['status']} = %s) ORDER BY c.{column['starts_on']} DESC, c.{column['id']} DESC",
            [company_id, ContractStatus.DRAFT.value],
        )
        contracts = [cast(Contract, CONTRACT_COLUMNS.build(row)) for row in cursor.fetchall()]
    if contracts:
        prefetch_related_objects(contracts, "sites", "equipment", "services")
    return contracts


def coverage_for(
    *,
    company: Company | None,
    site: Site | None = None,
    equipment: Equipment | None = None,
    category: ServiceCategory | None = None,
    day: date | None = None,
    contracts: list[Contract] | None = None,
) -> Coverage:
    """What covers a request for `company` (at `site`, for `equipment`, in `category`) on `day`.
    `contracts`: the company's contracts but drafts when the caller knows them (a ticket page
    that found none passes [])."""
    day = day or timezone.localdate()
    if equipment is not None:
        company = company or equipment.company
        site = site or equipment.site
    result = Coverage(company=company, equipment=equipment)
    if company is None:
        result.notices.append(Notice("warn", _("No company chosen: coverage cannot be checked.")))
        return result
    if contracts is None:
        contracts = _contracts_of(company.pk)
    result.debt = sum((c.debt_amount for c in contracts if c.payment_state == PaymentState.DEBT), Decimal("0"))
    in_place = [(c, _scope(c, site, equipment)) for c in contracts]
    in_place = [(c, scope) for c, scope in in_place if scope]
    in_force = [(c, scope) for c, scope in in_place if c.in_force(day)]
    categories = _category_and_ancestors(category) if category is not None else None
    taking = [(c, scope) for c, scope in in_force if _takes_service(c, categories)]
    if taking:
        # Most specific first; `contracts` is already newest first, and sorted() is stable.
        result.contract, result.scope = sorted(taking, key=lambda pair: -pair[1])[0]
    elif in_force:
        result.service_not_covered_by = in_force[0][0]
    elif in_place:
        result.lapsed = in_place[0][0]
    if result.contract is not None and result.contract.included_hours is not None:
        result.period = hours_period(result.contract, day)
        result.hours_included = result.contract.included_hours
        result.hours_used = hours_used(result.contract, result.period)
    result.notices = _notices(result, day)
    return result


def _notices(result: Coverage, day: date) -> list[Notice]:
    notices: list[Notice] = []
    contract = result.contract
    if contract is not None:
        scope = {
            UNIT_LISTED: _("this unit is listed in it"),
            SITE_LISTED: _("this site is listed in it"),
            COMPANY_WIDE: _("it covers every site of the company"),
        }[result.scope]
        until = date_format(contract.ends_on, "SHORT_DATE_FORMAT") if contract.ends_on else _("open-ended")
        notices.append(
            Notice(
                "ok",
                _("Covered by contract %(contract)s (until %(until)s): %(scope)s.")
                % {"contract": contract, "until": until, "scope": scope},
            )
        )
    elif result.service_not_covered_by is not None:
        notices.append(
            Notice(
                "danger",
                _("This service is not in contract %(contract)s: the work is paid extra.")
                % {"contract": result.service_not_covered_by},
            )
        )
    elif result.lapsed is not None:
        lapsed = result.lapsed
        if lapsed.status == ContractStatus.SUSPENDED:
            text = _("Contract %(contract)s is suspended.") % {"contract": lapsed}
        elif lapsed.status == ContractStatus.CLOSED or (lapsed.ends_on and lapsed.ends_on < day):
            ended = lapsed.ends_on or lapsed.updated_at.date()
            text = _("Contract %(contract)s ended on %(day)s.") % {
                "contract": lapsed,
                "day": date_format(ended, "SHORT_DATE_FORMAT"),
            }
        else:
            text = _("Contract %(contract)s starts on %(day)s.") % {
                "contract": lapsed,
                "day": date_format(lapsed.starts_on, "SHORT_DATE_FORMAT"),
            }
        notices.append(Notice("danger", text + " " + _("No contract covers this request: the work is paid extra.")))
    else:
        notices.append(Notice("danger", _("No contract covers this request: the work is paid extra.")))
    if result.has_debt:
        notices.append(Notice("danger", _("The company owes %(amount)s ₽.") % {"amount": _money(result.debt)}))
    remaining = result.hours_remaining
    if remaining is not None and result.period is not None:
        level = "warn" if remaining <= 0 else "info"
        notices.append(
            Notice(
                level,
                _("Included hours left: %(left)s of %(total)s (%(start)s – %(end)s).")
                % {
                    "left": _hours(max(remaining, Decimal("0"))),
                    "total": _hours(result.hours_included or Decimal("0")),
                    "start": date_format(result.period[0], "SHORT_DATE_FORMAT"),
                    "end": date_format(result.period[1], "SHORT_DATE_FORMAT"),
                },
            )
        )
    unit = result.equipment
    if unit is not None:
        if unit.responsible == Responsible.CONTRACTOR:
            notices.append(
                Notice(
                    "warn",
                    _("This unit is maintained by a contractor: %(name)s.")
                    % {"name": unit.contractor_name or _("not named")},
                )
            )
        elif unit.responsible == Responsible.CLIENT:
            notices.append(Notice("warn", _("This unit is maintained by the client's own staff.")))
        if unit.under_warranty(day):
            notices.append(
                Notice(
                    "info",
                    _("Under warranty until %(day)s: a fault may be the manufacturer's.")
                    % {"day": date_format(unit.warranty_until or day, "SHORT_DATE_FORMAT")},
                )
            )
    return notices


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", "\u00a0").replace(".", ",")


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")
