"""Which contract covers a request, and what the dispatcher is warned about."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from assets.models import Responsible
from contracts.coverage import COMPANY_WIDE, SITE_LISTED, UNIT_LISTED, coverage_for, hours_period
from contracts.models import Contract, ContractStatus, HoursPeriod, PaymentState, TicketWork
from tests.factories import (
    ContractFactory,
    EquipmentFactory,
    ServiceCategoryFactory,
    SiteFactory,
    make_ticket,
)

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _contract(company, **kwargs) -> Contract:
    kwargs.setdefault("starts_on", date(2026, 1, 1))
    kwargs.setdefault("ends_on", date(2026, 12, 31))
    return ContractFactory(company=company, **kwargs)


def test_a_company_wide_contract_covers_every_site():
    # given
    site = SiteFactory()
    contract = _contract(site.company)
    # when
    result = coverage_for(company=site.company, site=site, day=DAY)
    # then
    assert result.contract == contract
    assert result.scope == COMPANY_WIDE
    assert result.covered
    assert "Covered by contract" in result.notices[0].text


def test_of_overlapping_contracts_the_most_specific_wins():
    # given: a company-wide contract, a site contract, and one listing the unit itself
    unit = EquipmentFactory()
    company, site = unit.company, unit.site
    company_wide = _contract(company, starts_on=date(2026, 3, 1))
    for_site = _contract(company, sites=[site], starts_on=date(2026, 1, 1))
    for_unit = _contract(company, sites=[SiteFactory(company=company)], equipment=[unit], all_equipment=False)
    # when
    about_unit = coverage_for(company=company, site=site, equipment=unit, day=DAY)
    about_site = coverage_for(company=company, site=site, day=DAY)
    elsewhere = coverage_for(company=company, site=SiteFactory(company=company), day=DAY)
    # then
    assert (about_unit.contract, about_unit.scope) == (for_unit, UNIT_LISTED)
    assert (about_site.contract, about_site.scope) == (for_site, SITE_LISTED)
    assert (elsewhere.contract, elsewhere.scope) == (company_wide, COMPANY_WIDE)


def test_among_equally_specific_contracts_the_latest_started_wins():
    # given
    site = SiteFactory()
    _contract(site.company, starts_on=date(2026, 1, 1))
    newer = _contract(site.company, starts_on=date(2026, 4, 1))
    # when
    result = coverage_for(company=site.company, site=site, day=DAY)
    # then
    assert result.contract == newer


def test_a_contract_listing_units_does_not_cover_other_units_at_its_site():
    # given
    unit = EquipmentFactory()
    other = EquipmentFactory(site=unit.site, company=unit.company)
    _contract(unit.company, sites=[unit.site], equipment=[unit], all_equipment=False)
    # when
    listed = coverage_for(company=unit.company, equipment=unit, day=DAY)
    unlisted = coverage_for(company=unit.company, equipment=other, day=DAY)
    # then
    assert listed.covered
    assert not unlisted.covered
    assert unlisted.notices[0].level == "danger"


def test_an_expired_contract_is_named_and_covers_nothing():
    # given
    site = SiteFactory()
    _contract(site.company, number="ТО-2025", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    # when
    result = coverage_for(company=site.company, site=site, day=DAY)
    # then
    assert not result.covered
    assert result.lapsed is not None
    assert result.lapsed.number == "ТО-2025"
    assert "ended on" in result.notices[0].text


def test_suspended_and_draft_contracts_cover_nothing():
    # given
    site = SiteFactory()
    _contract(site.company, status=ContractStatus.SUSPENDED)
    _contract(site.company, status=ContractStatus.DRAFT)
    # when
    result = coverage_for(company=site.company, site=site, day=DAY)
    # then
    assert not result.covered
    assert "suspended" in result.notices[0].text


def test_a_contract_for_a_service_covers_the_services_under_it():
    # given: the catalogue is a tree, and the contract lists the branch
    site = SiteFactory()
    electrical = ServiceCategoryFactory(name_ru="Электрика")
    lighting = ServiceCategoryFactory(name_ru="Освещение", parent=electrical)
    lamps = ServiceCategoryFactory(name_ru="Лампы", parent=lighting)
    cleaning = ServiceCategoryFactory(name_ru="Уборка")
    contract = _contract(site.company, sites=[site], services=[electrical])
    lighting_only = _contract(SiteFactory().company, services=[lighting])
    # when
    for_lamps = coverage_for(company=site.company, site=site, category=lamps, day=DAY)
    for_cleaning = coverage_for(company=site.company, site=site, category=cleaning, day=DAY)
    for_electrical = coverage_for(company=lighting_only.company, category=electrical, day=DAY)
    # then: a child is covered by its ancestor's contract, never the other way round
    assert for_lamps.contract == contract
    assert for_cleaning.contract is None
    assert for_electrical.contract is None


def test_a_service_outside_the_contract_is_paid_extra_unless_another_contract_takes_it():
    # given: the site contract is for air conditioning only
    site = SiteFactory()
    hvac, cleaning = ServiceCategoryFactory(), ServiceCategoryFactory()
    hvac_only = _contract(site.company, sites=[site], services=[hvac])
    # when
    for_hvac = coverage_for(company=site.company, site=site, category=hvac, day=DAY)
    for_cleaning = coverage_for(company=site.company, site=site, category=cleaning, day=DAY)
    everything = _contract(site.company)
    for_cleaning_later = coverage_for(company=site.company, site=site, category=cleaning, day=DAY)
    # then
    assert for_hvac.contract == hvac_only
    assert for_cleaning.contract is None
    assert for_cleaning.service_not_covered_by == hvac_only
    assert for_cleaning_later.contract == everything


def test_debt_is_summed_over_the_companys_contracts():
    # given
    site = SiteFactory()
    _contract(site.company, payment_state=PaymentState.DEBT, debt_amount=Decimal("15000.50"))
    _contract(site.company, payment_state=PaymentState.DEBT, debt_amount=Decimal("4999.50"), starts_on=date(2025, 1, 1))
    # when
    result = coverage_for(company=site.company, site=site, day=DAY)
    # then
    assert result.debt == Decimal("20000.00")
    assert any(n.level == "danger" and "owes" in n.text for n in result.notices)


def test_included_hours_count_this_periods_covered_work_only():
    # given: 10 hours a month; 3 h in June, 2 h billed separately, 4 h in May
    site = SiteFactory()
    contract = _contract(site.company, included_hours=Decimal("10"), hours_period=HoursPeriod.MONTH)
    ticket = make_ticket(company=site.company, site=site)
    TicketWork.objects.create(ticket=ticket, contract=contract, name="Диагностика", hours=3, performed_on=DAY)
    TicketWork.objects.create(
        ticket=ticket, contract=contract, name="Замена", hours=2, is_billable=True, price=1000, performed_on=DAY
    )
    TicketWork.objects.create(ticket=ticket, contract=contract, name="ТО", hours=4, performed_on=date(2026, 5, 31))
    # when
    result = coverage_for(company=site.company, site=site, day=DAY)
    # then
    assert result.hours_remaining == Decimal("7")
    assert result.period == (date(2026, 6, 1), date(2026, 6, 30))


@pytest.mark.parametrize(
    ("period", "day", "expected"),
    [
        (HoursPeriod.MONTH, date(2027, 2, 10), (date(2027, 2, 1), date(2027, 2, 28))),
        (HoursPeriod.QUARTER, date(2026, 11, 23), (date(2026, 10, 1), date(2026, 12, 31))),
        (HoursPeriod.YEAR, date(2026, 11, 23), (date(2026, 3, 1), date(2026, 12, 31))),
        (HoursPeriod.TERM, date(2026, 11, 23), (date(2026, 3, 1), date(2027, 2, 28))),
    ],
)
def test_hours_periods_are_clipped_to_the_contract(period, day, expected):
    contract = Contract(starts_on=date(2026, 3, 1), ends_on=date(2027, 2, 28), hours_period=period)
    assert hours_period(contract, day) == expected


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (HoursPeriod.MONTH, (date(9999, 12, 1), date(9999, 12, 31))),
        (HoursPeriod.QUARTER, (date(9999, 10, 1), date(9999, 12, 31))),
        (HoursPeriod.YEAR, (date(9999, 1, 1), date(9999, 12, 31))),
        (HoursPeriod.TERM, (date(2026, 3, 1), date.max)),
    ],
)
def test_hours_periods_of_an_open_ended_contract_reach_the_last_day(period, expected):
    contract = Contract(starts_on=date(2026, 3, 1), ends_on=None, hours_period=period)
    assert hours_period(contract, date(9999, 12, 20)) == expected


@given(st.dates(min_value=date(2026, 3, 1)), st.sampled_from(list(HoursPeriod)))
def test_the_hours_period_always_holds_the_day(day, period):
    contract = Contract(starts_on=date(2026, 3, 1), ends_on=None, hours_period=period)
    start, end = hours_period(contract, day)
    assert start <= day <= end


def test_a_unit_maintained_by_a_contractor_is_not_ours_even_under_contract():
    # given
    unit = EquipmentFactory(responsible=Responsible.CONTRACTOR, contractor_name="ООО ЛифтСервис")
    _contract(unit.company)
    # when
    result = coverage_for(company=unit.company, equipment=unit, day=DAY)
    # then
    assert result.contract is not None
    assert not result.covered
    assert any("ООО ЛифтСервис" in n.text for n in result.notices)


def test_warranty_is_mentioned():
    unit = EquipmentFactory(warranty_until=DAY + timedelta(days=30))
    result = coverage_for(company=None, equipment=unit, day=DAY)
    assert any("warranty" in n.text for n in result.notices)


def test_without_a_company_nothing_can_be_checked():
    result = coverage_for(company=None, day=DAY)
    assert not result.covered
    assert result.notices[0].level == "warn"
