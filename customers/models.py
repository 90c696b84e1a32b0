import re

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import validate_time_zone
from core.models import BilingualNameMixin


def normalize_phone(value: str) -> str:
    """Digits only, Russian numbers reduced to 10 digits (8XXXXXXXXXX / +7XXXXXXXXXX -> XXXXXXXXXX),
    so "+7 (912) 345-67-89" and "8 912 3456789" match each other."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    return digits


class CompanyCategory(BilingualNameMixin):
    """A class of client (VIP, key account, retail chain, …): SLA policies and rules match on it."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    is_vip = models.BooleanField(_("VIP"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("company category")
        verbose_name_plural = _("company categories")
        ordering = ["order", "id"]


class Company(models.Model):
    name = models.CharField(_("name"), max_length=255)
    legal_name = models.CharField(_("legal name"), max_length=255, blank=True)
    inn = models.CharField(_("INN"), max_length=12, blank=True, db_index=True)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    category = models.ForeignKey(
        CompanyCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="companies",
    )
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True, db_index=True, help_text=_("The company's id in 1C or a CRM.")
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_companies",
    )
    email_domains = models.CharField(
        _("email domains"), max_length=500, blank=True, help_text=_("Comma-separated, e.g. example.ru")
    )
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    portal_contacts_see_all_tickets = models.BooleanField(
        _("contacts see all company tickets"),
        default=False,
        help_text=_("When off, a contact sees only the tickets they opened or are the contact of."),
    )
    portal_qr_requires_login = models.BooleanField(
        _("QR requests require sign-in"),
        default=True,
        help_text=_(
            "When off, anyone who scans an equipment label can send a request without signing in to the portal."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]
        indexes = [models.Index(Lower("name"), name="company_name_lower")]

    def __str__(self) -> str:
        return self.name


class ContactRole(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    DECISION_MAKER = "decision_maker", _("Decision maker")
    ACCOUNTANT = "accountant", _("Accountant")
    TECHNICAL = "technical", _("Technical contact")
    SITE_MANAGER = "site_manager", _("Site manager")


class Contact(models.Model):
    company = models.ForeignKey(
        Company, verbose_name=_("company"), null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    full_name = models.CharField(_("full name"), max_length=200)
    position = models.CharField(_("position"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices, default=ContactRole.REQUESTER)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    language = models.CharField(_("language"), max_length=2, default="ru")
    is_active = models.BooleanField(_("active"), default=True)
    # False for a contact created from what an anonymous sender typed (a scanned label without
    # signing in): nobody has confirmed that they are who they say they are.
    is_verified = models.BooleanField(_("verified"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["full_name"]
        indexes = [models.Index(Lower("full_name"), name="contact_name_lower")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def primary_email(self) -> str:
        emails = list(self.emails.all())
        primary = [e for e in emails if e.is_primary] or emails
        return primary[0].email if primary else ""

    @property
    def primary_phone(self) -> str:
        phones = list(self.phones.all())
        primary = [p for p in phones if p.is_primary] or phones
        return primary[0].phone if primary else ""


class ContactEmail(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(_("email"))
    is_primary = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="contact_email_unique_ci")]
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class ContactPhone(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    phone = models.CharField(_("phone"), max_length=50)
    normalized = models.CharField(max_length=20, db_index=True, editable=False)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return self.phone

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.normalized = normalize_phone(self.phone)
        super().save(*args, **kwargs)


class Site(models.Model):
    """A serviced object: a building, shop, office or facility of a client company."""

    company = models.ForeignKey(Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(_("name"), max_length=255)
    address = models.CharField(_("address"), max_length=500, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Moscow", validators=[validate_time_zone]
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    floors = models.CharField(
        _("floors and rooms"), max_length=255, blank=True, help_text=_("e.g. 1–5, basement, roof; server room 204")
    )
    default_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("default team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="default_for_sites",
    )
    default_engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default engineer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="default_for_sites",
    )
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        verbose_name=_("business calendar"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sites",
        help_text=_("For SLA policies that follow the site's calendar (e.g. another region's hours)."),
    )
    access_hours = models.CharField(
        _("access hours"), max_length=255, blank=True, help_text=_("When engineers can get in, e.g. Mon–Fri 8:00–20:00")
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True, db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
