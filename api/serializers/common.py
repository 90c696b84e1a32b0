"""Fields and small nested representations shared by the API's serializers."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.permissions import is_staff_viewer
from core.http import parse_id

# "2024-05-01T10:00:00 03:00": a "+" that was not URL-encoded arrives as a space.
_UNENCODED_PLUS_RE = re.compile(r"^(\S+T[\d:.]+) (\d{2}:?\d{2})$")


_DATETIME = serializers.DateTimeField()


def iso_datetime(value: Any) -> str | None:
    """A datetime as DRF's DateTimeField writes it (current time zone, ISO 8601, "Z" for UTC), for
    representations built by hand; None stays None."""
    return _DATETIME.to_representation(value) if value else None


def context_user(serializer: serializers.BaseSerializer) -> Any:
    """The user a serializer works for; None when it is instantiated without a request (schema
    generation), in which case viewer-scoped querysets stay empty."""
    request = serializer.context.get("request")
    return getattr(request, "user", None)


def scope_related_field(serializer: serializers.Serializer, name: str, queryset: QuerySet[Any]) -> None:
    """Limit a related field's choices to what the caller may see (the querysets are per request)."""
    field = serializer.fields[name]
    if isinstance(field, serializers.ManyRelatedField):
        field = field.child_relation
    assert isinstance(field, serializers.RelatedField)
    field.queryset = queryset
    if isinstance(field, ReferenceRelatedField):
        field.rows = None  # the snapshot knows nothing of the narrower choice: ask the queryset


class LenientDateTimeField(serializers.DateTimeField):
    """ISO 8601 date-time that also accepts a UTC offset whose "+" was not URL-encoded in a
    query string. Without an offset the value is read in the caller's time zone (their profile's)."""

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            value = _UNENCODED_PLUS_RE.sub(r"\1+\2", value.strip())
        return super().to_internal_value(value)


class CommaSeparatedListField(serializers.ListField):
    """A query parameter given several times (`?tag=a&tag=b`) or comma-separated (`?tag=a,b`)."""

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, str):
            data = [data]
        if isinstance(data, list | tuple):
            data = [part.strip() for item in data for part in str(item).split(",") if part.strip()]
        return super().to_internal_value(data)


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "An id or a code."})
class IdOrCodeRelatedField(serializers.RelatedField):
    """Reference data by id (`3`) or by its stable code (`"high"`), which is the same on every
    installation; always written back as the id."""

    default_error_messages = {
        "does_not_exist": _('Nothing with id or code "{value}" exists.'),
        "invalid": _("Give an id or a code."),
    }

    def __init__(self, *, code_field: str = "code", **kwargs: Any) -> None:
        self.code_field = code_field
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Model:
        queryset = self.get_queryset()
        assert queryset is not None
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        text = str(data).strip()
        if not text:
            self.fail("invalid")
        if text.isdecimal() and parse_id(text) is None:
            self.fail("does_not_exist", value=text)
        lookup: dict[str, Any] = {"pk": parse_id(text)} if text.isdecimal() else {self.code_field: text}
        try:
            return queryset.get(**lookup)
        except queryset.model.DoesNotExist:
            self.fail("does_not_exist", value=text)

    def to_representation(self, value: Any) -> Any:
        return value.pk


class ReferenceRelatedField(IdOrCodeRelatedField):
    """`IdOrCodeRelatedField` over reference data the per-process snapshot holds
    (tickets/reference.py): an active row found there by id or code costs no query. Anything
    else — a row created a moment ago in another process, an inactive one, a field narrowed by
    `scope_related_field` — is looked up in `queryset`, which must select the active rows."""

    def __init__(self, *, rows: str, **kwargs: Any) -> None:
        self.rows: str | None = rows  # the snapshot's attribute: "priorities", "teams", …
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Model:
        if self.rows is not None and isinstance(data, int | str) and not isinstance(data, bool):
            from tickets.reference import reference

            text = str(data).strip()
            rows: dict[int, Any] = getattr(reference(), self.rows)
            if text.isdecimal():
                row = rows.get(parse_id(text) or 0)
            else:
                row = next((r for r in rows.values() if getattr(r, self.code_field) == text), None)
            if row is not None and row.is_active:
                return row  # type: ignore[no-any-return]
        return super().to_internal_value(data)


class ViewerAwareSerializer(serializers.Serializer):
    # An output serializer with fields only staff may read (internal notes, tags): they are left
    # out of the representation for client contacts, and declared required=False so the schema
    # documents them as optional. (A comment: the schema shows docstrings to API users.)

    staff_only_fields: tuple[str, ...] = ()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not is_staff_viewer(request.user):
            for name in self.staff_only_fields:
                data.pop(name, None)
        return data


class TagNamesField(serializers.ListField):
    """A ticket's tags as a sorted list of names (from a prefetched relation)."""

    child = serializers.CharField()

    def to_representation(self, data: Any) -> list[str]:
        return sorted(tag.name for tag in data.all())


class CompanyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ContactRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class SiteRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EquipmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    inventory_number = serializers.CharField()


class ContractRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class CodeNameRefSerializer(serializers.Serializer):
    """Reference data (priority, type, service category, team): id, stable code, display name in
    the request's language."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class StatusRefSerializer(CodeNameRefSerializer):
    category = serializers.CharField()
