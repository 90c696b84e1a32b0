"""The rule editor's forms: the rule itself, and one form per condition row and action row.
A row's value widget depends on the field or action chosen in it (a list to pick from, words,
a number…): the row reads its kind from the posted data, so changing the field and refreshing
(htmx, or the no-script "Apply" button) shows the right widget."""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.choices import ASSIGNABLE_ROLES
from automation.models import Rule
from automation.rules.actions import ACTIONS, clean_action
from automation.rules.choices import RuleTrigger
from automation.rules.conditions import (
    CHANGEABLE_FIELDS,
    CHOICE_VALUES,
    COUNT_SCOPES,
    FIELDS,
    OPS,
    WEEKDAYS,
    clean_condition,
)


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ["name", "trigger", "is_active", "stop_processing", "time_anchor", "time_minutes", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("trigger") == RuleTrigger.TIME:
            if not data.get("time_anchor"):
                self.add_error("time_anchor", _("A time rule needs the moment its minutes count from."))
            if not data.get("time_minutes"):
                self.add_error("time_minutes", _("A time rule needs the number of minutes."))
        else:
            data["time_anchor"], data["time_minutes"] = "", None
        return data


def model_choices(label: str) -> list[tuple[Any, str]]:
    """Rows to pick from for a reference field or action (active ones; staff for people)."""
    model = apps.get_model(label)
    queryset = model.objects.all()
    if label == "accounts.User":
        queryset = queryset.filter(role__in=list(ASSIGNABLE_ROLES), is_active=True).order_by("full_name")
    elif label == "tickets.Status":
        queryset = queryset.filter(is_active=True, is_delay=False)
    elif any(f.name == "is_active" for f in model._meta.fields):
        queryset = queryset.filter(is_active=True)
    if label == "customers.Site":
        queryset = queryset.select_related("company")
        return [(row.pk, f"{row.company.name} — {row.name}") for row in queryset]
    return [(row.pk, str(row)) for row in queryset]


def _multi(choices: list[tuple[Any, Any]]) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Value"), choices=choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class ConditionRowForm(forms.Form):
    field = forms.ChoiceField(label=_("Field"), choices=[("", "—")] + [(c, s.label) for c, s in FIELDS.items()])
    op = forms.ChoiceField(label=_("Comparison"), choices=[], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = self.data.get(self.add_prefix("field")) if self.is_bound else self.initial.get("field")
        self.spec = FIELDS.get(code or "")
        if self.spec is None:
            return
        kind = self.spec.kind
        op_field: Any = self.fields["op"]
        op_field.choices = list(OPS[kind])
        self.fields["op"].required = True
        value: forms.Field | None = None
        if kind == "ref":
            value = forms.MultipleChoiceField(label=_("Value"), choices=model_choices(self.spec.model), required=False)
            value.widget.attrs["size"] = 6
        elif kind == "choice":
            value = _multi(list(CHOICE_VALUES[self.spec.code]))
        elif kind == "weekday":
            value = _multi([(str(n), label) for n, label in WEEKDAYS])
        elif kind == "changed":
            value = _multi(list(CHANGEABLE_FIELDS))
        elif kind == "words":
            value = forms.CharField(
                label=_("Words"),
                widget=forms.Textarea(attrs={"rows": 3}),
                required=False,
                help_text=_("Separated by commas. “затоп*” — any word starting so; other words match in any form."),
            )
        elif kind == "regex":
            value = forms.CharField(label=_("Regular expression"), required=False)
        elif kind == "tags":
            value = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))
        elif kind == "count":
            self.fields["count_scope"] = forms.ChoiceField(label=_("Tickets from"), choices=COUNT_SCOPES)
            self.fields["count_hours"] = forms.IntegerField(label=_("in the last, hours"), min_value=1)
            self.fields["count_min"] = forms.IntegerField(label=_("at least, tickets"), min_value=1)
        if value is not None:
            self.fields["value"] = value
        if not self.is_bound and self.initial.get("value") is not None:
            initial = self.initial["value"]
            if kind == "count":
                self.initial.update(
                    count_scope=initial["scope"], count_hours=initial["hours"], count_min=initial["min"]
                )
            elif kind == "tags":
                self.initial["value"] = ", ".join(initial)
            elif isinstance(initial, list):
                self.initial["value"] = [str(v) for v in initial]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.spec is None or self.errors:
            return data
        value: Any = data.get("value")
        if self.spec.kind == "count":
            value = {"scope": data.get("count_scope"), "hours": data.get("count_hours"), "min": data.get("count_min")}
        elif self.spec.kind == "weekday":
            value = [int(v) for v in value or []]
        try:
            data["row"] = clean_condition({"field": self.spec.code, "op": data.get("op"), "value": value})
        except ValidationError as exc:
            self.add_error("value" if "value" in self.fields else None, exc)
        return data


def _recipient_choices() -> list[tuple[Any, Any]]:
    people = [(f"user:{pk}", name) for pk, name in model_choices("accounts.User")]
    teams = [(f"team:{pk}", name) for pk, name in model_choices("accounts.Team")]
    return [
        ("", [("assignee", _("the assignee")), ("supervisor", _("the team's supervisor"))]),
        (_("People"), people),
        (_("Teams (every member)"), teams),
    ]


class ActionRowForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=[("", "—")] + [(c, s.label) for c, s in ACTIONS.items()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = self.data.get(self.add_prefix("action")) if self.is_bound else self.initial.get("action")
        self.spec = ACTIONS.get(code or "")
        if self.spec is None:
            return
        kind = self.spec.kind
        initial = self.initial.get("value")
        if kind == "ref":
            self.fields["value"] = forms.TypedChoiceField(
                label=_("Value"), choices=[("", "—"), *model_choices(self.spec.model)], coerce=int
            )
        elif kind == "tags":
            self.fields["value"] = forms.CharField(label=_("Tags"), help_text=_("Separated by commas."))
            if isinstance(initial, list):
                self.initial["value"] = ", ".join(initial)
        elif kind in ("text", "reply"):
            help_text = _("You may use {{ ticket.number }}, {{ ticket.title }}, {{ contact.full_name }}.")
            self.fields["value"] = forms.CharField(
                label=_("Text") if kind == "text" else _("Text in Russian"),
                widget=forms.Textarea(attrs={"rows": 3}),
                required=kind == "text",
                help_text=help_text,
            )
            if kind == "reply":
                self.fields["value_en"] = forms.CharField(
                    label=_("Text in English"),
                    widget=forms.Textarea(attrs={"rows": 3}),
                    required=False,
                    help_text=_("Clients whose language is English get this one."),
                )
                if isinstance(initial, dict):
                    self.initial["value"], self.initial["value_en"] = initial.get("ru", ""), initial.get("en", "")
        elif kind == "recipients":
            self.fields["value"] = forms.MultipleChoiceField(label=_("Whom"), choices=_recipient_choices())
            self.fields["value"].widget.attrs["size"] = 6
        elif kind == "url":
            self.fields["value"] = forms.CharField(label=_("Address (URL)"), help_text=_("Receives a POST with JSON."))
        elif kind == "escalate":
            self.fields["value"] = forms.TypedChoiceField(
                label=_("To"),
                choices=[("", _("the team's supervisor")), *model_choices("accounts.User")],
                coerce=int,
                required=False,
                empty_value=None,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.spec is None or self.errors:
            return data
        value: Any = data.get("value")
        if self.spec.kind == "reply":
            value = {"ru": data.get("value") or "", "en": data.get("value_en") or ""}
        try:
            data["row"] = clean_action({"action": self.spec.code, "value": value})
        except ValidationError as exc:
            self.add_error("value" if "value" in self.fields else None, exc)
        return data


ConditionFormSet = forms.formset_factory(ConditionRowForm, extra=0, can_delete=True)
ActionFormSet = forms.formset_factory(ActionRowForm, extra=0, can_delete=True)


def rows(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    """The cleaned rows of a valid formset, deleted and empty rows left out."""
    return [
        form.cleaned_data["row"]
        for form in formset
        if form.cleaned_data and not form.cleaned_data.get("DELETE") and "row" in form.cleaned_data
    ]
