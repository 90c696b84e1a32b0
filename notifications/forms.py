"""Forms of the client-notice settings (docs/architecture/notices.md)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.choices import BusyHours
from sla.models import BusinessCalendar
from tickets.choices import StatusCategory
from tickets.models import Status


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
