"""The SLA report's filters, read from GET parameters (page and export share them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.choices import STAFF_ROLES
from accounts.models import Team, User
from customers.models import Company
from sla.report import FIRST_DAY, LAST_DAY, Grouping, ReportFilters, default_period
from tickets.models import Priority
from tickets.reference import reference

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]


class ReportFilterForm(forms.Form):
    """Every field optional: the period defaults to the current month (or the month of the one
    date given), the grouping to days."""

    date_from = forms.DateField(
        label=_("Received from"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD or DD.MM.YYYY.")},
    )
    date_to = forms.DateField(
        label=_("Received to"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD or DD.MM.YYYY.")},
    )
    group = forms.ChoiceField(
        label=_("Group by"),
        choices=Grouping.choices,
        required=False,
        error_messages={
            "invalid_choice": _("Choose how to group: by day, week, month, team, agent, company or priority.")
        },
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.all(),
        required=False,
        empty_label=_("All teams"),
        error_messages={"invalid_choice": _("There is no such team.")},
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=User.objects.filter(role__in=list(STAFF_ROLES)),
        required=False,
        empty_label=_("All agents"),
        error_messages={"invalid_choice": _("There is no such agent.")},
    )
    priority = forms.ModelChoiceField(
        label=_("Priority"),
        queryset=Priority.objects.all(),
        required=False,
        empty_label=_("All priorities"),
        error_messages={"invalid_choice": _("There is no such priority.")},
    )
    # Chosen from a company row of the report (thousands of companies make no <select>).
    company = forms.ModelChoiceField(
        label=_("Company"),
        queryset=Company.objects.all(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("There is no such company.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The <select>s list the reference snapshot's rows (core/templatetags/fast_forms.py).
        ref = reference()
        self.fields["team"].choice_objects = ref.active_teams  # type: ignore[attr-defined]
        self.fields["assignee"].choice_objects = ref.staff  # type: ignore[attr-defined]
        self.fields["priority"].choice_objects = list(ref.priorities.values())  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        given_from, given_to = data.get("date_from"), data.get("date_to")
        for name, value in (("date_from", given_from), ("date_to", given_to)):
            if value is not None and not FIRST_DAY <= value <= LAST_DAY:
                self.add_error(
                    name,
                    _("Choose a date from %(first)s to %(last)s.")
                    % {"first": FIRST_DAY.strftime("%d.%m.%Y"), "last": LAST_DAY.strftime("%d.%m.%Y")},
                )
        if self.errors:
            return data
        # A missing end is the end of the start's month; a missing start, the start of the end's.
        date_from, date_to = default_period(given_from or given_to)
        date_from, date_to = given_from or date_from, given_to or date_to
        if date_to < date_from:
            self.add_error("date_to", _("The end of the period is before its start."))
        data["date_from"], data["date_to"] = date_from, date_to
        data["group"] = data.get("group") or Grouping.DAY
        return data

    def report_filters(self) -> ReportFilters:
        """The filters of a valid form."""
        data = self.cleaned_data
        return ReportFilters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            team_id=data["team"].pk if data.get("team") else None,
            assignee_id=data["assignee"].pk if data.get("assignee") else None,
            company_id=data["company"].pk if data.get("company") else None,
            priority_id=data["priority"].pk if data.get("priority") else None,
        )
