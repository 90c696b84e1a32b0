from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assets.models import Equipment
from contracts.models import Contract, PriceList, PriceListItem
from customers.models import Company, Site
from tickets.models import ServiceCategory


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = [
            "company",
            "number",
            "title",
            "status",
            "starts_on",
            "ends_on",
            "all_sites",
            "sites",
            "all_equipment",
            "equipment",
            "services",
            "included_hours",
            "hours_period",
            "price_list",
            "payment_state",
            "debt_amount",
            "external_id",
            "notes",
        ]
        widgets = {
            "company": forms.HiddenInput,
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "sites": forms.SelectMultiple(attrs={"size": 6}),
            "equipment": forms.SelectMultiple(attrs={"size": 8}),
            "services": forms.SelectMultiple(attrs={"size": 6}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.filter(pk=company.pk)  # type: ignore[attr-defined]
        self.fields["sites"].queryset = Site.objects.filter(company=company)  # type: ignore[attr-defined]
        # Retired units, services and price lists are not offered for new choices, but the ones
        # the contract already has stay in the lists: otherwise saving it would drop them.
        units, services, price_list = Q(company=company, is_active=True), Q(is_active=True), Q(is_active=True)
        if self.instance.pk:
            units |= Q(pk__in=self.instance.equipment.values("pk"))
            services |= Q(pk__in=self.instance.services.values("pk"))
            if self.instance.price_list_id:
                price_list |= Q(pk=self.instance.price_list_id)
        self.fields["equipment"].queryset = Equipment.objects.filter(units).order_by("name")  # type: ignore[attr-defined]
        self.fields["services"].queryset = ServiceCategory.objects.filter(services)  # type: ignore[attr-defined]
        self.fields["price_list"].queryset = PriceList.objects.filter(price_list)  # type: ignore[attr-defined]
        self.fields["equipment"].help_text = _("Units listed here are covered wherever they are.")


class PriceListForm(forms.ModelForm):
    items_text = forms.CharField(
        label=_("Items"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text=_("One per line: service; unit; price; code (optional). E.g. «Заправка фреоном; кг; 1500»."),
    )

    class Meta:
        model = PriceList
        fields = ["name", "currency", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["items_text"] = "\n".join(
                "; ".join(filter(None, [i.name, i.unit, f"{i.price:.2f}".replace(".", ","), i.code]))
                for i in self.instance.items.all()
            )

    def clean_items_text(self) -> list[dict[str, Any]]:
        items, errors = [], []
        for n, line in enumerate(self.cleaned_data.get("items_text", "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(";")]
            if len(parts) < 3 or not parts[0]:
                errors.append(_("Line %(n)s: expected «service; unit; price».") % {"n": n})
                continue
            try:
                price = Decimal(parts[2].replace("\u00a0", "").replace(" ", "").replace(",", "."))
                if not price.is_finite() or price < 0:
                    raise InvalidOperation
            except InvalidOperation:
                errors.append(_("Line %(n)s: «%(v)s» is not a price.") % {"n": n, "v": parts[2]})
                continue
            items.append(
                {
                    "name": parts[0][:255],
                    "unit": parts[1][:30] or "шт.",
                    "price": price,
                    "code": (parts[3] if len(parts) > 3 else "")[:50],
                }
            )
        if errors:
            raise forms.ValidationError(errors)
        return items


class TicketWorkForm(forms.Form):
    name = forms.CharField(label=_("Work"), max_length=255, required=False)
    price_list_item = forms.ModelChoiceField(
        label=_("From the price list"), queryset=PriceListItem.objects.none(), required=False
    )
    hours = forms.DecimalField(label=_("Hours"), min_value=0, max_digits=7, decimal_places=2, initial=0, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), min_value=Decimal("0.01"), max_digits=10, decimal_places=2, initial=1
    )
    is_billable = forms.BooleanField(label=_("Billed separately"), required=False)

    def __init__(self, *args: Any, price_list: PriceList | int | None = None, **kwargs: Any) -> None:
        """`price_list`: the contract's price list, or its id (the items offered are its own)."""
        super().__init__(*args, **kwargs)
        items = PriceListItem.objects.filter(is_active=True, price_list__is_active=True).select_related("price_list")
        if price_list is not None:
            items = items.filter(price_list=price_list)
        self.fields["price_list_item"].queryset = items  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("name") and not data.get("price_list_item"):
            raise forms.ValidationError(_("Describe the work or choose it from the price list."))
        return data
