"""Forms of the SLA policy editor: the policy with its conditions, one row of targets per
priority, and the escalation levels as a formset. They only parse input; sla/policy_services.py
writes."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from accounts.choices import ASSIGNABLE_ROLES
from accounts.models import Team, User
from contracts.models import Contract
from customers.models import Company, CompanyCategory, Site
from sla.models import BusinessCalendar, EscalationTrigger, SlaPolicy, TargetKind
from sla.policy_services import ESCALATION_ACTIONS, TARGET_KINDS, TargetInput
from tickets.choices import Channel
from tickets.models import Priority, ServiceCategory, TicketType

DURATION_HELP = _("Like “4h 30m”, “4:30” or minutes (“270”).")
_UNIT = re.compile(r"(\d+)\s*(h|hr|hours?|ч|час\w*|m|min|minutes?|м|мин\w*)", re.IGNORECASE)
MAX_MINUTES = 10 * 366 * 24 * 60


def parse_duration(text: str) -> int | None:
    """ "4h 30m", "4ч 30м", "4:30", "270" → minutes; "" → None. ValidationError otherwise."""
    value = (text or "").strip().lower()
    if not value:
        return None
    if value.startswith("-"):
        raise ValidationError(_("A duration cannot be negative."), code="negative")
    if value.isdigit():
        minutes = int(value)
    elif match := re.fullmatch(r"(\d+):([0-5]?\d)", value):
        minutes = int(match[1]) * 60 + int(match[2])
    elif re.fullmatch(rf"(?:\s*{_UNIT.pattern}\s*)+", value, re.IGNORECASE):
        minutes = 0
        for number, unit in _UNIT.findall(value):
            minutes += int(number) * (60 if unit[0] in "hч" else 1)
    else:
        raise ValidationError(_("Write a duration like “4h 30m”, “4:30” or minutes."), code="invalid")
    if minutes > MAX_MINUTES:
        raise ValidationError(_("This duration is too long."), code="too_long")
    return minutes


def format_duration(minutes: int | None) -> str:
    if minutes is None:
        return ""
    hours, rest = divmod(minutes, 60)
    h, m = pgettext("hours, short", "h"), pgettext("minutes, short", "m")
    if hours and rest:
        return f"{hours}{h} {rest}{m}"
    return f"{hours}{h}" if hours else f"{rest}{m}"


class DurationField(forms.CharField):
    """Minutes, typed as hours and minutes."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        # No max_length: validators see the parsed minutes, not the text.
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "4h 30m", "size": 8, "maxlength": 40}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return format_duration(value) if isinstance(value, int) else value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        return parse_duration(super().to_python(value) or "")


class PickerWidget(forms.SelectMultiple):
    """Chosen rows as ticked boxes plus a search box that brings more (htmx): for companies,
    sites and contracts, which can number thousands."""

    template_name = "sla/policies/_picker.html"
    input_type = "picker"  # not "select": includes_field.html would draw every row as an option

    def __init__(self, *, kind: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.kind = kind

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        ids = [int(v) for v in (value or []) if str(v).isdigit()]
        queryset: QuerySet[Model] = self.choices.queryset  # type: ignore[attr-defined]
        context["widget"]["chosen"] = list(queryset.filter(pk__in=ids)) if ids else []
        context["widget"]["kind"] = self.kind
        return context

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        # Through the project's template engine: the form renderer only sees the apps' templates.
        return mark_safe(render_to_string(self.template_name, self.get_context(name, value, attrs)))  # noqa: S308


def _picker(model: type[Model], label: Any, kind: str) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=model._default_manager.all(), required=False, label=label, widget=PickerWidget(kind=kind)
    )


class PolicyForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label=_("channels"), choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    warn_percent = forms.IntegerField(label=_("warn at, percentage of the target"), min_value=1, max_value=99)

    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "is_active",
            "calendar",
            "use_site_calendar",
            "warn_percent",
            "companies",
            "company_categories",
            "vip_only",
            "contracts",
            "sites",
            "priorities",
            "types",
            "categories",
            "channels",
            "teams",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["calendar"].queryset = BusinessCalendar.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["companies"] = _picker(Company, _("companies"), "companies")
        self.fields["contracts"] = _picker(Contract, _("contracts"), "contracts")
        self.fields["sites"] = _picker(Site, _("sites"), "sites")
        small = {
            "company_categories": CompanyCategory.objects.all(),
            "priorities": Priority.objects.filter(is_active=True),
            "types": TicketType.objects.filter(is_active=True),
            "categories": ServiceCategory.objects.filter(is_active=True),
            "teams": Team.objects.filter(is_active=True),
        }
        for name, queryset in small.items():
            field = self.fields[name]
            field.queryset = queryset  # type: ignore[attr-defined]
            field.widget = forms.CheckboxSelectMultiple(choices=field.widget.choices)  # type: ignore[attr-defined]
            field.help_text = ""
        self.fields["calendar"].empty_label = _("The default calendar")  # type: ignore[attr-defined]
        if self.instance.pk is None:
            self.fields["warn_percent"].initial = 80

    def conditions(self) -> dict[str, Any]:
        names = ("companies", "company_categories", "contracts", "sites", "priorities", "types", "categories", "teams")
        return {name: self.cleaned_data[name] for name in names}

    def apply(self) -> SlaPolicy:
        """The instance with the plain fields set (conditions go through `conditions()`)."""
        policy = self.instance
        for name in ("name", "is_active", "calendar", "use_site_calendar", "warn_percent", "vip_only", "channels"):
            setattr(policy, name, self.cleaned_data[name])
        return policy


class TargetRowForm(forms.Form):
    priority = forms.ModelChoiceField(queryset=Priority.objects.all(), widget=forms.HiddenInput)
    first_response = DurationField(label=_("First response"))
    first_response_business = forms.BooleanField(label=_("business hours"), required=False)
    next_response = DurationField(label=_("Next response"))
    next_response_business = forms.BooleanField(label=_("business hours"), required=False)
    resolution = DurationField(label=_("Resolution"))
    resolution_business = forms.BooleanField(label=_("business hours"), required=False)

    def target(self) -> TargetInput:
        data = self.cleaned_data
        return TargetInput(
            priority=data["priority"],
            **{f"{kind}_minutes": data[kind] for kind in TARGET_KINDS},
            **{f"{kind}_business": data[f"{kind}_business"] for kind in TARGET_KINDS},
        )


TargetFormSet = forms.formset_factory(TargetRowForm, extra=0)


def target_initial(policy: SlaPolicy | None) -> list[dict[str, Any]]:
    """One row per active priority (and any other a target exists for), filled from the policy."""
    existing = {t.priority_id: t for t in policy.targets.all()} if policy is not None and policy.pk else {}
    rows = []
    for priority in Priority.objects.filter(is_active=True) | Priority.objects.filter(pk__in=list(existing)):
        target = existing.get(priority.pk)
        row: dict[str, Any] = {"priority": priority.pk, "label": priority.name}
        for kind in TARGET_KINDS:
            row[kind] = getattr(target, f"{kind}_minutes") if target else None
            row[f"{kind}_business"] = getattr(target, f"{kind}_business") if target else True
        rows.append(row)
    return rows


def _staff() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__in=ASSIGNABLE_ROLES).order_by("full_name")


class EscalationForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    target = forms.ChoiceField(label=_("target"), choices=TargetKind.choices, initial=TargetKind.FIRST_RESPONSE)
    trigger = forms.ChoiceField(
        label=_("when"), choices=EscalationTrigger.choices, initial=EscalationTrigger.AFTER_BREACH
    )
    minutes = DurationField(label=_("after / before"))
    priority = forms.ModelChoiceField(
        label=_("only for priority"), queryset=Priority.objects.filter(is_active=True), required=False
    )
    notify_assignee = forms.BooleanField(label=_("notify the assignee"), required=False, initial=True)
    notify_supervisor = forms.BooleanField(label=_("notify the team supervisor"), required=False)
    notify_user = forms.ModelChoiceField(label=_("notify this person"), queryset=_staff(), required=False)
    reassign_team = forms.ModelChoiceField(
        label=_("move to team"), queryset=Team.objects.filter(is_active=True), required=False
    )
    reassign_user = forms.ModelChoiceField(label=_("assign to"), queryset=_staff(), required=False)
    raise_priority = forms.ModelChoiceField(
        label=_("raise priority to"), queryset=Priority.objects.filter(is_active=True), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(name) for name in ESCALATION_ACTIONS):
            raise ValidationError(_("Choose at least one action for this level."), code="no_action")
        data["minutes"] = data.get("minutes") or 0
        return data

    def escalation(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "DELETE"}


EscalationFormSet = forms.formset_factory(EscalationForm, extra=0, can_delete=True)


def escalation_initial(policy: SlaPolicy | None) -> list[dict[str, Any]]:
    if policy is None or policy.pk is None:
        return []
    return [
        {
            "id": e.pk,
            "target": e.target,
            "trigger": e.trigger,
            "minutes": e.minutes,
            "priority": e.priority_id,
            "notify_assignee": e.notify_assignee,
            "notify_supervisor": e.notify_supervisor,
            "notify_user": e.notify_user_id,
            "reassign_team": e.reassign_team_id,
            "reassign_user": e.reassign_user_id,
            "raise_priority": e.raise_priority_id,
        }
        for e in policy.escalations.order_by("order", "id")
    ]
