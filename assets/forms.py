from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from assets.models import DocumentKind, Equipment, EquipmentKind, ParameterType
from core.http import MAX_ID, parse_id
from customers.models import Company, Site

PARAM_PREFIX = "param_"


class EquipmentForm(forms.ModelForm):
    """A unit, with one extra field per parameter of its kind (named param_<code>)."""

    class Meta:
        model = Equipment
        fields = [
            "company",
            "site",
            "parent",
            "kind",
            "name",
            "manufacturer",
            "model",
            "serial_number",
            "inventory_number",
            "location",
            "installed_on",
            "warranty_until",
            "responsible",
            "contractor_name",
            "external_id",
            "notes",
            "is_active",
        ]
        widgets = {
            "company": forms.HiddenInput,
            "installed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "warranty_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company = company
        self.fields["company"].queryset = Company.objects.filter(pk=company.pk)  # type: ignore[attr-defined]
        self.fields["site"].queryset = Site.objects.filter(company=company)  # type: ignore[attr-defined]
        # A parent is a unit of the chosen site (a company may have tens of thousands of units;
        # a site's are few enough to list), or the unit's current parent wherever it is. The same
        # queryset validates the choice, so it is filtered, never sliced.
        near = Q(site_id=self._chosen_id("site", self.instance.site_id))
        if self.instance.parent_id:
            near |= Q(pk=self.instance.parent_id)
        parents = Equipment.objects.filter(near, company=company).select_related("kind").order_by("name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        self.fields["kind"].queryset = EquipmentKind.objects.filter(is_active=True)  # type: ignore[attr-defined]
        kind = self._kind()
        self.kind_parameters = list(kind.parameters or []) if kind else []
        english = (get_language() or "ru").startswith("en")
        for spec in self.kind_parameters:
            name = PARAM_PREFIX + spec["code"]
            label = (spec.get("name_en") if english else spec.get("name_ru")) or spec["code"]
            field: forms.Field
            if spec.get("type") == ParameterType.NUMBER:
                field = forms.CharField(
                    label=label, required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
                )
            elif spec.get("type") == ParameterType.DATE:
                field = forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))
            elif spec.get("type") == ParameterType.YES_NO:
                field = forms.BooleanField(label=label, required=False)
            else:
                field = forms.CharField(label=label, required=False, max_length=500)
            self.fields[name] = field
            if not self.is_bound and self.instance.pk:
                self.initial[name] = (self.instance.parameters or {}).get(spec["code"])

    def _chosen_id(self, name: str, default: int | None) -> int | None:
        """The id the form holds for the field `name`: posted, or initial, or `default`."""
        raw = self.data.get(name) if self.is_bound else self.initial.get(name)
        if raw in (None, ""):
            return default if not self.is_bound else None
        key = str(getattr(raw, "pk", raw))
        return int(key) if key.isdecimal() and len(key) <= 18 else None

    def _kind(self) -> EquipmentKind | None:
        raw = self.data.get("kind") if self.is_bound else self.initial.get("kind")
        if raw:
            key = str(getattr(raw, "pk", raw))
            return EquipmentKind.objects.filter(pk=int(key)).first() if key.isdecimal() else None
        return self.instance.kind if self.instance.kind_id else None

    def parameter_values(self) -> dict[str, Any]:
        return {spec["code"]: self.cleaned_data.get(PARAM_PREFIX + spec["code"]) for spec in self.kind_parameters}

    def model_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}


class EquipmentDocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("File"))


class LabelsForm(forms.Form):
    """Which labels to print: the checked units, or every unit of a site or a company."""

    ids = forms.CharField(required=False)
    site = forms.IntegerField(required=False, max_value=MAX_ID)
    company = forms.IntegerField(required=False, max_value=MAX_ID)

    def unit_ids(self) -> list[int]:
        ids = [parse_id(part) for part in (self.cleaned_data.get("ids") or "").replace(";", ",").split(",")]
        return [pk for pk in ids if pk is not None]
