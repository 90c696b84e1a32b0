"""Reference data editable by administrators: statuses, priorities, types, service catalogue,
teams and staff users. One generic list/edit pair driven by REFERENCE_KINDS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import Role
from accounts.models import Team, User
from assets.models import EquipmentKind, ParameterType
from core.http import AuthedHttpRequest
from customers.models import CompanyCategory
from tickets.models import Priority, ServiceCategory, Status, TicketType
from tickets.services import reference_data_saved
from tickets.views.common import admin_required

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise


class ColourInput(forms.TextInput):
    input_type = "color"


class StatusForm(forms.ModelForm):
    class Meta:
        model = Status
        fields = [
            "code",
            "name_ru",
            "name_en",
            "category",
            "order",
            "colour",
            "is_default",
            "is_delay",
            "pauses_sla",
            "is_active",
        ]
        widgets = {"colour": ColourInput()}


class PriorityForm(forms.ModelForm):
    class Meta:
        model = Priority
        fields = ["code", "name_ru", "name_en", "order", "colour", "is_default", "is_active"]
        widgets = {"colour": ColourInput()}


class TicketTypeForm(forms.ModelForm):
    class Meta:
        model = TicketType
        fields = ["code", "name_ru", "name_en", "order", "is_active"]


class ServiceCategoryForm(forms.ModelForm):
    class Meta:
        model = ServiceCategory
        fields = ["code", "name_ru", "name_en", "parent", "default_team", "order", "visible_in_portal", "is_active"]


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["code", "name_ru", "name_en", "email", "supervisor", "members", "is_active"]
        widgets = {"members": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        staff = User.objects.exclude(role=Role.CLIENT).order_by("full_name")
        self.fields["members"].queryset = staff
        self.fields["supervisor"].queryset = staff


class StaffUserForm(forms.ModelForm):
    new_password = forms.CharField(
        label=gettext_lazy("New password"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Leave empty to keep the current password."),
    )

    class Meta:
        model = User
        fields = ["email", "full_name", "role", "phone", "phone_extension", "language", "time_zone", "is_active"]

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.CLIENT]
        if not self.instance.pk:
            self.fields["new_password"].required = True
            self.fields["new_password"].help_text = ""

    def clean_email(self) -> str:
        # Logins look the address up in lower case (as create_user stores it): "Ivan@X.ru" saved
        # as typed could never log in, and could sit beside an "ivan@x.ru" of someone else.
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("A user with this email already exists."))
        return email

    def clean_new_password(self) -> str:
        from django.contrib.auth.password_validation import validate_password

        password = self.cleaned_data.get("new_password") or ""
        if password:
            validate_password(password, self.instance)
        return password

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        if self.cleaned_data.get("new_password"):
            user.set_password(self.cleaned_data["new_password"])
        if commit:
            user.save()
        return user


class CompanyCategoryForm(forms.ModelForm):
    class Meta:
        model = CompanyCategory
        fields = ["code", "name_ru", "name_en", "is_vip", "order"]


class EquipmentKindForm(forms.ModelForm):
    """The kind's parameters are edited as lines «code; Название; Name; type»."""

    parameters_text = forms.CharField(
        label=gettext_lazy("Parameters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "One per line: code; name in Russian; name in English; type (text, number, date or bool). "
            "E.g. «capacity_kg; Грузоподъёмность, кг; Capacity, kg; number»."
        ),
    )

    class Meta:
        model = EquipmentKind
        fields = ["code", "name_ru", "name_en", "order", "is_active"]

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["parameters_text"] = "\n".join(
                "; ".join([p.get("code", ""), p.get("name_ru", ""), p.get("name_en", ""), p.get("type", "text")])
                for p in self.instance.parameters or []
            )

    def clean_parameters_text(self) -> list[dict[str, str]]:
        parameters, errors, codes = [], [], set()
        for n, line in enumerate(self.cleaned_data.get("parameters_text", "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(";")]
            parts += [""] * (4 - len(parts))
            code, name_ru, name_en, kind = parts[:4]
            kind = kind or ParameterType.TEXT
            if not code.replace("_", "").isalnum() or not code.isascii():
                errors.append(_("Line %(n)s: the code is Latin letters, digits and _.") % {"n": n})
            elif code in codes:
                errors.append(_("Line %(n)s: the code %(code)s is used twice.") % {"n": n, "code": code})
            elif kind not in ParameterType.values:
                errors.append(_("Line %(n)s: the type is text, number, date or bool.") % {"n": n})
            else:
                codes.add(code)
                parameters.append(
                    {"code": code, "name_ru": name_ru or code, "name_en": name_en or name_ru or code, "type": kind}
                )
        if errors:
            raise forms.ValidationError(errors)
        return parameters

    def save(self, commit: bool = True) -> EquipmentKind:
        kind = super().save(commit=False)
        kind.parameters = self.cleaned_data["parameters_text"]
        if commit:
            kind.save()
        return kind


@dataclass(frozen=True)
class ReferenceKind:
    model: type[Any]
    form: type[forms.ModelForm]
    title: StrOrPromise
    columns: tuple[str, ...]


REFERENCE_KINDS = {
    "statuses": ReferenceKind(
        Status, StatusForm, gettext_lazy("Statuses"), ("code", "name", "category", "order", "is_active")
    ),
    "priorities": ReferenceKind(
        Priority, PriorityForm, gettext_lazy("Priorities"), ("code", "name", "order", "is_active")
    ),
    "types": ReferenceKind(
        TicketType, TicketTypeForm, gettext_lazy("Ticket types"), ("code", "name", "order", "is_active")
    ),
    "catalogue": ReferenceKind(
        ServiceCategory,
        ServiceCategoryForm,
        gettext_lazy("Service catalogue"),
        ("code", "name", "default_team", "is_active"),
    ),
    "teams": ReferenceKind(Team, TeamForm, gettext_lazy("Teams"), ("code", "name", "supervisor", "is_active")),
    "company_categories": ReferenceKind(
        CompanyCategory, CompanyCategoryForm, gettext_lazy("Client categories"), ("code", "name", "is_vip", "order")
    ),
    "equipment_kinds": ReferenceKind(
        EquipmentKind, EquipmentKindForm, gettext_lazy("Equipment kinds"), ("code", "name", "order", "is_active")
    ),
    "users": ReferenceKind(User, StaffUserForm, gettext_lazy("Staff"), ("full_name", "email", "role", "is_active")),
}


def _kind(kind: str) -> ReferenceKind:
    if kind not in REFERENCE_KINDS:
        raise Http404
    return REFERENCE_KINDS[kind]


@admin_required
def settings_index(request: AuthedHttpRequest) -> HttpResponse:
    return render(request, "tickets/settings.html", {"kinds": REFERENCE_KINDS, "nav": "settings"})


@admin_required
def reference_list(request: AuthedHttpRequest, kind: str) -> HttpResponse:
    spec = _kind(kind)
    qs = spec.model.objects.all()
    if spec.model is User:
        qs = qs.exclude(role=Role.CLIENT)
    rows = []
    for obj in qs:
        cells = []
        for column in spec.columns:
            value = getattr(obj, f"get_{column}_display", None)
            value = value() if callable(value) else getattr(obj, column)
            cells.append(value)
        rows.append((obj, cells))
    headers = [str(spec.form.base_fields[c].label) if c in spec.form.base_fields else _("Name") for c in spec.columns]
    return render(
        request,
        "tickets/reference_list.html",
        {"kind": kind, "spec": spec, "rows": rows, "headers": headers, "kinds": REFERENCE_KINDS, "nav": "settings"},
    )


@admin_required
def reference_edit(request: AuthedHttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    spec = _kind(kind)
    instance = get_object_or_404(spec.model, pk=pk) if pk else None
    if spec.model is User and instance is not None and instance.role == Role.CLIENT:
        raise Http404
    form = spec.form(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            reference_data_saved(obj=form.save())
        messages.success(request, _("Saved."))
        return redirect("tickets:reference_list", kind=kind)
    return render(
        request,
        "tickets/reference_edit.html",
        {"kind": kind, "spec": spec, "form": form, "object": instance, "kinds": REFERENCE_KINDS, "nav": "settings"},
    )
