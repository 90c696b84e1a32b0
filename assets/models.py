"""Equipment: the units a service company maintains at its clients' sites, as a tree
(building → floor → unit), with kind-specific parameters, warranty and the party responsible."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import BilingualNameMixin


class ParameterType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    YES_NO = "bool", _("Yes / no")


class EquipmentKind(BilingualNameMixin):
    """Lift, split system, cash register, server… Its `parameters` define what a unit of the kind
    records: a list of {"code", "name_ru", "name_en", "type"} (type: text, number, date, bool)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    parameters = models.JSONField(_("parameters"), default=list, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("equipment kind")
        verbose_name_plural = _("equipment kinds")
        ordering = ["order", "name_ru"]


class Responsible(models.TextChoices):
    US = "us", _("We maintain it")
    CONTRACTOR = "contractor", _("A contractor maintains it")
    CLIENT = "client", _("The client maintains it")


def new_qr_token() -> str:
    return secrets.token_urlsafe(12)


class Equipment(models.Model):
    company = models.ForeignKey(
        "customers.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="equipment"
    )
    site = models.ForeignKey(
        "customers.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="equipment",
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("part of"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.ForeignKey(EquipmentKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="units")
    name = models.CharField(_("name"), max_length=255)
    manufacturer = models.CharField(_("manufacturer"), max_length=200, blank=True)
    model = models.CharField(_("model"), max_length=200, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True, db_index=True)
    inventory_number = models.CharField(_("inventory number"), max_length=100, blank=True, db_index=True)
    location = models.CharField(_("floor / room"), max_length=200, blank=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    installed_on = models.DateField(_("installed"), null=True, blank=True)
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True)
    responsible = models.CharField(
        _("responsible party"), max_length=12, choices=Responsible.choices, default=Responsible.US
    )
    contractor_name = models.CharField(_("contractor"), max_length=255, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, db_index=True)
    qr_token = models.CharField(max_length=32, unique=True, default=new_qr_token, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["company", "name"], name="equipment_company_name"),
            models.Index(fields=["site", "name"], name="equipment_site_name"),
        ]

    def __str__(self) -> str:
        number = self.inventory_number or self.serial_number
        return f"{self.name} ({number})" if number else self.name

    def under_warranty(self, on=None) -> bool:  # type: ignore[no-untyped-def]
        day = on or timezone.localdate()
        return self.warranty_until is not None and day <= self.warranty_until


class DocumentKind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    CHECKLIST = "checklist", _("Checklist")
    PHOTO = "photo", _("Photo")


class EquipmentDocument(models.Model):
    """A passport, manual, certificate, maintenance checklist or photo of a unit."""

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices, default=DocumentKind.DOCUMENT)
    title = models.CharField(_("title"), max_length=255)
    file = models.FileField(_("file"), upload_to="equipment/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "title", "id"]

    def __str__(self) -> str:
        return self.title
