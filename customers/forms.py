import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.choices import ASSIGNABLE_ROLES
from accounts.models import Team, User
from customers.models import Company, ContactRole, Site
from customers.services import inn_clean, kpp_clean


class CompanyForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = [
            "name",
            "legal_name",
            "inn",
            "kpp",
            "category",
            "account_manager",
            "external_id",
            "phone",
            "email_domains",
            "portal_contacts_see_all_tickets",
            "portal_qr_requires_login",
            "notes",
            "is_active",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["account_manager"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, role__in=list(ASSIGNABLE_ROLES)
        ).order_by("full_name")

    # The services check these too (the API calls them directly); checking here as well shows
    # every error of the form at once.
    def clean_inn(self) -> str:
        return inn_clean(self.cleaned_data.get("inn") or "")

    def clean_kpp(self) -> str:
        return kpp_clean(self.cleaned_data.get("kpp") or "")


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = [
            "name",
            "address",
            "time_zone",
            "latitude",
            "longitude",
            "floors",
            "access_hours",
            "default_team",
            "default_engineer",
            "external_id",
            "notes",
            "is_active",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["default_team"].queryset = Team.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["default_engineer"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, role__in=list(ASSIGNABLE_ROLES)
        ).order_by("full_name")
        self.fields["time_zone"] = forms.ChoiceField(
            label=_("Time zone"), choices=[(z, z) for z in sorted(zoneinfo.available_timezones()) if "/" in z]
        )


class ContactForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    company = forms.ModelChoiceField(label=_("Company"), queryset=Company.objects.all(), required=False)
    position = forms.CharField(label=_("Position"), max_length=200, required=False)
    role = forms.ChoiceField(
        label=_("Role"), choices=ContactRole.choices, initial=ContactRole.REQUESTER, required=False
    )
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

    def clean_role(self) -> str:
        return self.cleaned_data.get("role") or ContactRole.REQUESTER

    def lines(self, name: str) -> list[str]:
        return [
            line.strip() for line in self.cleaned_data.get(name, "").replace(",", "\n").splitlines() if line.strip()
        ]
