"""Forms of the assignment pages: parse and check input; the services write."""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from automation.choices import AbsenceKind, Strategy
from automation.models import AgentProfile, TeamAssignment
from tickets.models import Priority, ServiceCategory

WEEKDAYS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)


class TeamAssignmentForm(forms.Form):
    strategy = forms.ChoiceField(label=_("Strategy"), choices=Strategy.choices)

    def __init__(self, *args: Any, setting: TeamAssignment, priorities: list[Priority], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.priorities = priorities
        self.fields["strategy"].initial = setting.strategy
        weights = setting.priority_weights or {}
        for priority in priorities:
            self.fields[f"weight_{priority.code}"] = forms.DecimalField(
                label=priority.name,
                min_value=0,
                max_value=1000,
                decimal_places=2,
                required=False,
                initial=weights.get(priority.code, 1),
                widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
            )

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[f"weight_{p.code}"] for p in self.priorities]

    def weights(self) -> dict[str, float]:
        result = {}
        for priority in self.priorities:
            value = self.cleaned_data.get(f"weight_{priority.code}")
            result[priority.code] = float(value) if value is not None else 1.0
        return result


class ScheduleForm(forms.Form):
    """One shift per weekday (start and end, or neither), skills and home base."""

    categories = forms.ModelMultipleChoiceField(
        label=_("Service categories handled"),
        queryset=ServiceCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    home_latitude = forms.DecimalField(
        label=_("Home base latitude"), required=False, min_value=-90, max_value=90, decimal_places=6
    )
    home_longitude = forms.DecimalField(
        label=_("Home base longitude"), required=False, min_value=-180, max_value=180, decimal_places=6
    )

    def __init__(self, *args: Any, profile: AgentProfile, shifts: dict[int, tuple[time, time]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = self.fields["categories"]
        assert isinstance(categories, forms.ModelMultipleChoiceField)
        categories.queryset = ServiceCategory.objects.filter(is_active=True).order_by("order", "name_ru")
        if profile.pk:
            self.fields["categories"].initial = list(profile.categories.values_list("pk", flat=True))
        self.fields["home_latitude"].initial = profile.home_latitude
        self.fields["home_longitude"].initial = profile.home_longitude
        for day in range(7):
            start, end = shifts.get(day, (None, None))
            for name, value in (("start", start), ("end", end)):
                self.fields[f"{name}_{day}"] = forms.TimeField(
                    label=_("Start") if name == "start" else _("End"),
                    required=False,
                    initial=value,
                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                )

    def days(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [(WEEKDAYS[d], self[f"start_{d}"], self[f"end_{d}"]) for d in range(7)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for day in range(7):
            start, end = data.get(f"start_{day}"), data.get(f"end_{day}")
            if (start is None) != (end is None):
                self.add_error(f"end_{day}", _("Give both the start and the end, or neither."))
        if (data.get("home_latitude") is None) != (data.get("home_longitude") is None):
            self.add_error("home_longitude", _("Give both the latitude and the longitude, or neither."))
        return data

    def shifts(self) -> list[tuple[int, time, time]]:
        return [
            (day, self.cleaned_data[f"start_{day}"], self.cleaned_data[f"end_{day}"])
            for day in range(7)
            if self.cleaned_data.get(f"start_{day}") is not None
        ]


class AbsenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AbsenceKind.choices)
    start_date = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("To (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", _("The absence ends before it starts."))
        return data
