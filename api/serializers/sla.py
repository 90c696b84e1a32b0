"""SLA representations and inputs: a ticket's clocks, policies with their targets and escalation
levels, business calendars. Writes go through sla.policy_services and sla.calendar_services."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accounts.choices import ASSIGNABLE_ROLES
from accounts.models import Team, User
from api.serializers.common import CodeNameRefSerializer, IdOrCodeRelatedField, iso_datetime
from contracts.models import Contract
from customers.models import Company, CompanyCategory, Site
from sla.clock import BREACHED, MET, PAUSED, RUNNING
from sla.models import BusinessCalendar, CalendarCountry, DayKind, EscalationTrigger, TargetKind
from sla.policies import snapshot
from sla.policy_selectors import SLA_STATES
from sla.policy_services import ESCALATION_ACTIONS
from tickets.choices import Channel
from tickets.models import Priority, ServiceCategory, Ticket, TicketType

CLOCK_STATES = [("", "none"), (RUNNING, RUNNING), (PAUSED, PAUSED), (MET, MET), (BREACHED, BREACHED)]


# --- a ticket's clocks ---------------------------------------------------------------------------


class SlaPolicyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SlaClockSerializer(serializers.Serializer):
    due = serializers.DateTimeField(allow_null=True, help_text="The deadline (null: no such target, or paused).")
    state = serializers.ChoiceField(
        choices=CLOCK_STATES, help_text="`running`, `paused`, `met`, `breached`, or empty without a target."
    )


@extend_schema_serializer(component_name="TicketSla")
class TicketSlaSerializer(serializers.Serializer):
    policy = SlaPolicyRefSerializer(allow_null=True, help_text="The policy that applies; null: no deadlines.")
    first_response = SlaClockSerializer()
    next_response = SlaClockSerializer(help_text="The open (or the last) next-response episode.")
    resolution = SlaClockSerializer()
    due = serializers.DateTimeField(allow_null=True, help_text="The nearest deadline of a running target.")
    breached = serializers.BooleanField(help_text="Whether any target was missed.")
    paused_seconds = serializers.IntegerField(help_text="Time the clocks stood still (pending statuses).")

    def to_representation(self, ticket: Ticket) -> dict[str, Any]:
        return {
            "policy": _policy_ref(ticket),
            **{
                target: {
                    "due": iso_datetime(getattr(ticket, f"sla_{target}_due")),
                    "state": getattr(ticket, f"sla_{target}_state"),
                }
                for target in ("first_response", "next_response", "resolution")
            },
            "due": iso_datetime(ticket.sla_due),
            "breached": ticket.sla_breached,
            "paused_seconds": ticket.sla_paused_seconds,
        }


def _policy_ref(ticket: Ticket) -> dict[str, Any] | None:
    if not ticket.sla_policy_id:
        return None
    # Active policies come from the per-process snapshot (no query per ticket); a switched-off
    # policy a ticket still shows until the recalculation reaches it is read by key.
    for rule in snapshot().rules:
        if rule.policy.pk == ticket.sla_policy_id:
            return {"id": rule.policy.pk, "name": rule.policy.name}
    policy = ticket.sla_policy
    return {"id": policy.pk, "name": policy.name} if policy is not None else None


# --- policies ------------------------------------------------------------------------------------


class SlaTargetOutputSerializer(serializers.Serializer):
    priority = CodeNameRefSerializer()
    first_response_minutes = serializers.IntegerField(allow_null=True)
    first_response_business = serializers.BooleanField()
    next_response_minutes = serializers.IntegerField(allow_null=True)
    next_response_business = serializers.BooleanField()
    resolution_minutes = serializers.IntegerField(allow_null=True)
    resolution_business = serializers.BooleanField()


class SlaEscalationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    target = serializers.ChoiceField(choices=TargetKind.choices)
    trigger = serializers.ChoiceField(choices=EscalationTrigger.choices)
    minutes = serializers.IntegerField()
    priority = serializers.IntegerField(source="priority_id", allow_null=True)
    notify_assignee = serializers.BooleanField()
    notify_supervisor = serializers.BooleanField()
    notify_user = serializers.IntegerField(source="notify_user_id", allow_null=True)
    reassign_team = serializers.IntegerField(source="reassign_team_id", allow_null=True)
    reassign_user = serializers.IntegerField(source="reassign_user_id", allow_null=True)
    raise_priority = serializers.IntegerField(source="raise_priority_id", allow_null=True)


class _IdsField(serializers.ListField):
    """The ids of a prefetched many-to-many relation."""

    child = serializers.IntegerField()

    def to_representation(self, data: Any) -> list[int]:
        return sorted(row.pk for row in data.all())


@extend_schema_serializer(component_name="SlaPolicy")
class SlaPolicyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    order = serializers.IntegerField(help_text="Policies are tried in this order; the first that matches applies.")
    is_active = serializers.BooleanField()
    companies = _IdsField()
    company_categories = _IdsField()
    vip_only = serializers.BooleanField()
    contracts = _IdsField()
    sites = _IdsField()
    priorities = _IdsField()
    types = _IdsField()
    categories = _IdsField()
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices))
    teams = _IdsField()
    calendar = serializers.IntegerField(source="calendar_id", allow_null=True, help_text="Null: the default one.")
    use_site_calendar = serializers.BooleanField()
    warn_percent = serializers.IntegerField()
    targets = serializers.SerializerMethodField()
    escalations = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(SlaTargetOutputSerializer(many=True))
    def get_targets(self, policy: Any) -> list[dict[str, Any]]:
        rows = sorted(policy.targets.all(), key=lambda t: (t.priority.order, t.priority_id))
        return SlaTargetOutputSerializer(rows, many=True).data  # type: ignore[return-value]

    @extend_schema_field(SlaEscalationOutputSerializer(many=True))
    def get_escalations(self, policy: Any) -> list[dict[str, Any]]:
        rows = sorted(policy.escalations.all(), key=lambda e: (e.order, e.pk))
        return SlaEscalationOutputSerializer(rows, many=True).data  # type: ignore[return-value]


class SlaTargetInputSerializer(serializers.Serializer):
    priority = IdOrCodeRelatedField(queryset=Priority.objects.all())
    first_response_minutes = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    first_response_business = serializers.BooleanField(required=False, default=True)
    next_response_minutes = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    next_response_business = serializers.BooleanField(required=False, default=True)
    resolution_minutes = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    resolution_business = serializers.BooleanField(required=False, default=True)


class SlaEscalationInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        required=False, help_text="A level the policy has: changed in place (its firing history kept)."
    )
    target = serializers.ChoiceField(choices=TargetKind.choices)
    trigger = serializers.ChoiceField(choices=EscalationTrigger.choices)
    minutes = serializers.IntegerField(min_value=0, required=False, default=0)
    priority = IdOrCodeRelatedField(queryset=Priority.objects.all(), required=False, allow_null=True, default=None)
    notify_assignee = serializers.BooleanField(required=False, default=False)
    notify_supervisor = serializers.BooleanField(required=False, default=False)
    notify_user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, role__in=ASSIGNABLE_ROLES),
        required=False,
        allow_null=True,
        default=None,
    )
    reassign_team = IdOrCodeRelatedField(
        queryset=Team.objects.filter(is_active=True), required=False, allow_null=True, default=None
    )
    reassign_user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, role__in=ASSIGNABLE_ROLES),
        required=False,
        allow_null=True,
        default=None,
    )
    raise_priority = IdOrCodeRelatedField(
        queryset=Priority.objects.all(), required=False, allow_null=True, default=None
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(attrs.get(name) for name in ESCALATION_ACTIONS):
            raise serializers.ValidationError(_("Choose at least one action for this level."))
        return attrs


class _IdListField(serializers.ListField):
    """Ids of `model` rows, checked with one query (companies and sites can be thousands)."""

    child = serializers.IntegerField(min_value=1)

    def __init__(self, *, model: type[Model], **kwargs: Any) -> None:
        self.model = model
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 100_000)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[Model]:
        ids = sorted(set(super().to_internal_value(data)))
        found = self.model._default_manager.in_bulk(ids)
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise serializers.ValidationError(_("Unknown ids: %(ids)s.") % {"ids": ", ".join(missing[:20])})
        return [found[i] for i in ids]


class _CodeListField(serializers.ListField):
    def __init__(self, *, model: type[Model], **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(child=IdOrCodeRelatedField(queryset=model._default_manager.all()), **kwargs)


@extend_schema_serializer(component_name="SlaPolicyWrite")
class SlaPolicyInputSerializer(serializers.Serializer):
    """A policy to create, or (PATCH) the fields to change; `targets`, `escalations` and every
    condition list, when given, replace what the policy had."""

    name = serializers.CharField(max_length=200)
    order = serializers.IntegerField(min_value=0, required=False, help_text="PATCH only; a new policy goes last.")
    is_active = serializers.BooleanField(required=False)
    companies = _IdListField(model=Company)
    company_categories = _IdListField(model=CompanyCategory)
    vip_only = serializers.BooleanField(required=False)
    contracts = _IdListField(model=Contract)
    sites = _IdListField(model=Site)
    priorities = _CodeListField(model=Priority, help_text="Priority ids or codes.")
    types = _CodeListField(model=TicketType, help_text="Ticket type ids or codes.")
    categories = _CodeListField(model=ServiceCategory, help_text="Service category ids or codes.")
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices), required=False)
    teams = _CodeListField(model=Team, help_text="Team ids or codes.")
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=BusinessCalendar.objects.all(), required=False, allow_null=True
    )
    use_site_calendar = serializers.BooleanField(required=False)
    warn_percent = serializers.IntegerField(min_value=1, max_value=99, required=False)
    targets = SlaTargetInputSerializer(many=True, required=False, help_text="One item per priority.")
    escalations = SlaEscalationInputSerializer(many=True, required=False)

    def validate_targets(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        priorities = [row["priority"].pk for row in value]
        if len(priorities) != len(set(priorities)):
            raise serializers.ValidationError(_("Give each priority once."))
        return value


class SlaPolicyUpdateInputSerializer(SlaPolicyInputSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


# --- calendars -----------------------------------------------------------------------------------


class WorkingIntervalSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(help_text="0 = Monday … 6 = Sunday.")
    start = serializers.TimeField(format="%H:%M")
    end = serializers.TimeField(format="%H:%M")


class CalendarDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    kind = serializers.ChoiceField(
        choices=DayKind.choices, help_text="`holiday`, `workday` (transferred working day) or `shortened`."
    )
    name = serializers.CharField()
    hours = serializers.JSONField(help_text='The day\'s own hours, e.g. [["09:00", "13:00"]], or [].')
    shortened_by_minutes = serializers.IntegerField()
    workday_pattern = serializers.IntegerField(help_text="A working day works like this weekday.")
    is_manual = serializers.BooleanField(help_text="Edited by hand: seeding the year again keeps it.")


@extend_schema_serializer(component_name="BusinessCalendar")
class BusinessCalendarOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    time_zone = serializers.CharField()
    country = serializers.ChoiceField(
        choices=CalendarCountry.choices, help_text="`RU`: the Russian production calendar is seeded every year."
    )
    is_24x7 = serializers.BooleanField()
    is_default = serializers.BooleanField()
    is_active = serializers.BooleanField()
    intervals = WorkingIntervalSerializer(many=True, source="intervals.all")
    updated_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="BusinessCalendarDetail")
class BusinessCalendarDetailOutputSerializer(BusinessCalendarOutputSerializer):
    days = serializers.SerializerMethodField(help_text="Exceptional days of the `year` asked for (this year).")

    @extend_schema_field(CalendarDaySerializer(many=True))
    def get_days(self, calendar: BusinessCalendar) -> list[dict[str, Any]]:
        year = self.context.get("year")
        days = [d for d in calendar.days.all() if year is None or d.day.year == year]
        return CalendarDaySerializer(days, many=True).data  # type: ignore[return-value]


class CalendarDetailParamsSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)


@extend_schema_serializer(component_name="BusinessCalendarWrite")
class BusinessCalendarInputSerializer(serializers.Serializer):
    """A calendar to create, or (PATCH) the fields to change. sla.calendar_services checks the
    code, the time zone and the rest."""

    code = serializers.CharField(max_length=50, help_text="Latin letters, digits, hyphens and underscores; unique.")
    name = serializers.CharField(max_length=200)
    time_zone = serializers.CharField(max_length=64, required=False, default="Europe/Moscow")
    country = serializers.ChoiceField(
        choices=CalendarCountry.choices,
        required=False,
        allow_blank=True,
        default=CalendarCountry.NONE,
        help_text="`RU`: seed the Russian production calendar for this year and the next, then every December.",
    )
    is_24x7 = serializers.BooleanField(required=False, default=False, help_text="Every moment is working time.")
    is_default = serializers.BooleanField(
        required=False, default=False, help_text="Takes the flag from the previous default calendar."
    )
    is_active = serializers.BooleanField(required=False, default=True)


class BusinessCalendarUpdateInputSerializer(BusinessCalendarInputSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class WorkingTimeSerializer(serializers.Serializer):
    start = serializers.TimeField(format="%H:%M", help_text="HH:MM, in the calendar's time zone.")
    end = serializers.TimeField(format="%H:%M", help_text="HH:MM, after `start`.")


@extend_schema_serializer(component_name="CalendarWeekdayWrite")
class CalendarWeekdayInputSerializer(serializers.Serializer):
    intervals = WorkingTimeSerializer(
        many=True, allow_empty=True, help_text="The day's working intervals, not overlapping; [] for a day off."
    )


@extend_schema_serializer(component_name="CalendarWeekday")
class CalendarWeekdayOutputSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(help_text="0 = Monday … 6 = Sunday.")
    intervals = WorkingTimeSerializer(many=True)


@extend_schema_serializer(component_name="CalendarDayWrite")
class CalendarDayInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=DayKind.choices,
        help_text="`holiday` (a day off), `workday` (a transferred working day) or `shortened`.",
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    hours = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(max_length=5), min_length=2, max_length=2),
        required=False,
        default=list,
        help_text='The day\'s own hours, e.g. [["09:00", "13:00"], ["14:00", "16:00"]]. Empty: a working day '
        "works like `workday_pattern`, a shortened day like its weekday less `shortened_by_minutes`.",
    )
    shortened_by_minutes = serializers.IntegerField(
        required=False, default=60, help_text="0–1440: cut from the end of a shortened day without own hours."
    )
    workday_pattern = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="0–6: the weekday a working day without own hours works like (default: its own, Monday for a "
        "weekend day).",
    )


@extend_schema_serializer(component_name="CalendarSeed")
class CalendarSeedInputSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="1992–2100.")


@extend_schema_serializer(component_name="CalendarSeedResult")
class CalendarSeedOutputSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    created = serializers.IntegerField(help_text="Days added.")
    updated = serializers.IntegerField(help_text="Seeded days changed to the current official calendar.")
    unchanged = serializers.IntegerField()
    deleted = serializers.IntegerField(help_text="Seeded days the official calendar no longer lists.")
    kept_manual = serializers.IntegerField(help_text="Days edited by hand, left as they were.")


class SlaStateParamField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[(s, s) for s in SLA_STATES], **kwargs)
