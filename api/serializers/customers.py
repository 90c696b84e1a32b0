"""Companies, contacts and sites. Internal notes are for staff only."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.choices import ASSIGNABLE_ROLES, Language
from accounts.models import Team, User
from api.serializers.common import (
    CodeNameRefSerializer,
    CompanyRefSerializer,
    IdOrCodeRelatedField,
    LenientDateTimeField,
    UserRefSerializer,
    ViewerAwareSerializer,
    context_user,
    scope_related_field,
)
from core.http import MAX_ID
from customers.models import Company, CompanyCategory, ContactRole
from customers.selectors import company_list_for_user

NOTES_HELP = "Internal notes: staff only, left out for client contacts."
STAFF_ONLY_HELP = "Staff only; left out for client contacts."
EXTERNAL_ID_HELP = "The record's id in 1C or a CRM."


def _staff_users() -> Any:
    return User.objects.filter(is_active=True, role__in=list(ASSIGNABLE_ROLES))


class CustomerListParamsSerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Name contains this (case-insensitive)."
    )
    updated_since = LenientDateTimeField(
        required=False,
        help_text="ISO 8601 date-time: only records changed at or after it, most recently changed first.",
    )


class ByCompanyListParamsSerializer(CustomerListParamsSerializer):
    company = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Company id.")


class CompanyListParamsSerializer(CustomerListParamsSerializer):
    category = serializers.CharField(required=False, max_length=50, help_text="Company category id or code.")
    external_id = serializers.CharField(required=False, max_length=100, help_text="Exactly this external id.")
    inn = serializers.CharField(required=False, max_length=12, help_text="Exactly this INN.")


class ExternalIdListParamsSerializer(ByCompanyListParamsSerializer):
    external_id = serializers.CharField(required=False, max_length=100, help_text="Exactly this external id.")


# Company categories


@extend_schema_serializer(component_name="CompanyCategory")
class CompanyCategoryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="Stable across installations; accepted wherever an id is.")
    name = serializers.CharField(help_text="In the request's language.")
    name_ru = serializers.CharField()
    name_en = serializers.CharField()
    is_vip = serializers.BooleanField()
    order = serializers.IntegerField()


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


# Companies


@extend_schema_serializer(component_name="Company")
class CompanyOutputSerializer(ViewerAwareSerializer):
    staff_only_fields = ("notes", "category")

    id = serializers.IntegerField()
    name = serializers.CharField()
    legal_name = serializers.CharField()
    inn = serializers.CharField()
    kpp = serializers.CharField()
    category = CategoryRefSerializer(allow_null=True, required=False, help_text=STAFF_ONLY_HELP)
    external_id = serializers.CharField(help_text=EXTERNAL_ID_HELP)
    account_manager = UserRefSerializer(allow_null=True)
    email_domains = serializers.CharField(help_text="Comma-separated, e.g. example.ru")
    phone = serializers.CharField()
    notes = serializers.CharField(required=False, help_text=NOTES_HELP)
    portal_contacts_see_all_tickets = serializers.BooleanField()
    portal_qr_requires_login = serializers.BooleanField(
        help_text="False: anyone who scans an equipment label may send a request without signing in."
    )
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="CompanyCreate")
class CompanyInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    legal_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    inn = serializers.CharField(
        max_length=12, required=False, allow_blank=True, help_text="10 digits (organisation) or 12 (sole trader)."
    )
    kpp = serializers.CharField(
        max_length=9, required=False, allow_blank=True, help_text="9 characters, the first four digits."
    )
    category = IdOrCodeRelatedField(
        queryset=CompanyCategory.objects.all(), required=False, allow_null=True, help_text="Category id or code."
    )
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text=EXTERNAL_ID_HELP)
    account_manager = serializers.PrimaryKeyRelatedField(
        queryset=_staff_users(),
        required=False,
        allow_null=True,
        style={"base_template": "input.html"},
        help_text="An active staff member's user id.",
    )
    email_domains = serializers.CharField(max_length=500, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    portal_contacts_see_all_tickets = serializers.BooleanField(required=False)
    portal_qr_requires_login = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


@extend_schema_serializer(component_name="CompanyUpdate")
class CompanyUpdateInputSerializer(CompanyInputSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


# Contacts


@extend_schema_serializer(component_name="Contact")
class ContactOutputSerializer(ViewerAwareSerializer):
    staff_only_fields = ("notes",)

    id = serializers.IntegerField()
    company = CompanyRefSerializer(allow_null=True)
    full_name = serializers.CharField()
    position = serializers.CharField()
    role = serializers.ChoiceField(choices=ContactRole.choices)
    external_id = serializers.CharField(help_text=EXTERNAL_ID_HELP)
    notes = serializers.CharField(required=False, help_text=NOTES_HELP)
    language = serializers.CharField()
    is_active = serializers.BooleanField()
    emails = serializers.SerializerMethodField(help_text="The primary one first.")
    phones = serializers.SerializerMethodField(help_text="The primary one first.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_emails(self, contact: Any) -> list[str]:
        return [e.email for e in contact.emails.all()]

    def get_phones(self, contact: Any) -> list[str]:
        return [p.phone for p in contact.phones.all()]


class _ContactInputSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200)
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.none(),  # replaced by the viewer's companies in __init__
        required=False,
        allow_null=True,
        style={"base_template": "input.html"},
    )
    emails = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False, max_length=20, help_text="The first is primary."
    )
    phones = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=20, help_text="The first is primary."
    )
    position = serializers.CharField(max_length=200, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=ContactRole.choices, required=False)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text=EXTERNAL_ID_HELP)
    notes = serializers.CharField(required=False, allow_blank=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = context_user(self)
        if user is not None:
            scope_related_field(self, "company", company_list_for_user(user=user))


@extend_schema_serializer(component_name="ContactCreate")
class ContactCreateInputSerializer(_ContactInputSerializer):
    language = serializers.ChoiceField(choices=Language.choices, required=False)


@extend_schema_serializer(component_name="ContactUpdate")
class ContactUpdateInputSerializer(_ContactInputSerializer):
    """Every field optional; `emails`/`phones`, when given, replace the whole list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


# Sites


@extend_schema_serializer(component_name="Site")
class SiteOutputSerializer(ViewerAwareSerializer):
    staff_only_fields = ("notes", "default_team", "default_engineer")

    id = serializers.IntegerField()
    company = CompanyRefSerializer()
    name = serializers.CharField()
    address = serializers.CharField()
    time_zone = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, coerce_to_string=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, coerce_to_string=False, allow_null=True)
    floors = serializers.CharField(help_text="Floors and rooms, e.g. 1–5, basement, roof.")
    access_hours = serializers.CharField(help_text="When engineers can get in.")
    default_team = CodeNameRefSerializer(
        allow_null=True, required=False, help_text="New tickets at the site go to it. " + STAFF_ONLY_HELP
    )
    default_engineer = UserRefSerializer(allow_null=True, required=False, help_text=STAFF_ONLY_HELP)
    external_id = serializers.CharField(help_text=EXTERNAL_ID_HELP)
    notes = serializers.CharField(required=False, help_text=NOTES_HELP)
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class _SiteInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False, help_text="IANA name, e.g. Europe/Moscow.")
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, allow_null=True
    )
    floors = serializers.CharField(max_length=255, required=False, allow_blank=True)
    access_hours = serializers.CharField(max_length=255, required=False, allow_blank=True)
    default_team = IdOrCodeRelatedField(
        queryset=Team.objects.filter(is_active=True), required=False, allow_null=True, help_text="Team id or code."
    )
    default_engineer = serializers.PrimaryKeyRelatedField(
        queryset=_staff_users(),
        required=False,
        allow_null=True,
        style={"base_template": "input.html"},
        help_text="An active staff member's user id.",
    )
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text=EXTERNAL_ID_HELP)
    notes = serializers.CharField(required=False, allow_blank=True)


@extend_schema_serializer(component_name="SiteCreate")
class SiteCreateInputSerializer(_SiteInputSerializer):
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.none(),  # replaced by the viewer's companies in __init__
        style={"base_template": "input.html"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = context_user(self)
        if user is not None:
            scope_related_field(self, "company", company_list_for_user(user=user))


@extend_schema_serializer(component_name="SiteUpdate")
class SiteUpdateInputSerializer(_SiteInputSerializer):
    """Every field optional. A site stays with its company: its tickets belong to that company."""

    is_active = serializers.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)
