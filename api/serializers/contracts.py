"""Contracts, price lists, works on tickets and coverage: staff only (never client contacts).
Writes go through contracts.services; coverage is contracts.coverage.coverage_for as JSON."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from api.serializers.common import (
    CodeNameRefSerializer,
    CompanyRefSerializer,
    ContractRefSerializer,
    EquipmentRefSerializer,
    IdOrCodeRelatedField,
    LenientDateTimeField,
    SiteRefSerializer,
    UserRefSerializer,
    context_user,
    scope_related_field,
)
from api.serializers.customers import EXTERNAL_ID_HELP
from assets.models import Equipment
from assets.selectors import equipment_list_for_user
from contracts.coverage import COMPANY_WIDE, SITE_LISTED, UNIT_LISTED
from contracts.models import ContractStatus, HoursPeriod, PaymentState, PriceList, PriceListItem
from core.http import MAX_ID
from customers.models import Company, Site
from customers.selectors import company_list_for_user, site_list_for_user
from tickets.models import ServiceCategory


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def _hours(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=9, decimal_places=2, **kwargs)


# Price lists


class PriceListRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="PriceListItem")
class PriceListItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    price = _money()
    is_active = serializers.BooleanField()


@extend_schema_serializer(component_name="PriceList")
class PriceListOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    currency = serializers.CharField()
    is_active = serializers.BooleanField()
    items = PriceListItemOutputSerializer(many=True, source="items.all")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PriceListListParamsSerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Name contains this (case-insensitive)."
    )
    updated_since = LenientDateTimeField(
        required=False,
        help_text="ISO 8601 date-time: only price lists changed at or after it, most recently changed first.",
    )


# Contracts


@extend_schema_serializer(component_name="Contract")
class ContractOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    company = CompanyRefSerializer()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=ContractStatus.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True, help_text="Null: open-ended.")
    in_force = serializers.SerializerMethodField(help_text="Active and within its dates today.")
    all_sites = serializers.BooleanField(help_text="Covers every site of the company.")
    sites = SiteRefSerializer(many=True, source="sites.all", help_text="The covered sites unless `all_sites`.")
    all_equipment = serializers.BooleanField(help_text="Covers every unit at the covered sites.")
    equipment = EquipmentRefSerializer(
        many=True, source="equipment.all", help_text="Units listed in the contract: covered wherever they are."
    )
    services = CodeNameRefSerializer(
        many=True, source="services.all", help_text="Covered service catalogue entries; empty: every service."
    )
    included_hours = _hours(allow_null=True, help_text="Labour hours included per `hours_period`; null: unlimited.")
    hours_period = serializers.ChoiceField(choices=HoursPeriod.choices)
    price_list = PriceListRefSerializer(allow_null=True, help_text="Prices of extra work.")
    payment_state = serializers.ChoiceField(choices=PaymentState.choices)
    debt_amount = _money()
    notes = serializers.CharField()
    external_id = serializers.CharField(help_text=EXTERNAL_ID_HELP)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_in_force(self, contract: Any) -> bool:
        return bool(contract.in_force(self.context["today"]))


class _ContractInputSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=100)
    title = serializers.CharField(max_length=255, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=ContractStatus.choices, required=False)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True, help_text="Null or left out: open-ended.")
    all_sites = serializers.BooleanField(required=False, help_text="True (the default): every site of the company.")
    sites = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Site.objects.none(),  # replaced by the viewer's sites in __init__
        required=False,
        style={"base_template": "input.html"},
        help_text="Site ids of the company, when not `all_sites`. When given, replace the list.",
    )
    all_equipment = serializers.BooleanField(
        required=False, help_text="True (the default): every unit at the covered sites."
    )
    equipment = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Equipment.objects.none(),  # replaced by the viewer's units in __init__
        required=False,
        style={"base_template": "input.html"},
        help_text="Unit ids of the company, covered wherever they are. When given, replace the list.",
    )
    services = serializers.ListField(
        child=IdOrCodeRelatedField(queryset=ServiceCategory.objects.filter(is_active=True)),
        required=False,
        help_text="Service catalogue ids or codes; empty: every service. When given, replace the list.",
    )
    included_hours = _hours(required=False, allow_null=True, min_value=0, help_text="Null: unlimited.")
    hours_period = serializers.ChoiceField(choices=HoursPeriod.choices, required=False)
    price_list = serializers.PrimaryKeyRelatedField(
        queryset=PriceList.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        style={"base_template": "input.html"},
    )
    payment_state = serializers.ChoiceField(choices=PaymentState.choices, required=False)
    debt_amount = _money(required=False, min_value=0, help_text="Required (above zero) with payment_state `debt`.")
    notes = serializers.CharField(required=False, allow_blank=True)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text=EXTERNAL_ID_HELP)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = context_user(self)
        if user is not None:
            scope_related_field(self, "sites", site_list_for_user(user=user))
            scope_related_field(self, "equipment", equipment_list_for_user(user=user))
            if "company" in self.fields:
                scope_related_field(self, "company", company_list_for_user(user=user))


@extend_schema_serializer(component_name="ContractCreate")
class ContractCreateInputSerializer(_ContractInputSerializer):
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.none(),  # replaced by the viewer's companies in __init__
        style={"base_template": "input.html"},
    )


@extend_schema_serializer(component_name="ContractUpdate")
class ContractUpdateInputSerializer(_ContractInputSerializer):
    """Every field optional. A contract stays with its company."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class ContractListParamsSerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Number, title or company name contains this (case-insensitive).",
    )
    company = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Company id.")
    status = serializers.ChoiceField(choices=ContractStatus.choices, required=False)
    in_force_on = serializers.DateField(
        required=False, help_text="Only contracts in force that day: active, started, not ended."
    )
    debt = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="`true`: only contracts with a debt."
    )
    external_id = serializers.CharField(required=False, max_length=100, help_text="Exactly this external id.")
    updated_since = LenientDateTimeField(
        required=False,
        help_text="ISO 8601 date-time: only contracts changed at or after it, most recently changed first.",
    )


# Works on tickets


@extend_schema_serializer(component_name="TicketWork")
class TicketWorkOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    hours = _hours(help_text="Labour; counted against the contract's included hours unless billed separately.")
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2)
    unit = serializers.CharField()
    price = _money()
    total = _money(help_text="quantity × price when billed separately, else 0.")
    is_billable = serializers.BooleanField(help_text="Billed separately; false: covered by the contract.")
    price_list_item = PriceListRefSerializer(allow_null=True)
    contract = ContractRefSerializer(allow_null=True)
    performed_by = UserRefSerializer(allow_null=True)
    performed_on = serializers.DateField()
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="TicketWorkCreate")
class TicketWorkInputSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=255, required=False, allow_blank=True, help_text="Required unless `price_list_item` is given."
    )
    price_list_item = serializers.PrimaryKeyRelatedField(
        queryset=PriceListItem.objects.none(),  # replaced in __init__
        required=False,
        allow_null=True,
        style={"base_template": "input.html"},
        help_text="An active item of the ticket's contract's price list (any active list when it has none): "
        "fills name, unit and price and makes the work billable.",
    )
    hours = _hours(required=False, min_value=0)
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, min_value=Decimal("0.01"))
    price = _money(required=False, allow_null=True, min_value=0, help_text="Overrides the price list's price.")
    is_billable = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Billed separately; defaults as described above."
    )
    performed_on = serializers.DateField(required=False, help_text="Today when left out.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        items = PriceListItem.objects.filter(is_active=True, price_list__is_active=True)
        price_list = self.context.get("price_list")
        if price_list is not None:
            items = items.filter(price_list=price_list)
        scope_related_field(self, "price_list_item", items)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("name") or "").strip() and attrs.get("price_list_item") is None:
            raise serializers.ValidationError({"name": [_("Describe the work or choose it from the price list.")]})
        return attrs


# Coverage

SCOPES = {UNIT_LISTED: "unit", SITE_LISTED: "site", COMPANY_WIDE: "company"}


class CoverageParamsSerializer(serializers.Serializer):
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.none(), required=False, help_text="Company id; the site's or unit's when left out."
    )
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.none(), required=False, help_text="Site id.")
    equipment = serializers.PrimaryKeyRelatedField(
        queryset=Equipment.objects.none(), required=False, help_text="Unit id."
    )
    category = IdOrCodeRelatedField(
        queryset=ServiceCategory.objects.all(), required=False, help_text="Service catalogue id or code."
    )
    on = serializers.DateField(required=False, help_text="The day to check; today when left out.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = context_user(self)
        if user is not None:
            scope_related_field(self, "company", company_list_for_user(user=user))
            scope_related_field(self, "site", site_list_for_user(user=user))
            scope_related_field(self, "equipment", equipment_list_for_user(user=user))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        company, site, unit = attrs.get("company"), attrs.get("site"), attrs.get("equipment")
        if company is None and site is None and unit is None:
            raise serializers.ValidationError({"company": [_("Give a company, a site or a unit.")]})
        if company is None:
            company = unit.company if unit is not None else site.company  # type: ignore[union-attr]  # one is given
        if site is not None and site.company_id != company.pk:
            raise serializers.ValidationError({"site": [_("The site belongs to another company.")]})
        if unit is not None and unit.company_id != company.pk:
            raise serializers.ValidationError({"equipment": [_("The equipment belongs to another company.")]})
        return {**attrs, "company": company}


class NoticeSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["ok", "info", "warn", "danger"])
    text = serializers.CharField()


class CoverageHoursSerializer(serializers.Serializer):
    included = _hours()
    used = _hours(help_text="Labour not billed separately, recorded in the period.")
    remaining = _hours(help_text="Negative when the included hours are overspent.")
    period_start = serializers.DateField()
    period_end = serializers.DateField(allow_null=True, help_text="Null: the contract is open-ended.")


@extend_schema_serializer(component_name="Coverage")
class CoverageOutputSerializer(serializers.Serializer):
    covered = serializers.BooleanField(
        help_text="A contract in force covers the request and we maintain the unit (if one is given)."
    )
    company = CompanyRefSerializer(allow_null=True)
    contract = ContractRefSerializer(allow_null=True, help_text="The covering contract.")
    scope = serializers.SerializerMethodField(help_text="How the contract takes the request: unit, site or company.")
    service_not_covered_by = ContractRefSerializer(
        allow_null=True, help_text="In force at the place but without this service: the work is paid extra."
    )
    lapsed = ContractRefSerializer(
        allow_null=True,
        help_text="Expired, suspended or not yet started contract for the place, when none is in force.",
    )
    debt = _money(help_text="What the company owes over all its contracts.")
    hours = serializers.SerializerMethodField(help_text="Included hours of the covering contract; null: unlimited.")
    notices = NoticeSerializer(many=True, help_text="What the person registering the request must know.")

    @extend_schema_field({"type": "string", "enum": ["unit", "site", "company"], "nullable": True})
    def get_scope(self, coverage: Any) -> str | None:
        return SCOPES.get(coverage.scope) if coverage.contract is not None else None

    @extend_schema_field(CoverageHoursSerializer(allow_null=True))
    def get_hours(self, coverage: Any) -> dict[str, Any] | None:
        if coverage.hours_included is None or coverage.period is None:
            return None
        start, end = coverage.period
        return CoverageHoursSerializer(
            {
                "included": coverage.hours_included,
                "used": coverage.hours_used,
                "remaining": coverage.hours_remaining,
                "period_start": start,
                "period_end": None if end == date.max else end,
            }
        ).data
