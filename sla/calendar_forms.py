"""Forms of the business-calendar pages: they parse input; sla.calendar_services validates the
rules and writes."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import COMMON_TIME_ZONES
from sla.models import CalendarCountry, DayKind

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _time_zone_choices() -> list[tuple[str, str]]:
    zones = COMMON_TIME_ZONES + sorted(z for z in zoneinfo.available_timezones() if z not in COMMON_TIME_ZONES)
    return [(z, z) for z in zones]


class CalendarForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.SlugField(label=_("Code"), max_length=50, help_text=_("Latin letters, digits and hyphens."))
    time_zone = forms.ChoiceField(label=_("Time zone"), initial="Europe/Moscow")
    country = forms.ChoiceField(
        label=_("Public holidays"), choices=CalendarCountry.choices, required=False, initial=CalendarCountry.RUSSIA
    )
    is_24x7 = forms.BooleanField(
        label=_("Round the clock (24/7)"), required=False, help_text=_("Every moment is working time.")
    )
    is_default = forms.BooleanField(label=_("Default calendar"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _time_zone_choices()  # type: ignore[attr-defined]


class IntervalForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=WEEKDAYS, coerce=int)
    start = forms.TimeField(label=_("From"), widget=TIME_WIDGET)
    end = forms.TimeField(label=_("To"), widget=TIME_WIDGET)


class DayForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    kind = forms.ChoiceField(label=_("Kind"), choices=DayKind.choices)
    name = forms.CharField(label=_("Note"), max_length=200, required=False)
    hours = forms.CharField(
        label=_("Own hours"),
        required=False,
        help_text=_("Optional, e.g. 09:00-13:00, 14:00-16:00. Empty: the weekday's hours."),
    )
    shortened_by_minutes = forms.IntegerField(
        label=_("Shortened by, minutes"),
        min_value=0,
        max_value=1440,
        initial=60,
        help_text=_("For a shortened day without own hours: cut from the end of the day."),
    )
    workday_pattern = forms.TypedChoiceField(
        label=_("Works like"),
        choices=[("", _("its own weekday (Monday for a weekend)")), *WEEKDAYS],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("For a working day without own hours."),
    )


class SeedForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1992, max_value=2100)


class TryForm(forms.Form):
    """A moment in the calendar's own time zone and a duration of working time."""

    start = forms.DateTimeField(
        label=_("Start"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    hours = forms.IntegerField(label=_("Hours"), min_value=0, max_value=100000, initial=8)
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=59, initial=0, required=False)

    def start_in(self, zone: zoneinfo.ZoneInfo) -> datetime:
        naive = self.cleaned_data["start"]
        return naive.replace(tzinfo=None).replace(tzinfo=zone)
