"""Companies, contacts and sites. Internal notes are for staff only."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.choices import Language
from api.serializers.common import (
    CompanyRefSerializer,
    LenientDateTimeField,
    ViewerAwareSerializer,
    context_user,
    scope_related_field,
)
from customers.models import Company
from customers.selectors import company_list_for_user

NOTES_HELP = "Internal notes: staff only, left out for client contacts."


class CustomerListParamsSerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Name contains this (case-insensitive)."
    )
    updated_since = LenientDateTimeField(
        required=False,
        help_text="ISO 8601 date-time: only records changed at or after it, most recently changed first.",
    )


class ByCompanyListParamsSerializer(CustomerListParamsSerializer):
    company = serializers.IntegerField(required=False, min_value=1, help_text="Company id.")


# Companies


@extend_schema_serializer(component_name="Company")
class CompanyOutputSerializer(ViewerAwareSerializer):
    staff_only_fields = ("notes",)

    id = serializers.IntegerField()
    name = serializers.CharField()
    legal_name = serializers.CharField()
    inn = serializers.CharField()
    email_domains = serializers.CharField(help_text="Comma-separated, e.g. example.ru")
    phone = serializers.CharField()
    notes = serializers.CharField(required=False, help_text=NOTES_HELP)
    portal_contacts_see_all_tickets = serializers.BooleanField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="CompanyCreate")
class CompanyInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    legal_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    inn = serializers.CharField(max_length=12, required=False, allow_blank=True)
    email_domains = serializers.CharField(max_length=500, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    portal_contacts_see_all_tickets = serializers.BooleanField(required=False)
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
    staff_only_fields = ("notes",)

    id = serializers.IntegerField()
    company = CompanyRefSerializer()
    name = serializers.CharField()
    address = serializers.CharField()
    time_zone = serializers.CharField()
    notes = serializers.CharField(required=False, help_text=NOTES_HELP)
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class _SiteInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False, help_text="IANA name, e.g. Europe/Moscow.")
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
