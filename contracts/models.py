"""Service contracts (what is covered, for how long, how many hours, whether it is paid),
price lists for extra work, and the works done on tickets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PriceList(models.Model):
    name = models.CharField(_("name"), max_length=255)
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PriceListItem(models.Model):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=50, blank=True)
    name = models.CharField(_("service"), max_length=255)
    unit = models.CharField(_("unit"), max_length=30, default="шт.")
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("price list item")
        verbose_name_plural = _("price list items")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} — {self.price} / {self.unit}"


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class HoursPeriod(models.TextChoices):
    MONTH = "month", _("per month")
    QUARTER = "quarter", _("per quarter")
    YEAR = "year", _("per year")
    TERM = "term", _("for the whole term")


class PaymentState(models.TextChoices):
    PAID = "paid", _("Paid")
    DEBT = "debt", _("Debt")


class Contract(models.Model):
    """What a company has paid us to look after. Scope: every site of the company, or the listed
    sites; within them every unit, or only the listed units; every service, or the listed
    catalogue entries. The most specific active contract wins (see contracts/coverage.py)."""

    company = models.ForeignKey(
        "customers.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="contracts"
    )
    number = models.CharField(_("number"), max_length=100)
    title = models.CharField(_("title"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.ACTIVE)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True, help_text=_("Empty: open-ended"))
    all_sites = models.BooleanField(_("covers every site of the company"), default=True)
    sites = models.ManyToManyField(
        "customers.Site", verbose_name=_("covered sites"), blank=True, related_name="contracts"
    )
    all_equipment = models.BooleanField(_("covers all equipment at the covered sites"), default=True)
    equipment = models.ManyToManyField(
        "assets.Equipment", verbose_name=_("covered equipment"), blank=True, related_name="contracts"
    )
    services = models.ManyToManyField(
        "tickets.ServiceCategory",
        verbose_name=_("covered services"),
        blank=True,
        related_name="contracts",
        help_text=_("Empty: every service of the catalogue"),
    )
    included_hours = models.DecimalField(
        _("included hours"), max_digits=8, decimal_places=2, null=True, blank=True, help_text=_("Empty: unlimited")
    )
    hours_period = models.CharField(
        _("hours period"), max_length=10, choices=HoursPeriod.choices, default=HoursPeriod.MONTH
    )
    price_list = models.ForeignKey(
        PriceList,
        verbose_name=_("price list for extra work"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
    )
    payment_state = models.CharField(
        _("payment"), max_length=5, choices=PaymentState.choices, default=PaymentState.PAID
    )
    debt_amount = models.DecimalField(_("debt"), max_digits=12, decimal_places=2, default=Decimal("0"))
    notes = models.TextField(_("notes"), blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-starts_on", "number"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="contract_number_per_company"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(condition=Q(debt_amount__gte=0), name="contract_debt_not_negative"),
        ]
        indexes = [models.Index(fields=["company", "status", "starts_on"], name="contract_company_active")]

    def __str__(self) -> str:
        return f"№{self.number}" + (f" {self.title}" if self.title else "")

    def in_force(self, day: date) -> bool:
        return (
            self.status == ContractStatus.ACTIVE
            and self.starts_on <= day
            and (self.ends_on is None or day <= self.ends_on)
        )

    @property
    def has_debt(self) -> bool:
        return self.payment_state == PaymentState.DEBT and self.debt_amount > 0


class TicketWork(models.Model):
    """Work done on a ticket: labour hours (counted against the contract's included hours) and
    paid extras from the price list (quantity × price)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="works")
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), null=True, blank=True, on_delete=models.SET_NULL, related_name="works"
    )
    price_list_item = models.ForeignKey(
        PriceListItem, verbose_name=_("service"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("work"), max_length=255)
    hours = models.DecimalField(_("hours"), max_digits=7, decimal_places=2, default=Decimal("0"))
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2, default=Decimal("1"))
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False)
    is_billable = models.BooleanField(
        _("billed separately"), default=False, help_text=_("Off: covered by the contract")
    )
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("performed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    performed_on = models.DateField(_("date"), default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("work")
        verbose_name_plural = _("works")
        ordering = ["performed_on", "id"]
        indexes = [models.Index(fields=["contract", "performed_on"], name="work_contract_day")]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gte=0), name="work_hours_not_negative"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="work_quantity_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="work_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        amount = Decimal(str(self.quantity)) * Decimal(str(self.price))
        self.total = amount.quantize(Decimal("0.01")) if self.is_billable else Decimal("0")
        super().save(*args, **kwargs)
