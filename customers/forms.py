import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Company, Site


class CompanyForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = [
            "name",
            "legal_name",
            "inn",
            "phone",
            "email_domains",
            "portal_contacts_see_all_tickets",
            "notes",
            "is_active",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "address", "time_zone", "notes", "is_active"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["time_zone"] = forms.ChoiceField(
            label=_("Time zone"), choices=[(z, z) for z in sorted(zoneinfo.available_timezones()) if "/" in z]
        )


class ContactForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    company = forms.ModelChoiceField(label=_("Company"), queryset=Company.objects.all(), required=False)
    position = forms.CharField(label=_("Position"), max_length=200, required=False)
    emails = forms.CharField(
        label=_("Emails"),
        required=False,
        help_text=_("One per line; the first is the main one."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    phones = forms.CharField(
        label=_("Phones"),
        required=False,
        help_text=_("One per line; the first is the main one."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def lines(self, name: str) -> list[str]:
        return [
            line.strip() for line in self.cleaned_data.get(name, "").replace(",", "\n").splitlines() if line.strip()
        ]
