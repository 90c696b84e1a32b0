"""Forms of staff alert preferences (docs/architecture/notifications.md) and of the client-notice
settings (docs/architecture/notices.md)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.choices import AlertKind, BusyHours
from notifications.services import Delivery
from sla.models import BusinessCalendar
from tickets.choices import StatusCategory
from tickets.models import Status


class NotificationSettingsForm(forms.Form):
    """Per kind of alert: shown at all (in the app), by email, by Telegram — three checkboxes named
    <kind>-enabled, <kind>-email, <kind>-telegram."""

    COLUMNS = (("enabled", _("In the app")), ("email", _("Email")), ("telegram", _("Telegram")))

    def __init__(self, *args: Any, current: dict[str, Delivery], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in AlertKind:
            choice = current[kind]
            for column, label in self.COLUMNS:
                name = f"{kind.label}: {label}"
                self.fields[f"{kind}-{column}"] = forms.BooleanField(
                    label=name,
                    required=False,
                    initial=getattr(choice, column),
                    # The table shows the kind and the column as headers; a screen reader gets both.
                    widget=forms.CheckboxInput(attrs={"aria-label": name}),
                )

    def choices(self) -> dict[str, Delivery]:
        data = self.cleaned_data
        return {
            kind: Delivery(
                enabled=data[f"{kind}-enabled"], email=data[f"{kind}-email"], telegram=data[f"{kind}-telegram"]
            )
            for kind in AlertKind
        }

    def rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        """(kind's label, its three checkboxes) for the table."""
        return [(str(kind.label), [self[f"{kind}-{column}"] for column, _label in self.COLUMNS]) for kind in AlertKind]


class NoticeTemplateForm(forms.Form):
    subject = forms.CharField(label=_("Email subject"), max_length=255)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)


class CompanyNoticeForm(forms.Form):
    acknowledgement = forms.BooleanField(label=_("Request received, with its number"), required=False)
    assigned = forms.BooleanField(label=_("Engineer assigned"), required=False)
    resolved = forms.BooleanField(label=_("Request resolved, with a link to confirm or reopen"), required=False)
    busy = forms.BooleanField(label=_("All operators busy (when the team's auto-reply is on)"), required=False)
    announced_statuses = forms.ModelMultipleChoiceField(
        label=_("Announce moves to these statuses"),
        queryset=Status.objects.filter(is_active=True, is_delay=False)
        .exclude(category=StatusCategory.RESOLVED)
        .order_by("order", "id"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class TeamBusyReplyForm(forms.Form):
    enabled = forms.BooleanField(label=_("Send the busy auto-reply"), required=False)
    after_minutes = forms.IntegerField(
        label=_("After how many minutes without an agent's answer"), min_value=1, max_value=7 * 24 * 60
    )
    hours = forms.ChoiceField(label=_("When"), choices=BusyHours.choices)
    calendar = forms.ModelChoiceField(
        label=_("Business calendar"),
        queryset=BusinessCalendar.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("The default calendar"),
    )
