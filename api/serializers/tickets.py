"""Ticket representations and inputs. Writes go through tickets.services; querysets of every
related field come from selectors so nobody can attach another company's records."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.choices import ASSIGNABLE_ROLES
from accounts.models import Team, User
from api.filters import TICKET_ORDERINGS
from api.permissions import is_staff_viewer
from api.serializers.common import (
    CodeNameRefSerializer,
    CommaSeparatedListField,
    CompanyRefSerializer,
    ContactRefSerializer,
    ContractRefSerializer,
    EquipmentRefSerializer,
    LenientDateTimeField,
    ReferenceRelatedField,
    SiteRefSerializer,
    StatusRefSerializer,
    TagNamesField,
    UserRefSerializer,
    ViewerAwareSerializer,
    context_user,
    iso_datetime,
    scope_related_field,
)
from api.serializers.sla import SlaStateParamField, TicketSlaSerializer
from assets.models import Equipment
from assets.selectors import equipment_list_for_user
from core.http import MAX_ID
from customers.models import Company, Contact, Site
from customers.selectors import company_list_for_user, contact_list_for_user, site_list_for_user
from tickets.choices import Channel, StatusCategory
from tickets.models import Priority, ServiceCategory, Status, TicketType
from tickets.selectors import ticket_tag_names

CLIENT_FORBIDDEN = _("Client contacts cannot set this field.")
SEARCH_LIMIT = 50


@extend_schema_serializer(component_name="Ticket")
class TicketOutputSerializer(ViewerAwareSerializer):
    staff_only_fields = ("tags", "contract", "sla")

    id = serializers.IntegerField()
    number = serializers.IntegerField(help_text="Human-friendly number; the ticket's address is /tickets/{number}/.")
    title = serializers.CharField()
    description = serializers.CharField()
    status = StatusRefSerializer()
    delayed_until = serializers.DateTimeField(allow_null=True)
    priority = CodeNameRefSerializer()
    type = CodeNameRefSerializer(allow_null=True)
    category = CodeNameRefSerializer(allow_null=True)
    company = CompanyRefSerializer(allow_null=True)
    contact = ContactRefSerializer(allow_null=True)
    site = SiteRefSerializer(allow_null=True)
    equipment = EquipmentRefSerializer(allow_null=True, help_text="The unit the request is about.")
    contract = ContractRefSerializer(
        allow_null=True,
        required=False,
        help_text="The contract that covered the ticket when it was registered or its company, site, unit or "
        "service last changed. Staff only; left out for client contacts.",
    )
    team = CodeNameRefSerializer(allow_null=True)
    assignee = UserRefSerializer(allow_null=True)
    tags = TagNamesField(required=False, help_text="Staff only; left out for client contacts.")
    channel = serializers.ChoiceField(choices=Channel.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(help_text="When the first message arrived at the channel.")
    first_response_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    sla = TicketSlaSerializer(
        source="*", required=False, help_text="The SLA policy and deadlines. Staff only; left out for client contacts."
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        # The fields above document the shape (OpenAPI) and give the reference output; the answer
        # itself is built by `ticket_representation`, which gives the same dict
        # (api/tests/test_ticket_representation.py) without DRF deep-copying and binding ~60 field
        # objects per ticket — most of a ticket list's CPU.
        request = self.context.get("request")
        return ticket_representation(instance, staff=request is not None and is_staff_viewer(request.user))

    def generic_representation(self, instance: Any) -> dict[str, Any]:
        """DRF's own rendering through the declared fields: the reference the fast one is tested against."""
        return super().to_representation(instance)


_SLA = TicketSlaSerializer()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _ref(row: Any, *names: str) -> dict[str, Any] | None:
    """A related row as its Ref serializer writes it: id, then each field as text; None for none."""
    return None if row is None else {"id": row.id, **{name: _text(getattr(row, name)) for name in names}}


def ticket_representation(ticket: Any, *, staff: bool) -> dict[str, Any]:
    """What TicketOutputSerializer answers for `ticket` (tags, contract and SLA only for staff)."""
    data: dict[str, Any] = {
        "id": ticket.id,
        "number": ticket.number,
        "title": _text(ticket.title),
        "description": _text(ticket.description),
        "status": _ref(ticket.status, "code", "name", "category"),
        "delayed_until": iso_datetime(ticket.delayed_until),
        "priority": _ref(ticket.priority, "code", "name"),
        "type": _ref(ticket.type, "code", "name"),
        "category": _ref(ticket.category, "code", "name"),
        "company": _ref(ticket.company, "name"),
        "contact": _ref(ticket.contact, "full_name"),
        "site": _ref(ticket.site, "name"),
        "equipment": _ref(ticket.equipment, "name", "inventory_number"),
    }
    if staff:
        data["contract"] = _ref(ticket.contract, "number")
    data["team"] = _ref(ticket.team, "code", "name")
    data["assignee"] = _ref(ticket.assignee, "full_name")
    if staff:
        data["tags"] = ticket_tag_names(ticket)
    data["channel"] = ticket.channel
    for name in ("created_at", "updated_at", "received_at", "first_response_at", "resolved_at", "closed_at"):
        data[name] = iso_datetime(getattr(ticket, name))
    if staff:
        data["sla"] = _SLA.to_representation(ticket)
    return data


class _TicketInputSerializer(serializers.Serializer):
    # Shared by create and update: related fields are limited to what the caller may see.

    # Fields a client contact may send; anything else they send is refused by name.
    client_fields: frozenset[str] = frozenset()

    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    priority = ReferenceRelatedField(
        rows="priorities", queryset=Priority.objects.filter(is_active=True), required=False
    )
    type = ReferenceRelatedField(
        rows="types", queryset=TicketType.objects.filter(is_active=True), required=False, allow_null=True
    )
    category = ReferenceRelatedField(
        rows="categories", queryset=ServiceCategory.objects.filter(is_active=True), required=False, allow_null=True
    )
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.none(),  # replaced by the viewer's companies in __init__
        required=False,
        allow_null=True,
        style={"base_template": "input.html"},
    )
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(),
        required=False,
        allow_null=True,
        style={"base_template": "input.html"},
    )
    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.none(),
        required=False,
        allow_null=True,
        style={"base_template": "input.html"},
    )
    equipment = serializers.PrimaryKeyRelatedField(
        queryset=Equipment.objects.none(),
        required=False,
        allow_null=True,
        style={"base_template": "input.html"},
        help_text="A unit of the ticket's company; the company (and the site, when none is given) default to the "
        "unit's.",
    )
    team = ReferenceRelatedField(
        rows="teams", queryset=Team.objects.filter(is_active=True), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, role__in=ASSIGNABLE_ROLES),
        required=False,
        allow_null=True,
        style={"base_template": "input.html"},
        help_text="An active staff member's user id.",
    )
    status = ReferenceRelatedField(rows="statuses", queryset=Status.objects.filter(is_active=True), required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=50)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = context_user(self)
        if user is None:
            return
        scope_related_field(self, "company", company_list_for_user(user=user))
        scope_related_field(self, "contact", contact_list_for_user(user=user))
        scope_related_field(self, "site", site_list_for_user(user=user))
        scope_related_field(self, "equipment", equipment_list_for_user(user=user))
        if not is_staff_viewer(user):
            scope_related_field(
                self, "category", ServiceCategory.objects.filter(is_active=True, visible_in_portal=True)
            )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not is_staff_viewer(context_user(self)):
            sent = set(getattr(self, "initial_data", {}) or {})
            refused = {
                name: [CLIENT_FORBIDDEN] for name in sorted(sent & set(self.fields)) if name not in self.client_fields
            }
            if refused:
                raise serializers.ValidationError(refused)
        return attrs


@extend_schema_serializer(component_name="TicketCreate")
class TicketCreateInputSerializer(_TicketInputSerializer):
    client_fields = frozenset(
        {"title", "description", "priority", "type", "category", "site", "equipment", "attachments"}
    )

    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, help_text="Where the request came from; `api` when left out."
    )
    received_at = LenientDateTimeField(
        required=False, help_text="When the request reached the channel (SLA clocks start there); now when left out."
    )
    attachments = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False),
        required=False,
        max_length=20,
        help_text="Files (multipart/form-data) attached to the first message.",
    )

    def validate_received_at(self, value: Any) -> Any:
        if value > timezone.now():
            raise serializers.ValidationError(_("This time is in the future."))
        return value

    def validate_status(self, value: Status) -> Status:
        if value.is_delay:
            raise serializers.ValidationError(
                _("A delay status needs a date: create the ticket first, then set the status with delayed_until.")
            )
        return value


@extend_schema_serializer(component_name="TicketUpdate")
class TicketUpdateInputSerializer(_TicketInputSerializer):
    """Every field optional (PATCH). `status`/`delayed_until`, `assignee` and `tags` each go
    through their own service; `null` clears an optional field."""

    client_fields = frozenset({"title", "description"})

    delayed_until = LenientDateTimeField(
        required=False, allow_null=True, help_text="Required with a delay status: when the ticket reopens by itself."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class TicketListParamsSerializer(serializers.Serializer):
    """Query parameters of the ticket list. A list parameter may be repeated or comma-separated."""

    status = CommaSeparatedListField(child=serializers.CharField(), required=False, help_text="Status id or code.")
    status_category = CommaSeparatedListField(
        child=serializers.ChoiceField(choices=StatusCategory.choices), required=False
    )
    open = serializers.BooleanField(required=False, help_text="`true`: only tickets in new/open/pending statuses.")
    priority = CommaSeparatedListField(child=serializers.CharField(), required=False, help_text="Priority id or code.")
    team = CommaSeparatedListField(child=serializers.CharField(), required=False, help_text="Team id or code.")
    assignee = CommaSeparatedListField(
        child=serializers.CharField(), required=False, help_text="User id, `me`, or `none` for unassigned tickets."
    )
    company = CommaSeparatedListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False)
    contact = CommaSeparatedListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False)
    site = CommaSeparatedListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False)
    equipment = CommaSeparatedListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, help_text="Equipment unit id."
    )
    tag = CommaSeparatedListField(child=serializers.CharField(max_length=64), required=False)
    channel = CommaSeparatedListField(child=serializers.ChoiceField(choices=Channel.choices), required=False)
    sla_state = CommaSeparatedListField(
        child=SlaStateParamField(),
        required=False,
        help_text="`breached`: a deadline was missed; `at_risk`: none missed, a running deadline's warning time "
        "(the policy's warn %) has passed; `running`: a deadline runs, neither missed nor at risk.",
    )
    created_from = serializers.DateField(
        required=False, help_text="Created on or after this day, in the caller's time zone."
    )
    created_to = serializers.DateField(
        required=False, help_text="Created on or before this day, in the caller's time zone."
    )
    updated_since = LenientDateTimeField(
        required=False,
        help_text="ISO 8601 date-time: only tickets updated at or after it, most recently updated first.",
    )
    ordering = serializers.ChoiceField(
        choices=list(TICKET_ORDERINGS),
        required=False,
        help_text="`-updated`/`updated`: by last update; `-created`/`created`: by creation; `sla_due`: the nearest "
        "SLA deadline first, tickets without a running deadline last (with `open=true` it reads an index). Ties "
        "go by id. Without it: newest first, or most recently updated first with `updated_since`. Ignored by "
        "`search`.",
    )
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=f"Full-text search (Russian and English word forms). At most {SEARCH_LIMIT} best matches, "
        "in relevance order, in one page without a cursor.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("created_from") and attrs.get("created_to") and attrs["created_from"] > attrs["created_to"]:
            raise serializers.ValidationError({"created_to": [_("This day is before created_from.")]})
        return attrs
