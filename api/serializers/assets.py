"""Equipment kinds and units. Writes go through assets.services; the company, site and parent a
caller may name come from selectors, so nobody can attach another company's records."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from api.serializers.common import (
    CompanyRefSerializer,
    IdOrCodeRelatedField,
    LenientDateTimeField,
    SiteRefSerializer,
    ViewerAwareSerializer,
    context_user,
    scope_related_field,
)
from api.serializers.customers import EXTERNAL_ID_HELP, NOTES_HELP
from assets.models import Equipment, EquipmentKind, ParameterType, Responsible
from assets.selectors import equipment_list_for_user
from core.http import MAX_ID, parse_id
from customers.models import Company, Site
from customers.selectors import company_list_for_user, site_list_for_user

PARAMETERS_HELP = (
    "Values of the kind's parameters by code (see /equipment-kinds/): text, number, date (YYYY-MM-DD) or "
    "true/false. When given, the whole set is replaced; blank values are dropped."
)

# Kinds


class EquipmentParameterSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.SerializerMethodField(help_text="In the request's language.")
    name_ru = serializers.CharField(default="")
    name_en = serializers.CharField(default="")
    type = serializers.ChoiceField(choices=ParameterType.choices, default=ParameterType.TEXT)

    def get_name(self, spec: dict[str, Any]) -> str:
        english = (get_language() or "ru").startswith("en")
        return str((spec.get("name_en") if english else spec.get("name_ru")) or spec.get("code", ""))


@extend_schema_serializer(component_name="EquipmentKind")
class EquipmentKindOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="Stable across installations; accepted wherever an id is.")
    name = serializers.CharField(help_text="In the request's language.")
    name_ru = serializers.CharField()
    name_en = serializers.CharField()
    parameters = EquipmentParameterSerializer(many=True, help_text="What a unit of this kind records.")
    order = serializers.IntegerField()
    is_active = serializers.BooleanField()


class KindRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class ParentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


# Units


@extend_schema_field({"type": "object", "additionalProperties": {}})
class ParametersField(serializers.DictField):
    """A JSON object of parameter values by code."""


@extend_schema_serializer(component_name="Equipment")
class EquipmentOutputSerializer(ViewerAwareSerializer):
    staff_only_fields = ("notes",)

    id = serializers.IntegerField()
    company = CompanyRefSerializer()
    site = SiteRefSerializer(allow_null=True)
    parent = ParentRefSerializer(allow_null=True, help_text="The unit this one is part of.")
    kind = KindRefSerializer()
    name = serializers.CharField()
    manufacturer = serializers.CharField()
    model = serializers.CharField()
    serial_number = serializers.CharField()
    inventory_number = serializers.CharField()
    location = serializers.CharField(help_text="Floor / room.")
    parameters = ParametersField(help_text="Values by parameter code (see /equipment-kinds/).")
    installed_on = serializers.DateField(allow_null=True)
    warranty_until = serializers.DateField(allow_null=True)
    responsible = serializers.ChoiceField(choices=Responsible.choices, help_text="Who maintains the unit.")
    contractor_name = serializers.CharField()
    notes = serializers.CharField(required=False, help_text=NOTES_HELP)
    external_id = serializers.CharField(help_text=EXTERNAL_ID_HELP)
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class _EquipmentInputSerializer(serializers.Serializer):
    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.none(),  # replaced by the viewer's sites in __init__
        required=False,
        allow_null=True,
        style={"base_template": "input.html"},
        help_text="A site of the unit's company.",
    )
    # The metaclass pops declared fields off the class, so this does not shadow Field.parent.
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Equipment.objects.none(),  # replaced by the viewer's units in __init__
        required=False,
        allow_null=True,
        style={"base_template": "input.html"},
        help_text="The unit this one is part of (same company).",
    )
    kind = IdOrCodeRelatedField(queryset=EquipmentKind.objects.filter(is_active=True), help_text="Kind id or code.")
    name = serializers.CharField(max_length=255)
    manufacturer = serializers.CharField(max_length=200, required=False, allow_blank=True)
    model = serializers.CharField(max_length=200, required=False, allow_blank=True)
    serial_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    inventory_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="Floor / room.")
    parameters = ParametersField(required=False, help_text=PARAMETERS_HELP)
    installed_on = serializers.DateField(required=False, allow_null=True)
    warranty_until = serializers.DateField(required=False, allow_null=True)
    responsible = serializers.ChoiceField(choices=Responsible.choices, required=False)
    contractor_name = serializers.CharField(
        max_length=255, required=False, allow_blank=True, help_text="Required when `responsible` is `contractor`."
    )
    notes = serializers.CharField(required=False, allow_blank=True)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text=EXTERNAL_ID_HELP)
    is_active = serializers.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = context_user(self)
        if user is not None:
            scope_related_field(self, "site", site_list_for_user(user=user))
            scope_related_field(self, "parent", equipment_list_for_user(user=user))
            if "company" in self.fields:
                scope_related_field(self, "company", company_list_for_user(user=user))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The service keeps only the kind's parameters and drops the rest; a code the kind does not
        # have is a mistake in the caller's data, so it is refused by name instead.
        if "parameters" in attrs:
            unit = self.context.get("unit")
            kind = attrs.get("kind") or getattr(unit, "kind", None)
            known = {spec.get("code") for spec in (getattr(kind, "parameters", None) or [])}
            unknown = sorted(code for code in attrs["parameters"] if code not in known)
            if unknown:
                raise serializers.ValidationError(
                    {"parameters": {code: [_("The kind has no such parameter.")] for code in unknown}}
                )
        return attrs


@extend_schema_serializer(component_name="EquipmentCreate")
class EquipmentCreateInputSerializer(_EquipmentInputSerializer):
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.none(),  # replaced by the viewer's companies in __init__
        required=False,
        style={"base_template": "input.html"},
        help_text="The owner; the site's company when left out.",
    )


@extend_schema_serializer(component_name="EquipmentUpdate")
class EquipmentUpdateInputSerializer(_EquipmentInputSerializer):
    """Every field optional. A unit stays with its company; `parameters`, when given, replace the
    whole set."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class EquipmentListParamsSerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Name, serial or inventory number, model or manufacturer contains this (case-insensitive).",
    )
    company = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Company id.")
    site = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Site id.")
    kind = serializers.CharField(required=False, max_length=50, help_text="Kind id or code.")
    parent = serializers.CharField(  # type: ignore[assignment]  # as above
        required=False, max_length=20, help_text="Parent unit id, or `none` for units that are not part of another."
    )
    serial_number = serializers.CharField(required=False, max_length=100, help_text="Exactly this serial number.")
    inventory_number = serializers.CharField(required=False, max_length=100, help_text="Exactly this inventory number.")
    external_id = serializers.CharField(required=False, max_length=100, help_text="Exactly this external id.")
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    updated_since = LenientDateTimeField(
        required=False,
        help_text="ISO 8601 date-time: only units changed at or after it, most recently changed first.",
    )

    def validate_parent(self, value: str) -> str:
        if value != "none" and parse_id(value) is None:
            raise serializers.ValidationError(_('Give a unit id or "none".'))
        return value
